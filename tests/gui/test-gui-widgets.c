/* test-gui-widgets.c: the window's small widget helpers. They need a display
 * (gtk_init), so they run in the gui suite inside tests/gui/session.sh.
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>

#include "ts-gui-util.h"

static void
test_clear_children (void)
{
  GtkWidget *box = g_object_ref_sink (gtk_box_new (GTK_ORIENTATION_VERTICAL, 0));
  GtkWidget *list = g_object_ref_sink (gtk_list_box_new ());
  GtkWidget *placeholder = gtk_label_new ("Nothing yet");

  for (int i = 0; i < 5; i++)
    {
      gtk_box_append (GTK_BOX (box), gtk_label_new ("row"));
      gtk_list_box_append (GTK_LIST_BOX (list), gtk_label_new ("row"));
    }
  /* A placeholder is a child of the list too, but not a row to remove. */
  gtk_list_box_set_placeholder (GTK_LIST_BOX (list), placeholder);
  g_assert_nonnull (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 4));

  ts_clear_children (box);
  ts_clear_children (list);

  g_assert_null (gtk_widget_get_first_child (box));
  g_assert_null (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0));
  g_assert_true (gtk_widget_get_parent (placeholder) == list);
  g_assert_true (gtk_widget_get_first_child (list) == placeholder);
  g_assert_null (gtk_widget_get_next_sibling (placeholder));

  /* The list takes rows again afterwards, and clearing an empty one is fine. */
  gtk_list_box_append (GTK_LIST_BOX (list), gtk_label_new ("again"));
  g_assert_nonnull (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0));
  ts_clear_children (box);

  g_object_unref (box);
  g_object_unref (list);
}

static void
toast_cb (GSimpleAction *action,
          GVariant      *parameter,
          gpointer       user_data)
{
  GPtrArray *shown = user_data;

  g_ptr_array_add (shown, g_variant_dup_string (parameter, NULL));
}

/* A page inside the window and a widget in a dialog above it both reach the
 * window's "win.show-toast"; cancellation is not shown. */
static void
test_show_toast (void)
{
  g_autoptr(GPtrArray) shown = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();
  g_autoptr(GSimpleAction) action = g_simple_action_new ("show-toast", G_VARIANT_TYPE_STRING);
  g_autoptr(GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No such port.");
  g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled.");
  GtkWidget *window = gtk_window_new ();
  GtkWidget *dialog = gtk_window_new ();
  GtkWidget *page = gtk_label_new ("page");
  GtkWidget *field = gtk_entry_new ();

  g_signal_connect (action, "activate", G_CALLBACK (toast_cb), shown);
  g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (action));
  gtk_widget_insert_action_group (window, "win", G_ACTION_GROUP (group));
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_set_child (GTK_WINDOW (dialog), field);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (window));

  ts_show_toast (page, "Saved “ca.pem”");
  ts_show_error (field, failure);
  ts_show_error (page, cancelled);

  g_assert_cmpuint (shown->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (shown, 0), ==, "Saved “ca.pem”");
  g_assert_cmpstr (g_ptr_array_index (shown, 1), ==, "No such port.");

  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();

  g_test_add_func ("/gui-util/clear-children", test_clear_children);
  g_test_add_func ("/gui-util/show-toast", test_show_toast);

  return g_test_run ();
}
