/* ts-server-ca-chooser.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-server-ca-chooser"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-gui-util.h"
#include "ts-server-ca-chooser.h"

typedef struct
{
  GtkWindow      *window;
  GtkSearchEntry *search;
  GtkListBox     *list;
  GtkLabel       *status;
  GtkWidget      *choose_button;
  GPtrArray      *entries;       /* (element-type TsServerCaEntry) once read */
  GCancellable   *cancellable;   /* the reading of the trust store */
} Chooser;

static void
chooser_free (Chooser *chooser)
{
  g_cancellable_cancel (chooser->cancellable);
  g_clear_object (&chooser->cancellable);
  g_clear_pointer (&chooser->entries, g_ptr_array_unref);
  g_free (chooser);
}

/* Ends the task once: by a choice, or cancelled when the window closes. */
static void
finish (GTask                 *task,
        const TsServerCaEntry *entry)
{
  Chooser *chooser = g_task_get_task_data (task);
  GtkWindow *window = chooser->window;

  if (g_task_get_completed (task) || chooser->window == NULL)
    return;
  chooser->window = NULL;
  if (entry != NULL)
    g_task_return_pointer (task, ts_server_ca_entry_copy (entry), (GDestroyNotify) ts_server_ca_entry_free);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
  gtk_window_destroy (window);
}

static gboolean
close_request_cb (GtkWindow *window,
                  GTask     *task)
{
  finish (task, NULL);
  return TRUE;
}

static void
row_activated_cb (GtkListBox    *list,
                  GtkListBoxRow *row,
                  GTask         *task)
{
  finish (task, g_object_get_data (G_OBJECT (row), "entry"));
}

static void
choose_cb (GtkButton *button,
           GTask     *task)
{
  Chooser *chooser = g_task_get_task_data (task);
  GtkListBoxRow *row = gtk_list_box_get_selected_row (chooser->list);

  if (row != NULL)
    finish (task, g_object_get_data (G_OBJECT (row), "entry"));
}

static void
cancel_cb (GtkButton *button,
           GTask     *task)
{
  finish (task, NULL);
}

static void
selected_cb (GtkListBox    *list,
             GtkListBoxRow *row,
             Chooser       *chooser)
{
  gtk_widget_set_sensitive (chooser->choose_button, row != NULL);
}

static GtkWidget *
entry_row (const TsServerCaEntry *entry)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *expires = ts_format_date (entry->not_after);
  g_autofree char *subtitle = NULL;

  if (entry->organisation != NULL)
    subtitle = g_strdup_printf (_("%s · expires %s"), entry->organisation, expires);
  else
    subtitle = g_strdup_printf (_("Expires %s"), expires);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 entry->common_name != NULL ? entry->common_name : entry->name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data (G_OBJECT (row), "entry", (gpointer) entry);

  return row;
}

/* Only the rows that match the search exist, so that what is shown is also
 * what assistive technologies read. */
static void
populate (Chooser *chooser)
{
  const char *search = gtk_editable_get_text (GTK_EDITABLE (chooser->search));
  guint shown = 0;

  ts_clear_children (GTK_WIDGET (chooser->list));
  for (guint i = 0; i < chooser->entries->len; i++)
    if (ts_server_ca_entry_matches (chooser->entries->pdata[i], search))
      {
        gtk_list_box_append (chooser->list, entry_row (chooser->entries->pdata[i]));
        shown++;
      }

  if (shown == 0)
    {
      g_autofree char *none = g_strdup_printf (_("No certificate of the system trust store "
                                                 "matches “%s”."), search);

      gtk_label_set_text (chooser->status, none);
    }
}

static void
search_changed_cb (GtkSearchEntry *search,
                   Chooser        *chooser)
{
  if (chooser->entries != NULL)
    populate (chooser);
}

static void
list_job (GTask        *task,
          gpointer      source,
          gpointer      data,
          GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *entries = ts_server_ca_list_system (NULL, &error);

  if (entries == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entries, (GDestroyNotify) g_ptr_array_unref);
}

static void
listed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) chooser_task = user_data;
  Chooser *chooser = g_task_get_task_data (chooser_task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = g_task_propagate_pointer (G_TASK (result), &error);

  if (chooser->window == NULL)
    return;

  if (entries == NULL)
    {
      g_autofree char *advice = ts_error_advice (error);

      gtk_label_set_text (chooser->status, advice);
      return;
    }
  if (entries->len == 0)
    {
      gtk_label_set_text (chooser->status, _("The system trust store holds no CA certificate "
                                             "valid today. Choose the server CA from a file."));
      return;
    }

  chooser->entries = g_steal_pointer (&entries);
  populate (chooser);
}

void
ts_server_ca_chooser_choose_async (GtkWidget           *parent,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) list_task = NULL;
  Chooser *chooser = g_new0 (Chooser, 1);
  GTask *task = g_task_new (parent, NULL, callback, user_data);
  GtkRoot *root = gtk_widget_get_root (parent);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  GtkEventController *shortcuts = gtk_shortcut_controller_new ();

  g_task_set_task_data (task, chooser, (GDestroyNotify) chooser_free);

  chooser->window = GTK_WINDOW (adw_window_new ());
  gtk_window_set_title (chooser->window, _("Server CA from the System Trust Store"));
  gtk_window_set_modal (chooser->window, TRUE);
  gtk_window_set_default_size (chooser->window, 480, 560);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (chooser->window, GTK_WINDOW (root));

  chooser->search = GTK_SEARCH_ENTRY (gtk_search_entry_new ());
  ts_set_accessible_name (GTK_WIDGET (chooser->search), _("Search by name"));
  gtk_search_entry_set_key_capture_widget (chooser->search, GTK_WIDGET (chooser->window));
  chooser->status = GTK_LABEL (gtk_label_new (_("Reading the system trust store…")));
  gtk_label_set_wrap (chooser->status, TRUE);
  gtk_label_set_selectable (chooser->status, TRUE);
  chooser->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_widget_add_css_class (GTK_WIDGET (chooser->list), "boxed-list");
  gtk_list_box_set_selection_mode (chooser->list, GTK_SELECTION_SINGLE);
  /* What the list says while it is read, when it cannot be, and when nothing matches. */
  gtk_widget_add_css_class (GTK_WIDGET (chooser->status), "dim-label");
  gtk_widget_set_margin_top (GTK_WIDGET (chooser->status), 12);
  gtk_widget_set_margin_bottom (GTK_WIDGET (chooser->status), 12);
  gtk_widget_set_margin_start (GTK_WIDGET (chooser->status), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (chooser->status), 12);
  gtk_list_box_set_placeholder (chooser->list, GTK_WIDGET (chooser->status));
  ts_set_accessible_name (GTK_WIDGET (chooser->list), _("CA certificates"));

  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (chooser->search));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (chooser->list));
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), box);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scrolled, TRUE);
  chooser->choose_button = gtk_button_new_with_mnemonic (_("C_hoose"));
  gtk_widget_add_css_class (chooser->choose_button, "suggested-action");
  gtk_widget_set_sensitive (chooser->choose_button, FALSE);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), chooser->choose_button);
  gtk_box_append (GTK_BOX (content), header);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Escape, 0),
                                                          gtk_named_action_new ("window.close")));
  gtk_widget_add_controller (GTK_WIDGET (chooser->window), shortcuts);
  gtk_box_append (GTK_BOX (content), scrolled);
  adw_window_set_content (ADW_WINDOW (chooser->window), content);

  g_signal_connect (chooser->search, "search-changed", G_CALLBACK (search_changed_cb), chooser);
  g_signal_connect (chooser->list, "row-activated", G_CALLBACK (row_activated_cb), task);
  g_signal_connect (chooser->list, "row-selected", G_CALLBACK (selected_cb), chooser);
  g_signal_connect (chooser->choose_button, "clicked", G_CALLBACK (choose_cb), task);
  g_signal_connect (cancel, "clicked", G_CALLBACK (cancel_cb), task);
  /* The task lives as long as the window: it ends when the window goes. */
  g_signal_connect_data (chooser->window, "close-request", G_CALLBACK (close_request_cb), task,
                         (GClosureNotify) (void (*) (void)) g_object_unref, 0);

  chooser->cancellable = g_cancellable_new ();
  list_task = g_task_new (NULL, chooser->cancellable, listed_cb, g_object_ref (task));
  g_task_run_in_thread (list_task, list_job);

  ts_present_dialog (GTK_WIDGET (chooser->window));
  gtk_widget_grab_focus (GTK_WIDGET (chooser->search));
}

TsServerCaEntry *
ts_server_ca_chooser_choose_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
