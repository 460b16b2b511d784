/* ts-stations-group.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-stations-group"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-authority-lists.h"
#include "ts-badge.h"
#include "ts-gui-util.h"
#include "ts-revoke-dialog.h"
#include "ts-station-text.h"
#include "ts-stations-group.h"
#include "ts-unlock.h"
#include "ts-workspace-ca.h"

struct _TsStationsGroup
{
  AdwPreferencesGroup  parent_instance;

  /* Owned references */
  TsWorkspace         *workspace;
  GCancellable        *cancellable;
  GPtrArray           *authorities;  /* (element-type CaAuthority) the parents to offer */
  GPtrArray           *rows;         /* (element-type GtkWidget) borrowed by the group */
};

G_DEFINE_FINAL_TYPE (TsStationsGroup, ts_stations_group, ADW_TYPE_PREFERENCES_GROUP)

/* Listing ------------------------------------------------------------------------- */

static void
add_row (TsStationsGroup *self,
         GtkWidget       *row)
{
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), row);
  g_ptr_array_add (self->rows, row);
}

static GtkWidget *
station_row_new (const CaStation *station)
{
  g_autofree char *summary = ts_station_summary (station);
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), station->name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), summary);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  adw_action_row_set_icon_name (ADW_ACTION_ROW (row), "computer-symbolic");

  if (station->status == CA_CERT_STATUS_REVOKED)
    {
      GtkWidget *badge = gtk_label_new (_("Revoked"));

      gtk_widget_add_css_class (badge, "ts-badge");
      gtk_widget_add_css_class (badge, "error");
      gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), badge);
    }
  else
    {
      g_autofree char *label = g_strdup_printf (_("Revoke the station %s"), station->name);
      GtkWidget *revoke = gtk_button_new_with_mnemonic (_("_Revoke…"));

      gtk_widget_set_valign (revoke, GTK_ALIGN_CENTER);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (revoke), "stations.revoke");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (revoke), "s", station->name);
      ts_set_accessible_name (revoke, label);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), revoke);
    }

  return row;
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TsStationsGroup) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TsAuthorityLists) lists = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);

  if (lists == NULL)
    {
      /* The page below says what is wrong with the ledger itself. */
      g_debug ("%s", error->message);
      return;
    }

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (ADW_PREFERENCES_GROUP (self), self->rows->pdata[i]);
  g_ptr_array_set_size (self->rows, 0);

  for (guint i = 0; i < lists->stations->len; i++)
    add_row (self, station_row_new (g_ptr_array_index (lists->stations, i)));
  if (lists->stations->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No station yet"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   _("Enroll each bench that shares this ledger, then choose it as "
                                     "this bench in Preferences on that bench."));
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
      add_row (self, row);
    }

  g_clear_pointer (&self->authorities, g_ptr_array_unref);
  self->authorities = g_steal_pointer (&lists->authorities);
}

static void
reload (TsStationsGroup *self)
{
  if (self->workspace == NULL || !ts_workspace_is_open (self->workspace))
    return;

  ts_workspace_run_async (self->workspace, ts_authority_lists_job, NULL, NULL,
                          (GDestroyNotify) ts_authority_lists_free,
                          self->cancellable, list_cb, g_object_ref (self));
}

/* Enroll -------------------------------------------------------------------------- */

typedef struct
{
  char *name;
  char *parent;
} Enrollment;

static void
enrollment_free (Enrollment *enrollment)
{
  g_free (enrollment->name);
  g_free (enrollment->parent);
  g_free (enrollment);
}

static gpointer
enroll_job (TsWorkspace   *workspace,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  Enrollment *enrollment = data;

  return ts_workspace_enroll_station (workspace, enrollment->name, enrollment->parent, error);
}

static void
enrolled_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TsStationsGroup) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CaStation) station = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  g_autofree char *message = NULL;

  if (station == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ts_show_error (GTK_WIDGET (self), error);
      return;
    }

  message = g_strdup_printf (_("Enrolled the station “%s”: its CA “%s” is signed by “%s”. On that bench, "
                               "choose it as this bench in Preferences."),
                             station->name, station->authority_name, station->parent_name);
  ts_show_message (GTK_WIDGET (self), message);
}

static void
enroll_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  g_autoptr(TsStationsGroup) self = user_data;
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "ts-name");
  GtkDropDown *parents = g_object_get_data (G_OBJECT (dialog), "ts-parents");
  GtkStringObject *parent = gtk_drop_down_get_selected_item (parents);
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  Enrollment *enrollment;

  if (g_strcmp0 (response, "accept") != 0 || parent == NULL)
    return;
  if (name[0] == '\0')
    {
      ts_show_message (GTK_WIDGET (self), _("A station needs a name, such as the bench’s label. "
                                            "Enroll it again and give one."));
      return;
    }

  enrollment = g_new0 (Enrollment, 1);
  enrollment->name = g_steal_pointer (&name);
  enrollment->parent = g_strdup (gtk_string_object_get_string (parent));
  ts_workspace_run_async (self->workspace, enroll_job, enrollment, (GDestroyNotify) enrollment_free,
                          (GDestroyNotify) ca_station_free, self->cancellable, enrolled_cb,
                          g_object_ref (self));
}

/* The parents to offer: the valid authorities, intermediates first, as the
 * provisioning form lists them. */
static GtkStringList *
parents_new (TsStationsGroup *self)
{
  GtkStringList *parents = gtk_string_list_new (NULL);

  for (int pass = 0; pass < 2 && self->authorities != NULL; pass++)
    for (guint i = 0; i < self->authorities->len; i++)
      {
        const CaAuthority *authority = g_ptr_array_index (self->authorities, i);

        if ((pass == 0) == (authority->parent_id != 0) && authority->status == CA_CERT_STATUS_VALID)
          gtk_string_list_append (parents, authority->name);
      }

  return parents;
}

static void
enroll_unlocked_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TsStationsGroup) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GtkStringList) parents = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *box;
  GtkWidget *entry;
  GtkWidget *drop_down;

  if (!ts_unlock_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ts_show_error (GTK_WIDGET (self), error);
      return;
    }

  parents = parents_new (self);
  if (g_list_model_get_n_items (G_LIST_MODEL (parents)) == 0)
    {
      ts_show_message (GTK_WIDGET (self), _("A station’s CA is signed by one of your authorities, and "
                                            "there is no valid one yet. Create an authority first."));
      return;
    }

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                                       _("Enroll a Station"),
                                                       _("The bench gets its own CA, signed by the parent "
                                                         "you choose, so it can be revoked on its own.")));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "accept", _("_Enroll"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "accept", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "accept");
  adw_message_dialog_set_close_response (dialog, "cancel");

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  entry = gtk_entry_new ();
  g_object_set (entry, "placeholder-text", _("Station name"), "activates-default", TRUE, NULL);
  ts_set_accessible_name (entry, _("Station name"));
  drop_down = gtk_drop_down_new (G_LIST_MODEL (g_steal_pointer (&parents)), NULL);
  ts_set_accessible_name (drop_down, _("Parent CA"));
  gtk_widget_set_tooltip_text (drop_down, _("The CA that signs the station’s CA"));
  gtk_box_append (GTK_BOX (box), entry);
  gtk_box_append (GTK_BOX (box), drop_down);
  adw_message_dialog_set_extra_child (dialog, box);
  g_object_set_data (G_OBJECT (dialog), "ts-name", entry);
  g_object_set_data (G_OBJECT (dialog), "ts-parents", drop_down);

  g_signal_connect (dialog, "response", G_CALLBACK (enroll_response_cb), g_object_ref (self));
  ts_present_dialog (GTK_WIDGET (dialog));
  gtk_widget_grab_focus (entry);
}

static void
enroll_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TsStationsGroup *self = TS_STATIONS_GROUP (widget);

  ts_unlock_async (self->workspace, widget, self->cancellable, enroll_unlocked_cb, g_object_ref (self));
}

/* Revoke -------------------------------------------------------------------------- */

typedef struct
{
  char           *name;
  CaRevokeReason  reason;
} RevokeRequest;

typedef struct
{
  CaStation *station;
  char      *crl_path;
} Revocation;

static void
revoke_request_free (RevokeRequest *request)
{
  g_free (request->name);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RevokeRequest, revoke_request_free)

static void
revocation_free (Revocation *revocation)
{
  g_clear_pointer (&revocation->station, ca_station_free);
  g_free (revocation->crl_path);
  g_free (revocation);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Revocation, revocation_free)

/* The parent's new CRL is published where a CA's CRL always is. */
static gpointer
revoke_job (TsWorkspace   *workspace,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  RevokeRequest *request = data;
  g_autoptr(Revocation) revocation = g_new0 (Revocation, 1);
  g_autoptr(GBytes) crl = NULL;

  revocation->station = ts_workspace_revoke_station (workspace, request->name, request->reason, &crl, error);
  if (revocation->station == NULL)
    return NULL;
  revocation->crl_path = ts_workspace_publish_crl (workspace, revocation->station->parent_name, NULL, error);
  if (revocation->crl_path == NULL)
    {
      g_prefix_error (error, _("The station “%s” was revoked, but its parent’s CRL could not be published: "),
                      revocation->station->name);
      return NULL;
    }

  return g_steal_pointer (&revocation);
}

static void
revoked_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TsStationsGroup) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(Revocation) revocation = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  g_autofree char *message = NULL;
  g_autofree char *crl_path = NULL;

  if (revocation == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ts_show_error (GTK_WIDGET (self), error);
      return;
    }

  crl_path = ts_format_path (revocation->crl_path);
  message = g_strdup_printf (_("Revoked the station “%s” (%s): its CA “%s” is on the new CRL of “%s”, "
                               "published as %s. Put that CRL where devices and servers fetch it."),
                             revocation->station->name,
                             ts_revoke_reason_label (revocation->station->revoke_reason),
                             revocation->station->authority_name, revocation->station->parent_name,
                             crl_path);
  ts_show_message (GTK_WIDGET (self), message);
}

static void
revoke_unlocked_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  TsStationsGroup *self = TS_STATIONS_GROUP (object);
  g_autoptr(RevokeRequest) request = user_data;
  g_autoptr(GError) error = NULL;

  if (!ts_unlock_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ts_show_error (GTK_WIDGET (self), error);
      return;
    }

  ts_workspace_run_async (self->workspace, revoke_job, g_steal_pointer (&request),
                          (GDestroyNotify) revoke_request_free, (GDestroyNotify) revocation_free,
                          self->cancellable, revoked_cb, g_object_ref (self));
}

static void
revoke_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  g_autoptr(TsStationsGroup) self = user_data;
  RevokeRequest *request;

  if (g_strcmp0 (response, "revoke") != 0)
    return;

  request = g_new0 (RevokeRequest, 1);
  request->name = g_strdup (g_object_get_data (G_OBJECT (dialog), "ts-name"));
  request->reason = ts_revoke_reason_list_get_reason (g_object_get_data (G_OBJECT (dialog), "ts-reasons"));
  ts_unlock_async (self->workspace, GTK_WIDGET (self), self->cancellable, revoke_unlocked_cb, request);
}

/* Asks why, among the reasons that fit a station, and to confirm. */
static void
revoke_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  const char *name = g_variant_get_string (param, NULL);
  g_autofree char *heading = g_strdup_printf (_("Revoke the Station “%s”?"), name);
  guint n_reasons;
  const TsRevokeReasonText *reasons = ts_station_revoke_reasons (&n_reasons);
  GtkListBox *list = ts_revoke_reason_list_new (reasons, n_reasons);
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), heading,
                                                       _("Its CA is revoked by its parent, which publishes a "
                                                         "new CRL: the bench can no longer issue or provision, "
                                                         "and certificates its CA signed stop being trusted "
                                                         "once the CRL is fetched. This cannot be undone.")));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "revoke", _("_Revoke"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "revoke", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  adw_message_dialog_set_extra_child (dialog, GTK_WIDGET (list));
  g_object_set_data_full (G_OBJECT (dialog), "ts-name", g_strdup (name), g_free);
  g_object_set_data (G_OBJECT (dialog), "ts-reasons", list);

  g_signal_connect (dialog, "response", G_CALLBACK (revoke_response_cb), g_object_ref (widget));
  ts_present_dialog (GTK_WIDGET (dialog));
}

/* GObject ------------------------------------------------------------------------- */

static void
ts_stations_group_dispose (GObject *object)
{
  TsStationsGroup *self = TS_STATIONS_GROUP (object);

  g_cancellable_cancel (self->cancellable);

  G_OBJECT_CLASS (ts_stations_group_parent_class)->dispose (object);
}

static void
ts_stations_group_finalize (GObject *object)
{
  TsStationsGroup *self = TS_STATIONS_GROUP (object);

  g_clear_object (&self->workspace);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->authorities, g_ptr_array_unref);
  g_clear_pointer (&self->rows, g_ptr_array_unref);

  G_OBJECT_CLASS (ts_stations_group_parent_class)->finalize (object);
}

static void
ts_stations_group_class_init (TsStationsGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ts_stations_group_dispose;
  object_class->finalize = ts_stations_group_finalize;

  gtk_widget_class_install_action (widget_class, "stations.enroll", NULL, enroll_action);
  gtk_widget_class_install_action (widget_class, "stations.revoke", "s", revoke_action);
}

static void
ts_stations_group_init (TsStationsGroup *self)
{
  GtkWidget *enroll = gtk_button_new_with_mnemonic (_("_Enroll Station…"));

  self->cancellable = g_cancellable_new ();
  self->rows = g_ptr_array_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self), _("Stations"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self),
                                         _("The benches that share this ledger, each with a CA of its own: "
                                           "a lost or compromised bench is revoked alone."));
  gtk_widget_set_valign (enroll, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (enroll), "stations.enroll");
  adw_preferences_group_set_header_suffix (ADW_PREFERENCES_GROUP (self), enroll);
}

void
ts_stations_group_set_workspace (TsStationsGroup *self,
                                 TsWorkspace     *workspace)
{
  g_return_if_fail (TS_IS_STATIONS_GROUP (self));
  g_return_if_fail (TS_IS_WORKSPACE (workspace));

  if (self->workspace != NULL)
    g_signal_handlers_disconnect_by_data (self->workspace, self);
  g_set_object (&self->workspace, workspace);
  g_signal_connect_object (workspace, "changed", G_CALLBACK (reload), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (workspace, "notify::state", G_CALLBACK (reload), self, G_CONNECT_SWAPPED);
  reload (self);
}
