/* ts-credential-dialog.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-credential-dialog"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "ts-credential-dialog.h"
#include "ts-gui-util.h"
#include "ts-store.h"

/* The writable types, in the order offered (PROTOCOL.md §6.2). */
static const guint writable_types[] = {
  TS_CRED_CA_CERT, TS_CRED_CLIENT_CERT, TS_CRED_PRIVATE_KEY, TS_CRED_PSK, TS_CRED_PSK_IDENTITY,
};

typedef struct
{
  AdwMessageDialog *dialog;
  AdwComboRow      *type_row;
  GtkSpinButton    *sec_tag_spin;
  GtkTextBuffer    *buffer;
  GtkLabel         *problem;
  TsWorkspace      *workspace;  /* runs the file's reading */
} Form;

static void
form_free (gpointer pointer)
{
  Form *form = pointer;

  g_clear_object (&form->workspace);
  g_free (form);
}

/* The text, in a GBytes that wipes itself. */
static GBytes *
form_content (Form *form)
{
  GtkTextIter start, end;
  char *text;

  gtk_text_buffer_get_bounds (form->buffer, &start, &end);
  text = gtk_text_buffer_get_text (form->buffer, &start, &end, FALSE);

  return ca_secret_bytes_new_take (text, strlen (text));
}

static guint
form_type (Form *form)
{
  guint selected = adw_combo_row_get_selected (form->type_row);

  return writable_types[MIN (selected, G_N_ELEMENTS (writable_types) - 1)];
}

static void
validate (Form *form)
{
  g_autoptr(GBytes) content = form_content (form);
  g_autoptr(GError) error = NULL;
  gboolean empty = g_bytes_get_size (content) == 0;
  gboolean ok;

  ok = ts_sec_tag_check_writable (gtk_spin_button_get_value (form->sec_tag_spin), &error) &&
       !empty &&
       ts_store_check_credential (form_type (form), content, &error);

  gtk_label_set_text (form->problem, error != NULL ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (form->problem), error != NULL && !empty);
  adw_message_dialog_set_response_enabled (form->dialog, "add", ok);
}

/* Read in a worker: the file is size-checked before a byte is read (a FIFO or
 * /dev/zero is refused at once), and its bytes are wiped when freed. */
static gpointer
load_file_job (TsWorkspace   *workspace,
               gpointer       data,
               GCancellable  *cancellable,
                GError       **error)
{
  return ts_store_read_credential_file (data, error);
}

static void
load_file_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  Form *form = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) contents = ts_workspace_run_finish (form->workspace, result, &error);

  if (contents == NULL)
    {
      gtk_label_set_text (form->problem, error->message);
      gtk_widget_set_visible (GTK_WIDGET (form->problem), TRUE);
    }
  else
    {
      gtk_text_buffer_set_text (form->buffer, g_bytes_get_data (contents, NULL), g_bytes_get_size (contents));
    }

  g_object_unref (task);
}

static void
file_chosen_cb (GtkNativeDialog *chooser,
                int              response,
                gpointer         user_data)
{
  GTask *task = user_data;
  Form *form = g_task_get_task_data (task);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      char *path = g_file_get_path (file);

      if (path != NULL)
        ts_workspace_run_async (form->workspace, load_file_job, path, g_free,
                                (GDestroyNotify) g_bytes_unref, g_task_get_cancellable (task),
                                load_file_cb, g_object_ref (task));
    }

  g_object_unref (chooser);
  g_object_unref (task);
}

static void
open_file_clicked_cb (GtkButton *button,
                      gpointer   user_data)
{
  GTask *task = user_data;
  Form *form = g_task_get_task_data (task);
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Open a Credential"), GTK_WINDOW (form->dialog),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (file_chosen_cb), g_object_ref (task));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
response_cb (AdwMessageDialog *dialog,
             const char       *response,
             gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  Form *form = g_task_get_task_data (task);
  TsCredentialInput *input;

  g_signal_handlers_disconnect_by_data (form->buffer, form);
  g_signal_handlers_disconnect_by_data (form->type_row, form);
  g_signal_handlers_disconnect_by_data (form->sec_tag_spin, form);

  if (g_strcmp0 (response, "add") != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
      return;
    }

  input = g_new0 (TsCredentialInput, 1);
  input->sec_tag = gtk_spin_button_get_value (form->sec_tag_spin);
  input->type = form_type (form);
  input->content = form_content (form);
  /* The dialog is going; its buffer should not keep a key around either. */
  gtk_text_buffer_set_text (form->buffer, "", 0);

  g_task_return_pointer (task, input, (GDestroyNotify) ts_credential_input_free);
}

void
ts_credential_dialog_run_async (GtkWidget           *parent,
                                TsWorkspace         *workspace,
                                guint32              default_sec_tag,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GtkStringList) types = gtk_string_list_new (NULL);
  GtkWidget *box, *group, *sec_tag_row, *scroller, *view, *open_button;
  GTask *task;
  Form *form;

  g_return_if_fail (GTK_IS_WIDGET (parent));
  g_return_if_fail (TS_IS_WORKSPACE (workspace));

  task = g_task_new (parent, cancellable, callback, user_data);
  g_task_set_source_tag (task, ts_credential_dialog_run_async);
  form = g_new0 (Form, 1);
  form->workspace = g_object_ref (workspace);
  g_task_set_task_data (task, form, form_free);

  for (guint i = 0; i < G_N_ELEMENTS (writable_types); i++)
    gtk_string_list_append (types, ts_cred_type_describe (writable_types[i]));

  form->dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (parent)),
                                                             _("Add a Credential"),
                                                             _("Paste the content or open a file. "
                                                               "It is checked before anything is "
                                                               "sent; an entry of the same type in "
                                                               "the sec_tag is replaced.")));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  group = adw_preferences_group_new ();
  form->type_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (form->type_row), _("Type"));
  adw_combo_row_set_model (form->type_row, G_LIST_MODEL (types));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (form->type_row));

  sec_tag_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (sec_tag_row), _("sec_tag"));
  form->sec_tag_spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (0, 4294967295.0, 1));
  gtk_spin_button_set_value (form->sec_tag_spin, default_sec_tag);
  gtk_widget_set_valign (GTK_WIDGET (form->sec_tag_spin), GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (form->sec_tag_spin),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("sec_tag"), -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (sec_tag_row), GTK_WIDGET (form->sec_tag_spin));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), sec_tag_row);
  gtk_box_append (GTK_BOX (box), group);

  view = gtk_text_view_new ();
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_CHAR);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 6);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Credential content"), -1);
  form->buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller), 160);
  gtk_widget_add_css_class (scroller, "card");
  gtk_box_append (GTK_BOX (box), scroller);

  open_button = gtk_button_new_with_mnemonic (_("_Open File…"));
  gtk_widget_set_halign (open_button, GTK_ALIGN_START);
  g_signal_connect (open_button, "clicked", G_CALLBACK (open_file_clicked_cb), task);
  gtk_box_append (GTK_BOX (box), open_button);

  form->problem = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (form->problem, TRUE);
  gtk_label_set_xalign (form->problem, 0);
  gtk_widget_add_css_class (GTK_WIDGET (form->problem), "error");
  gtk_widget_set_visible (GTK_WIDGET (form->problem), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (form->problem));

  adw_message_dialog_set_extra_child (form->dialog, box);
  adw_message_dialog_add_responses (form->dialog,
                                    "cancel", _("_Cancel"),
                                    "add", _("_Write to Modem"),
                                    NULL);
  adw_message_dialog_set_response_appearance (form->dialog, "add", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_close_response (form->dialog, "cancel");

  g_signal_connect_swapped (form->buffer, "changed", G_CALLBACK (validate), form);
  g_signal_connect_swapped (form->type_row, "notify::selected", G_CALLBACK (validate), form);
  g_signal_connect_swapped (form->sec_tag_spin, "value-changed", G_CALLBACK (validate), form);
  validate (form);

  g_signal_connect (form->dialog, "response", G_CALLBACK (response_cb), task);
  ts_present_dialog (GTK_WIDGET (form->dialog));
}

TsCredentialInput *
ts_credential_dialog_run_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ts_credential_input_free (TsCredentialInput *input)
{
  if (input == NULL)
    return;

  g_clear_pointer (&input->content, g_bytes_unref);
  g_free (input);
}
