/* ts-revoke-dialog.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-revoke-dialog"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "ts-gui-util.h"
#include "ts-output.h"
#include "ts-revoke-dialog.h"
#include "ts-unlock.h"
#include "ts-workspace-ca.h"

typedef struct
{
  GtkWidget      *parent;
  TsWorkspace    *workspace;
  GCancellable   *cancellable;
  char           *imei;
  char           *serial;
  CaCertificate  *certificate;
  GtkListBox     *reason_list;
  GtkSwitch      *crl_switch;
  CaRevokeReason  reason;
  gboolean        publish;
} Revoke;

typedef struct
{
  char *crl_path;  /* (nullable) when the CRL was not published */
} Outcome;

static void
revoke_free (Revoke *revoke)
{
  g_clear_object (&revoke->parent);
  g_clear_object (&revoke->workspace);
  g_clear_object (&revoke->cancellable);
  g_clear_pointer (&revoke->certificate, ca_certificate_free);
  g_free (revoke->imei);
  g_free (revoke->serial);
  g_free (revoke);
}

static void
outcome_free (Outcome *outcome)
{
  g_free (outcome->crl_path);
  g_free (outcome);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Revoke, revoke_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Outcome, outcome_free)

static GtkWindow *
parent_window (Revoke *revoke)
{
  GtkRoot *root = gtk_widget_get_root (revoke->parent);

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
show_message (Revoke     *revoke,
              const char *heading,
              const char *body)
{
  GtkWidget *dialog = adw_message_dialog_new (parent_window (revoke), heading, body);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  ts_present_dialog (dialog);
}

static gpointer
revoke_job (TsWorkspace   *workspace,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  Revoke *revoke = data;
  const CaCertificate *cert = revoke->certificate;
  g_autoptr(GPtrArray) revoked = NULL;
  Outcome *outcome;

  revoked = ts_workspace_revoke (workspace,
                                 &(CaRevokeRequest) { .authority = cert->authority_name, .serial = cert->serial,
                                                      .sec_tag = -1, .reason = revoke->reason },
                                 error);
  if (revoked == NULL)
    return NULL;

  outcome = g_new0 (Outcome, 1);
  if (revoke->publish)
    {
      outcome->crl_path = ts_workspace_publish_crl (workspace, cert->authority_name, NULL, error);
      if (outcome->crl_path == NULL)
        {
          g_prefix_error (error, _("The certificate is revoked, but its CRL could not be published: "));
          outcome_free (outcome);
          return NULL;
        }
    }

  return outcome;
}

static void
revoked_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(Revoke) revoke = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(Outcome) outcome = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  g_autofree char *body = NULL;
  g_autofree char *crl_path = NULL;
  const char *reason_text = ts_revoke_reason_label (revoke->reason);

  if (outcome == NULL)
    {
      ts_show_error (revoke->parent, error);
      return;
    }

  if (outcome->crl_path != NULL)
    crl_path = ts_format_path (outcome->crl_path);
  if (crl_path != NULL)
    body = g_strdup_printf (_("Certificate %s of IMEI %s is revoked (%s).\n\nThe new CRL of %s is written "
                              "to %s. Copy it to where your servers fetch CRLs: until they have it, they "
                              "still accept the certificate."),
                            revoke->certificate->serial, revoke->imei, reason_text,
                            revoke->certificate->authority_name, crl_path);
  else
    body = g_strdup_printf (_("Certificate %s of IMEI %s is revoked (%s).\n\nNo CRL was published: servers "
                              "accept the certificate until you publish the CRL of %s from the Authorities "
                              "page."),
                            revoke->certificate->serial, revoke->imei, reason_text,
                            revoke->certificate->authority_name);
  show_message (revoke, _("Certificate Revoked"), body);
}

static void
unlocked_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Revoke *revoke = user_data;
  g_autoptr(GError) error = NULL;

  if (!ts_unlock_finish (result, &error))
    {
      ts_show_error (revoke->parent, error);
      revoke_free (revoke);
      return;
    }

  /* The callback frees @revoke: the job only reads it meanwhile. */
  ts_workspace_run_async (revoke->workspace, revoke_job, revoke, NULL, (GDestroyNotify) outcome_free,
                          revoke->cancellable, revoked_cb, revoke);
}

static void
response_cb (AdwMessageDialog *dialog,
             const char       *response,
             gpointer          user_data)
{
  Revoke *revoke = user_data;

  if (g_strcmp0 (response, "revoke") != 0)
    {
      revoke_free (revoke);
      return;
    }

  revoke->reason = ts_revoke_reason_list_get_reason (revoke->reason_list);
  revoke->publish = gtk_switch_get_active (revoke->crl_switch);
  ts_unlock_async (revoke->workspace, revoke->parent, revoke->cancellable, unlocked_cb, revoke);
}

/* The selected reason's explanation, under its name. */
static void
reason_selected_cb (AdwComboRow *row,
                    GParamSpec  *pspec,
                    gpointer     user_data)
{
  guint n_reasons;
  const TsRevokeReasonText *reasons = ts_revoke_reasons (&n_reasons);
  guint selected = adw_combo_row_get_selected (row);

  if (selected < n_reasons)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _(reasons[selected].explanation));
}

/**
 * ts_revoke_reason_row_new:
 *
 * A row choosing among the reasons of ts_revoke_reasons(), @reason first
 * selected, that explains the selected one under its name.
 */
AdwComboRow *
ts_revoke_reason_row_new (const char     *title,
                          CaRevokeReason  reason)
{
  AdwComboRow *row = ADW_COMBO_ROW (adw_combo_row_new ());
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  guint n_reasons;
  const TsRevokeReasonText *reasons = ts_revoke_reasons (&n_reasons);

  for (guint i = 0; i < n_reasons; i++)
    gtk_string_list_append (names, ts_revoke_reason_label (reasons[i].reason));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_combo_row_set_model (row, G_LIST_MODEL (names));
  for (guint i = 0; i < n_reasons; i++)
    if (reasons[i].reason == reason)
      adw_combo_row_set_selected (row, i);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  g_signal_connect (row, "notify::selected", G_CALLBACK (reason_selected_cb), NULL);
  reason_selected_cb (row, NULL, NULL);

  return row;
}

CaRevokeReason
ts_revoke_reason_row_get_reason (AdwComboRow *row)
{
  guint n_reasons;
  const TsRevokeReasonText *reasons = ts_revoke_reasons (&n_reasons);

  return reasons[MIN (adw_combo_row_get_selected (row), n_reasons - 1)].reason;
}

/**
 * ts_revoke_reason_list_new:
 *
 * Every reason of @reasons in sight, each explained, the first selected:
 * people choose better among explanations than among names.
 */
GtkListBox *
ts_revoke_reason_list_new (const TsRevokeReasonText *reasons,
                           guint                     n_reasons)
{
  GtkListBox *list = GTK_LIST_BOX (gtk_list_box_new ());

  g_return_val_if_fail (reasons != NULL && n_reasons > 0, NULL);

  gtk_list_box_set_selection_mode (list, GTK_SELECTION_SINGLE);
  gtk_widget_add_css_class (GTK_WIDGET (list), "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Reason"), -1);
  for (guint i = 0; i < n_reasons; i++)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), ts_revoke_reason_label (reasons[i].reason));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _(reasons[i].explanation));
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
      g_object_set_data (G_OBJECT (row), "ts-reason", GINT_TO_POINTER (reasons[i].reason));
      gtk_list_box_append (list, row);
    }
  gtk_list_box_select_row (list, gtk_list_box_get_row_at_index (list, 0));

  return list;
}

/* The selected reason; the first when none is (a list box can lose its selection). */
CaRevokeReason
ts_revoke_reason_list_get_reason (GtkListBox *list)
{
  GtkListBoxRow *row;

  g_return_val_if_fail (GTK_IS_LIST_BOX (list), CA_REVOKE_UNSPECIFIED);

  row = gtk_list_box_get_selected_row (list);
  if (row == NULL)
    row = gtk_list_box_get_row_at_index (list, 0);

  return GPOINTER_TO_INT (g_object_get_data (G_OBJECT (row), "ts-reason"));
}

static GtkWidget *
form_new (Revoke *revoke)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *crl_row = adw_action_row_new ();
  g_autofree char *crl_subtitle = NULL;
  guint n_reasons;
  const TsRevokeReasonText *reasons = ts_revoke_reasons (&n_reasons);

  revoke->reason_list = ts_revoke_reason_list_new (reasons, n_reasons);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (revoke->reason_list));
  gtk_box_append (GTK_BOX (box), group);

  revoke->crl_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_switch_set_active (revoke->crl_switch, TRUE);
  gtk_widget_set_valign (GTK_WIDGET (revoke->crl_switch), GTK_ALIGN_CENTER);
  crl_subtitle = g_strdup_printf (_("Sign a new CRL of %s listing this certificate"),
                                  revoke->certificate->authority_name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (crl_row), _("Publish the CRL"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (crl_row), crl_subtitle);
  adw_action_row_add_suffix (ADW_ACTION_ROW (crl_row), GTK_WIDGET (revoke->crl_switch));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (crl_row), GTK_WIDGET (revoke->crl_switch));
  gtk_accessible_update_property (GTK_ACCESSIBLE (revoke->crl_switch), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Publish the CRL"), -1);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), crl_row);

  return box;
}

static void
confirm (Revoke *revoke)
{
  const CaCertificate *cert = revoke->certificate;
  g_autofree char *cn = ts_subject_common_name (cert->subject);
  g_autofree char *until = ts_format_date (cert->not_after);
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  body = g_strdup_printf (_("Serial %s\nIMEI %s · CN %s\nIssued by %s, valid until %s\n\n"
                            "Servers that check the CRL refuse this certificate from then on. "
                            "Revoking cannot be undone."),
                          cert->serial, revoke->imei, cn != NULL ? cn : _("none"), cert->authority_name, until);
  dialog = adw_message_dialog_new (parent_window (revoke), _("Revoke Certificate?"), body);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), form_new (revoke));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "revoke", _("_Revoke"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "revoke", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (response_cb), revoke);
  ts_present_dialog (dialog);
}

static gpointer
certificates_job (TsWorkspace   *workspace,
                  gpointer       data,
                  GCancellable  *cancellable,
                  GError       **error)
{
  return ts_workspace_list_certificates (workspace, data, FALSE, error);
}

static void
certificates_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Revoke *revoke = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) certificates = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);

  for (guint i = 0; certificates != NULL && i < certificates->len; i++)
    {
      CaCertificate *cert = certificates->pdata[i];

      if (g_ascii_strcasecmp (cert->serial, revoke->serial) == 0)
        revoke->certificate = g_ptr_array_steal_index (certificates, i);
    }

  if (certificates != NULL && revoke->certificate == NULL)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 _("The ledger holds no certificate %s for IMEI %s. Look it up in the device's history."),
                 revoke->serial, revoke->imei);
  else if (revoke->certificate != NULL && revoke->certificate->status == CA_CERT_STATUS_REVOKED)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                 _("Certificate %s is revoked already (%s). Publish its CA's CRL from the Authorities page "
                   "if servers still accept it."),
                 revoke->serial, ts_revoke_reason_label (revoke->certificate->revoke_reason));

  if (error != NULL)
    {
      ts_show_error (revoke->parent, error);
      revoke_free (revoke);
      return;
    }

  confirm (revoke);
}

void
ts_revoke_dialog_present (GtkWidget   *parent,
                          TsWorkspace *workspace,
                          const char  *imei,
                          const char  *serial)
{
  Revoke *revoke;

  g_return_if_fail (GTK_IS_WIDGET (parent));
  g_return_if_fail (TS_IS_WORKSPACE (workspace));
  g_return_if_fail (imei != NULL && serial != NULL);

  revoke = g_new0 (Revoke, 1);
  revoke->parent = g_object_ref (parent);
  revoke->workspace = g_object_ref (workspace);
  revoke->cancellable = g_cancellable_new ();
  revoke->imei = g_strdup (imei);
  revoke->serial = g_strdup (serial);

  ts_workspace_run_async (workspace, certificates_job, g_strdup (imei), g_free,
                          (GDestroyNotify) g_ptr_array_unref, revoke->cancellable, certificates_cb, revoke);
}
