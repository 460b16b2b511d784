/* ts-history-window.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-history-window"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-audit-text.h"
#include "ts-badge.h"
#include "ts-cert-details.h"
#include "ts-gui-util.h"
#include "ts-history-window.h"
#include "ts-revoke-dialog.h"
#include "ts-station-text.h"
#include "ts-workspace-ca.h"

struct _TsHistoryWindow
{
  AdwWindow             parent_instance;

  /* Template widgets */
  AdwWindowTitle       *title;
  GtkStack             *stack;
  AdwStatusPage        *error_status;
  AdwPreferencesGroup  *device_group;
  AdwPreferencesGroup  *certificates_group;
  AdwPreferencesGroup  *timeline_group;

  /* Owned references */
  TsWorkspace          *workspace;
  GPtrArray            *rows;  /* (element-type AdwPreferencesRow) what a reload removes */
  char                 *imei;
  GCancellable         *cancellable;
};

G_DEFINE_FINAL_TYPE (TsHistoryWindow, ts_history_window, ADW_TYPE_WINDOW)

static GtkWidget *
add_row (TsHistoryWindow     *self,
         AdwPreferencesGroup *group,
         const char          *icon_name,
         const char          *title,
         const char          *subtitle,
         GtkWidget           *suffix)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL && *subtitle != '\0')
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (icon_name != NULL)
    adw_action_row_set_icon_name (ADW_ACTION_ROW (row), icon_name);
  if (suffix != NULL)
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), suffix);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->rows, row);

  return row;
}

static GtkWidget *
badge_new (const char *text,
           const char *style)
{
  GtkWidget *badge = gtk_label_new (text);

  gtk_widget_add_css_class (badge, "ts-badge");
  gtk_widget_add_css_class (badge, style);
  gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);

  return badge;
}

static GtkWidget *
details_button_new (const char *serial)
{
  g_autofree char *name = g_strdup_printf (_("Certificate details of serial %s"), serial);
  GtkWidget *button = gtk_button_new_from_icon_name ("application-certificate-symbolic");

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "history.details");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", serial);

  return button;
}

static void
details_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  TsHistoryWindow *self = TS_HISTORY_WINDOW (widget);

  ts_cert_details_show_from_ledger (widget, self->workspace, self->imei, g_variant_get_string (param, NULL), NULL);
}

static void
show_certificate (TsHistoryWindow     *self,
                  const CaCertificate *cert)
{
  g_autofree char *title = g_strdup_printf (_("Serial %s"), cert->serial);
  g_autofree char *until = ts_format_date (cert->not_after);
  g_autofree char *issued = ts_format_date (cert->issued_at);
  g_autofree char *subtitle = NULL;
  g_autofree char *where = ts_station_where (cert->station);
  TsBadge state = ts_badge_for_certificate (cert->status, cert->not_after);
  GtkWidget *badge;
  GtkWidget *row;

  subtitle = g_strdup_printf (_("By %s, %s profile · issued %s%s · valid until %s%s"),
                              cert->authority_name, cert->profile, issued, where, until,
                              cert->host_key ? _(" · key made on the host") : "");

  if (state.kind == TS_BADGE_REVOKED)
    {
      g_autofree char *text = g_strdup_printf (_("Revoked: %s"),
                                               ts_revoke_reason_label (cert->revoke_reason));

      badge = badge_new (text, state.style);
    }
  else if (state.kind != TS_BADGE_EXPIRED && cert->superseded_by_id != 0)
    badge = badge_new (_("Superseded"), "warning");
  else if (state.kind == TS_BADGE_VALID)
    badge = badge_new (_("Current"), state.style);
  else
    badge = badge_new (state.label, state.style);

  if (state.kind == TS_BADGE_VALID || state.kind == TS_BADGE_EXPIRING)
    {
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      GtkWidget *revoke = gtk_button_new_with_label (_("Revoke…"));
      g_autofree char *label = g_strdup_printf (_("Revoke certificate %s"), cert->serial);

      gtk_widget_set_valign (revoke, GTK_ALIGN_CENTER);
      gtk_actionable_set_action_target (GTK_ACTIONABLE (revoke), "s", cert->serial);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (revoke), "history.revoke");
      ts_set_accessible_name (revoke, label);
      gtk_box_append (GTK_BOX (box), badge);
      gtk_box_append (GTK_BOX (box), revoke);
      badge = box;
    }

  row = add_row (self, self->certificates_group, "application-certificate-symbolic", title, subtitle,
                 badge);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), details_button_new (cert->serial));
}

static void
revoke_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  TsHistoryWindow *self = TS_HISTORY_WINDOW (widget);

  ts_revoke_dialog_present (widget, self->workspace, self->imei, g_variant_get_string (parameter, NULL));
}

static gpointer
history_job (TsWorkspace   *workspace,
             gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  return ts_workspace_get_history (workspace, data, error);
}

static void
history_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TsHistoryWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CaDeviceHistory) history = NULL;
  const CaDevice *device;

  history = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  if (history == NULL)
    {
      g_autofree char *advice = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      advice = ts_error_advice (error);
      adw_status_page_set_description (self->error_status, advice);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }

  for (guint i = 0; i < self->rows->len; i++)
    {
      GtkWidget *row = self->rows->pdata[i];

      adw_preferences_group_remove (ADW_PREFERENCES_GROUP (gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP)),
                                    row);
    }
  g_ptr_array_set_size (self->rows, 0);

  device = history->device;
  if (device != NULL)
    {
      g_autofree char *first = ts_format_date (device->first_seen);
      g_autofree char *last = ts_format_date (device->last_seen);
      g_autofree char *seen = g_strdup_printf (_("First %s, last %s"), first, last);

      add_row (self, self->device_group, NULL, _("Model"), device->model ? device->model : _("Unknown"), NULL);
      add_row (self, self->device_group, NULL, _("Firmware"), device->firmware ? device->firmware : _("Unknown"), NULL);
      add_row (self, self->device_group, NULL, _("Device UUID"), device->uuid ? device->uuid : _("Unknown"), NULL);
      if (device->lot != NULL)
        {
          g_autofree char *where = ts_station_where (device->lot_station);
          g_autofree char *lot = g_strconcat (device->lot, where, NULL);

          add_row (self, self->device_group, NULL, _("Lot"), lot, NULL);
        }
      add_row (self, self->device_group, NULL, _("Seen"), seen, NULL);
    }

  for (guint i = history->certificates->len; i > 0; i--)
    show_certificate (self, g_ptr_array_index (history->certificates, i - 1));
  if (history->certificates->len == 0)
    add_row (self, self->certificates_group, NULL, _("No certificate issued yet"), NULL, NULL);

  /* Newest first: support staff look for what happened last. */
  for (guint i = history->events->len; i > 0; i--)
    {
      const CaAuditEvent *event = g_ptr_array_index (history->events, i - 1);
      g_autofree char *title = NULL;
      g_autofree char *subtitle = NULL;
      g_autofree char *when = ts_format_date (event->at);
      g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (event->at);
      g_autofree char *clock = time != NULL ? g_date_time_format (time, "%H:%M") : NULL;
      g_autofree char *stamp = g_strdup_printf ("%s %s", when, clock != NULL ? clock : "");
      const char *icon_name = NULL;
      GtkWidget *label = gtk_label_new (stamp);

      gtk_widget_add_css_class (label, "dim-label");
      gtk_widget_add_css_class (label, "caption");
      ts_audit_event_describe (event, &title, &subtitle, &icon_name);
      add_row (self, self->timeline_group, icon_name, title, subtitle, label);
    }

  gtk_stack_set_visible_child_name (self->stack, "history");
}

static gboolean
ts_history_window_close_request (GtkWindow *window)
{
  TsHistoryWindow *self = TS_HISTORY_WINDOW (window);

  g_cancellable_cancel (self->cancellable);

  return GTK_WINDOW_CLASS (ts_history_window_parent_class)->close_request (window);
}

static void
ts_history_window_dispose (GObject *object)
{
  TsHistoryWindow *self = TS_HISTORY_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (object), TS_TYPE_HISTORY_WINDOW);

  G_OBJECT_CLASS (ts_history_window_parent_class)->dispose (object);
}

static void
ts_history_window_finalize (GObject *object)
{
  TsHistoryWindow *self = TS_HISTORY_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->workspace);
  g_ptr_array_unref (self->rows);
  g_free (self->imei);

  G_OBJECT_CLASS (ts_history_window_parent_class)->finalize (object);
}

static void
ts_history_window_class_init (TsHistoryWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = ts_history_window_dispose;
  object_class->finalize = ts_history_window_finalize;
  window_class->close_request = ts_history_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/ts-history-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TsHistoryWindow, title);
  gtk_widget_class_bind_template_child (widget_class, TsHistoryWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, TsHistoryWindow, error_status);
  gtk_widget_class_bind_template_child (widget_class, TsHistoryWindow, device_group);
  gtk_widget_class_bind_template_child (widget_class, TsHistoryWindow, certificates_group);
  gtk_widget_class_bind_template_child (widget_class, TsHistoryWindow, timeline_group);

  gtk_widget_class_install_action (widget_class, "history.details", "s", details_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_install_action (widget_class, "history.revoke", "s", revoke_action);
}

static void
ts_history_window_init (TsHistoryWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ts_accessible_fixup (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->rows = g_ptr_array_new ();
}

/* Read again after a change, such as a revocation made from this window. */
static void
load (TsHistoryWindow *self)
{
  ts_workspace_run_async (self->workspace, history_job, g_strdup (self->imei), g_free,
                          (GDestroyNotify) ca_device_history_free, self->cancellable, history_cb,
                          g_object_ref (self));
}

TsHistoryWindow *
ts_history_window_new (TsWorkspace *workspace,
                       GtkWindow   *parent,
                       const char  *imei)
{
  TsHistoryWindow *self;
  g_autofree char *title = NULL;

  g_return_val_if_fail (TS_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (imei != NULL, NULL);

  self = g_object_new (TS_TYPE_HISTORY_WINDOW, "transient-for", parent, NULL);
  self->workspace = g_object_ref (workspace);
  self->imei = g_strdup (imei);
  title = g_strdup_printf (_("History of %s"), imei);
  gtk_window_set_title (GTK_WINDOW (self), title);
  adw_window_title_set_subtitle (self->title, imei);

  self->workspace = g_object_ref (workspace);
  g_signal_connect_object (workspace, "changed", G_CALLBACK (load), self, G_CONNECT_SWAPPED);
  load (self);

  return self;
}
