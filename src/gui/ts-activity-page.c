/* ts-activity-page.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-activity-page"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-activity-page.h"
#include "ts-audit-text.h"
#include "ts-gui-util.h"
#include "ts-unlock.h"
#include "ts-workspace-ca.h"

/* The page shows the most recent events; the CLI's `audit` verb lists them all. */
#define SHOWN_EVENTS 300

struct _TsActivityPage
{
  AdwBin        parent_instance;

  /* Template widgets */
  GtkStack     *stack;
  GtkListBox   *list;
  AdwActionRow *verify_row;
  GtkLabel     *footer_label;

  /* Owned references */
  TsWorkspace  *workspace;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (TsActivityPage, ts_activity_page, ADW_TYPE_BIN)

typedef struct
{
  GPtrArray *events;   /* the newest SHOWN_EVENTS, oldest first */
  gint64     total;
  gboolean   unlocked;  /* when they were read: links were checked */
} Recent;

static void
recent_free (gpointer pointer)
{
  Recent *recent = pointer;

  g_clear_pointer (&recent->events, g_ptr_array_unref);
  g_free (recent);
}

static gpointer
recent_job (TsWorkspace   *workspace,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  Recent *recent = g_new0 (Recent, 1);

  recent->unlocked = ts_workspace_is_unlocked (workspace);
  recent->events = ts_workspace_list_recent_audit (workspace, SHOWN_EVENTS, &recent->total, cancellable, error);
  if (recent->events == NULL)
    g_clear_pointer (&recent, recent_free);

  return recent;
}

static GtkWidget *
event_row_new (const CaAuditEvent *event,
               gboolean            checked)
{
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (event->at);
  g_autofree char *stamp = time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M") : NULL;
  const char *icon_name = NULL;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = gtk_label_new (stamp);

  ts_audit_event_describe (event, &title, &subtitle, &icon_name);
  if (event->imei != NULL)
    {
      g_autofree char *with_imei = g_strdup_printf ("%s · %s", event->imei, subtitle);

      g_free (subtitle);
      subtitle = g_steal_pointer (&with_imei);
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_icon_name (ADW_ACTION_ROW (row), icon_name);
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_add_css_class (label, "caption");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);

  /* Links are keyed with the passphrase: unchecked while locked, not altered. */
  if (!event->verified && checked)
    {
      GtkWidget *badge = gtk_label_new (_("Altered"));

      gtk_widget_add_css_class (badge, "ts-badge");
      gtk_widget_add_css_class (badge, "error");
      gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), badge);
    }

  return row;
}

static void
recent_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(TsActivityPage) self = user_data;
  g_autoptr(GError) error = NULL;
  Recent *recent;
  g_autofree char *footer = NULL;

  recent = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  if (recent == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not read the audit log: %s", error->message);
      return;
    }

  ts_clear_children (GTK_WIDGET (self->list));
  for (guint i = recent->events->len; i > 0; i--)
    gtk_list_box_append (self->list, event_row_new (g_ptr_array_index (recent->events, i - 1), recent->unlocked));

  footer = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "The %u most recent of %" G_GINT64_FORMAT " event.",
                                         "The %u most recent of %" G_GINT64_FORMAT " events.",
                                         recent->total),
                            recent->events->len, recent->total);
  gtk_label_set_text (self->footer_label, footer);
  gtk_stack_set_visible_child_name (self->stack, recent->total > 0 ? "list" : "empty");

  recent_free (recent);
}

typedef struct
{
  gint64  checked;
  gint64  first_broken;
  GError *error;         /* NULL when the chain verified */
} Verify;

static void
verify_free (gpointer pointer)
{
  Verify *verify = pointer;

  g_clear_error (&verify->error);
  g_free (verify);
}

/* Always a result: where the chain broke matters as much as the error. */
static gpointer
verify_job (TsWorkspace   *workspace,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  Verify *verify = g_new0 (Verify, 1);

  ts_workspace_verify_audit (workspace, &verify->checked, &verify->first_broken, &verify->error);

  return verify;
}

static void
verify_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(TsActivityPage) self = user_data;
  g_autoptr(GError) error = NULL;
  Verify *verify = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  gint64 checked = verify != NULL ? verify->checked : 0;
  gint64 first_broken = verify != NULL ? verify->first_broken : 0;
  g_autofree char *title = NULL;
  g_autofree char *advice = NULL;

  if (verify != NULL)
    {
      error = g_steal_pointer (&verify->error);
      verify_free (verify);
    }

  gtk_widget_remove_css_class (GTK_WIDGET (self->verify_row), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->verify_row), "error");

  if (error == NULL)
    {
      title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "Audit log intact: %" G_GINT64_FORMAT " event verified",
                                            "Audit log intact: %" G_GINT64_FORMAT " events verified",
                                            checked),
                               checked);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->verify_row), title);
      adw_action_row_set_subtitle (self->verify_row,
                                   _("Every event links to the one before it; none was changed "
                                     "or removed."));
      adw_action_row_set_icon_name (self->verify_row, "emblem-ok-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (self->verify_row), "success");
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  title = first_broken > 0
          ? g_strdup_printf (_("Audit log altered at event %" G_GINT64_FORMAT), first_broken)
          : g_strdup (_("The audit log could not be checked"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->verify_row), title);
  advice = ts_error_advice (error);
  adw_action_row_set_subtitle (self->verify_row, advice);
  adw_action_row_set_icon_name (self->verify_row, "dialog-warning-symbolic");
  gtk_widget_add_css_class (GTK_WIDGET (self->verify_row), "error");
}

static void
ts_activity_page_reload (TsActivityPage *self)
{
  if (self->workspace == NULL || !ts_workspace_is_open (self->workspace))
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  ts_workspace_run_async (self->workspace, recent_job, NULL, NULL, recent_free,
                          self->cancellable, recent_cb, g_object_ref (self));
  gtk_widget_remove_css_class (GTK_WIDGET (self->verify_row), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->verify_row), "error");
  if (!ts_workspace_is_unlocked (self->workspace))
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->verify_row),
                                     _("Unlock to check the audit chain"));
      adw_action_row_set_subtitle (self->verify_row,
                                   _("The audit log is sealed with the workspace passphrase."));
      return;
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->verify_row),
                                 _("Checking the audit chain…"));
  adw_action_row_set_subtitle (self->verify_row, "");
  ts_workspace_run_async (self->workspace, verify_job, NULL, NULL, verify_free,
                          self->cancellable, verify_cb, g_object_ref (self));
}

static void
verify_unlocked_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TsActivityPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (ts_unlock_finish (result, &error))
    ts_activity_page_reload (self);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *advice = ts_error_advice (error);

      adw_action_row_set_subtitle (self->verify_row, advice);
    }
}

static void
verify_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TsActivityPage *self = TS_ACTIVITY_PAGE (widget);

  ts_unlock_async (self->workspace, widget, self->cancellable, verify_unlocked_cb, g_object_ref (self));
}

static void
ts_activity_page_unroot (GtkWidget *widget)
{
  g_cancellable_cancel (TS_ACTIVITY_PAGE (widget)->cancellable);

  GTK_WIDGET_CLASS (ts_activity_page_parent_class)->unroot (widget);
}

static void
ts_activity_page_dispose (GObject *object)
{
  TsActivityPage *self = TS_ACTIVITY_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (object), TS_TYPE_ACTIVITY_PAGE);

  G_OBJECT_CLASS (ts_activity_page_parent_class)->dispose (object);
}

static void
ts_activity_page_finalize (GObject *object)
{
  g_clear_object (&TS_ACTIVITY_PAGE (object)->cancellable);
  g_clear_object (&TS_ACTIVITY_PAGE (object)->workspace);

  G_OBJECT_CLASS (ts_activity_page_parent_class)->finalize (object);
}

static void
ts_activity_page_class_init (TsActivityPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ts_activity_page_dispose;
  object_class->finalize = ts_activity_page_finalize;
  widget_class->unroot = ts_activity_page_unroot;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/ts-activity-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TsActivityPage, list);
  gtk_widget_class_bind_template_child (widget_class, TsActivityPage, verify_row);
  gtk_widget_class_bind_template_child (widget_class, TsActivityPage, footer_label);

  gtk_widget_class_install_action (widget_class, "activity.verify", NULL, verify_action);
}

static void
ts_activity_page_init (TsActivityPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* The bin's child: not a bound template child, or the template's dispose and
   * AdwBin's would both unparent it. */
  self->stack = GTK_STACK (adw_bin_get_child (ADW_BIN (self)));

  self->cancellable = g_cancellable_new ();
}

/* Pages show what the workspace holds, and reload when it opens or changes. */
void
ts_activity_page_set_workspace (TsActivityPage *self,
                                TsWorkspace    *workspace)
{
  g_return_if_fail (TS_IS_ACTIVITY_PAGE (self));
  g_return_if_fail (TS_IS_WORKSPACE (workspace));

  if (self->workspace != NULL)
    g_signal_handlers_disconnect_by_data (self->workspace, self);
  g_set_object (&self->workspace, workspace);
  g_signal_connect_object (workspace, "changed",
                           G_CALLBACK (ts_activity_page_reload), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (workspace, "notify::state",
                           G_CALLBACK (ts_activity_page_reload), self, G_CONNECT_SWAPPED);
  ts_activity_page_reload (self);
}
