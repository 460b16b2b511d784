/* ts-workspace.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-workspace"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "ts-workspace.h"
#include "ts-workspace-ca.h"
#include "ts-workspace-private.h"
#include "ts-workspace-modem.h"

struct _TsWorkspace
{
  GObject           parent_instance;

  char             *ledger_path;
  GMainContext     *context;

  /* The mutex guards what worker threads set and front ends read: the ledger
   * (set once by ts_workspace_open()), the kept error, the state and the
   * provisioning defaults. */
  GMutex            state_mutex;
  CaLedger         *ledger;
  GError           *error;
  TsWorkspaceState  state;
  TsProvisionDefaults *defaults;

  /* Leases: port path → Holder. The mutex guards the table; the condition
   * wakes those waiting for a brief lease to end. */
  GMutex            lease_mutex;
  GCond             lease_cond;
  GHashTable       *leases;

  /* The authorities as last listed, shared until the ledger changes. The
   * mutex guards them; the condition wakes those waiting for the one listing
   * under way. A change bumps the generation, so a listing that a change
   * overtook is not kept. */
  GMutex            authorities_mutex;
  GCond             authorities_cond;
  GPtrArray        *authorities;
  guint             generation;
  gboolean          listing;
};

typedef struct
{
  char            *holder;
  TsPortLeaseKind  kind;
} Holder;

struct _TsPortLease
{
  TsWorkspace *workspace;  /* (owned) */
  char        *path;
};

G_DEFINE_FINAL_TYPE (TsWorkspace, ts_workspace, G_TYPE_OBJECT)
G_DEFINE_QUARK (ts-workspace-error-quark, ts_workspace_error)

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

enum {
  CHANGED,
  PORTS_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
holder_free (gpointer pointer)
{
  Holder *holder = pointer;

  g_free (holder->holder);
  g_free (holder);
}

/* Signals always reach the main context the workspace was made on, so widgets
 * may connect to them whatever thread an operation ran on. */
typedef struct
{
  TsWorkspace *self;
  guint        signal;
  GParamSpec  *pspec;
} Emission;

static gboolean
emit_cb (gpointer data)
{
  Emission *emission = data;

  if (emission->pspec != NULL)
    g_object_notify_by_pspec (G_OBJECT (emission->self), emission->pspec);
  else
    g_signal_emit (emission->self, signals[emission->signal], 0);

  g_object_unref (emission->self);
  g_free (emission);
  return G_SOURCE_REMOVE;
}

static void
emit_on_context (TsWorkspace *self,
                 guint        signal,
                 GParamSpec  *pspec)
{
  Emission *emission = g_new0 (Emission, 1);

  emission->self = g_object_ref (self);
  emission->signal = signal;
  emission->pspec = pspec;
  g_main_context_invoke (self->context, emit_cb, emission);
}

/* Called with state_mutex held; the caller announces a change once it has let
 * go of the mutex, since handlers on this thread read the state at once. */
static gboolean
set_state_locked (TsWorkspace      *self,
                  TsWorkspaceState  state)
{
  if (self->state == state)
    return FALSE;

  self->state = state;
  return TRUE;
}

static void
announce_state (TsWorkspace *self)
{
  emit_on_context (self, 0, properties[PROP_STATE]);
}

static void
set_state (TsWorkspace      *self,
           TsWorkspaceState  state)
{
  gboolean changed;

  g_mutex_lock (&self->state_mutex);
  changed = set_state_locked (self, state);
  g_mutex_unlock (&self->state_mutex);

  if (changed)
    announce_state (self);
}

/* The ledger, or NULL while the workspace is closed or failed; it never
 * changes once set, so callers may use it after the lock is dropped. */
static CaLedger *
peek_ledger (TsWorkspace *self)
{
  CaLedger *ledger;

  g_mutex_lock (&self->state_mutex);
  ledger = self->ledger;
  g_mutex_unlock (&self->state_mutex);
  return ledger;
}

static void
ts_workspace_finalize (GObject *object)
{
  TsWorkspace *self = (TsWorkspace *)object;

  if (self->ledger != NULL)
    ca_ledger_lock (self->ledger);
  g_clear_object (&self->ledger);
  g_clear_error (&self->error);
  g_clear_pointer (&self->ledger_path, g_free);
  g_clear_pointer (&self->leases, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->defaults, ts_provision_defaults_free);
  g_clear_pointer (&self->authorities, g_ptr_array_unref);
  g_mutex_clear (&self->authorities_mutex);
  g_cond_clear (&self->authorities_cond);
  g_mutex_clear (&self->state_mutex);
  g_mutex_clear (&self->lease_mutex);
  g_cond_clear (&self->lease_cond);

  G_OBJECT_CLASS (ts_workspace_parent_class)->finalize (object);
}

static void
ts_workspace_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  TsWorkspace *self = TS_WORKSPACE (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, ts_workspace_get_state (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ts_workspace_class_init (TsWorkspaceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ts_workspace_finalize;
  object_class->get_property = ts_workspace_get_property;

  /* A TsWorkspaceState; an int so that ts-workspace.h needs no enum type. */
  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL,
                      TS_WORKSPACE_CLOSED, TS_WORKSPACE_FAILED, TS_WORKSPACE_CLOSED,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Anything in the ledger changed: pages that show ledger data reload. */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /* A port was leased or released: lists that show "busy" refresh. */
  signals[PORTS_CHANGED] =
    g_signal_new ("ports-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ts_workspace_init (TsWorkspace *self)
{
  g_mutex_init (&self->state_mutex);
  g_mutex_init (&self->authorities_mutex);
  g_cond_init (&self->authorities_cond);
  g_mutex_init (&self->lease_mutex);
  g_cond_init (&self->lease_cond);
  self->leases = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, holder_free);
  self->context = g_main_context_ref_thread_default ();
}

/**
 * ts_workspace_default_ledger_path:
 *
 * The ledger every front end uses unless told otherwise: $TAGSMITH_DB, or
 * `fleet.db` in the user's data folder.
 *
 * Returns: (transfer full): a path
 */
char *
ts_workspace_default_ledger_path (void)
{
  const char *env = g_getenv ("TAGSMITH_DB");

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);

  return g_build_filename (g_get_user_data_dir (), "tagsmith", "fleet.db", NULL);
}

gboolean
ts_workspace_location_is_server (const char *location)
{
  return ca_ledger_location_is_server (location);
}

/**
 * ts_workspace_new:
 * @ledger_path: (nullable): the ledger; %NULL for ts_workspace_default_ledger_path()
 *
 * Returns: (transfer full): a workspace whose ledger is not open yet
 */
TsWorkspace *
ts_workspace_new (const char *ledger_path)
{
  TsWorkspace *self = g_object_new (TS_TYPE_WORKSPACE, NULL);

  self->ledger_path = ledger_path != NULL ? g_strdup (ledger_path)
                                          : ts_workspace_default_ledger_path ();
  return self;
}

const char *
ts_workspace_get_ledger_path (TsWorkspace *self)
{
  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);

  return self->ledger_path;
}

gboolean
ts_workspace_ledger_may_exist (const char *location)
{
  g_return_val_if_fail (location != NULL, FALSE);

  return ca_ledger_location_is_server (location) || g_file_test (location, G_FILE_TEST_IS_REGULAR);
}

/* A ledger file's folder is made on first use; a server ledger has none. */
static gboolean
ensure_folder (const char  *location,
               GError     **error)
{
  g_autofree char *folder = NULL;
  int saved_errno;

  if (ca_ledger_location_is_server (location))
    return TRUE;

  folder = g_path_get_dirname (location);
  if (g_mkdir_with_parents (folder, 0700) == 0)
    return TRUE;

  saved_errno = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("Could not create the folder “%s” for the fleet ledger: %s. "
                 "Check its permissions, or choose another ledger (Preferences in the window)."),
               folder, g_strerror (saved_errno));
  ca_error_add_cli_hint (error, _("choose it with --db or TAGSMITH_DB."));
  return FALSE;
}

/**
 * ts_workspace_open:
 *
 * Opens the ledger; call it once, from any thread. On failure the error is
 * also kept (ts_workspace_get_error()) so that every front end can show why.
 */
gboolean
ts_workspace_open (TsWorkspace          *self,
                   TsWorkspaceOpenMode   mode,
                   GError              **error)
{
  g_autoptr(GError) local_error = NULL;
  CaLedger *ledger;
  gboolean changed;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), FALSE);
  g_return_val_if_fail (peek_ledger (self) == NULL, FALSE);

  if (mode == TS_WORKSPACE_OPEN_READ_ONLY)
    ledger = ca_ledger_open_read_only (self->ledger_path, &local_error);
  else if (ensure_folder (self->ledger_path, &local_error))
    ledger = ca_ledger_open (self->ledger_path, &local_error);
  else
    ledger = NULL;

  g_mutex_lock (&self->state_mutex);
  g_clear_error (&self->error);
  if (ledger == NULL)
    {
      self->error = g_error_copy (local_error);
      changed = set_state_locked (self, TS_WORKSPACE_FAILED);
    }
  else
    {
      self->ledger = ledger;
      changed = set_state_locked (self, TS_WORKSPACE_LOCKED);
    }
  g_mutex_unlock (&self->state_mutex);

  if (changed)
    announce_state (self);

  if (ledger == NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return ledger != NULL;
}

TsWorkspaceState
ts_workspace_get_state (TsWorkspace *self)
{
  TsWorkspaceState state;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), TS_WORKSPACE_CLOSED);

  g_mutex_lock (&self->state_mutex);
  state = self->state;
  g_mutex_unlock (&self->state_mutex);
  return state;
}

/**
 * ts_workspace_get_error:
 *
 * Returns: (transfer none) (nullable): why the ledger could not be opened; it
 *   stays valid for the workspace's life, since a workspace is opened once
 */
const GError *
ts_workspace_get_error (TsWorkspace *self)
{
  const GError *kept;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);

  g_mutex_lock (&self->state_mutex);
  kept = self->error;
  g_mutex_unlock (&self->state_mutex);
  return kept;
}

gboolean
ts_workspace_was_created (TsWorkspace *self)
{
  CaLedger *ledger;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), FALSE);

  ledger = peek_ledger (self);
  return ledger != NULL && ca_ledger_was_created (ledger);
}

gboolean
ts_workspace_has_passphrase (TsWorkspace *self)
{
  CaLedger *ledger;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), FALSE);

  ledger = peek_ledger (self);
  return ledger != NULL && ca_ledger_has_passphrase (ledger);
}

/**
 * ts_workspace_get_ledger:
 *
 * For src/provision/ only (ts-workspace-private.h): front ends never touch the
 * ledger directly.
 *
 * Returns: (transfer none): the open ledger, or %NULL with @error set
 */
CaLedger *
ts_workspace_get_ledger (TsWorkspace  *self,
                         GError      **error)
{
  CaLedger *ledger;
  const GError *kept;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);

  ledger = peek_ledger (self);
  if (ledger != NULL)
    return ledger;

  kept = ts_workspace_get_error (self);
  if (kept != NULL)
    g_set_error (error, TS_WORKSPACE_ERROR, TS_WORKSPACE_ERROR_NO_LEDGER,
                 _("The fleet ledger “%s” could not be opened: %s"),
                 self->ledger_path, kept->message);
  else
    g_set_error (error, TS_WORKSPACE_ERROR, TS_WORKSPACE_ERROR_NO_LEDGER,
                 _("The fleet ledger “%s” is not open yet. Try again in a moment."),
                 self->ledger_path);
  return NULL;
}

/**
 * ts_workspace_unlock:
 *
 * Checks @passphrase against the ledger (the first one sets it) and keeps the
 * CA keys decrypted in memory until ts_workspace_lock(). Slow on purpose (the
 * key derivation is scrypt): call it from a worker thread in the window.
 */
gboolean
ts_workspace_unlock (TsWorkspace   *self,
                     const char    *passphrase,
                     GCancellable  *cancellable,
                     GError       **error)
{
  CaLedger *ledger;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), FALSE);
  g_return_val_if_fail (passphrase != NULL, FALSE);

  ledger = ts_workspace_get_ledger (self, error);
  if (ledger == NULL || g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  if (!ca_ledger_unlock (ledger, passphrase, error))
    return FALSE;

  set_state (self, TS_WORKSPACE_UNLOCKED);
  return TRUE;
}

void
ts_workspace_lock (TsWorkspace *self)
{
  CaLedger *ledger;

  g_return_if_fail (TS_IS_WORKSPACE (self));

  ledger = peek_ledger (self);
  if (ledger == NULL)
    return;

  ca_ledger_lock (ledger);
  set_state (self, TS_WORKSPACE_LOCKED);
}

gboolean
ts_workspace_is_unlocked (TsWorkspace *self)
{
  CaLedger *ledger;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), FALSE);

  ledger = peek_ledger (self);
  return ledger != NULL && ca_ledger_is_unlocked (ledger);
}

/* Whether the ledger is open, locked or not: what pages need to show it. */
gboolean
ts_workspace_is_open (TsWorkspace *self)
{
  g_return_val_if_fail (TS_IS_WORKSPACE (self), FALSE);

  return peek_ledger (self) != NULL;
}

/**
 * ts_workspace_set_provision_defaults:
 *
 * Replaces the defaults every later operation starts from (a copy is kept).
 */
void
ts_workspace_set_provision_defaults (TsWorkspace               *self,
                                     const TsProvisionDefaults *defaults)
{
  TsProvisionDefaults *copy;

  g_return_if_fail (TS_IS_WORKSPACE (self));
  g_return_if_fail (defaults != NULL);

  copy = ts_provision_defaults_copy (defaults);
  g_mutex_lock (&self->state_mutex);
  g_clear_pointer (&self->defaults, ts_provision_defaults_free);
  self->defaults = copy;
  g_mutex_unlock (&self->state_mutex);
}

/**
 * ts_workspace_dup_provision_defaults:
 *
 * Returns: (transfer full): a copy of the defaults, from any thread
 */
TsProvisionDefaults *
ts_workspace_dup_provision_defaults (TsWorkspace *self)
{
  TsProvisionDefaults *copy;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);

  g_mutex_lock (&self->state_mutex);
  copy = self->defaults != NULL ? ts_provision_defaults_copy (self->defaults)
                                : ts_provision_defaults_new ();
  g_mutex_unlock (&self->state_mutex);
  return copy;
}

/**
 * ts_workspace_check_writable:
 *
 * Operations that change the ledger call this first, so that a locked
 * workspace is refused with the same advice everywhere.
 */
gboolean
ts_workspace_check_writable (TsWorkspace  *self,
                             GError      **error)
{
  g_return_val_if_fail (TS_IS_WORKSPACE (self), FALSE);

  if (ts_workspace_get_ledger (self, error) == NULL)
    return FALSE;

  if (!ts_workspace_is_unlocked (self))
    {
      g_set_error_literal (error, TS_WORKSPACE_ERROR, TS_WORKSPACE_ERROR_LOCKED,
                           _("This changes the fleet ledger, which needs the workspace "
                             "passphrase. Unlock the workspace first."));
      ca_error_add_cli_hint (error, _("give the passphrase with --pass."));
      return FALSE;
    }

  return TRUE;
}

/* Tells every page that the ledger changed; callable from any thread. */
void
ts_workspace_changed (TsWorkspace *self)
{
  g_return_if_fail (TS_IS_WORKSPACE (self));

  g_mutex_lock (&self->authorities_mutex);
  self->generation++;
  g_clear_pointer (&self->authorities, g_ptr_array_unref);
  g_mutex_unlock (&self->authorities_mutex);

  emit_on_context (self, CHANGED, NULL);
}

/* Counting a million certificates takes seconds on a server, and the ledger
 * serves one query at a time: pages that list the authorities as the window
 * opens (and again as it unlocks) share one listing instead of queueing theirs
 * ahead of the fleet's. */
GPtrArray *
ts_workspace_list_authorities (TsWorkspace  *self,
                               GError      **error)
{
  CaLedger *ledger;
  GPtrArray *authorities;
  guint generation;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);

  ledger = ts_workspace_get_ledger (self, error);
  if (ledger == NULL)
    return NULL;

  g_mutex_lock (&self->authorities_mutex);
  while (self->authorities == NULL && self->listing)
    g_cond_wait (&self->authorities_cond, &self->authorities_mutex);
  if (self->authorities != NULL)
    {
      authorities = g_ptr_array_ref (self->authorities);
      g_mutex_unlock (&self->authorities_mutex);
      return authorities;
    }
  self->listing = TRUE;
  generation = self->generation;
  g_mutex_unlock (&self->authorities_mutex);

  authorities = ca_ledger_list_authorities (ledger, error);

  g_mutex_lock (&self->authorities_mutex);
  self->listing = FALSE;
  if (authorities != NULL && generation == self->generation)
    self->authorities = g_ptr_array_ref (authorities);
  g_cond_broadcast (&self->authorities_cond);
  g_mutex_unlock (&self->authorities_mutex);

  return authorities;
}

typedef struct
{
  TsWorkspaceJob  job;
  gpointer        data;
  GDestroyNotify  data_free;
  GDestroyNotify  result_free;
} Job;

static void
job_free (gpointer pointer)
{
  Job *job = pointer;

  if (job->data_free != NULL)
    job->data_free (job->data);
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
  gpointer result;

  if (g_task_return_error_if_cancelled (task))
    return;

  result = job->job (source_object, job->data, cancellable, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, job->result_free);
}

/**
 * ts_workspace_run_async:
 * @data: (transfer full): handed to @job, freed with @data_free once the task is done
 *
 * Runs one synchronous workspace operation in a GTask thread; the result comes
 * back on the caller's main context through ts_workspace_run_finish(). The
 * task data lives as long as the task, so @job may keep pointers into @data
 * until it returns.
 */
void
ts_workspace_run_async (TsWorkspace         *self,
                        TsWorkspaceJob       job,
                        gpointer             data,
                        GDestroyNotify       data_free,
                        GDestroyNotify       result_free,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *work;

  g_return_if_fail (TS_IS_WORKSPACE (self));
  g_return_if_fail (job != NULL);

  work = g_new0 (Job, 1);
  work->job = job;
  work->data = data;
  work->data_free = data_free;
  work->result_free = result_free;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ts_workspace_run_async);
  g_task_set_task_data (task, work, job_free);
  g_task_run_in_thread (task, job_thread);
}

/**
 * ts_workspace_run_finish:
 *
 * Returns: (transfer full) (nullable): what the job returned
 */
gpointer
ts_workspace_run_finish (TsWorkspace   *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
wake_lease_waiters_cb (GCancellable *cancellable,
                       TsWorkspace  *self)
{
  g_mutex_lock (&self->lease_mutex);
  g_cond_broadcast (&self->lease_cond);
  g_mutex_unlock (&self->lease_mutex);
}

/**
 * ts_workspace_lease_port:
 * @holder: who holds it, as a person would name it ("a device window",
 *   "the production line"): it appears in others' error messages
 * @kind: %TS_PORT_LEASE_BRIEF for work that ends on its own within seconds
 *
 * Takes the port for the caller. While a brief lease holds it, the caller
 * waits for it to end (or for @cancellable); while a held lease does, the call
 * fails at once with %TS_WORKSPACE_ERROR_PORT_LEASED naming the holder.
 *
 * Returns: (transfer full) (nullable): the lease; release it when done
 */
TsPortLease *
ts_workspace_lease_port (TsWorkspace      *self,
                         const char       *path,
                         const char       *holder,
                         TsPortLeaseKind   kind,
                         GCancellable     *cancellable,
                         GError          **error)
{
  TsPortLease *lease = NULL;
  gulong handler = 0;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (holder != NULL, NULL);

  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (wake_lease_waiters_cb),
                                     self, NULL);

  g_mutex_lock (&self->lease_mutex);
  while (TRUE)
    {
      Holder *current = g_hash_table_lookup (self->leases, path);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        break;

      if (current == NULL)
        {
          Holder *taken = g_new0 (Holder, 1);

          taken->holder = g_strdup (holder);
          taken->kind = kind;
          g_hash_table_insert (self->leases, g_strdup (path), taken);

          lease = g_new0 (TsPortLease, 1);
          lease->workspace = g_object_ref (self);
          lease->path = g_strdup (path);
          break;
        }

      if (current->kind == TS_PORT_LEASE_HELD)
        {
          g_set_error (error, TS_WORKSPACE_ERROR, TS_WORKSPACE_ERROR_PORT_LEASED,
                       _("%s is open in %s of Tagsmith. Close it there, then try again."),
                       path, current->holder);
          break;
        }

      g_cond_wait (&self->lease_cond, &self->lease_mutex);
    }
  g_mutex_unlock (&self->lease_mutex);

  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);

  if (lease != NULL)
    emit_on_context (self, PORTS_CHANGED, NULL);

  return lease;
}

/**
 * ts_workspace_dup_port_holder:
 *
 * Returns: (transfer full) (nullable): who holds @path now, or %NULL when it is free
 */
char *
ts_workspace_dup_port_holder (TsWorkspace *self,
                              const char  *path)
{
  Holder *current;
  char *holder;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  g_mutex_lock (&self->lease_mutex);
  current = g_hash_table_lookup (self->leases, path);
  holder = current != NULL ? g_strdup (current->holder) : NULL;
  g_mutex_unlock (&self->lease_mutex);

  return holder;
}

const char *
ts_port_lease_get_path (TsPortLease *lease)
{
  g_return_val_if_fail (lease != NULL, NULL);

  return lease->path;
}

/* Gives the port back, from any thread; waiters for it wake up. */
void
ts_port_lease_release (TsPortLease *lease)
{
  TsWorkspace *self;

  if (lease == NULL)
    return;

  self = lease->workspace;
  g_mutex_lock (&self->lease_mutex);
  g_hash_table_remove (self->leases, lease->path);
  g_cond_broadcast (&self->lease_cond);
  g_mutex_unlock (&self->lease_mutex);

  emit_on_context (self, PORTS_CHANGED, NULL);

  g_free (lease->path);
  g_object_unref (self);
  g_free (lease);
}
