/* ts-provision-form.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-provision-form"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-gui-util.h"
#include "ts-provision-form.h"
#include "ts-revoke-dialog.h"
#include "ts-server-ca-chooser.h"
#include "ts-workspace-ca.h"
#include "ts-workspace-modem.h"

struct _TsProvisionForm
{
  AdwBin               parent_instance;

  TsProvisionFormMode  mode;
  AdwComboRow         *authority_row;
  AdwComboRow         *profile_row;
  GtkSpinButton       *sec_tag_spin;
  AdwActionRow        *server_ca_row;
  GtkSwitch           *host_key_switch;
  AdwEntryRow         *lot_row;       /* production only */
  AdwComboRow         *reason_row;    /* re-key only */
  AdwActionRow        *revokes_row;   /* re-key only: the certificate it replaces */

  GtkStringList       *authorities;
  TsWorkspace         *workspace;     /* (nullable) re-key only */
  char                *imei;
  GCancellable        *revokes_cancellable;
  char                *server_ca;     /* (nullable) a file, or a trust store name */
  char                *preferred_authority;  /* (nullable) chosen whenever listed */
  gboolean             server_ca_system;
  GCancellable        *server_ca_cancellable;
};

G_DEFINE_FINAL_TYPE (TsProvisionForm, ts_provision_form, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_READY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GtkWidget *
action_row (const char *title,
            const char *subtitle,
            GtkWidget  *suffix)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (suffix, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (suffix), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), suffix);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), suffix);

  return row;
}

static AdwComboRow *
combo_row (const char *title,
           const char *subtitle,
           GListModel *model)
{
  AdwComboRow *row = ADW_COMBO_ROW (adw_combo_row_new ());

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_combo_row_set_model (row, model);

  return row;
}

static void
set_server_ca (TsProvisionForm *self,
               const char      *server_ca,
               gboolean         system,
               const char      *description)
{
  g_free (self->server_ca);
  self->server_ca = g_strdup (server_ca);
  self->server_ca_system = system;
  adw_action_row_set_subtitle (self->server_ca_row,
                               description != NULL ? description
                                                   : _("None: no CA certificate is written"));
}

static char *
describe_entry (const TsServerCaEntry *entry)
{
  g_autofree char *expires = ts_format_date (entry->not_after);

  return g_strdup_printf (_("%s (%s), expires %s"),
                          entry->common_name != NULL ? entry->common_name : entry->name,
                          entry->organisation != NULL ? entry->organisation : entry->name,
                          expires);
}

static void
entry_chosen (TsProvisionForm       *self,
              const TsServerCaEntry *entry,
              gboolean               system,
              const GError          *error)
{
  g_autofree char *description = NULL;

  if (entry == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ts_show_error (GTK_WIDGET (self), error);
      return;
    }

  description = describe_entry (entry);
  set_server_ca (self, system ? entry->name : entry->path, system, description);
}

static void
system_chosen_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  TsProvisionForm *self = TS_PROVISION_FORM (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(TsServerCaEntry) entry = ts_server_ca_chooser_choose_finish (result, &error);

  entry_chosen (self, entry, TRUE, error);
}

static void
choose_system_cb (TsProvisionForm *self)
{
  ts_server_ca_chooser_choose_async (GTK_WIDGET (self), system_chosen_cb, NULL);
}

static void
check_file_job (GTask        *task,
                gpointer      source,
                gpointer      path,
                GCancellable *cancellable)
{
  GError *error = NULL;
  TsServerCaEntry *entry = ts_server_ca_check_file (path, &error);

  if (entry == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entry, (GDestroyNotify) ts_server_ca_entry_free);
}

static void
file_checked_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TsServerCaEntry) entry = g_task_propagate_pointer (G_TASK (result), &error);

  entry_chosen (TS_PROVISION_FORM (object), entry, FALSE, error);
}

static void
file_response_cb (GtkNativeDialog *chooser,
                  int              response,
                  TsProvisionForm *self)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GTask) task = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  if (file == NULL || g_file_peek_path (file) == NULL)
    return;

  /* Checked off the main loop: the file may be large or on a slow disk. */
  g_cancellable_cancel (self->server_ca_cancellable);
  g_clear_object (&self->server_ca_cancellable);
  self->server_ca_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->server_ca_cancellable, file_checked_cb, NULL);
  g_task_set_task_data (task, g_strdup (g_file_peek_path (file)), g_free);
  g_task_run_in_thread (task, check_file_job);
}

static void
choose_file_cb (TsProvisionForm *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Open a Server CA Certificate"),
                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (file_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
choose_none_cb (TsProvisionForm *self)
{
  set_server_ca (self, NULL, FALSE, NULL);
}

static GtkWidget *
server_ca_button (TsProvisionForm *self,
                  const char      *label,
                  const char      *tooltip,
                  GCallback        callback)
{
  GtkWidget *button = gtk_button_new_with_label (label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, tooltip);
  g_signal_connect_object (button, "clicked", callback, self, G_CONNECT_SWAPPED);

  return button;
}

/* The server CA is chosen, never typed: from the system trust store or a file,
 * each checked before it is taken. */
static AdwActionRow *
server_ca_row_new (TsProvisionForm *self)
{
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());
  /* Stacked, so that the row's title keeps its room in a 360 px window. */
  GtkWidget *choices = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Server CA"));
  adw_action_row_set_subtitle_lines (row, 0);
  gtk_widget_add_css_class (choices, "linked");
  gtk_widget_set_margin_top (choices, 6);
  gtk_widget_set_margin_bottom (choices, 6);
  gtk_box_append (GTK_BOX (choices), server_ca_button (self, _("Trust Store…"),
                                                       _("Choose from the System Trust Store"),
                                                       G_CALLBACK (choose_system_cb)));
  gtk_box_append (GTK_BOX (choices), server_ca_button (self, _("File…"), _("Choose a PEM File"),
                                                       G_CALLBACK (choose_file_cb)));
  gtk_box_append (GTK_BOX (choices), server_ca_button (self, _("None"), _("No Server CA"),
                                                       G_CALLBACK (choose_none_cb)));
  adw_action_row_add_suffix (row, choices);
  self->server_ca_row = row;
  set_server_ca (self, NULL, FALSE, NULL);

  return row;
}

static void
ts_provision_form_build (TsProvisionForm *self)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *default_profile = g_settings_get_string (settings, "default-profile");
  g_autofree char *server_ca = g_settings_get_string (settings, "server-ca");
  g_autoptr(GtkStringList) profiles = gtk_string_list_new (NULL);
  GtkWidget *group = adw_preferences_group_new ();
  const CaProfile *all;
  guint n_profiles = 0;

  self->authorities = gtk_string_list_new (NULL);
  self->authority_row = combo_row (_("Certificate authority"),
                                   _("The intermediate that signs this device"),
                                   G_LIST_MODEL (self->authorities));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->authority_row));

  all = ca_profile_get_all (&n_profiles);
  for (guint i = 0; i < n_profiles; i++)
    gtk_string_list_append (profiles, all[i].name);
  self->profile_row = combo_row (_("Profile"), _("How the certificate names the device"),
                                 G_LIST_MODEL (profiles));
  for (guint i = 0; i < n_profiles; i++)
    if (g_strcmp0 (all[i].name, default_profile) == 0)
      adw_combo_row_set_selected (self->profile_row, i);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->profile_row));

  self->sec_tag_spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (0, TS_SEC_TAG_USER_MAX, 1));
  gtk_spin_button_set_value (self->sec_tag_spin, g_settings_get_uint (settings, "default-sec-tag"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group),
                             action_row (_("sec_tag"), _("Where the credentials go on the modem"),
                                         GTK_WIDGET (self->sec_tag_spin)));

  self->server_ca_row = server_ca_row_new (self);
  /* The preference names a file by its path, a trust store certificate by its name. */
  if (*server_ca != '\0')
    set_server_ca (self, server_ca, strchr (server_ca, '/') == NULL, server_ca);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->server_ca_row));

  self->host_key_switch = GTK_SWITCH (gtk_switch_new ());
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group),
                             action_row (_("Generate the key on this computer"),
                                         _("Only for kits whose modem cannot generate keys; the "
                                           "key then exists outside the modem"),
                                         GTK_WIDGET (self->host_key_switch)));

  if (self->mode == TS_PROVISION_FORM_PRODUCTION)
    {
      self->lot_row = ADW_ENTRY_ROW (adw_entry_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->lot_row), _("Lot"));
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->lot_row));
    }

  if (self->mode == TS_PROVISION_FORM_REKEY)
    {
      /* A re-key is a routine replacement unless said otherwise. */
      self->reason_row = ts_revoke_reason_row_new (_("Why the old certificate is revoked"),
                                                   CA_REVOKE_SUPERSEDED);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->reason_row));

      self->revokes_row = ADW_ACTION_ROW (adw_action_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->revokes_row), _("Certificate it revokes"));
      adw_action_row_set_subtitle (self->revokes_row, _("Looking it up in the ledger…"));
      adw_action_row_set_subtitle_lines (self->revokes_row, 0);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->revokes_row));
    }

  adw_bin_set_child (ADW_BIN (self), group);
}

/* Intermediates first: they are what signs devices. */
void
ts_provision_form_set_authorities (TsProvisionForm *self,
                                   GPtrArray       *authorities)
{
  g_return_if_fail (TS_IS_PROVISION_FORM (self));

  gtk_string_list_splice (self->authorities, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->authorities)), NULL);

  for (int pass = 0; pass < 2 && authorities != NULL; pass++)
    for (guint i = 0; i < authorities->len; i++)
      {
        const CaAuthority *authority = g_ptr_array_index (authorities, i);

        if ((pass == 0) == (authority->parent_id != 0))
          gtk_string_list_append (self->authorities, authority->name);
      }

  ts_provision_form_prefer_authority (self, self->preferred_authority);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
}

void
ts_provision_form_prefer_authority (TsProvisionForm *self,
                                    const char      *name)
{
  guint n;

  g_return_if_fail (TS_IS_PROVISION_FORM (self));

  if (name != self->preferred_authority)
    {
      g_free (self->preferred_authority);
      self->preferred_authority = g_strdup (name);
    }
  n = g_list_model_get_n_items (G_LIST_MODEL (self->authorities));
  for (guint i = 0; name != NULL && i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (self->authorities, i), name) == 0)
      adw_combo_row_set_selected (self->authority_row, i);
}

gboolean
ts_provision_form_is_ready (TsProvisionForm *self)
{
  g_return_val_if_fail (TS_IS_PROVISION_FORM (self), FALSE);

  return g_list_model_get_n_items (G_LIST_MODEL (self->authorities)) > 0;
}

static gpointer
request_job (TsWorkspace   *workspace,
             gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  return ts_workspace_new_provision_request (workspace, cancellable, error);
}

/**
 * ts_provision_form_build_async:
 *
 * Makes the form's choices the workspace's provisioning defaults, then builds
 * the request from them through the workspace (which loads and checks the
 * server CA named in the form).
 */
void
ts_provision_form_build_async (TsProvisionForm     *self,
                               TsWorkspace         *workspace,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(TsProvisionDefaults) defaults = NULL;
  GtkStringObject *authority;
  GtkStringObject *profile;

  g_return_if_fail (TS_IS_PROVISION_FORM (self));
  g_return_if_fail (TS_IS_WORKSPACE (workspace));

  authority = adw_combo_row_get_selected_item (self->authority_row);
  profile = adw_combo_row_get_selected_item (self->profile_row);

  defaults = ts_workspace_dup_provision_defaults (workspace);
  g_free (defaults->authority);
  defaults->authority = authority != NULL ? g_strdup (gtk_string_object_get_string (authority)) : NULL;
  g_free (defaults->profile);
  defaults->profile = profile != NULL ? g_strdup (gtk_string_object_get_string (profile)) : NULL;
  defaults->sec_tag = gtk_spin_button_get_value (self->sec_tag_spin);
  defaults->host_key = gtk_switch_get_active (self->host_key_switch);
  g_free (defaults->server_ca);
  defaults->server_ca = g_strdup (self->server_ca);
  defaults->server_ca_system = self->server_ca_system;
  ts_workspace_set_provision_defaults (workspace, defaults);

  if (authority == NULL)
    {
      g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

      g_task_return_new_error (task, CA_ERROR, CA_ERROR_NOT_FOUND,
                               _("There is no certificate authority to sign with. Create one "
                                 "on the Authorities page first."));
      return;
    }

  ts_workspace_run_async (workspace, request_job, NULL, NULL,
                          (GDestroyNotify) ts_provision_request_free, cancellable, callback,
                          user_data);
}

/* Adds what only this form asks (the lot, the re-key and its reason). */
TsProvisionRequest *
ts_provision_form_build_finish (TsProvisionForm  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  TsProvisionRequest *request;
  gpointer source;

  g_return_val_if_fail (TS_IS_PROVISION_FORM (self), NULL);

  source = g_task_get_source_object (G_TASK (result));
  if (!TS_IS_WORKSPACE (source))
    return g_task_propagate_pointer (G_TASK (result), error);

  request = ts_workspace_run_finish (TS_WORKSPACE (source), result, error);
  if (request == NULL)
    return NULL;

  request->rekey = self->mode == TS_PROVISION_FORM_REKEY;
  if (self->reason_row != NULL)
    request->reason = ts_revoke_reason_row_get_reason (self->reason_row);
  if (self->lot_row != NULL && *gtk_editable_get_text (GTK_EDITABLE (self->lot_row)) != '\0')
    request->lot = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->lot_row)));

  return request;
}

static void
ts_provision_form_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_READY:
      g_value_set_boolean (value, ts_provision_form_is_ready (TS_PROVISION_FORM (object)));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ts_provision_form_dispose (GObject *object)
{
  g_cancellable_cancel (TS_PROVISION_FORM (object)->revokes_cancellable);
  g_cancellable_cancel (TS_PROVISION_FORM (object)->server_ca_cancellable);

  G_OBJECT_CLASS (ts_provision_form_parent_class)->dispose (object);
}

static void
ts_provision_form_finalize (GObject *object)
{
  TsProvisionForm *self = TS_PROVISION_FORM (object);

  g_clear_object (&self->authorities);
  g_clear_object (&self->workspace);
  g_clear_object (&self->revokes_cancellable);
  g_clear_object (&self->server_ca_cancellable);
  g_free (self->imei);
  g_free (self->preferred_authority);
  g_free (self->server_ca);

  G_OBJECT_CLASS (ts_provision_form_parent_class)->finalize (object);
}

static void
ts_provision_form_class_init (TsProvisionFormClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ts_provision_form_dispose;
  object_class->finalize = ts_provision_form_finalize;
  object_class->get_property = ts_provision_form_get_property;

  properties[PROP_READY] =
    g_param_spec_boolean ("ready", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ts_provision_form_init (TsProvisionForm *self)
{
}

TsProvisionForm *
ts_provision_form_new (TsProvisionFormMode mode)
{
  TsProvisionForm *self = g_object_new (TS_TYPE_PROVISION_FORM, NULL);

  self->mode = mode;
  ts_provision_form_build (self);

  return self;
}

typedef struct
{
  char  *imei;
  guint  sec_tag;
} Replaced;

static void
replaced_free (Replaced *replaced)
{
  g_free (replaced->imei);
  g_free (replaced);
}

static gpointer
replaced_job (TsWorkspace   *workspace,
              gpointer       data,
              GCancellable  *cancellable,
              GError       **error)
{
  Replaced *replaced = data;

  return ts_workspace_list_rekey_replaced (workspace, replaced->imei, replaced->sec_tag, error);
}

static void
replaced_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TsProvisionForm) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) replaced = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  g_autoptr(GString) text = g_string_new (NULL);

  if (replaced == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *advice = ts_error_advice (error);

          adw_action_row_set_subtitle (self->revokes_row, advice);
        }
      return;
    }

  for (guint i = 0; i < replaced->len; i++)
    {
      const CaCertificate *cert = replaced->pdata[i];
      g_autofree char *until = ts_format_date (cert->not_after);

      g_string_append_printf (text, _("%sSerial %s, valid until %s"), i > 0 ? "\n" : "", cert->serial, until);
    }
  if (replaced->len == 0)
    g_string_append_printf (text, _("None: no valid certificate of this device is installed at sec_tag %u, "
                                    "so nothing is revoked."),
                            (guint) gtk_spin_button_get_value_as_int (self->sec_tag_spin));
  adw_action_row_set_subtitle (self->revokes_row, text->str);
}

/* What a re-key at the chosen sec_tag revokes, read again when it changes. */
static void
look_up_replaced (TsProvisionForm *self)
{
  Replaced *replaced = g_new0 (Replaced, 1);

  g_cancellable_cancel (self->revokes_cancellable);
  g_clear_object (&self->revokes_cancellable);
  self->revokes_cancellable = g_cancellable_new ();
  replaced->imei = g_strdup (self->imei);
  replaced->sec_tag = gtk_spin_button_get_value_as_int (self->sec_tag_spin);
  ts_workspace_run_async (self->workspace, replaced_job, replaced, (GDestroyNotify) replaced_free,
                          (GDestroyNotify) g_ptr_array_unref, self->revokes_cancellable, replaced_cb,
                          g_object_ref (self));
}

/**
 * ts_provision_form_set_rekey_device:
 *
 * For a re-key form: names the certificate the re-key of @imei will revoke at
 * the chosen sec_tag, or says that none will be.
 */
void
ts_provision_form_set_rekey_device (TsProvisionForm *self,
                                    TsWorkspace     *workspace,
                                    const char      *imei)
{
  g_return_if_fail (TS_IS_PROVISION_FORM (self));
  g_return_if_fail (self->mode == TS_PROVISION_FORM_REKEY);
  g_return_if_fail (TS_IS_WORKSPACE (workspace));
  g_return_if_fail (imei != NULL);

  g_set_object (&self->workspace, workspace);
  g_free (self->imei);
  self->imei = g_strdup (imei);
  g_signal_connect_object (self->sec_tag_spin, "value-changed", G_CALLBACK (look_up_replaced), self,
                           G_CONNECT_SWAPPED);
  look_up_replaced (self);
}
