/* ts-device-monitor.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-device-monitor"

#include "config.h"

#include <glib/gi18n.h>
#include <signal.h>
#include <string.h>

#include "ts-device-monitor.h"
#include "ts-workspace-modem.h"

#define POLL_SECONDS 2

/* Who holds a port while the list identifies its kit. */
#define LIST_HOLDER N_("the device list")

/* TsDeviceItem ------------------------------------------------------------------- */

struct _TsDeviceItem
{
  GObject          parent_instance;

  TsPortInfo      *port;
  TsModemIdentity *identity;
  char            *status;
  char            *busy;          /* (nullable) the status while another holds the port */
  gboolean         manual;
  gboolean         identify_when_free;
};

G_DEFINE_FINAL_TYPE (TsDeviceItem, ts_device_item, G_TYPE_OBJECT)

enum {
  ITEM_PROP_0,
  ITEM_PROP_STATUS,
  ITEM_N_PROPS
};

static GParamSpec *item_properties[ITEM_N_PROPS];

static void
ts_device_item_finalize (GObject *object)
{
  TsDeviceItem *self = TS_DEVICE_ITEM (object);

  g_clear_pointer (&self->port, ts_port_info_free);
  g_clear_pointer (&self->identity, ts_modem_identity_free);
  g_clear_pointer (&self->status, g_free);
  g_clear_pointer (&self->busy, g_free);

  G_OBJECT_CLASS (ts_device_item_parent_class)->finalize (object);
}

static void
ts_device_item_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TsDeviceItem *self = TS_DEVICE_ITEM (object);

  switch (prop_id)
    {
    case ITEM_PROP_STATUS:
      g_value_set_string (value, ts_device_item_get_status (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ts_device_item_class_init (TsDeviceItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ts_device_item_finalize;
  object_class->get_property = ts_device_item_get_property;

  /* Notified whenever anything about the item changed, identity included. */
  item_properties[ITEM_PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, ITEM_N_PROPS, item_properties);
}

static void
ts_device_item_init (TsDeviceItem *self)
{
}

static void
ts_device_item_set_status (TsDeviceItem *self,
                           const char   *status)
{
  g_free (self->status);
  self->status = g_strdup (status);
  g_object_notify_by_pspec (G_OBJECT (self), item_properties[ITEM_PROP_STATUS]);
}

const TsPortInfo *
ts_device_item_get_port (TsDeviceItem *self)
{
  g_return_val_if_fail (TS_IS_DEVICE_ITEM (self), NULL);

  return self->port;
}

/* (nullable): NULL until identified, or when identifying failed */
const TsModemIdentity *
ts_device_item_get_identity (TsDeviceItem *self)
{
  g_return_val_if_fail (TS_IS_DEVICE_ITEM (self), NULL);

  return self->identity;
}

const char *
ts_device_item_get_status (TsDeviceItem *self)
{
  g_return_val_if_fail (TS_IS_DEVICE_ITEM (self), NULL);

  return self->busy != NULL ? self->busy : self->status;
}

/* Whether another part of Tagsmith (a device window, the production line)
 * holds the port now. */
gboolean
ts_device_item_is_busy (TsDeviceItem *self)
{
  g_return_val_if_fail (TS_IS_DEVICE_ITEM (self), FALSE);

  return self->busy != NULL;
}

/* "nRF9160 DK", "Virtual nRF9161", or the port for an unknown device. */
/* Digits of the IMEI that tell kits of one batch apart: the serial number's end. */
#define IMEI_TAIL 6

char *
ts_kit_name (const TsPortInfo      *port,
             const TsModemIdentity *identity)
{
  const char *model = identity != NULL && identity->model != NULL ? identity->model : port->model;
  const char *imei = identity != NULL && identity->imei != NULL ? identity->imei : port->imei;
  g_autofree char *base = NULL;

  g_return_val_if_fail (port != NULL, NULL);

  if (port->kind == TS_PORT_KIND_EMULATOR)
    base = g_strdup_printf (_("Virtual %s"), model != NULL ? model : "nRF91");
  else if (port->board != NULL)
    base = g_strdup (port->board);
  else if (identity != NULL && identity->model != NULL)
    base = g_strdup (identity->model);
  else if (port->description != NULL)
    base = g_strdup (port->description);
  else
    base = g_path_get_basename (port->path);

  if (imei == NULL || strlen (imei) <= IMEI_TAIL)
    return g_steal_pointer (&base);

  /* The ellipsis says the digits are the end of something longer. */
  return g_strdup_printf ("%s · …%s", base, imei + strlen (imei) - IMEI_TAIL);
}

char *
ts_device_item_dup_title (TsDeviceItem *self)
{
  g_return_val_if_fail (TS_IS_DEVICE_ITEM (self), NULL);

  return ts_kit_name (self->port, self->identity);
}

/* TsDeviceMonitor ---------------------------------------------------------------- */

struct _TsDeviceMonitor
{
  GObject           parent_instance;

  TsWorkspace      *workspace;
  GListStore       *items;
  GCancellable     *cancellable;
  GPtrArray        *emulators;     /* (element-type GSubprocess) started here */
  guint             poll_id;
  gboolean          polling;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TsDeviceMonitor, ts_device_monitor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
ts_device_monitor_get_item_type (GListModel *model)
{
  return TS_TYPE_DEVICE_ITEM;
}

static guint
ts_device_monitor_get_n_items (GListModel *model)
{
  return g_list_model_get_n_items (G_LIST_MODEL (TS_DEVICE_MONITOR (model)->items));
}

static gpointer
ts_device_monitor_get_item (GListModel *model,
                            guint       position)
{
  return g_list_model_get_item (G_LIST_MODEL (TS_DEVICE_MONITOR (model)->items), position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = ts_device_monitor_get_item_type;
  iface->get_n_items = ts_device_monitor_get_n_items;
  iface->get_item = ts_device_monitor_get_item;
}

static void
items_changed_cb (TsDeviceMonitor *self,
                  guint            position,
                  guint            removed,
                  guint            added)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
}

/* Identifying ------------------------------------------------------------------- */

static gpointer
identify_job (TsWorkspace   *workspace,
              gpointer       data,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(TsDeviceLink) link = NULL;

  link = ts_workspace_open_link (workspace, data, _(LIST_HOLDER), TS_PORT_LEASE_BRIEF,
                                 cancellable, error);
  if (link == NULL)
    return NULL;

  return ts_workspace_identify (workspace, link, NULL, cancellable, error);
}

static void
identify_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TsDeviceItem) item = user_data;
  g_autoptr(GError) error = NULL;
  TsModemIdentity *identity;

  identity = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  if (identity == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* Its holder gives it back in time; identified then. */
      item->identify_when_free = g_error_matches (error, TS_WORKSPACE_ERROR,
                                                  TS_WORKSPACE_ERROR_PORT_LEASED);
      ts_device_item_set_status (item, error->message);
      return;
    }

  g_clear_pointer (&item->identity, ts_modem_identity_free);
  item->identity = identity;
  ts_device_item_set_status (item, identity->functional_mode == 4
                                   ? _("Ready · offline (flight mode)")
                                   : _("Ready"));
}

static void
identify (TsDeviceMonitor *self,
          TsDeviceItem    *item)
{
  item->identify_when_free = FALSE;
  ts_device_item_set_status (item, _("Identifying…"));
  ts_workspace_run_async (self->workspace, identify_job, g_strdup (item->port->path), g_free,
                          (GDestroyNotify) ts_modem_identity_free, self->cancellable, identify_cb,
                          g_object_ref (item));
}

/* The busy state of every item follows the leases: set while another part of
 * Tagsmith holds its port, gone (and the kit identified, if that had to wait)
 * once it is given back. */
static void
ports_changed_cb (TsDeviceMonitor *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->items));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TsDeviceItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i);
      g_autofree char *holder = ts_workspace_dup_port_holder (self->workspace, item->port->path);
      g_autofree char *busy = NULL;

      if (holder != NULL && g_strcmp0 (holder, _(LIST_HOLDER)) != 0)
        busy = g_strdup_printf (_("In use: open in %s"), holder);
      if (g_strcmp0 (busy, item->busy) == 0)
        continue;

      g_free (item->busy);
      item->busy = g_steal_pointer (&busy);
      if (item->busy == NULL && item->identify_when_free)
        identify (self, item);
      else
        g_object_notify_by_pspec (G_OBJECT (item), item_properties[ITEM_PROP_STATUS]);
    }
}

/* Discovery ---------------------------------------------------------------------- */

static gpointer
discover_job (TsWorkspace   *workspace,
              gpointer       data,
              GCancellable  *cancellable,
              GError       **error)
{
  return ts_workspace_discover (workspace, error);
}

/* The same device on the same port. A path alone is not enough: another kit plugged
 * into the same USB socket, or a new emulator given a freed pty, reuses the path,
 * and the row would go on showing the old IMEI. */
static gboolean
same_port (const TsPortInfo *a,
           const TsPortInfo *b)
{
  return g_strcmp0 (a->path, b->path) == 0 &&
         g_strcmp0 (a->serial, b->serial) == 0 &&
         a->pid == b->pid;
}

static gboolean
find_port (GPtrArray        *ports,
           const TsPortInfo *port)
{
  for (guint i = 0; i < ports->len; i++)
    if (same_port (g_ptr_array_index (ports, i), port))
      return TRUE;

  return FALSE;
}

static void
discover_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TsDeviceMonitor) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ports = NULL;
  guint n;

  self->polling = FALSE;
  ports = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  if (ports == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Discovery failed: %s", error->message);
      return;
    }

  /* Gone: every discovered item whose port is no longer listed. */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->items));
  for (guint i = n; i > 0; i--)
    {
      g_autoptr(TsDeviceItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i - 1);

      if (!item->manual && !find_port (ports, item->port))
        g_list_store_remove (self->items, i - 1);
    }

  /* New: every listed port not shown yet. Unknown USB serial devices are only listed,
   * not opened: poking AT commands at someone's other hardware is rude. Built-in
   * UARTs (ttyS*, no USB) are never nRF91 kits; the manual port entry covers them. */
  for (guint i = 0; i < ports->len; i++)
    {
      TsPortInfo *port = g_ptr_array_index (ports, i);
      gboolean known = FALSE;

      if (port->kind == TS_PORT_KIND_UNKNOWN && port->usb_vid == 0)
        continue;

      n = g_list_model_get_n_items (G_LIST_MODEL (self->items));
      for (guint j = 0; j < n && !known; j++)
        {
          g_autoptr(TsDeviceItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), j);

          /* A port added by hand stands for whatever answers on its path. */
          known = item->manual ? g_strcmp0 (item->port->path, port->path) == 0
                               : same_port (item->port, port);
        }

      if (!known)
        {
          g_autoptr(TsDeviceItem) item = g_object_new (TS_TYPE_DEVICE_ITEM, NULL);

          item->port = ts_port_info_copy (port);
          g_list_store_append (self->items, item);
          if (port->kind == TS_PORT_KIND_UNKNOWN)
            ts_device_item_set_status (item, _("Not a known nRF91 kit. Open it to try."));
          else
            identify (self, item);
        }
    }

  ports_changed_cb (self);
}

void
ts_device_monitor_refresh (TsDeviceMonitor *self)
{
  g_return_if_fail (TS_IS_DEVICE_MONITOR (self));

  if (self->polling)
    return;

  self->polling = TRUE;
  ts_workspace_run_async (self->workspace, discover_job, NULL, NULL,
                          (GDestroyNotify) g_ptr_array_unref, self->cancellable, discover_cb,
                          g_object_ref (self));
}

static void
refresh_once_cb (gpointer user_data)
{
  g_autoptr(TsDeviceMonitor) self = user_data;

  if (!g_cancellable_is_cancelled (self->cancellable))
    ts_device_monitor_refresh (self);
}

static gboolean
poll_cb (gpointer user_data)
{
  ts_device_monitor_refresh (TS_DEVICE_MONITOR (user_data));

  return G_SOURCE_CONTINUE;
}

/* Public API --------------------------------------------------------------------- */

/* A port discovery cannot see (a custom board, a socat pty): listed until quit. */
void
ts_device_monitor_add_manual (TsDeviceMonitor *self,
                              const char      *path)
{
  g_autoptr(TsDeviceItem) item = NULL;

  g_return_if_fail (TS_IS_DEVICE_MONITOR (self));
  g_return_if_fail (path != NULL);

  item = g_object_new (TS_TYPE_DEVICE_ITEM, NULL);
  item->port = g_new0 (TsPortInfo, 1);
  item->port->kind = TS_PORT_KIND_UNKNOWN;
  item->port->path = g_strdup (path);
  item->port->description = g_strdup (_("Manually added port"));
  item->port->interface = -1;
  item->manual = TRUE;
  g_list_store_append (self->items, item);
  identify (self, item);
}

/* The emulator: $TAGSMITH_EMULATOR, beside the tagsmith binary, in the build tree's
 * firmware/ folder, or on $PATH. */
static char *
find_emulator (void)
{
  const char *env = g_getenv ("TAGSMITH_EMULATOR");
  g_autofree char *self_path = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self_path != NULL ? g_path_get_dirname (self_path) : NULL;
  const char *candidates[] = { "tagsmith-emulator", "../firmware/tagsmith-emulator" };

  if (env != NULL && *env != '\0')
    return g_strdup (env);

  for (guint i = 0; dir != NULL && i < G_N_ELEMENTS (candidates); i++)
    {
      g_autofree char *path = g_build_filename (dir, candidates[i], NULL);

      if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer (&path);
    }

  return g_find_program_in_path ("tagsmith-emulator");
}

/**
 * ts_device_monitor_start_emulator:
 *
 * Starts a virtual device. Its state (identity and credential store) is kept in
 * the user's data folder, so the same virtual devices come back next time. It
 * registers itself and appears at the next discovery, which runs at once.
 */
gboolean
ts_device_monitor_start_emulator (TsDeviceMonitor  *self,
                                  GError          **error)
{
  g_autofree char *program = find_emulator ();
  g_autofree char *state_dir = NULL;
  g_autofree char *state_name = NULL;
  g_autofree char *state = NULL;
  GSubprocess *process;

  g_return_val_if_fail (TS_IS_DEVICE_MONITOR (self), FALSE);

  if (program == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("The virtual device program tagsmith-emulator is not installed. "
                             "Install it, or set TAGSMITH_EMULATOR to its path."));
      return FALSE;
    }

  state_dir = g_build_filename (g_get_user_data_dir (), "tagsmith", "virtual-devices", NULL);
  if (g_mkdir_with_parents (state_dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Could not create “%s” for the virtual device. Check its permissions."),
                   state_dir);
      return FALSE;
    }
  state_name = g_strdup_printf ("device-%u.state", self->emulators->len + 1);
  state = g_build_filename (state_dir, state_name, NULL);

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, error,
                              program, "--state", state, NULL);
  if (process == NULL)
    return FALSE;

  g_ptr_array_add (self->emulators, process);
  /* It registers within moments; poll a few times quickly rather than wait 2 s. */
  g_timeout_add_once (300, refresh_once_cb, g_object_ref (self));
  g_timeout_add_once (800, refresh_once_cb, g_object_ref (self));

  return TRUE;
}

/* Stops polling, cancels identification and ends the virtual devices started here. */
void
ts_device_monitor_stop (TsDeviceMonitor *self)
{
  g_return_if_fail (TS_IS_DEVICE_MONITOR (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);

  for (guint i = 0; i < self->emulators->len; i++)
    {
      GSubprocess *process = g_ptr_array_index (self->emulators, i);

      g_subprocess_send_signal (process, SIGTERM);
      g_subprocess_wait (process, NULL, NULL);
    }
  g_ptr_array_set_size (self->emulators, 0);
}

static void
ts_device_monitor_dispose (GObject *object)
{
  TsDeviceMonitor *self = TS_DEVICE_MONITOR (object);

  ts_device_monitor_stop (self);

  G_OBJECT_CLASS (ts_device_monitor_parent_class)->dispose (object);
}

static void
ts_device_monitor_finalize (GObject *object)
{
  TsDeviceMonitor *self = TS_DEVICE_MONITOR (object);

  g_clear_object (&self->items);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->workspace);
  g_clear_pointer (&self->emulators, g_ptr_array_unref);

  G_OBJECT_CLASS (ts_device_monitor_parent_class)->finalize (object);
}

static void
ts_device_monitor_class_init (TsDeviceMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ts_device_monitor_dispose;
  object_class->finalize = ts_device_monitor_finalize;
}

static void
ts_device_monitor_init (TsDeviceMonitor *self)
{
  self->items = g_list_store_new (TS_TYPE_DEVICE_ITEM);
  self->cancellable = g_cancellable_new ();
  self->emulators = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_connect_object (self->items, "items-changed", G_CALLBACK (items_changed_cb), self,
                           G_CONNECT_SWAPPED);
}

/**
 * ts_device_monitor_set_workspace:
 *
 * Follows another workspace (the window's ledger was changed): its leases say
 * which kits are busy from now on.
 */
void
ts_device_monitor_set_workspace (TsDeviceMonitor *self,
                                 TsWorkspace     *workspace)
{
  g_return_if_fail (TS_IS_DEVICE_MONITOR (self));
  g_return_if_fail (TS_IS_WORKSPACE (workspace));

  if (self->workspace != NULL)
    g_signal_handlers_disconnect_by_data (self->workspace, self);
  g_set_object (&self->workspace, workspace);
  g_signal_connect_object (workspace, "ports-changed", G_CALLBACK (ports_changed_cb), self,
                           G_CONNECT_SWAPPED);
  ports_changed_cb (self);
}

TsDeviceMonitor *
ts_device_monitor_new (TsWorkspace *workspace)
{
  TsDeviceMonitor *self;

  g_return_val_if_fail (TS_IS_WORKSPACE (workspace), NULL);

  self = g_object_new (TS_TYPE_DEVICE_MONITOR, NULL);
  ts_device_monitor_set_workspace (self, workspace);
  self->poll_id = g_timeout_add_seconds (POLL_SECONDS, poll_cb, self);
  ts_device_monitor_refresh (self);

  return self;
}
