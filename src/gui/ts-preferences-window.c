/* ts-preferences-window.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-preferences-window"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ca.h"
#include "ts-gui-util.h"
#include "ts-nrf91.h"
#include "ts-preferences-window.h"
#include "ts-station-text.h"
#include "ts-workspace-ca.h"

struct _TsPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Template widgets */
  AdwPreferencesGroup  *ledger_group;
  AdwEntryRow          *ledger_row;
  AdwEntryRow          *server_row;
  AdwActionRow         *in_use_row;
  AdwComboRow          *station_row;
  GtkSpinButton        *sec_tag_spin;
  AdwComboRow          *profile_row;
  AdwComboRow          *line_endings_row;
  AdwEntryRow          *server_ca_row;
  GtkSwitch            *flow_control_switch;
  GtkSpinButton        *auto_lock_spin;

  /* Owned references */
  GSettings            *settings;
  TsWorkspace          *workspace;
  GPtrArray            *stations;       /* (element-type CaStation) as last listed */
  GtkStringList        *station_names;  /* the row's choices: none, then each station */
  GCancellable         *cancellable;
  gboolean              trying_server;
  gboolean              listing_stations;
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

/* A server URI may carry a password in its user part or as a `password`
 * parameter; either would end up in GSettings, in plain text. */
static gboolean
uri_has_password (const char *uri)
{
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED, NULL);
  g_autoptr(GHashTable) params = NULL;

  if (parsed == NULL)
    return FALSE;
  if (g_uri_get_password (parsed) != NULL)
    return TRUE;
  if (g_uri_get_query (parsed) == NULL)
    return FALSE;
  params = g_uri_parse_params (g_uri_get_query (parsed), -1, "&", G_URI_PARAMS_CASE_INSENSITIVE, NULL);

  return params != NULL && g_hash_table_contains (params, "password");
}

/* The ledger as a person may see it: a path, or a URI without its password. */
static char *
ledger_for_display (const char *location)
{
  g_autoptr(GUri) parsed = NULL;

  if (!ts_workspace_location_is_server (location))
    return g_strdup (location);
  if (uri_has_password (location))
    return g_strdup (_("a server URI that holds a password"));
  parsed = g_uri_parse (location, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED, NULL);

  return parsed != NULL ? g_uri_to_string_partial (parsed, G_URI_HIDE_PASSWORD) : g_strdup (location);
}

static void
show_advice (TsPreferencesWindow *self,
             const char          *advice)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, advice);

  ts_show_error (GTK_WIDGET (self), error);
}

static void
update_in_use (TsPreferencesWindow *self)
{
  g_autofree char *chosen = g_settings_get_string (self->settings, "ledger");
  g_autofree char *location = chosen[0] != '\0' ? g_steal_pointer (&chosen)
                                                 : ts_workspace_default_ledger_path ();
  g_autofree char *shown = ledger_for_display (location);
  /* Row subtitles are markup, and a URI's parameters are joined with “&”. */
  g_autofree char *escaped = g_markup_escape_text (shown, -1);

  adw_action_row_set_subtitle (self->in_use_row, escaped);
}

/* The ledger changes when the path is applied, not at each key typed: the
 * application reopens its workspace on every change of the setting. A file
 * ledger is made on first use, folders and all, so any path that is not a
 * folder will do; an address belongs in the server row. */
static void
ledger_apply_cb (TsPreferencesWindow *self)
{
  g_autofree char *path = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->ledger_row))));

  if (ts_workspace_location_is_server (path) || strstr (path, "://") != NULL)
    {
      show_advice (self, _("That is an address, not a file. Enter a PostgreSQL server URI under "
                           "“Ledger server”, or give the path of a ledger file here."));
      return;
    }
  if (path[0] != '\0' && g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *advice = g_strdup_printf (_("“%s” is a folder. Give the path of a ledger "
                                                   "file, for example %s/fleet.db."), path, path);
      show_advice (self, advice);
      return;
    }

  g_settings_set_string (self->settings, "ledger", path);
}

static gpointer
try_server_job (TsWorkspace   *workspace,
                gpointer       data,
                GCancellable  *cancellable,
                GError       **error)
{
  return ts_workspace_open (workspace, TS_WORKSPACE_OPEN_READ_WRITE, error) ? workspace : NULL;
}

/* The server answered and holds (or now holds) a ledger: it becomes the
 * ledger in use the way a file does, through the setting. */
static void
try_server_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TsPreferencesWindow) self = user_data;
  TsWorkspace *probe = TS_WORKSPACE (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *message = NULL;

  self->trying_server = FALSE;
  if (ts_workspace_run_finish (probe, result, &error) == NULL)
    {
      ts_show_error (GTK_WIDGET (self), error);
      return;
    }

  g_settings_set_string (self->settings, "ledger", ts_workspace_get_ledger_path (probe));
  shown = ledger_for_display (ts_workspace_get_ledger_path (probe));
  message = g_strdup_printf (_("Connected: the fleet ledger is now on %s."), shown);
  ts_show_message (GTK_WIDGET (self), message);
}

/* A server ledger is tried before it is chosen, off the main loop: a wrong
 * address or a missing credential is said here and the ledger in use stays. */
static void
server_apply_cb (TsPreferencesWindow *self)
{
  g_autofree char *uri = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->server_row))));
  g_autoptr(TsWorkspace) probe = NULL;

  if (!ts_workspace_location_is_server (uri))
    {
      show_advice (self, _("That is not a PostgreSQL server URI. Give one such as "
                           "postgresql://host/fleet, postgresql:///fleet?host=/run/postgresql "
                           "or postgresql:///?service=fleet; a ledger file goes under “Ledger file”."));
      return;
    }
  if (uri_has_password (uri))
    {
      /* The row keeps no copy of the password either. */
      gtk_editable_set_text (GTK_EDITABLE (self->server_row), "");
      show_advice (self, _("The URI holds a password, and Tagsmith never stores one in its settings. "
                           "Give the URI without it and keep the password in ~/.pgpass, in the "
                           "file PGPASSFILE names, or in a service file (postgresql:///?service=NAME)."));
      return;
    }

  /* Applying again while the server is tried would only race the first try. */
  if (self->trying_server)
    return;
  self->trying_server = TRUE;
  probe = ts_workspace_new (uri);
  ts_workspace_run_async (probe, try_server_job, NULL, NULL, NULL, NULL,
                          try_server_cb, g_object_ref (self));
}

/* The row's subtitle: what the choice means, or why it cannot act. */
static void
update_station_subtitle (TsPreferencesWindow *self)
{
  g_autofree char *wanted = g_settings_get_string (self->settings, "station");
  g_autofree char *advice = self->stations != NULL ? ts_station_advice (self->stations, wanted) : NULL;
  g_autofree char *text = NULL;

  if (advice != NULL)
    text = g_steal_pointer (&advice);
  else if (self->stations == NULL)
    text = g_strdup (_("The ledger’s stations could not be read"));
  else if (wanted[0] == '\0')
    text = g_strdup (_("None: what this bench makes records no station"));
  else
    text = ts_station_describe (self->stations, wanted);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->station_row), text);
}

static void
station_selected_cb (TsPreferencesWindow *self)
{
  guint selected = adw_combo_row_get_selected (self->station_row);

  if (self->listing_stations || selected == GTK_INVALID_LIST_POSITION)
    return;

  /* The first choice is none; the rest are the stations by name. */
  g_settings_set_string (self->settings, "station",
                         selected == 0 ? "" : gtk_string_list_get_string (self->station_names, selected));
  update_station_subtitle (self);
}

static gpointer
list_stations_job (TsWorkspace   *workspace,
                   gpointer       data,
                   GCancellable  *cancellable,
                   GError       **error)
{
  return ts_workspace_list_stations (workspace, error);
}

static void
list_stations_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TsPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) stations = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  g_autofree char *wanted = NULL;
  guint selected = 0;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  wanted = g_settings_get_string (self->settings, "station");
  g_clear_pointer (&self->stations, g_ptr_array_unref);
  self->stations = g_steal_pointer (&stations);

  self->listing_stations = TRUE;
  gtk_string_list_splice (self->station_names, 1,
                          g_list_model_get_n_items (G_LIST_MODEL (self->station_names)) - 1, NULL);
  for (guint i = 0; self->stations != NULL && i < self->stations->len; i++)
    {
      const CaStation *station = g_ptr_array_index (self->stations, i);

      gtk_string_list_append (self->station_names, station->name);
      if (g_strcmp0 (station->name, wanted) == 0)
        selected = i + 1;
    }
  /* A station this ledger does not know stays shown, with the advice on it. */
  if (wanted[0] != '\0' && selected == 0)
    {
      gtk_string_list_append (self->station_names, wanted);
      selected = g_list_model_get_n_items (G_LIST_MODEL (self->station_names)) - 1;
    }
  adw_combo_row_set_selected (self->station_row, selected);
  self->listing_stations = FALSE;
  update_station_subtitle (self);
}

static void
list_stations (TsPreferencesWindow *self)
{
  ts_workspace_run_async (self->workspace, list_stations_job, NULL, NULL, (GDestroyNotify) g_ptr_array_unref,
                          self->cancellable, list_stations_cb, g_object_ref (self));
}

static void
ts_preferences_window_bind (TsPreferencesWindow *self)
{
  g_autoptr(GtkStringList) profiles = gtk_string_list_new (NULL);
  g_autofree char *ledger = g_settings_get_string (self->settings, "ledger");
  g_autofree char *default_ledger = ts_workspace_default_ledger_path ();
  g_autofree char *default_shown = ledger_for_display (default_ledger);
  g_autofree char *description = NULL;
  const CaProfile *all;
  guint n_profiles = 0;

  description = g_strdup_printf (_("Where the authorities and the fleet are kept: a file, or a "
                                   "PostgreSQL server that several machines share (its password "
                                   "in ~/.pgpass or a service file). Leave the file empty for the "
                                   "ledger the command line uses too: %s"), default_shown);
  adw_preferences_group_set_description (self->ledger_group, description);
  if (ts_workspace_location_is_server (ledger))
    gtk_editable_set_text (GTK_EDITABLE (self->server_row), ledger);
  else
    gtk_editable_set_text (GTK_EDITABLE (self->ledger_row), ledger);
  update_in_use (self);
  g_signal_connect_object (self->settings, "changed::ledger", G_CALLBACK (update_in_use), self,
                           G_CONNECT_SWAPPED);

  self->station_names = gtk_string_list_new ((const char * const[]) { _("None"), NULL });
  adw_combo_row_set_model (self->station_row, G_LIST_MODEL (self->station_names));
  g_signal_connect_object (self->station_row, "notify::selected", G_CALLBACK (station_selected_cb), self,
                           G_CONNECT_SWAPPED);
  /* Stations come and go with the ledger: enrolled or revoked under Authorities. */
  g_signal_connect_object (self->workspace, "changed", G_CALLBACK (list_stations), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->workspace, "notify::state", G_CALLBACK (list_stations), self,
                           G_CONNECT_SWAPPED);
  list_stations (self);

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
ts_preferences_window_dispose (GObject *object)
{
  TsPreferencesWindow *self = TS_PREFERENCES_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  /* The row loses its choices as the window goes: that is no choice of the user's. */
  g_signal_handlers_disconnect_by_func (self->station_row, station_selected_cb, self);

  G_OBJECT_CLASS (ts_preferences_window_parent_class)->dispose (object);
}

static void
ts_preferences_window_finalize (GObject *object)
{
  TsPreferencesWindow *self = TS_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->workspace);
  g_clear_object (&self->station_names);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->stations, g_ptr_array_unref);

  G_OBJECT_CLASS (ts_preferences_window_parent_class)->finalize (object);
}

static void
ts_preferences_window_class_init (TsPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ts_preferences_window_dispose;
  object_class->finalize = ts_preferences_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/ts-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, ledger_group);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, ledger_row);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, in_use_row);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, station_row);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, sec_tag_spin);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, profile_row);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, line_endings_row);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, server_ca_row);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, flow_control_switch);
  gtk_widget_class_bind_template_child (widget_class, TsPreferencesWindow, auto_lock_spin);
  gtk_widget_class_bind_template_callback (widget_class, ledger_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, server_apply_cb);
}

static void
ts_preferences_window_init (TsPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ts_accessible_fixup (GTK_WIDGET (self));
}

TsPreferencesWindow *
ts_preferences_window_new (GSettings   *settings,
                           TsWorkspace *workspace)
{
  TsPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (TS_IS_WORKSPACE (workspace), NULL);

  self = g_object_new (TS_TYPE_PREFERENCES_WINDOW, NULL);
  self->settings = g_object_ref (settings);
  self->workspace = g_object_ref (workspace);
  self->cancellable = g_cancellable_new ();
  ts_preferences_window_bind (self);

  return self;
}
