/* ts-gui-util.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-gui-util"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "ts-gui-util.h"
#include "ts-message-bin.h"

/* Longer confirmations would be cut in a toast on a narrow window. */
#define TS_TOAST_MAX_CHARS 60

typedef struct
{
  GtkWidget *parent;
  GBytes    *contents;
} SaveData;

static void
save_data_free (SaveData *save)
{
  g_clear_object (&save->parent);
  g_clear_pointer (&save->contents, g_bytes_unref);
  g_free (save);
}

static void
save_replace_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SaveData *save = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    {
      ts_show_error (save->parent, error);
    }
  else
    {
      g_autofree char *name = g_file_get_basename (G_FILE (object));
      g_autofree char *message = g_strdup_printf (_("Saved “%s”"), name);

      ts_show_toast (save->parent, message);
    }

  save_data_free (save);
}

static void
save_response_cb (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  SaveData *save = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      g_file_replace_contents_bytes_async (file, save->contents, NULL, FALSE,
                                           G_FILE_CREATE_REPLACE_DESTINATION, NULL,
                                           save_replace_cb, save);
    }
  else
    {
      save_data_free (save);
    }

  g_object_unref (dialog);
}

/* Asks where to save @contents and writes it there off the main loop. */
void
ts_save_bytes (GtkWidget  *parent,
               const char *title,
               const char *suggested_name,
               GBytes     *contents)
{
  GtkFileChooserNative *dialog;
  SaveData *save;

  g_return_if_fail (GTK_IS_WIDGET (parent));
  g_return_if_fail (contents != NULL);

  dialog = gtk_file_chooser_native_new (title, GTK_WINDOW (gtk_widget_get_root (parent)),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), suggested_name);

  save = g_new0 (SaveData, 1);
  save->parent = g_object_ref (parent);
  save->contents = g_bytes_ref (contents);

  g_signal_connect (dialog, "response", G_CALLBACK (save_response_cb), save);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* Removes the rows of a GtkListBox (its placeholder stays: it is a child too, and
 * gtk_list_box_remove() refuses it) or the children of a GtkBox. */
void
ts_clear_children (GtkWidget *box)
{
  GtkListBoxRow *row;
  GtkWidget *child;

  g_return_if_fail (GTK_IS_LIST_BOX (box) || GTK_IS_BOX (box));

  if (GTK_IS_LIST_BOX (box))
    {
      while ((row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (box), 0)) != NULL)
        gtk_list_box_remove (GTK_LIST_BOX (box), GTK_WIDGET (row));
      return;
    }

  while ((child = gtk_widget_get_first_child (box)) != NULL)
    gtk_box_remove (GTK_BOX (box), child);
}

/* Names @widget for screen readers by @name alone. */
void
ts_set_accessible_name (GtkWidget  *widget,
                        const char *name)
{
  /* The name GTK 4.8 computes joins the label property and the labelled-by text. */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

/* GTK 4.8 names a button with a mnemonic label by its raw label and its text run
 * together ("_Save Save"), and names icon-only buttons by their type, not their
 * tooltip. Screen readers read those names, so every button gets a clean one:
 * its label without the underscore, or its tooltip. */
void
ts_accessible_fixup (GtkWidget *widget)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  if (GTK_IS_BUTTON (widget))
    {
      const char *label = gtk_button_get_label (GTK_BUTTON (widget));
      const char *tooltip = gtk_widget_get_tooltip_text (widget);

      if (label != NULL && gtk_button_get_use_underline (GTK_BUTTON (widget)))
        {
          g_autoptr(GString) clean = g_string_new (label);

          g_string_replace (clean, "_", "", 0);
          ts_set_accessible_name (widget, clean->str);
        }
      else if (label != NULL)
        {
          ts_set_accessible_name (widget, label);
        }
      else if (tooltip != NULL)
        {
          ts_set_accessible_name (widget, tooltip);
        }
    }
  else if (GTK_IS_CHECK_BUTTON (widget) && gtk_check_button_get_label (GTK_CHECK_BUTTON (widget)) != NULL)
    {
      g_autoptr(GString) clean = g_string_new (gtk_check_button_get_label (GTK_CHECK_BUTTON (widget)));

      g_string_replace (clean, "_", "", 0);
      ts_set_accessible_name (widget, clean->str);
    }
  else if ((GTK_IS_MENU_BUTTON (widget) || GTK_IS_DROP_DOWN (widget)) &&
           gtk_widget_get_tooltip_text (widget) != NULL)
    {
      const char *tooltip = gtk_widget_get_tooltip_text (widget);
      GtkWidget *toggle = gtk_widget_get_first_child (widget);

      ts_set_accessible_name (widget, tooltip);
      if (toggle != NULL)
        ts_set_accessible_name (toggle, tooltip);
      return;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    ts_accessible_fixup (child);
}

/* Presents a dialog built in code, with clean accessible names on its buttons. */
void
ts_present_dialog (GtkWidget *dialog)
{
  g_return_if_fail (GTK_IS_WINDOW (dialog));

  ts_accessible_fixup (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The window that the dialog (or device window) holding @widget stands above. */
static GtkWidget *
window_below (GtkWidget *widget)
{
  GtkRoot *root = gtk_widget_get_root (widget);

  return GTK_IS_WINDOW (root) ? GTK_WIDGET (gtk_window_get_transient_for (GTK_WINDOW (root))) : NULL;
}

/* The first message bin under @widget, preferring one on show: the main window
 * holds one per page, and only the visible page's is mapped. */
static GtkWidget *
find_bin_below (GtkWidget *widget,
                gboolean   mapped)
{
  if (TS_IS_MESSAGE_BIN (widget) && (!mapped || gtk_widget_get_mapped (widget)))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_bin_below (child, mapped);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static GtkWidget *
find_shown_bin (GtkWidget *root)
{
  GtkWidget *found = find_bin_below (root, TRUE);

  return found != NULL ? found : find_bin_below (root, FALSE);
}

/* The bin that shows what @widget reports: its own page's or window's; from a
 * dialog without one, the bin on show in the window below it. */
static TsMessageBin *
find_message_bin (GtkWidget *widget)
{
  while (widget != NULL)
    {
      GtkWidget *bin = gtk_widget_get_ancestor (widget, TS_TYPE_MESSAGE_BIN);
      GtkRoot *root;

      if (bin != NULL)
        return TS_MESSAGE_BIN (bin);

      root = gtk_widget_get_root (widget);
      if (root != NULL && (bin = find_shown_bin (GTK_WIDGET (root))) != NULL)
        return TS_MESSAGE_BIN (bin);

      widget = window_below (widget);
    }

  return NULL;
}

/* A toast is one short line: anything longer would be cut and gone in seconds. */
static gboolean
fits_a_toast (const char *message)
{
  return g_utf8_strlen (message, -1) <= TS_TOAST_MAX_CHARS && strchr (message, '\n') == NULL;
}

/**
 * ts_activate_window_action:
 * @name: an action without parameter, such as "win.create-authority"
 *
 * Activates @name from @widget, or from the window below the dialog or device
 * window @widget is in. Returns whether some window had it.
 */
gboolean
ts_activate_window_action (GtkWidget  *widget,
                           const char *name)
{
  g_return_val_if_fail (GTK_IS_WIDGET (widget), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  for (; widget != NULL; widget = window_below (widget))
    if (gtk_widget_activate_action (widget, name, NULL))
      return TRUE;

  return FALSE;
}

/**
 * ts_show_toast:
 * @widget: the widget that reports, in a page, a window or a dialog above one
 * @message: plain text
 *
 * Confirms something briefly, in a toast over the page or window of @widget
 * (see ts_show_message()). A message too long for a toast is shown as a
 * message instead, so that it is never cut, styled as a success.
 *
 * Returns: (transfer none) (nullable): the toast, for a caller that announces
 *   work in progress to withdraw with adw_toast_dismiss() once it is done
 */
AdwToast *
ts_show_toast (GtkWidget  *widget,
               const char *message)
{
  TsMessageBin *bin;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), NULL);
  g_return_val_if_fail (message != NULL, NULL);

  bin = find_message_bin (widget);
  if (bin == NULL)
    g_message ("%s", message);
  else if (fits_a_toast (message))
    return ts_message_bin_add_toast (bin, message);
  else
    ts_message_bin_add_confirmation (bin, message);

  return NULL;
}

/**
 * ts_show_message:
 * @widget: the widget that reports
 * @message: plain text with advice: what happened and what to do
 *
 * Shows @message whole, wrapped and selectable, at the top of the page or
 * window of @widget (for a dialog: the page on show below it) until the user
 * dismisses it. Pages and dialogs report this way without knowing the window.
 */
void
ts_show_message (GtkWidget  *widget,
                 const char *message)
{
  TsMessageBin *bin;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (message != NULL);

  bin = find_message_bin (widget);
  if (bin != NULL)
    ts_message_bin_add_message (bin, message);
  else
    /* No window to show it in (it was closed meanwhile): the log keeps it. */
    g_message ("%s", message);
}

/**
 * ts_show_error:
 *
 * The one way the window reports a failure (see ts_show_message()).
 * Cancellation is the user's own doing, so it is never shown.
 */
void
ts_show_error (GtkWidget    *widget,
               const GError *error)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (error != NULL);

  g_autofree char *advice = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  advice = ts_error_advice (error);
  ts_show_message (widget, advice);
}

/**
 * ts_show_help:
 * @window: the window asking
 * @uri: a help page: help:tagsmith/ and the id of a page of data/help/C
 *
 * Shows the help page @uri. With TAGSMITH_HELP_LOG set, appends @uri to the
 * file it names instead, so tests see what would be shown without a help viewer.
 */
void
ts_show_help (GtkWindow  *window,
              const char *uri)
{
  const char *log = g_getenv ("TAGSMITH_HELP_LOG");

  g_return_if_fail (GTK_IS_WINDOW (window));
  g_return_if_fail (uri != NULL);

  if (log != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_path (log);
      g_autoptr(GFileOutputStream) out = g_file_append_to (file, G_FILE_CREATE_NONE, NULL, NULL);
      g_autofree char *line = g_strconcat (uri, "\n", NULL);

      if (out != NULL)
        g_output_stream_write_all (G_OUTPUT_STREAM (out), line, strlen (line), NULL, NULL, NULL);
      return;
    }

  gtk_show_uri (window, uri, GDK_CURRENT_TIME);
}
