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
  AdwComboRow      *preset_row;
  GtkSpinButton    *sec_tag_spin;
  GtkTextBuffer    *buffers[G_N_ELEMENTS (writable_types)];
  GtkEditable      *password;
  GtkLabel         *problem;
  TsWorkspace      *workspace;  /* runs the files' reading */
} Form;

static void
form_free (gpointer pointer)
{
  Form *form = pointer;

  g_clear_object (&form->workspace);
  g_free (form);
}

/* The parts given, in GBytes that wipe themselves. */
static TsCredentialSet *
form_set (Form *form)
{
  TsCredentialSet *set = ts_credential_set_new ();
  const char *password = gtk_editable_get_text (form->password);

  for (guint i = 0; i < G_N_ELEMENTS (writable_types); i++)
    {
      GtkTextIter start, end;
      char *text;

      gtk_text_buffer_get_bounds (form->buffers[i], &start, &end);
      text = gtk_text_buffer_get_text (form->buffers[i], &start, &end, FALSE);
      if (text[0] == '\0')
        ca_secret_free (text);
      else
        set->parts[writable_types[i]] = ca_secret_bytes_new_take (text, strlen (text));
    }
  if (password[0] != '\0')
    set->key_password = g_strdup (password);

  return set;
}

static void
validate (Form *form)
{
  g_autoptr(TsCredentialSet) set = form_set (form);
  g_autoptr(GError) error = NULL;
  g_autofree char *advice = NULL;
  gboolean empty = TRUE;
  gboolean ok;

  for (guint i = 0; i < G_N_ELEMENTS (set->parts); i++)
    empty = empty && set->parts[i] == NULL;
  ok = ts_sec_tag_check_writable (gtk_spin_button_get_value (form->sec_tag_spin), &error) &&
       ts_credential_set_check (set, &error);

  advice = error != NULL ? ts_error_advice (error) : NULL;
  gtk_label_set_text (form->problem, advice != NULL ? advice : "");
  gtk_widget_set_visible (GTK_WIDGET (form->problem), error != NULL && !empty);
  adw_message_dialog_set_response_enabled (form->dialog, "add", ok);
}

/* A preset names the sec_tag its service reads, and the row says which firmware
 * option that number mirrors; "Custom" leaves it to the person. */
static void
preset_selected (Form *form)
{
  guint selected = adw_combo_row_get_selected (form->preset_row);
  guint n_presets;
  const TsCredentialPreset *presets = ts_credential_presets (&n_presets);

  if (selected >= 1 && selected <= n_presets)
    {
      adw_action_row_set_subtitle (ADW_ACTION_ROW (form->preset_row), _(presets[selected - 1].hint));
      gtk_spin_button_set_value (form->sec_tag_spin, presets[selected - 1].sec_tag);
    }
  else
    {
      adw_action_row_set_subtitle (ADW_ACTION_ROW (form->preset_row),
                                   _("Any sec_tag your firmware reads"));
    }
}

/* A sec_tag typed by hand shows the preset it belongs to, or "Custom", so the row
 * never names a service whose sec_tag is not the one written. */
static void
sec_tag_changed (Form *form)
{
  guint n_presets;
  const TsCredentialPreset *presets = ts_credential_presets (&n_presets);
  const TsCredentialPreset *preset =
    ts_credential_preset_for_tag (gtk_spin_button_get_value (form->sec_tag_spin));

  adw_combo_row_set_selected (form->preset_row, preset != NULL ? preset - presets + 1 : 0);
  validate (form);
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

typedef struct
{
  GTask         *task;
  GtkTextBuffer *buffer;
} FileLoad;

static void
file_load_free (FileLoad *load)
{
  g_object_unref (load->task);
  g_object_unref (load->buffer);
  g_free (load);
}

static void
load_file_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  FileLoad *load = user_data;
  Form *form = g_task_get_task_data (load->task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) contents = ts_workspace_run_finish (form->workspace, result, &error);

  if (contents == NULL)
    {
      g_autofree char *advice = ts_error_advice (error);

      gtk_label_set_text (form->problem, advice);
      gtk_widget_set_visible (GTK_WIDGET (form->problem), TRUE);
    }
  else
    {
      gtk_text_buffer_set_text (load->buffer, g_bytes_get_data (contents, NULL), g_bytes_get_size (contents));
    }

  file_load_free (load);
}

static void
file_chosen_cb (GtkNativeDialog *chooser,
                int              response,
                gpointer         user_data)
{
  FileLoad *load = user_data;
  Form *form = g_task_get_task_data (load->task);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      char *path = g_file_get_path (file);

      if (path != NULL)
        {
          ts_workspace_run_async (form->workspace, load_file_job, path, g_free,
                                  (GDestroyNotify) g_bytes_unref, g_task_get_cancellable (load->task),
                                  load_file_cb, load);
          load = NULL;
        }
    }

  g_object_unref (chooser);
  g_clear_pointer (&load, file_load_free);
}

static void
open_file_clicked_cb (GtkButton     *button,
                      GtkTextBuffer *buffer)
{
  GTask *task = g_object_get_data (G_OBJECT (button), "ts-task");
  Form *form = g_task_get_task_data (task);
  GtkFileChooserNative *chooser;
  FileLoad *load = g_new0 (FileLoad, 1);

  load->task = g_object_ref (task);
  load->buffer = g_object_ref (buffer);
  chooser = gtk_file_chooser_native_new (_("Open a Credential"), GTK_WINDOW (form->dialog),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (file_chosen_cb), load);
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

  for (guint i = 0; i < G_N_ELEMENTS (form->buffers); i++)
    g_signal_handlers_disconnect_by_data (form->buffers[i], form);
  g_signal_handlers_disconnect_by_data (form->preset_row, form);
  g_signal_handlers_disconnect_by_data (form->sec_tag_spin, form);
  g_signal_handlers_disconnect_by_data (form->password, form);

  if (g_strcmp0 (response, "add") == 0)
    {
      input = g_new0 (TsCredentialInput, 1);
      input->sec_tag = gtk_spin_button_get_value (form->sec_tag_spin);
      input->set = form_set (form);
    }
  else
    input = NULL;

  /* The dialog is going; its buffers should not keep a key or PSK around either. */
  for (guint i = 0; i < G_N_ELEMENTS (form->buffers); i++)
    gtk_text_buffer_set_text (form->buffers[i], "", 0);
  gtk_editable_set_text (form->password, "");

  if (input == NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
  else
    g_task_return_pointer (task, input, (GDestroyNotify) ts_credential_input_free);
}

/* One part: its name, a text area to paste into, and a button for a file. */
static GtkWidget *
part_box (GTask          *task,
          guint           type,
          GtkTextBuffer **buffer)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (NULL);
  GtkWidget *open_button = gtk_button_new_with_mnemonic (_("_Open File…"));
  GtkWidget *view = gtk_text_view_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();
  g_autofree char *title = g_strdup (ts_cred_type_describe (type));
  g_autofree char *open_name = NULL;

  title[0] = g_ascii_toupper (title[0]);
  open_name = g_strdup_printf (_("Open a File for the %s"), ts_cred_type_describe (type));
  gtk_label_set_text (GTK_LABEL (label), title);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_add_css_class (label, "heading");
  gtk_box_append (GTK_BOX (header), label);
  gtk_widget_set_tooltip_text (open_button, open_name);
  g_object_set_data (G_OBJECT (open_button), "ts-task", task);
  gtk_box_append (GTK_BOX (header), open_button);
  gtk_box_append (GTK_BOX (box), header);

  gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_CHAR);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 6);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  g_signal_connect (open_button, "clicked", G_CALLBACK (open_file_clicked_cb), *buffer);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller),
                                              type <= TS_CRED_PRIVATE_KEY ? 72 : 36);
  gtk_widget_add_css_class (scroller, "card");
  gtk_box_append (GTK_BOX (box), scroller);

  return box;
}

void
ts_credential_dialog_run_async (GtkWidget           *parent,
                                TsWorkspace         *workspace,
                                guint32              default_sec_tag,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GtkStringList) preset_names = gtk_string_list_new (NULL);
  GtkWidget *box, *group, *sec_tag_row, *password_row, *parts, *scroller;
  const TsCredentialPreset *presets;
  guint n_presets;
  GTask *task;
  Form *form;

  g_return_if_fail (GTK_IS_WIDGET (parent));
  g_return_if_fail (TS_IS_WORKSPACE (workspace));

  task = g_task_new (parent, cancellable, callback, user_data);
  g_task_set_source_tag (task, ts_credential_dialog_run_async);
  form = g_new0 (Form, 1);
  form->workspace = g_object_ref (workspace);
  g_task_set_task_data (task, form, form_free);

  presets = ts_credential_presets (&n_presets);
  gtk_string_list_append (preset_names, _("Custom"));
  for (guint i = 0; i < n_presets; i++)
    {
      g_autofree char *name = g_strdup_printf (_("%s (%u)"), _(presets[i].name), presets[i].sec_tag);

      gtk_string_list_append (preset_names, name);
    }

  form->dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (parent)),
                                                             _("Add Credentials"),
                                                             _("Give any of the parts, pasted or from "
                                                               "files. All are checked before anything "
                                                               "is sent; entries of the same types in "
                                                               "the sec_tag are replaced.")));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  group = adw_preferences_group_new ();
  form->preset_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (form->preset_row), _("Preset"));
  adw_combo_row_set_model (form->preset_row, G_LIST_MODEL (preset_names));
  if (ts_credential_preset_for_tag (default_sec_tag) != NULL)
    adw_combo_row_set_selected (form->preset_row,
                                ts_credential_preset_for_tag (default_sec_tag) - presets + 1);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (form->preset_row));

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

  parts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  for (guint i = 0; i < G_N_ELEMENTS (writable_types); i++)
    {
      gtk_box_append (GTK_BOX (parts), part_box (task, writable_types[i], &form->buffers[i]));
      if (writable_types[i] == TS_CRED_PRIVATE_KEY)
        {
          GtkWidget *password_group = adw_preferences_group_new ();

          password_row = adw_password_entry_row_new ();
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (password_row),
                                         _("Private Key Password (if encrypted)"));
          form->password = GTK_EDITABLE (password_row);
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (password_group), password_row);
          gtk_box_append (GTK_BOX (parts), password_group);
        }
    }
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), parts);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller), 320);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_box_append (GTK_BOX (box), scroller);

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

  for (guint i = 0; i < G_N_ELEMENTS (form->buffers); i++)
    g_signal_connect_swapped (form->buffers[i], "changed", G_CALLBACK (validate), form);
  g_signal_connect_swapped (form->preset_row, "notify::selected", G_CALLBACK (preset_selected), form);
  g_signal_connect_swapped (form->sec_tag_spin, "value-changed", G_CALLBACK (sec_tag_changed), form);
  g_signal_connect_swapped (form->password, "changed", G_CALLBACK (validate), form);
  preset_selected (form);
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

  g_clear_pointer (&input->set, ts_credential_set_free);
  g_free (input);
}
