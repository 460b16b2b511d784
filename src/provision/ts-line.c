/* ts-line.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-line"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "ts-line.h"
#include "ts-workspace-modem.h"
#include "ts-workspace-private.h"

#define DEFAULT_POLL_MS 250

/* Who holds a unit's port, in other parts' error messages. */
#define LINE_HOLDER N_("the production line")

struct _TsLine
{
  GObject             parent_instance;

  TsWorkspace        *workspace;
  TsProvisionRequest *request;
  TsLotReport        *report;
  guint               parallel;
  guint               poll_ms;
  guint               max_units;

  TsLineObserver      observer;
  gpointer            observer_data;
  GDestroyNotify      observer_destroy;

  /* Guarded by mutex */
  GMutex              mutex;
  GCond               cond;
  GHashTable         *handled;      /* port keys seen while plugged in (see port_key()) */
  guint               in_flight;
  guint               finished;     /* units that ended PASS or FAIL in this session */
  gboolean            stopping;
  GError             *report_error; /* the first failure to save the report */
  GCancellable       *cancellable;  /* of the current run */
};

G_DEFINE_FINAL_TYPE (TsLine, ts_line, G_TYPE_OBJECT)

static void
ts_line_finalize (GObject *object)
{
  TsLine *self = TS_LINE (object);

  g_clear_object (&self->workspace);
  g_clear_pointer (&self->request, ts_provision_request_free);
  g_clear_pointer (&self->report, ts_lot_report_free);
  if (self->observer_destroy != NULL)
    self->observer_destroy (self->observer_data);
  g_clear_pointer (&self->handled, g_hash_table_unref);
  g_clear_error (&self->report_error);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (ts_line_parent_class)->finalize (object);
}

static void
ts_line_class_init (TsLineClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ts_line_finalize;
}

static void
ts_line_init (TsLine *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->handled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->parallel = 1;
  self->poll_ms = DEFAULT_POLL_MS;
}

/**
 * ts_line_new:
 * @workspace: an unlocked workspace; each kit's port is opened as its
 *   defaults say, under a held lease
 * @request: what each unit gets (copied)
 * @lot: the lot's name
 * @report_path: the lot report; see ts_lot_report_open()
 *
 * Returns: (transfer full): the bench, or %NULL when an existing report of the
 *   lot cannot be read
 */
TsLine *
ts_line_new (TsWorkspace               *workspace,
             const TsProvisionRequest  *request,
             const char                *lot,
             const char                *report_path,
             GError                   **error)
{
  g_autoptr(TsLine) self = NULL;

  g_return_val_if_fail (TS_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (lot != NULL && report_path != NULL, NULL);

  self = g_object_new (TS_TYPE_LINE, NULL);
  self->workspace = g_object_ref (workspace);
  self->request = ts_provision_request_copy (request);
  g_free (self->request->lot);
  self->request->lot = g_strdup (lot);
  self->report = ts_lot_report_open (lot, report_path, error);
  if (self->report == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

/* How many units are provisioned at once; 1 (the default) means one by one. */
void
ts_line_set_parallel (TsLine *self,
                      guint   max_units)
{
  g_return_if_fail (TS_IS_LINE (self));

  self->parallel = MAX (max_units, 1);
}

void
ts_line_set_poll_interval (TsLine *self,
                           guint   interval_ms)
{
  g_return_if_fail (TS_IS_LINE (self));

  self->poll_ms = interval_ms > 0 ? interval_ms : DEFAULT_POLL_MS;
}

/* Stops by itself once this many units passed or failed; 0 (the default) never. */
void
ts_line_set_max_units (TsLine *self,
                       guint   max_units)
{
  g_return_if_fail (TS_IS_LINE (self));

  self->max_units = max_units;
}

void
ts_line_set_observer (TsLine         *self,
                      TsLineObserver  observer,
                      gpointer        user_data,
                      GDestroyNotify  destroy)
{
  g_return_if_fail (TS_IS_LINE (self));

  if (self->observer_destroy != NULL)
    self->observer_destroy (self->observer_data);
  self->observer = observer;
  self->observer_data = user_data;
  self->observer_destroy = destroy;
}

const char *
ts_line_get_lot (TsLine *self)
{
  g_return_val_if_fail (TS_IS_LINE (self), NULL);

  return ts_lot_report_get_lot (self->report);
}

const char *
ts_line_get_csv_path (TsLine *self)
{
  g_return_val_if_fail (TS_IS_LINE (self), NULL);

  return ts_lot_report_get_csv_path (self->report);
}

const char *
ts_line_get_json_path (TsLine *self)
{
  g_return_val_if_fail (TS_IS_LINE (self), NULL);

  return ts_lot_report_get_json_path (self->report);
}

guint
ts_line_get_passed (TsLine *self)
{
  guint n;

  g_return_val_if_fail (TS_IS_LINE (self), 0);

  g_mutex_lock (&self->mutex);
  n = ts_lot_report_count (self->report, TRUE);
  g_mutex_unlock (&self->mutex);

  return n;
}

guint
ts_line_get_failed (TsLine *self)
{
  guint n;

  g_return_val_if_fail (TS_IS_LINE (self), 0);

  g_mutex_lock (&self->mutex);
  n = ts_lot_report_count (self->report, FALSE);
  g_mutex_unlock (&self->mutex);

  return n;
}

/* Caller holds the mutex, which also keeps events in order. */
static void
emit_locked (TsLine                  *self,
             TsLineEventKind          kind,
             const char              *port,
             const char              *imei,
             const char              *message,
             const TsProvisionResult *result)
{
  TsLineEvent event = {
    .kind = kind,
    .port = port,
    .imei = imei,
    .message = message,
    .result = result,
    .passed = ts_lot_report_count (self->report, TRUE),
    .failed = ts_lot_report_count (self->report, FALSE),
    .in_flight = self->in_flight,
  };

  if (self->observer != NULL)
    self->observer (&event, self->observer_data);
}


/* @port and @imei stand in where the run failed before it learnt them. */
static TsLotEntry *
entry_from_result (const TsProvisionResult *result,
                   const char              *port,
                   const char              *imei)
{
  TsLotEntry *entry = g_new0 (TsLotEntry, 1);

  entry->imei = g_strdup (result->imei != NULL ? result->imei : imei);
  entry->uuid = g_strdup (result->device_uuid);
  entry->serial = g_strdup (result->serial);
  entry->sha256 = g_strdup (result->sha256);
  entry->authority = g_strdup (result->authority);
  entry->sec_tag = result->sec_tag;
  entry->time = g_get_real_time () / G_USEC_PER_SEC;
  entry->passed = result->error == NULL;
  entry->port = g_strdup (result->port != NULL ? result->port : port);
  if (result->error != NULL)
    entry->reason = g_strdup (result->error->message);
  else if (result->outcome == TS_PROVISION_ALREADY_PROVISIONED)
    entry->reason = g_strdup (_("already provisioned"));
  else
    entry->reason = g_strdup_printf (_("provisioned in %.1f s"), result->duration_us / 1e6);

  return entry;
}

/* The row of a unit that failed before it told its IMEI: its port and the
 * reason are all that is known of it. */
static TsLotEntry *
entry_for_unknown_unit (TsLine     *self,
                        const char *port,
                        const char *reason)
{
  TsLotEntry *entry = g_new0 (TsLotEntry, 1);

  entry->authority = g_strdup (self->request->authority);
  entry->sec_tag = self->request->sec_tag;
  entry->time = g_get_real_time () / G_USEC_PER_SEC;
  entry->passed = FALSE;
  entry->port = g_strdup (port);
  entry->reason = g_strdup (reason);

  return entry;
}

typedef struct
{
  TsLine     *line;
  TsPortInfo *port;
} Unit;

/* Each save records the ledger's audit head, so the report can later show
 * whether the ledger was rolled back (`tagsmith audit verify --expect`). */
static void
stamp_audit_head (TsLine *self)
{
  g_autofree char *hash = NULL;
  g_autofree char *head = NULL;
  gint64 seq = 0;

  if (ca_ledger_audit_head (ts_workspace_get_ledger (self->workspace, NULL), &seq, &hash, NULL))
    head = ca_audit_head_to_string (seq, hash);
  ts_lot_report_set_audit_head (self->report, head);
}


/* Records @entry, the unit's row (NULL when it was already done in this lot,
 * or interrupted before it told its IMEI), and tells the observer. */
static void
unit_finish (TsLine                  *self,
             const char              *port,
             const char              *imei,
             TsLotEntry              *entry,
             const TsProvisionResult *result)
{
  g_autoptr(GError) save_error = NULL;

  g_mutex_lock (&self->mutex);

  self->in_flight--;
  if (entry != NULL)
    {
      ts_lot_report_add (self->report, entry);
      self->finished++;
      stamp_audit_head (self);
      if (!ts_lot_report_save (self->report, &save_error) && self->report_error == NULL)
        self->report_error = g_error_copy (save_error);
      emit_locked (self, entry->passed ? TS_LINE_EVENT_PASS : TS_LINE_EVENT_FAIL,
                   port, entry->imei, entry->reason, result);
    }
  else if (imei != NULL)
    emit_locked (self, TS_LINE_EVENT_SKIPPED, port, imei,
                 _("already done in this lot"), NULL);

  if (self->max_units > 0 && self->finished >= self->max_units)
    self->stopping = TRUE;

  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);
}

static gpointer
unit_thread (gpointer data)
{
  Unit *unit = data;
  TsLine *self = unit->line;
  GCancellable *cancellable = self->cancellable;
  g_autoptr(GError) error = NULL;
  g_autoptr(TsDeviceLink) link = NULL;
  g_autoptr(TsProvisionResult) result = NULL;
  g_autofree char *imei = NULL;
  gboolean done;

  /* A kit the window's device list is identifying is waited for; one open in
   * a device window fails at once, saying so. */
  link = ts_workspace_open_link (self->workspace, unit->port->path, _(LINE_HOLDER),
                                 TS_PORT_LEASE_HELD, cancellable, &error);
  if (link != NULL)
    imei = ts_workspace_read_imei (self->workspace, link, cancellable, &error);

  /* Silent, on the wrong port, or behind a bridge that never answers: a FAIL
   * all the same, known by its port. Interrupted by the operator, it is none. */
  if (imei == NULL)
    {
      g_clear_pointer (&link, ts_device_link_unref);
      unit_finish (self, unit->port->path, NULL,
                   g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                     ? NULL : entry_for_unknown_unit (self, unit->port->path, error->message),
                   NULL);
      goto out;
    }

  g_mutex_lock (&self->mutex);
  done = ts_lot_report_is_done (self->report, imei);
  if (!done)
    emit_locked (self, TS_LINE_EVENT_STARTED, unit->port->path, imei, _("provisioning"), NULL);
  g_mutex_unlock (&self->mutex);

  if (done)
    {
      g_clear_pointer (&link, ts_device_link_unref);
      unit_finish (self, unit->port->path, imei, NULL, NULL);
      goto out;
    }

  result = ts_workspace_provision (self->workspace, link, self->request, NULL, NULL, cancellable, NULL);
  /* The port is free again before the unit is reported. */
  g_clear_pointer (&link, ts_device_link_unref);
  unit_finish (self, unit->port->path, imei, entry_from_result (result, unit->port->path, imei),
               result);

out:
  ts_port_info_free (unit->port);
  g_object_unref (unit->line);
  g_free (unit);

  return NULL;
}

static gboolean
is_kit (const TsPortInfo *port)
{
  return port->kind == TS_PORT_KIND_BOARD || port->kind == TS_PORT_KIND_EMULATOR;
}

/* A kit that is swapped between two looks may reuse the port path (a pty, or
 * /dev/ttyACM0), so the USB serial number or emulator process is part of the key. */
static char *
port_key (const TsPortInfo *port)
{
  return g_strdup_printf ("%s|%s|%d", port->path, port->serial != NULL ? port->serial : "",
                          (int) port->pid);
}

/* One look at discovery: forget kits that went away (so a replugged one is
 * seen afresh) and start the new ones while there is room. Holds the mutex. */
static void
poll_ports_locked (TsLine    *self,
                   GPtrArray *ports)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < ports->len; i++)
    g_ptr_array_add (keys, port_key (g_ptr_array_index (ports, i)));

  g_hash_table_iter_init (&iter, self->handled);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_ptr_array_find_with_equal_func (keys, key, g_str_equal, NULL))
      g_hash_table_iter_remove (&iter);

  for (guint i = 0; i < ports->len && !self->stopping; i++)
    {
      const TsPortInfo *port = g_ptr_array_index (ports, i);
      const char *key_i = g_ptr_array_index (keys, i);
      Unit *unit;

      if (!is_kit (port) || g_hash_table_contains (self->handled, key_i))
        continue;
      if (self->in_flight >= self->parallel)
        break;

      g_hash_table_add (self->handled, g_strdup (key_i));
      self->in_flight++;

      unit = g_new0 (Unit, 1);
      unit->line = g_object_ref (self);
      unit->port = ts_port_info_copy (port);
      g_thread_unref (g_thread_new ("ts-line-unit", unit_thread, unit));
    }
}

/**
 * ts_line_run:
 *
 * Watches for kits until ts_line_stop(), @cancellable, or the unit limit ends
 * the run, then waits for the units in flight and saves the lot report.
 *
 * Returns: %FALSE when the lot report could not be saved
 */
gboolean
ts_line_run (TsLine        *self,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GError) discover_error = NULL;

  g_return_val_if_fail (TS_IS_LINE (self), FALSE);

  g_mutex_lock (&self->mutex);
  self->stopping = FALSE;
  self->finished = 0;
  self->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  g_mutex_unlock (&self->mutex);

  while (TRUE)
    {
      g_autoptr(GPtrArray) ports = NULL;
      g_autoptr(GError) local_error = NULL;
      gint64 wake;

      g_mutex_lock (&self->mutex);
      if (self->stopping || g_cancellable_is_cancelled (cancellable))
        {
          g_mutex_unlock (&self->mutex);
          break;
        }
      g_mutex_unlock (&self->mutex);

      /* Discovery may block on sysfs; it runs without the lock. */
      ports = ts_modem_discover (&local_error);
      if (ports == NULL && discover_error == NULL)
        {
          g_warning ("Could not look for kits: %s", local_error->message);
          discover_error = g_steal_pointer (&local_error);
        }

      g_mutex_lock (&self->mutex);
      if (ports != NULL)
        poll_ports_locked (self, ports);
      wake = g_get_monotonic_time () + self->poll_ms * G_TIME_SPAN_MILLISECOND;
      while (!self->stopping && !g_cancellable_is_cancelled (cancellable) &&
             g_cond_wait_until (&self->cond, &self->mutex, wake))
        ;
      g_mutex_unlock (&self->mutex);
    }

  /* The units in flight finish (or notice the cancellation) before the report closes. */
  g_mutex_lock (&self->mutex);
  self->stopping = TRUE;
  while (self->in_flight > 0)
    g_cond_wait (&self->cond, &self->mutex);
  g_clear_object (&self->cancellable);
  g_mutex_unlock (&self->mutex);

  if (self->report_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->report_error));
      return FALSE;
    }

  stamp_audit_head (self);
  return ts_lot_report_save (self->report, error);
}

/* Thread-safe; the units in flight finish. */
void
ts_line_stop (TsLine *self)
{
  g_return_if_fail (TS_IS_LINE (self));

  g_mutex_lock (&self->mutex);
  self->stopping = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);
}

typedef struct
{
  TsLine       *line;
  GCancellable *cancellable;
} RunData;

static void
run_data_free (gpointer pointer)
{
  RunData *data = pointer;

  g_object_unref (data->line);
  g_clear_object (&data->cancellable);
  g_free (data);
}

static gpointer
run_job (TsWorkspace   *workspace,
         gpointer       pointer,
         GCancellable  *unused,
         GError       **error)
{
  RunData *data = pointer;

  return ts_line_run (data->line, data->cancellable, error) ? data : NULL;
}

/**
 * ts_line_run_async:
 *
 * Runs ts_line_run() through ts_workspace_run_async(); the callback's source
 * object is the workspace.
 */
void
ts_line_run_async (TsLine              *self,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  RunData *data;

  g_return_if_fail (TS_IS_LINE (self));

  data = g_new0 (RunData, 1);
  data->line = g_object_ref (self);
  data->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;

  /* ts_line_run() watches the cancellable itself, finishes the units in flight
   * and saves the report: its own answer counts, also after a cancel, so the
   * runner is not given the cancellable. */
  ts_workspace_run_async (self->workspace, run_job, data, run_data_free, NULL, NULL,
                          callback, user_data);
}

gboolean
ts_line_run_finish (TsLine        *self,
                    GAsyncResult  *result,
                    GError       **error)
{
  g_return_val_if_fail (TS_IS_LINE (self), FALSE);

  return ts_workspace_run_finish (self->workspace, result, error) != NULL;
}
