/* ts-workspace-modem.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-workspace-modem"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "ts-provision-error.h"
#include "ts-provision-private.h"
#include "ts-server-ca.h"
#include "ts-store.h"
#include "ts-workspace-modem.h"
#include "ts-workspace-private.h"

/* Provisioning defaults ---------------------------------------------------------- */

TsProvisionDefaults *
ts_provision_defaults_new (void)
{
  TsProvisionDefaults *defaults = g_new0 (TsProvisionDefaults, 1);

  defaults->sec_tag = 0;
  defaults->endings = TS_LINE_ENDINGS_LF;

  return defaults;
}

TsProvisionDefaults *
ts_provision_defaults_copy (const TsProvisionDefaults *defaults)
{
  TsProvisionDefaults *copy;

  g_return_val_if_fail (defaults != NULL, NULL);

  copy = g_memdup2 (defaults, sizeof *defaults);
  copy->authority = g_strdup (defaults->authority);
  copy->profile = g_strdup (defaults->profile);
  copy->server_ca = g_strdup (defaults->server_ca);

  return copy;
}

void
ts_provision_defaults_free (TsProvisionDefaults *defaults)
{
  if (defaults == NULL)
    return;

  g_free (defaults->authority);
  g_free (defaults->profile);
  g_free (defaults->server_ca);
  g_free (defaults);
}

/**
 * ts_workspace_new_provision_request:
 *
 * Returns: (transfer full): the request of the defaults, or %NULL with @error
 *   set when one of them is unusable (no CA chosen, a modem-owned sec_tag, a
 *   server CA that cannot be found or is no certificate)
 */
TsProvisionRequest *
ts_workspace_new_provision_request (TsWorkspace   *self,
                                    GCancellable  *cancellable,
                                    GError       **error)
{
  g_autoptr(TsProvisionDefaults) defaults = NULL;
  g_autoptr(TsProvisionRequest) request = NULL;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);

  defaults = ts_workspace_dup_provision_defaults (self);
  if (defaults->authority == NULL)
    {
      g_set_error_literal (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                           _("No certificate authority is chosen to sign devices. Choose one of "
                             "the ledger's authorities."));
      return NULL;
    }
  if (!ts_sec_tag_check_writable (defaults->sec_tag, error) ||
      g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  request = ts_provision_request_new (defaults->authority, defaults->sec_tag);
  if (defaults->profile != NULL)
    {
      g_free (request->profile);
      request->profile = g_strdup (defaults->profile);
    }
  request->host_key = defaults->host_key;
  request->endings = defaults->endings;
  request->days = defaults->days;

  if (defaults->server_ca != NULL && defaults->server_ca_system)
    {
      request->server_ca = ts_server_ca_load_system (NULL, defaults->server_ca,
                                                     &request->server_ca_label, error);
    }
  else if (defaults->server_ca != NULL)
    {
      request->server_ca = ts_server_ca_load_file (defaults->server_ca, error);
      request->server_ca_label = g_strdup (defaults->server_ca);
    }
  if (defaults->server_ca != NULL && request->server_ca == NULL)
    return NULL;

  return g_steal_pointer (&request);
}

/* Links ------------------------------------------------------------------------- */

struct _TsDeviceLink
{
  gatomicrefcount  ref_count;
  TsPortLease     *lease;
  TsModem         *modem;
};

/**
 * ts_workspace_open_link:
 * @holder: who holds the port meanwhile, as a person would name it ("a device
 *   window", "the production line"); see ts_workspace_lease_port()
 *
 * Leases @path, then opens it as the defaults say (flow control, timeout).
 * Another holder's brief lease is waited for; a held one fails at once,
 * naming it.
 *
 * Returns: (transfer full): the link; the port is closed and given back when
 *   its last reference goes
 */
TsDeviceLink *
ts_workspace_open_link (TsWorkspace      *self,
                        const char       *path,
                        const char       *holder,
                        TsPortLeaseKind   kind,
                        GCancellable     *cancellable,
                        GError          **error)
{
  g_autoptr(TsProvisionDefaults) defaults = NULL;
  g_autoptr(TsPortLease) lease = NULL;
  TsDeviceLink *link;
  TsModem *modem;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  lease = ts_workspace_lease_port (self, path, holder, kind, cancellable, error);
  if (lease == NULL)
    return NULL;

  defaults = ts_workspace_dup_provision_defaults (self);
  modem = ts_modem_open (path, defaults->open_flags, cancellable, error);
  if (modem == NULL)
    return NULL;
  if (defaults->timeout_ms > 0)
    ts_modem_set_timeout (modem, defaults->timeout_ms);

  link = g_new0 (TsDeviceLink, 1);
  g_atomic_ref_count_init (&link->ref_count);
  link->lease = g_steal_pointer (&lease);
  link->modem = modem;

  return link;
}

TsDeviceLink *
ts_device_link_ref (TsDeviceLink *link)
{
  g_return_val_if_fail (link != NULL, NULL);

  g_atomic_ref_count_inc (&link->ref_count);
  return link;
}

/* The last reference closes the port, then gives the lease back. */
void
ts_device_link_unref (TsDeviceLink *link)
{
  if (link == NULL || !g_atomic_ref_count_dec (&link->ref_count))
    return;

  ts_modem_close (link->modem);
  g_object_unref (link->modem);
  ts_port_lease_release (link->lease);
  g_free (link);
}

const char *
ts_device_link_get_path (TsDeviceLink *link)
{
  g_return_val_if_fail (link != NULL, NULL);

  return ts_port_lease_get_path (link->lease);
}

TsAtMode
ts_device_link_get_mode (TsDeviceLink *link)
{
  g_return_val_if_fail (link != NULL, TS_AT_MODE_LINE);

  return ts_modem_get_mode (link->modem);
}

/* Sees every command on the link (see TsModemObserver); for progress shown to a person. */
void
ts_device_link_set_observer (TsDeviceLink    *link,
                             TsModemObserver  observer,
                             gpointer         user_data,
                             GDestroyNotify   destroy)
{
  g_return_if_fail (link != NULL);

  ts_modem_set_observer (link->modem, observer, user_data, destroy);
}

/* Operations -------------------------------------------------------------------- */

/**
 * ts_workspace_discover:
 *
 * Returns: (transfer full) (element-type TsPortInfo): the ports found
 */
GPtrArray *
ts_workspace_discover (TsWorkspace  *self,
                       GError      **error)
{
  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);

  return ts_modem_discover (error);
}

/* The ledger when the workspace has one open; reading never needs more. */
static CaLedger *
open_ledger (TsWorkspace *self)
{
  TsWorkspaceState state = ts_workspace_get_state (self);

  if (state != TS_WORKSPACE_LOCKED && state != TS_WORKSPACE_UNLOCKED)
    return NULL;

  return ts_workspace_get_ledger (self, NULL);
}

TsModemIdentity *
ts_workspace_identify (TsWorkspace   *self,
                       TsDeviceLink  *link,
                       GPtrArray     *notices,
                       GCancellable  *cancellable,
                       GError       **error)
{
  CaLedger *ledger;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (link != NULL, NULL);

  ledger = open_ledger (self);
  if (ledger == NULL)
    return ts_modem_query_identity (link->modem, cancellable, error);

  return ts_store_identify (ledger, link->modem, NULL, notices, cancellable, error);
}

/* AT+CGSN (PROTOCOL.md §4): the line skips a unit done earlier in the lot
 * without touching it further. */
char *
ts_workspace_read_imei (TsWorkspace   *self,
                        TsDeviceLink  *link,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_auto(GStrv) lines = NULL;
  guint n;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (link != NULL, NULL);

  lines = ts_modem_send (link->modem, "AT+CGSN", 0, cancellable, error);
  if (lines == NULL)
    return NULL;

  n = g_strv_length (lines);
  if (n == 0 || strlen (lines[n - 1]) < 15)
    {
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL,
                   _("The modem answered AT+CGSN without an IMEI."));
      return NULL;
    }

  return g_strndup (lines[n - 1], 15);
}

void
ts_store_survey_free (TsStoreSurvey *survey)
{
  if (survey == NULL)
    return;

  g_clear_pointer (&survey->identity, ts_modem_identity_free);
  g_clear_pointer (&survey->credentials, g_array_unref);
  g_clear_pointer (&survey->matches, g_ptr_array_unref);
  g_clear_pointer (&survey->subjects, g_ptr_array_unref);
  g_free (survey);
}

/**
 * ts_workspace_survey_store:
 *
 * Lists the whole store and settles the ledger by it (see ts_store_settle()),
 * then says what the ledger knows of each credential.
 *
 * Returns: (transfer full): the survey
 */
TsStoreSurvey *
ts_workspace_survey_store (TsWorkspace    *self,
                           TsDeviceLink   *link,
                           TsSurveyFlags   flags,
                           GPtrArray      *notices,
                           GCancellable   *cancellable,
                           GError        **error)
{
  g_autoptr(TsStoreSurvey) survey = g_new0 (TsStoreSurvey, 1);
  CaLedger *ledger;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (link != NULL, NULL);

  ledger = open_ledger (self);
  survey->credentials = ts_modem_list_credentials (link->modem, -1, -1, cancellable, error);
  if (survey->credentials == NULL)
    return NULL;
  survey->identity = ledger != NULL
                     ? ts_store_identify (ledger, link->modem, survey->credentials, notices,
                                          cancellable, error)
                     : ts_modem_query_identity (link->modem, cancellable, error);
  if (survey->identity == NULL)
    return NULL;

  survey->matches = g_ptr_array_new_with_free_func ((GDestroyNotify) ca_sha_match_free);
  survey->subjects = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < survey->credentials->len; i++)
    {
      const TsCredential *credential = &g_array_index (survey->credentials, TsCredential, i);
      CaShaMatch *match = NULL;
      char *subject = NULL;

      if (ledger != NULL && credential->sha256[0] != '\0')
        {
          g_autoptr(GError) lookup_error = NULL;

          match = ca_ledger_lookup_sha256 (ledger, credential->sha256, &lookup_error);
          if (match == NULL)
            g_debug ("No ledger match for %s: %s", credential->sha256, lookup_error->message);
        }

      if ((flags & TS_SURVEY_READ_SUBJECTS) != 0 &&
          (match == NULL || match->kind == CA_SHA_UNKNOWN) &&
          (credential->type == TS_CRED_CA_CERT || credential->type == TS_CRED_CLIENT_CERT) &&
          ts_sec_tag_classify (credential->sec_tag) != TS_SEC_TAG_MODEM)
        {
          g_autoptr(GBytes) pem = ts_modem_read_credential (link->modem, credential->sec_tag,
                                                            credential->type, NULL,
                                                            cancellable, NULL);

          if (pem != NULL)
            subject = ts_pem_subject_cn (pem);
        }

      g_ptr_array_add (survey->matches, match);
      g_ptr_array_add (survey->subjects, subject);
    }

  return g_steal_pointer (&survey);
}

GBytes *
ts_workspace_read_credential (TsWorkspace   *self,
                              TsDeviceLink  *link,
                              guint32        sec_tag,
                              guint          type,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (link != NULL, NULL);

  return ts_modem_read_credential (link->modem, sec_tag, type, NULL, cancellable, error);
}

gboolean
ts_workspace_write_credential (TsWorkspace        *self,
                               TsDeviceLink       *link,
                               guint32             sec_tag,
                               guint               type,
                               GBytes             *content,
                               const char         *key_password,
                               TsModemWriteFlags   flags,
                               char              **sha256,
                               GPtrArray          *notices,
                               GCancellable       *cancellable,
                               GError            **error)
{
  g_autoptr(TsProvisionDefaults) defaults = NULL;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), FALSE);
  g_return_val_if_fail (link != NULL, FALSE);
  g_return_val_if_fail (content != NULL, FALSE);

  if (!ts_sec_tag_check_writable (sec_tag, error) ||
      !ts_store_check_credential (type, content, error) ||
      !ts_workspace_check_writable (self, error))
    return FALSE;

  defaults = ts_workspace_dup_provision_defaults (self);
  if (!ts_store_write (ts_workspace_get_ledger (self, NULL), link->modem, sec_tag, type, content,
                       key_password, defaults->endings, flags, sha256, notices, cancellable, error))
    return FALSE;

  ts_workspace_changed (self);
  return TRUE;
}

gboolean
ts_workspace_delete_credentials (TsWorkspace        *self,
                                 TsDeviceLink       *link,
                                 guint32             sec_tag,
                                 int                 type,
                                 TsModemWriteFlags   flags,
                                 guint              *n_deleted,
                                 GPtrArray          *notices,
                                 GCancellable       *cancellable,
                                 GError            **error)
{
  gboolean ok;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), FALSE);
  g_return_val_if_fail (link != NULL, FALSE);

  if (!ts_sec_tag_check_writable (sec_tag, error) ||
      !ts_workspace_check_writable (self, error))
    return FALSE;

  ok = ts_store_delete (ts_workspace_get_ledger (self, NULL), link->modem, sec_tag, type, flags,
                        n_deleted, notices, cancellable, error);
  /* Also a refused deletion may have settled installs. */
  ts_workspace_changed (self);

  return ok;
}

TsKeygenResult *
ts_workspace_keygen (TsWorkspace        *self,
                     TsDeviceLink       *link,
                     guint32             sec_tag,
                     const char         *attributes,
                     TsModemWriteFlags   flags,
                     GCancellable       *cancellable,
                     GError            **error)
{
  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (link != NULL, NULL);

  if (!ts_sec_tag_check_writable (sec_tag, error))
    return NULL;

  return ts_modem_keygen (link->modem, sec_tag, attributes, flags, cancellable, error);
}

TsAttestation *
ts_workspace_attest (TsWorkspace   *self,
                     TsDeviceLink  *link,
                     const char    *challenge_hex,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (link != NULL, NULL);

  return ts_modem_attest (link->modem, challenge_hex, cancellable, error);
}

TsProvisionResult *
ts_workspace_provision (TsWorkspace               *self,
                        TsDeviceLink              *link,
                        const TsProvisionRequest  *request,
                        TsProvisionProgress        progress,
                        gpointer                   progress_data,
                        GCancellable              *cancellable,
                        GError                   **error)
{
  TsProvisionResult *result;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (link != NULL, NULL);
  g_return_val_if_fail (request != NULL, NULL);

  if (!ts_workspace_check_writable (self, &local_error))
    {
      result = _ts_provision_result_new (request, ts_device_link_get_path (link));
      result->error = g_error_copy (local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return result;
    }

  result = ts_provision_run (ts_workspace_get_ledger (self, NULL), link->modem, request,
                             progress, progress_data, cancellable, error);
  ts_workspace_changed (self);

  return result;
}

typedef struct
{
  TsDeviceLink        *link;
  TsProvisionRequest  *request;
  TsProvisionProgress  progress;
  gpointer             progress_data;
  GDestroyNotify       progress_destroy;
  GCancellable        *cancellable;
} ProvisionData;

static void
provision_data_free (gpointer pointer)
{
  ProvisionData *data = pointer;

  ts_device_link_unref (data->link);
  ts_provision_request_free (data->request);
  if (data->progress_destroy != NULL)
    data->progress_destroy (data->progress_data);
  g_clear_object (&data->cancellable);
  g_free (data);
}

static gpointer
provision_job (TsWorkspace   *self,
               gpointer       pointer,
               GCancellable  *unused,
               GError       **error)
{
  ProvisionData *data = pointer;

  /* The result is what the caller wants, also of a failed run. */
  return ts_workspace_provision (self, data->link, data->request, data->progress,
                                 data->progress_data, data->cancellable, NULL);
}

/**
 * ts_workspace_provision_async:
 * @progress: (nullable) (scope notified): called on the worker thread
 */
void
ts_workspace_provision_async (TsWorkspace               *self,
                              TsDeviceLink              *link,
                              const TsProvisionRequest  *request,
                              TsProvisionProgress        progress,
                              gpointer                   progress_data,
                              GDestroyNotify             progress_destroy,
                              GCancellable              *cancellable,
                              GAsyncReadyCallback        callback,
                              gpointer                   user_data)
{
  ProvisionData *data;

  g_return_if_fail (TS_IS_WORKSPACE (self));
  g_return_if_fail (link != NULL);
  g_return_if_fail (request != NULL);

  data = g_new0 (ProvisionData, 1);
  data->link = ts_device_link_ref (link);
  data->request = ts_provision_request_copy (request);
  data->progress = progress;
  data->progress_data = progress_data;
  data->progress_destroy = progress_destroy;
  data->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;

  /* The runner is not given the cancellable: a cancelled run still ends with
   * its result, and the flow watches the cancellable itself. */
  ts_workspace_run_async (self, provision_job, data, provision_data_free,
                          (GDestroyNotify) ts_provision_result_free, NULL, callback, user_data);
}

/**
 * ts_workspace_provision_finish:
 *
 * Returns: (transfer full): the result, also when the flow failed (then @error is set)
 */
TsProvisionResult *
ts_workspace_provision_finish (TsWorkspace   *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  TsProvisionResult *provision;

  provision = ts_workspace_run_finish (self, result, error);
  if (provision != NULL && provision->error != NULL)
    g_set_error_literal (error, provision->error->domain, provision->error->code,
                         provision->error->message);

  return provision;
}
