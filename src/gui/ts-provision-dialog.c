/* ts-provision-dialog.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-provision-dialog"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "ts-authority-lists.h"
#include "ts-gui-util.h"
#include "ts-provision-dialog.h"
#include "ts-provision-form.h"
#include "ts-station-text.h"
#include "ts-unlock.h"
#include "ts-workspace-ca.h"

typedef struct
{
  GtkWidget       *parent;
  TsWorkspace     *workspace;
  char            *imei;
  gboolean         rekey;
  TsProvisionForm *form;
} Run;

static void
run_free (gpointer pointer)
{
  Run *run = pointer;

  g_clear_object (&run->parent);
  g_clear_object (&run->workspace);
  g_free (run->imei);
  g_free (run);
}

static void
built_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Run *run = g_task_get_task_data (task);
  TsProvisionRequest *request;

  request = ts_provision_form_build_finish (run->form, result, &error);
  if (request == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, request, (GDestroyNotify) ts_provision_request_free);
}

static void
response_cb (AdwMessageDialog *dialog,
             const char       *response,
             gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);

  if (g_strcmp0 (response, "run") != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
      return;
    }

  GCancellable *task_cancellable = g_task_get_cancellable (task);

  /* The form outlives the dialog's closing through the task's reference. */
  ts_provision_form_build_async (run->form, run->workspace, task_cancellable, built_cb,
                                 g_steal_pointer (&task));
}

static void
no_authority_response_cb (AdwMessageDialog *dialog,
                          const char       *response,
                          gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);

  if (g_strcmp0 (response, "create") == 0)
    ts_activate_window_action (run->parent, "win.create-authority");

  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
}

/* Said before any passphrase is asked for: there is nothing to sign with. */
static void
show_no_authority (GTask *task)
{
  Run *run = g_task_get_task_data (task);
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (run->parent)),
                                                       _("No Certificate Authority Yet"),
                                                       _("A device’s certificate is signed by one "
                                                         "of your certificate authorities, and "
                                                         "there is none yet. Create a root and an "
                                                         "intermediate first, then provision the "
                                                         "device.")));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "create", _("_Create Authority…"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "create", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "create");
  adw_message_dialog_set_close_response (dialog, "cancel");

  g_signal_connect (dialog, "response", G_CALLBACK (no_authority_response_cb), task);
  ts_present_dialog (GTK_WIDGET (dialog));
}

static void
unlocked_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Run *run = g_task_get_task_data (task);
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;

  if (!ts_unlock_finish (result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  body = run->rekey
         ? g_strdup_printf (_("The modem of %s generates a new key. Its new certificate is "
                              "installed and verified, then the old one is revoked and the "
                              "CRL published."), run->imei)
         : g_strdup_printf (_("The modem of %s generates its key; the authority signs a "
                              "certificate for it, which is installed and verified. The modem "
                              "is switched offline while its store changes and restored after."),
                            run->imei);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (run->parent)),
                                                       run->rekey ? _("Re-key Device")
                                                                  : _("Provision Device"),
                                                       body));
  adw_message_dialog_set_extra_child (dialog, GTK_WIDGET (run->form));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "run", run->rekey ? _("_Re-key") : _("_Provision"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "run",
                                              run->rekey ? ADW_RESPONSE_DESTRUCTIVE
                                                         : ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "run");
  adw_message_dialog_set_close_response (dialog, "cancel");

  g_signal_connect (dialog, "response", G_CALLBACK (response_cb), g_steal_pointer (&task));
  ts_present_dialog (GTK_WIDGET (dialog));
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TsAuthorityLists) lists = NULL;
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *station = g_settings_get_string (settings, "station");
  Run *run = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  lists = ts_workspace_run_finish (run->workspace, result, &error);
  if (lists == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  run->form = ts_provision_form_new (run->rekey ? TS_PROVISION_FORM_REKEY
                                                : TS_PROVISION_FORM_PROVISION);
  g_object_ref_sink (run->form);
  g_object_set_data_full (G_OBJECT (task), "ts-form", run->form, g_object_unref);
  /* This bench's station signs with its own CA unless another is chosen. */
  ts_provision_form_prefer_authority (run->form, ts_station_authority (lists->stations, station));
  ts_provision_form_set_authorities (run->form, lists->authorities);
  if (run->rekey)
    ts_provision_form_set_rekey_device (run->form, run->workspace, run->imei);

  if (!ts_provision_form_is_ready (run->form))
    {
      show_no_authority (g_steal_pointer (&task));
      return;
    }

  ts_unlock_async (run->workspace, run->parent, cancellable, unlocked_cb, g_steal_pointer (&task));
}

void
ts_provision_dialog_run_async (GtkWidget             *parent,
                               TsWorkspace           *workspace,
                               const TsModemIdentity *identity,
                               gboolean               rekey,
                               GCancellable          *cancellable,
                               GAsyncReadyCallback    callback,
                               gpointer               user_data)
{
  GTask *task;
  Run *run;

  g_return_if_fail (GTK_IS_WIDGET (parent));
  g_return_if_fail (identity != NULL);

  task = g_task_new (parent, cancellable, callback, user_data);
  g_task_set_source_tag (task, ts_provision_dialog_run_async);
  run = g_new0 (Run, 1);
  run->parent = g_object_ref (parent);
  run->workspace = g_object_ref (workspace);
  run->imei = g_strdup (identity->imei);
  run->rekey = rekey;
  g_task_set_task_data (task, run, run_free);

  /* Whether there is an authority to sign with is known before the passphrase is asked for. */
  ts_workspace_run_async (workspace, ts_authority_lists_job, NULL, NULL,
                          (GDestroyNotify) ts_authority_lists_free, cancellable, list_cb, task);
}

TsProvisionRequest *
ts_provision_dialog_run_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
