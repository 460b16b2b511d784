/* ts-export-dialog.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-export-dialog"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "ts-export-dialog.h"
#include "ts-fleet-export.h"
#include "ts-gui-util.h"

/* At most this many file names are listed; the count says the rest. */
#define LISTED_FILES 12

static const struct
{
  TsFleetExportFormat  format;
  const char          *title;
} formats[] = {
  { TS_FLEET_EXPORT_NRFCLOUD_CSV, N_("nRF Cloud (CSV)") },
  { TS_FLEET_EXPORT_JSON, N_("JSON, with each certificate") },
  { TS_FLEET_EXPORT_AWS, N_("AWS IoT (JITP/JITR)") },
  { TS_FLEET_EXPORT_AZURE, N_("Azure IoT Hub and DPS") },
};

typedef struct
{
  GtkWidget        *parent;
  TsWorkspace      *workspace;
  AdwMessageDialog *dialog;
  AdwComboRow      *format_row;
  AdwActionRow     *folder_row;
  GFile            *folder;
  TsFleetExportFormat format;
  char             *path;
} Export;

static void
export_free (Export *export)
{
  g_clear_object (&export->parent);
  g_clear_object (&export->workspace);
  g_clear_object (&export->folder);
  g_free (export->path);
  g_free (export);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Export, export_free)

/* What to do with the files next, for the format exported. */
static const char *
next_step (TsFleetExportFormat format)
{
  switch (format)
    {
    case TS_FLEET_EXPORT_NRFCLOUD_CSV:
      return _("Upload the CSV files to nRF Cloud's bulk device onboarding, one at a time.");
    case TS_FLEET_EXPORT_JSON:
      return _("The file lists each device's newest valid certificate with its PEM.");
    case TS_FLEET_EXPORT_AWS:
      return _("Register each ca- file with AWS IoT as a CA, with just-in-time provisioning or registration "
               "on; devices present their device- chain.");
    case TS_FLEET_EXPORT_AZURE:
      return _("Upload each ca- chain to the IoT Hub or DPS; Azure then asks for proof of possession of the "
               "CA's key. The manifest lists each device ID.");
    default:
      g_return_val_if_reached (NULL);
    }
}

static gpointer
export_job (TsWorkspace   *workspace,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  Export *export = data;

  return ts_workspace_export_fleet (workspace,
                                    &(TsFleetExportRequest) { .format = export->format, .folder = export->path },
                                    error);
}

static void
exported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(Export) export = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TsFleetExport) done = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *shown_path = ts_format_path (export->path);
  GtkRoot *root = gtk_widget_get_root (export->parent);
  GtkWidget *dialog;

  if (done == NULL)
    {
      ts_show_error (export->parent, error);
      return;
    }

  g_string_append_printf (body, ngettext ("%u device exported, ", "%u devices exported, ", done->devices),
                          done->devices);
  g_string_append_printf (body, ngettext ("%u file written to %s:", "%u files written to %s:", done->files->len),
                          done->files->len, shown_path);
  for (guint i = 0; i < done->files->len && i < LISTED_FILES; i++)
    {
      g_autofree char *name = g_path_get_basename (done->files->pdata[i]);

      g_string_append_printf (body, "\n%s", name);
    }
  if (done->files->len > LISTED_FILES)
    g_string_append_printf (body, _("\n… and %u more"), done->files->len - LISTED_FILES);
  g_string_append_printf (body, "\n\n%s", next_step (export->format));

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _("Fleet Exported"),
                                   body->str);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  ts_present_dialog (dialog);
}

static void
response_cb (AdwMessageDialog *dialog,
             const char       *response,
             gpointer          user_data)
{
  Export *export = user_data;

  if (g_strcmp0 (response, "export") != 0)
    {
      export_free (export);
      return;
    }

  export->format = formats[MIN (adw_combo_row_get_selected (export->format_row), G_N_ELEMENTS (formats) - 1)].format;
  export->path = g_file_get_path (export->folder);
  /* The callback frees @export: the job only reads it meanwhile. */
  ts_workspace_run_async (export->workspace, export_job, export, NULL, (GDestroyNotify) ts_fleet_export_free,
                          NULL, exported_cb, export);
}

static void
folder_chosen_cb (GtkNativeDialog *chooser,
                  int              response,
                  gpointer         user_data)
{
  Export *export = user_data;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_set_object (&export->folder, gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser)));
      path = export->folder != NULL ? g_file_get_path (export->folder) : NULL;
    }
  if (path != NULL)
    {
      g_autofree char *shown_path = ts_format_path (path);

      adw_action_row_set_subtitle (export->folder_row, shown_path);
      adw_message_dialog_set_response_enabled (export->dialog, "export", TRUE);
    }
  g_object_unref (chooser);
}

static void
choose_folder_cb (GtkButton *button,
                  gpointer   user_data)
{
  Export *export = user_data;
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Choose a Folder for the Export"), GTK_WINDOW (export->dialog),
                                         GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  if (export->folder != NULL)
    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), export->folder, NULL);
  g_signal_connect (chooser, "response", G_CALLBACK (folder_chosen_cb), export);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
ts_export_dialog_present (GtkWidget   *parent,
                          TsWorkspace *workspace)
{
  GtkRoot *root;
  Export *export;
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *choose = gtk_button_new_with_mnemonic (_("C_hoose Folder…"));
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);

  g_return_if_fail (GTK_IS_WIDGET (parent));
  g_return_if_fail (TS_IS_WORKSPACE (workspace));

  root = gtk_widget_get_root (parent);
  export = g_new0 (Export, 1);
  export->parent = g_object_ref (parent);
  export->workspace = g_object_ref (workspace);

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    gtk_string_list_append (names, _(formats[i].title));
  export->format_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (export->format_row), _("Format"));
  adw_combo_row_set_model (export->format_row, G_LIST_MODEL (names));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (export->format_row));

  export->folder_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (export->folder_row), _("Folder"));
  adw_action_row_set_subtitle (export->folder_row, _("None chosen yet"));
  gtk_widget_set_valign (choose, GTK_ALIGN_CENTER);
  g_signal_connect (choose, "clicked", G_CALLBACK (choose_folder_cb), export);
  adw_action_row_add_suffix (export->folder_row, choose);
  adw_action_row_set_activatable_widget (export->folder_row, choose);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (export->folder_row));

  export->dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                               _("Export the Fleet"),
                                                               _("Every device with a valid certificate, in the "
                                                                 "files a cloud service takes. Existing files are "
                                                                 "never overwritten.")));
  adw_message_dialog_set_extra_child (export->dialog, group);
  adw_message_dialog_add_responses (export->dialog, "cancel", _("_Cancel"), "export", _("_Export"), NULL);
  adw_message_dialog_set_response_appearance (export->dialog, "export", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (export->dialog, "export", FALSE);
  adw_message_dialog_set_close_response (export->dialog, "cancel");
  g_signal_connect (export->dialog, "response", G_CALLBACK (response_cb), export);
  ts_present_dialog (GTK_WIDGET (export->dialog));
}
