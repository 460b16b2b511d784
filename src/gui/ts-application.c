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
#include "ts-resources.h"
#include "ts-window.h"

struct _TsApplication
{
  AdwApplication  parent_instance;

  /* Owned references */
  GSettings      *settings;
};

G_DEFINE_FINAL_TYPE (TsApplication, ts_application, ADW_TYPE_APPLICATION)

static void
ts_application_activate (GApplication *application)
{
  TsApplication *self = TS_APPLICATION (application);
  GtkWindow *window;

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window == NULL)
    window = GTK_WINDOW (ts_window_new (self));

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
    { "quit", quit_action },
  };
  static const char *quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (ts_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), actions, G_N_ELEMENTS (actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);

  gtk_window_set_default_icon_name (APP_ID);
}

static void
ts_application_finalize (GObject *object)
{
  TsApplication *self = TS_APPLICATION (object);

  g_clear_object (&self->settings);

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
}

static void
ts_application_init (TsApplication *self)
{
  ts_register_resource ();

  self->settings = g_settings_new (APP_ID);
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
