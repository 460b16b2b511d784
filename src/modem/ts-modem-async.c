/* ts-modem-async.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-modem-async"

#include "config.h"

#include <string.h>

#include "ts-modem.h"
#include "ts-modem-secret.h"

/* The _async/_finish wrappers for the GUI: each runs the synchronous call in a
 * GTask thread. The arguments are copied into the task, so callers may free theirs. */

/* The arguments of any wrapped call; each job reads the fields it needs. */
typedef struct
{
  char              *text;           /* the path, attributes or challenge */
  char              *key_password;   /* wiped when the job ends */
  GBytes            *content;
  gint64             sec_tag;
  int                type;
  guint              flags;          /* TsModemOpenFlags or TsModemWriteFlags */
  TsLineEndings      endings;
} Args;

static void
args_free (Args *args)
{
  g_free (args->text);
  ts_modem_secret_free (args->key_password);
  g_clear_pointer (&args->content, g_bytes_unref);
  g_free (args);
}

static Args *
args_new (const char *text,
          gint64      sec_tag,
          int         type,
          guint       flags)
{
  Args *args = g_new0 (Args, 1);

  args->text = g_strdup (text);
  args->sec_tag = sec_tag;
  args->type = type;
  args->flags = flags;

  return args;
}

typedef gpointer (*JobFunc) (TsModem       *self,
                             Args          *args,
                             GCancellable  *cancellable,
                             GError       **error);

typedef struct
{
  JobFunc         func;
  Args           *args;
  GDestroyNotify  result_free;
} Job;

static void
job_free (Job *job)
{
  args_free (job->args);
  g_free (job);
}

static void
job_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;
  gpointer result = job->func (source_object, job->args, cancellable, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, job->result_free);
}

/* Runs @func with @args (owned by the job) in a GTask thread. */
static void
run_job (TsModem             *self,
         gpointer             source_tag,
         JobFunc              func,
         Args                *args,
         GDestroyNotify       result_free,
         GCancellable        *cancellable,
         GAsyncReadyCallback  callback,
         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Job *job = g_new0 (Job, 1);

  job->func = func;
  job->args = args;
  job->result_free = result_free;

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, job_thread);
}

static gpointer
finish_job (TsModem       *self,
            GAsyncResult  *result,
            gpointer       source_tag,
            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Open */

static gpointer
open_job (TsModem       *self,
          Args          *args,
          GCancellable  *cancellable,
          GError       **error)
{
  return ts_modem_open (args->text, args->flags, cancellable, error);
}

void
ts_modem_open_async (const char          *path,
                     TsModemOpenFlags     flags,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_return_if_fail (path != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  run_job (NULL, ts_modem_open_async, open_job, args_new (path, -1, -1, flags), g_object_unref,
           cancellable, callback, user_data);
}

TsModem *
ts_modem_open_finish (GAsyncResult  *result,
                      GError       **error)
{
  return finish_job (NULL, result, ts_modem_open_async, error);
}

/* Identity */

static gpointer
identity_job (TsModem       *self,
              Args          *args,
              GCancellable  *cancellable,
              GError       **error)
{
  return ts_modem_query_identity (self, cancellable, error);
}

void
ts_modem_query_identity_async (TsModem             *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (TS_IS_MODEM (self));

  run_job (self, ts_modem_query_identity_async, identity_job, args_new (NULL, -1, -1, 0),
           (GDestroyNotify) ts_modem_identity_free, cancellable, callback, user_data);
}

TsModemIdentity *
ts_modem_query_identity_finish (TsModem       *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  return finish_job (self, result, ts_modem_query_identity_async, error);
}

/* List */

static gpointer
list_job (TsModem       *self,
          Args          *args,
          GCancellable  *cancellable,
          GError       **error)
{
  return ts_modem_list_credentials (self, args->sec_tag, args->type, cancellable, error);
}

void
ts_modem_list_credentials_async (TsModem             *self,
                                 gint64               sec_tag,
                                 int                  type,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (TS_IS_MODEM (self));

  run_job (self, ts_modem_list_credentials_async, list_job, args_new (NULL, sec_tag, type, 0),
           (GDestroyNotify) g_array_unref, cancellable, callback, user_data);
}

GArray *
ts_modem_list_credentials_finish (TsModem       *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return finish_job (self, result, ts_modem_list_credentials_async, error);
}

/* Write */

static gpointer
write_job (TsModem       *self,
           Args          *args,
           GCancellable  *cancellable,
           GError       **error)
{
  char *sha256 = NULL;

  if (!ts_modem_write_credential (self, args->sec_tag, args->type, args->content,
                                  args->key_password, args->endings, args->flags, &sha256,
                                  cancellable, error))
    return NULL;

  return sha256;
}

void
ts_modem_write_credential_async (TsModem             *self,
                                 guint32              sec_tag,
                                 guint                type,
                                 GBytes              *content,
                                 const char          *key_password,
                                 TsLineEndings        endings,
                                 TsModemWriteFlags    flags,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  Args *args;

  g_return_if_fail (TS_IS_MODEM (self));
  g_return_if_fail (content != NULL);

  args = args_new (NULL, sec_tag, type, flags);
  args->content = g_bytes_ref (content);
  args->key_password = g_strdup (key_password);
  args->endings = endings;
  run_job (self, ts_modem_write_credential_async, write_job, args, g_free,
           cancellable, callback, user_data);
}

/* Returns: (transfer full): the verified SHA-256, or %NULL with @error set */
char *
ts_modem_write_credential_finish (TsModem       *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return finish_job (self, result, ts_modem_write_credential_async, error);
}

/* Delete */

static gpointer
delete_job (TsModem       *self,
            Args          *args,
            GCancellable  *cancellable,
            GError       **error)
{
  guint deleted = 0;

  if (!ts_modem_delete_credentials (self, args->sec_tag, args->type, args->flags, &deleted,
                                    cancellable, error))
    return NULL;

  return g_memdup2 (&deleted, sizeof deleted);
}

void
ts_modem_delete_credentials_async (TsModem             *self,
                                   guint32              sec_tag,
                                   int                  type,
                                   TsModemWriteFlags    flags,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (TS_IS_MODEM (self));

  run_job (self, ts_modem_delete_credentials_async, delete_job,
           args_new (NULL, sec_tag, type, flags), g_free, cancellable, callback, user_data);
}

gboolean
ts_modem_delete_credentials_finish (TsModem       *self,
                                    GAsyncResult  *result,
                                    guint         *n_deleted,
                                    GError       **error)
{
  g_autofree guint *deleted = finish_job (self, result, ts_modem_delete_credentials_async, error);

  if (n_deleted != NULL)
    *n_deleted = deleted != NULL ? *deleted : 0;

  return deleted != NULL;
}

/* Keygen */

static gpointer
keygen_job (TsModem       *self,
            Args          *args,
            GCancellable  *cancellable,
            GError       **error)
{
  return ts_modem_keygen (self, args->sec_tag, args->text, args->flags, cancellable, error);
}

void
ts_modem_keygen_async (TsModem             *self,
                       guint32              sec_tag,
                       const char          *attributes,
                       TsModemWriteFlags    flags,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (TS_IS_MODEM (self));

  run_job (self, ts_modem_keygen_async, keygen_job, args_new (attributes, sec_tag, -1, flags),
           (GDestroyNotify) ts_keygen_result_free, cancellable, callback, user_data);
}

TsKeygenResult *
ts_modem_keygen_finish (TsModem       *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return finish_job (self, result, ts_modem_keygen_async, error);
}

/* Attest */

static gpointer
attest_job (TsModem       *self,
            Args          *args,
            GCancellable  *cancellable,
            GError       **error)
{
  return ts_modem_attest (self, args->text, cancellable, error);
}

void
ts_modem_attest_async (TsModem             *self,
                       const char          *challenge_hex,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (TS_IS_MODEM (self));

  run_job (self, ts_modem_attest_async, attest_job, args_new (challenge_hex, -1, -1, 0),
           (GDestroyNotify) ts_attestation_free, cancellable, callback, user_data);
}

TsAttestation *
ts_modem_attest_finish (TsModem       *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return finish_job (self, result, ts_modem_attest_async, error);
}
