/* ts-preferences-window.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "ca.h"
#include "ts-gui-util.h"
#include "ts-nrf91.h"
#include "ts-preferences-window.h"
#include "ts-workspace.h"

struct _TsPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Template widgets */
  AdwPreferencesGroup  *ledger_group;
  AdwEntryRow          *ledger_row;
  GtkSpinButton        *sec_tag_spin;
  AdwComboRow          *profile_row;
  AdwComboRow          *line_endings_row;
  AdwEntryRow          *server_ca_row;
  GtkSwitch            *flow_control_switch;
  GtkSpinButton        *auto_lock_spin;

  /* Owned references */
  GSettings            *settings;
};

G_DEFINE_FINAL_TYPE (TsPreferencesWindow, ts_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The combo rows list strings; GSettings stores the profile's name. */
static gboolean
profile_get_mapping (GValue   *value,
                     GVariant *variant,
                     gpointer  user_data)
{
  GListModel *model = user_data;
  const char *name = g_variant_get_string (variant, NULL);
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (model), i), name) == 0)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }

  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
profile_set_mapping (const GValue       *value,
                     const GVariantType *expected_type,
                     gpointer            user_data)
{
  GListModel *model = user_data;
  const char *name = gtk_string_list_get_string (GTK_STRING_LIST (model), g_value_get_uint (value));

  return name != NULL ? g_variant_new_string (name) : NULL;
}

/* The combo row lists the choices in TsLineEndings' order. */
static gboolean
line_endings_get_mapping (GValue   *value,
                          GVariant *variant,
                          gpointer  user_data)
{
  TsLineEndings endings;

  if (ts_line_endings_parse (g_variant_get_string (variant, NULL), &endings, NULL))
    g_value_set_uint (value, endings);

  return TRUE;
}

static GVariant *
line_endings_set_mapping (const GValue       *value,
                          const GVariantType *expected_type,
                          gpointer            user_data)
{
  const char *name = ts_line_endings_to_string (g_value_get_uint (value));

  return name != NULL ? g_variant_new_string (name) : NULL;
}

/* The ledger changes when the path is applied, not at each key typed: the
 * application reopens its workspace on every change of the setting. */
static void
ledger_apply_cb (TsPreferencesWindow *self)
{
  g_autofree char *path = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->ledger_row))));

  g_settings_set_string (self->settings, "ledger", path);
}

static void
ts_preferences_window_bind (TsPreferencesWindow *self)
{
  g_autoptr(GtkStringList) profiles = gtk_string_list_new (NULL);
  g_autofree char *ledger = g_settings_get_string (self->settings, "ledger");
  g_autofree char *default_ledger = ts_workspace_default_ledger_path ();
  g_autofree char *description = NULL;
  const CaProfile *all;
  guint n_profiles = 0;

  description = g_strdup_printf (_("Where the authorities and the fleet are kept. Leave it empty "
                                   "for the one the command line uses too: %s"), default_ledger);
  adw_preferences_group_set_description (self->ledger_group, description);
  gtk_editable_set_text (GTK_EDITABLE (self->ledger_row), ledger);

  all = ca_profile_get_all (&n_profiles);
  for (guint i = 0; i < n_profiles; i++)
    gtk_string_list_append (profiles, all[i].name);
  adw_combo_row_set_model (self->profile_row, G_LIST_MODEL (profiles));

  g_settings_bind (self->settings, "default-sec-tag", self->sec_tag_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "default-profile", self->profile_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, profile_get_mapping, profile_set_mapping,
                                g_object_ref (profiles), g_object_unref);
  g_settings_bind_with_mapping (self->settings, "line-endings", self->line_endings_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, line_endings_get_mapping,
                                line_endings_set_mapping, NULL, NULL);
  g_settings_bind (self->settings, "server-ca", self->server_ca_row, "text",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "flow-control", self->flow_control_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "auto-lock-minutes", self->auto_lock_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);
}

static void
ts_preferences_window_finalize (GObject *object)
{
  TsPreferencesWindow *self = TS_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ts_preferences_window_parent_class)->finalize (object);
}

static void
ts_preferences_window_class_init (TsPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ts_preferences_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/ts-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, ledger_group);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, ledger_row);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, sec_tag_spin);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, profile_row);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, line_endings_row);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, server_ca_row);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, flow_control_switch);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, auto_lock_spin);
  gtk_widget_class_bind_template_callback (widget_class, ledger_apply_cb);
}

static void
ts_preferences_window_init (TsPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ts_accessible_fixup (GTK_WIDGET (self));
}

TsPreferencesWindow *
ts_preferences_window_new (GSettings *settings)
{
  TsPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (TS_TYPE_PREFERENCES_WINDOW, NULL);
  self->settings = g_object_ref (settings);
  ts_preferences_window_bind (self);

  return self;
}
