/* ts-devices-page.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-devices-page"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-at-reader.h"
#include "ts-device-window.h"
#include "ts-devices-page.h"
#include "ts-gui-util.h"

struct _TsDevicesPage
{
  AdwBin         parent_instance;

  /* Template widgets */
  AdwStatusPage *empty_status;
  GtkListBox    *list;
  AdwEntryRow   *port_row;

  /* Owned references */
  TsWorkspace   *workspace;
  TsDeviceMonitor *devices;
  AdwToast      *starting_toast; /* says a virtual device is on its way, until it is */
};

G_DEFINE_FINAL_TYPE (TsDevicesPage, ts_devices_page, ADW_TYPE_BIN)

static void
update_row (AdwActionRow *row,
            GParamSpec   *pspec,
            TsDeviceItem *item)
{
  const TsPortInfo *port = ts_device_item_get_port (item);
  const TsModemIdentity *identity = ts_device_item_get_identity (item);
  g_autofree char *title = ts_device_item_dup_title (item);
  g_autoptr(GString) subtitle = g_string_new (NULL);
  const char *imei = identity != NULL ? identity->imei : port->imei;

  if (imei != NULL)
    g_string_append_printf (subtitle, _("IMEI %s · "), imei);
  for (guint i = 0; identity != NULL && i < 2; i++)
    {
      const char *text = i == 0 ? identity->model : identity->firmware;
      g_autofree char *shown = text != NULL ? ts_at_display_text (text) : NULL;

      if (shown != NULL)
        g_string_append_printf (subtitle, "%s · ", shown);
    }
  g_string_append (subtitle, port->path);
  if (ts_device_item_get_status (item) != NULL)
    g_string_append_printf (subtitle, "\n%s", ts_device_item_get_status (item));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (row, subtitle->str);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                  -1);
}

static void
open_device (TsDevicesPage *self,
             TsDeviceItem  *item)
{
  TsDeviceWindow *window;

  window = ts_device_window_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                 self->workspace, item);
  gtk_window_present (GTK_WINDOW (window));
}

static void
open_clicked_cb (GtkButton *button,
                 gpointer   user_data)
{
  TsDeviceItem *item = user_data;
  GtkWidget *page = gtk_widget_get_ancestor (GTK_WIDGET (button), TS_TYPE_DEVICES_PAGE);

  if (page != NULL)
    open_device (TS_DEVICES_PAGE (page), item);
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  TsDeviceItem *device = item;
  const TsPortInfo *port = ts_device_item_get_port (device);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *open = gtk_button_new_with_mnemonic (_("_Open"));
  g_autofree char *title = ts_device_item_dup_title (device);
  g_autofree char *open_label = g_strdup_printf (_("Open %s"), title);

  adw_action_row_set_icon_name (ADW_ACTION_ROW (row),
                                port->kind == TS_PORT_KIND_EMULATOR ? "computer-symbolic"
                                                                    : "tagsmith-modem-symbolic");
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);

  gtk_widget_set_valign (open, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (open, open_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (open),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, open_label,
                                  -1);
  g_signal_connect_object (open, "clicked", G_CALLBACK (open_clicked_cb), device, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), open);

  g_object_set_data_full (G_OBJECT (row), "ts-device", g_object_ref (device), g_object_unref);
  update_row (ADW_ACTION_ROW (row), NULL, device);
  g_signal_connect_object (device, "notify::status", G_CALLBACK (update_row), row,
                           G_CONNECT_SWAPPED);

  return row;
}

static void
row_activated_cb (TsDevicesPage *self,
                  GtkListBoxRow *row)
{
  TsDeviceItem *item = g_object_get_data (G_OBJECT (row), "ts-device");

  if (item != NULL)
    open_device (self, item);
}

static void
devices_changed_cb (TsDevicesPage *self)
{
  gboolean any = self->devices != NULL &&
                 g_list_model_get_n_items (G_LIST_MODEL (self->devices)) > 0;

  gtk_widget_set_visible (GTK_WIDGET (self->list), any);
  adw_status_page_set_title (self->empty_status,
                             any ? _("Connected Devices") : _("No Devices Connected"));
  adw_status_page_set_description (self->empty_status,
                                   any ? _("Open a device to see its credential store, provision "
                                           "it or re-key it.")
                                       : _("Plug in an nRF9160, nRF9161 or nRF9151 kit or a "
                                           "Thingy:91 over USB. Kits appear here as soon as they "
                                           "are attached, with their IMEI, model and firmware."));
}

static void
port_apply_cb (TsDevicesPage *self)
{
  g_autofree char *path = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->port_row))));

  if (*path == '\0')
    return;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *message = g_strdup_printf (_("There is no port “%s”. Check the path, "
                                                    "and that the device is plugged in."), path);

      ts_show_toast (GTK_WIDGET (self), message);
      return;
    }

  ts_device_monitor_add_manual (self->devices, path);
  gtk_editable_set_text (GTK_EDITABLE (self->port_row), "");
}

static void
withdraw_starting_toast (TsDevicesPage *self)
{
  if (self->starting_toast != NULL)
    adw_toast_dismiss (self->starting_toast);
  g_clear_object (&self->starting_toast);
}

/* Identified, or failed to be: the virtual device has started either way. */
static void
virtual_device_status_cb (TsDeviceItem  *item,
                          GParamSpec    *pspec,
                          TsDevicesPage *self)
{
  g_signal_handlers_disconnect_by_func (item, virtual_device_status_cb, self);
  withdraw_starting_toast (self);
}

static void
items_added_cb (TsDevicesPage *self,
                guint          position,
                guint          removed,
                guint          added)
{
  for (guint i = position; self->starting_toast != NULL && i < position + added; i++)
    {
      g_autoptr(TsDeviceItem) item = g_list_model_get_item (G_LIST_MODEL (self->devices), i);

      if (ts_device_item_get_port (item)->kind != TS_PORT_KIND_EMULATOR)
        continue;
      if (ts_device_item_get_identity (item) != NULL)
        withdraw_starting_toast (self);
      else
        g_signal_connect_object (item, "notify::status", G_CALLBACK (virtual_device_status_cb),
                                 self, 0);
    }
}

static void
add_virtual_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  TsDevicesPage *self = TS_DEVICES_PAGE (widget);
  g_autoptr(GError) error = NULL;

  if (!ts_device_monitor_start_emulator (self->devices, &error))
    {
      ts_show_error (widget, error);
      return;
    }

  withdraw_starting_toast (self);
  g_set_object (&self->starting_toast, ts_show_toast (widget, _("Starting a virtual device…")));
}

static void
ts_devices_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), TS_TYPE_DEVICES_PAGE);
  g_clear_object (&TS_DEVICES_PAGE (object)->workspace);
  g_clear_object (&TS_DEVICES_PAGE (object)->devices);
  g_clear_object (&TS_DEVICES_PAGE (object)->starting_toast);

  G_OBJECT_CLASS (ts_devices_page_parent_class)->dispose (object);
}

static void
ts_devices_page_class_init (TsDevicesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ts_devices_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/ts-devices-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TsDevicesPage, empty_status);
  gtk_widget_class_bind_template_child (widget_class, TsDevicesPage, list);
  gtk_widget_class_bind_template_child (widget_class, TsDevicesPage, port_row);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, port_apply_cb);

  gtk_widget_class_install_action (widget_class, "devices.add-virtual", NULL, add_virtual_action);
}

static void
ts_devices_page_init (TsDevicesPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  devices_changed_cb (self);
}

/**
 * ts_devices_page_set_devices:
 * @devices: the kits and virtual devices plugged in, which the page lists
 */
void
ts_devices_page_set_devices (TsDevicesPage   *self,
                             TsDeviceMonitor *devices)
{
  g_return_if_fail (TS_IS_DEVICES_PAGE (self));
  g_return_if_fail (TS_IS_DEVICE_MONITOR (devices));

  if (self->devices != NULL)
    g_signal_handlers_disconnect_by_data (self->devices, self);
  g_set_object (&self->devices, devices);
  gtk_list_box_bind_model (self->list, G_LIST_MODEL (devices), create_row, NULL, NULL);
  g_signal_connect_object (devices, "items-changed", G_CALLBACK (devices_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (devices, "items-changed", G_CALLBACK (items_added_cb), self,
                           G_CONNECT_SWAPPED);
  devices_changed_cb (self);
}

void
ts_devices_page_set_workspace (TsDevicesPage *self,
                               TsWorkspace   *workspace)
{
  g_return_if_fail (TS_IS_DEVICES_PAGE (self));
  g_return_if_fail (TS_IS_WORKSPACE (workspace));

  if (self->workspace != NULL)
    g_signal_handlers_disconnect_by_data (self->workspace, self);
  g_set_object (&self->workspace, workspace);
}
