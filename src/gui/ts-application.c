/* ts-application.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-application"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-application.h"
#include "ts-device-monitor.h"
#include "ts-preferences-window.h"
#include "ts-resources.h"
#include "ts-window.h"
#include "ts-workspace-ca.h"
#include "ts-workspace-modem.h"

struct _TsApplication
{
  AdwApplication  parent_instance;

  /* Owned references */
  GSettings      *settings;
  TsWorkspace    *workspace;
  TsDeviceMonitor *devices;
  GCancellable   *cancellable;

  guint           auto_lock_id;
};

G_DEFINE_FINAL_TYPE (TsApplication, ts_application, ADW_TYPE_APPLICATION)

/* Makes this machine the station chosen in Preferences (@name, "" for none).
 * One that cannot act is left: the Production page and Preferences say why. */
static void
apply_station (TsWorkspace *workspace,
               const char  *name)
{
  g_autoptr(CaStation) station = NULL;
  g_autoptr(GError) error = NULL;

  if (name[0] != '\0' && (station = ts_workspace_use_station (workspace, name, &error)) != NULL)
    return;
  if (error != NULL)
    g_debug ("%s", error->message);
  ts_workspace_leave_station (workspace);
}

/* The station is applied in the same job as the opening, so that nothing is
 * recorded in between without it. */
static gpointer
open_ledger_job (TsWorkspace   *workspace,
                 gpointer       data,
                 GCancellable  *cancellable,
                 GError       **error)
{
  if (!ts_workspace_open (workspace, TS_WORKSPACE_OPEN_READ_WRITE, error))
    return NULL;
  apply_station (workspace, data);

  return workspace;
}

static gpointer
station_job (TsWorkspace   *workspace,
             gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  apply_station (workspace, data);

  return workspace;
}

/* The workspace keeps the error and says so through its state: nothing to do here. */
static void
open_ledger_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (ts_workspace_run_finish (TS_WORKSPACE (object), result, &error) == NULL)
    g_debug ("%s", error->message);
}

static void
station_changed_cb (TsApplication *self)
{
  ts_workspace_run_async (self->workspace, station_job, g_settings_get_string (self->settings, "station"),
                          g_free, NULL, self->cancellable, open_ledger_cb, NULL);
}

static gboolean
auto_lock_cb (gpointer user_data)
{
  TsApplication *self = user_data;

  self->auto_lock_id = 0;
  ts_application_lock (self);

  return G_SOURCE_REMOVE;
}

static void
rearm_auto_lock (TsApplication *self)
{
  guint minutes = g_settings_get_uint (self->settings, "auto-lock-minutes");

  g_clear_handle_id (&self->auto_lock_id, g_source_remove);
  if (minutes > 0 && (self->workspace != NULL && ts_workspace_is_unlocked (self->workspace)))
    self->auto_lock_id = g_timeout_add_seconds (minutes * 60, auto_lock_cb, self);
}

/* The preferences that are provisioning defaults of the workspace; the rest
 * (CA, profile, sec_tag, server CA) are chosen in each provisioning form. */
static void
defaults_changed_cb (TsApplication *self)
{
  g_autoptr(TsProvisionDefaults) defaults = ts_workspace_dup_provision_defaults (self->workspace);

  defaults->open_flags = g_settings_get_boolean (self->settings, "flow-control")
                         ? TS_MODEM_OPEN_RTSCTS : TS_MODEM_OPEN_NONE;
  defaults->endings = (TsLineEndings) g_settings_get_enum (self->settings, "line-endings");
  ts_workspace_set_provision_defaults (self->workspace, defaults);
}

/* The ledger chosen in Preferences, or the one the command line uses too. A
 * new choice replaces the workspace in every window: pages reload from the
 * new one, and the old one locks its keys and goes once its last job ends. */
static void
open_workspace (TsApplication *self)
{
  g_autofree char *chosen = g_settings_get_string (self->settings, "ledger");
  g_autoptr(TsWorkspace) old = g_steal_pointer (&self->workspace);

  if (old != NULL)
    {
      g_signal_handlers_disconnect_by_data (old, self);
      ts_workspace_lock (old);
    }

  self->workspace = ts_workspace_new (chosen[0] != '\0' ? chosen : NULL);
  /* Unlocking arms the auto-lock, and each change (a certificate signed) re-arms it. */
  g_signal_connect_object (self->workspace, "notify::state",
                           G_CALLBACK (rearm_auto_lock), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->workspace, "changed",
                           G_CALLBACK (rearm_auto_lock), self, G_CONNECT_SWAPPED);
  ts_workspace_run_async (self->workspace, open_ledger_job, g_settings_get_string (self->settings, "station"),
                          g_free, NULL, self->cancellable, open_ledger_cb, NULL);
  defaults_changed_cb (self);
  /* The device list follows the workspace, whose leases it shows. */
  if (self->devices == NULL)
    self->devices = ts_device_monitor_new (self->workspace);
  else
    ts_device_monitor_set_workspace (self->devices, self->workspace);

  rearm_auto_lock (self);

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (TS_IS_WINDOW (l->data))
      ts_window_set_workspace (l->data, self->workspace);
}

static void
ts_application_activate (GApplication *application)
{
  TsApplication *self = TS_APPLICATION (application);
  GtkWindow *window;

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window == NULL)
    window = GTK_WINDOW (ts_window_new (GTK_APPLICATION (self), self->workspace,
                                         self->devices, self->settings));

  gtk_window_present (window);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  TsApplication *self = user_data;
  static const char *developers[] = { "The Tagsmith Authors", NULL };

  adw_show_about_window (gtk_application_get_active_window (GTK_APPLICATION (self)),
                         "application-name", _("Tagsmith"),
                         "application-icon", APP_ID,
                         "developer-name", _("The Tagsmith Authors"),
                         "version", PACKAGE_VERSION,
                         "comments", _("Certificates and keys for nRF91 cellular devices: "
                                       "a small fleet PKI and a modem credential manager."),
                         "website", "https://github.com/tagsmith/tagsmith",
                         "issue-url", "https://github.com/tagsmith/tagsmith/issues",
                         "developers", developers,
                         "copyright", "© 2026 The Tagsmith Authors",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         NULL);
}


static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  TsApplication *self = user_data;
  TsPreferencesWindow *preferences;

  preferences = ts_preferences_window_new (self->settings, self->workspace);
  gtk_window_set_transient_for (GTK_WINDOW (preferences),
                                gtk_application_get_active_window (GTK_APPLICATION (self)));
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
lock_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  ts_application_lock (TS_APPLICATION (user_data));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  TsApplication *self = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  /* Close rather than destroy, so each window cancels its pending work first. */
  for (GList *l = windows; l != NULL; )
    {
      GtkWindow *window = l->data;

      l = l->next;
      gtk_window_close (window);
    }
}

static void
ts_application_startup (GApplication *application)
{
  TsApplication *self = TS_APPLICATION (application);
  static const GActionEntry actions[] = {
    { "about", about_action },
    { "preferences", preferences_action },
    { "lock", lock_action },
    { "quit", quit_action },
  };
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };
  static const char *lock_accels[] = { "<Control>l", NULL };

  G_APPLICATION_CLASS (ts_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), actions, G_N_ELEMENTS (actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.lock", lock_accels);

  gtk_window_set_default_icon_name (APP_ID);

  g_signal_connect_object (self->settings, "changed::auto-lock-minutes",
                           G_CALLBACK (rearm_auto_lock), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->settings, "changed::flow-control",
                           G_CALLBACK (defaults_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::line-endings",
                           G_CALLBACK (defaults_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::ledger",
                           G_CALLBACK (open_workspace), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::station",
                           G_CALLBACK (station_changed_cb), self, G_CONNECT_SWAPPED);
  open_workspace (self);
}

static void
ts_application_shutdown (GApplication *application)
{
  TsApplication *self = TS_APPLICATION (application);

  g_cancellable_cancel (self->cancellable);
  /* Virtual devices started from the window end with it. */
  if (self->devices != NULL)
    ts_device_monitor_stop (self->devices);
  g_clear_handle_id (&self->auto_lock_id, g_source_remove);
  /* Decrypted CA keys never outlive the process's last window. */
  if (self->workspace != NULL)
    ts_workspace_lock (self->workspace);

  G_APPLICATION_CLASS (ts_application_parent_class)->shutdown (application);
}

static void
ts_application_finalize (GObject *object)
{
  TsApplication *self = TS_APPLICATION (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->workspace);
  g_clear_object (&self->devices);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (ts_application_parent_class)->finalize (object);
}

static void
ts_application_class_init (TsApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = ts_application_finalize;

  app_class->activate = ts_application_activate;
  app_class->startup = ts_application_startup;
  app_class->shutdown = ts_application_shutdown;
}

static void
ts_application_init (TsApplication *self)
{
  ts_register_resource ();

  self->settings = g_settings_new (APP_ID);
  self->cancellable = g_cancellable_new ();
}

TsApplication *
ts_application_new (void)
{
  return g_object_new (TS_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", RESOURCE_BASE,
                       NULL);
}

/**
 * ts_application_get_settings:
 *
 * Returns: (transfer none): the application's #GSettings
 */
GSettings *
ts_application_get_settings (TsApplication *self)
{
  g_return_val_if_fail (TS_IS_APPLICATION (self), NULL);

  return self->settings;
}

/**
 * ts_application_get_default:
 *
 * Returns: (transfer none): the running application
 */
TsApplication *
ts_application_get_default (void)
{
  return TS_APPLICATION (g_application_get_default ());
}

/**
 * ts_application_get_workspace:
 *
 * Returns: (transfer none) (nullable): the workspace every window of the
 *   application works on; %NULL before the application has started
 */
TsWorkspace *
ts_application_get_workspace (TsApplication *self)
{
  g_return_val_if_fail (TS_IS_APPLICATION (self), NULL);

  return self->workspace;
}

void
ts_application_lock (TsApplication *self)
{
  g_return_if_fail (TS_IS_APPLICATION (self));

  g_clear_handle_id (&self->auto_lock_id, g_source_remove);
  if (self->workspace != NULL)
    ts_workspace_lock (self->workspace);
}
