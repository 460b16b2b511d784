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
#include "ts-message-bin.h"

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

/* The label of the @index-th message on show in @bin, newest first. */
static GtkLabel *
message_label (TsMessageBin *bin,
               guint         index)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  GPtrArray *pending = g_ptr_array_new ();

  /* Walk the bin's widgets for the labels of its messages, which sit in boxes
   * beside their Dismiss buttons. */
  g_ptr_array_add (pending, bin);
  while (pending->len > 0)
    {
      GtkWidget *widget = g_ptr_array_steal_index (pending, 0);

      if (GTK_IS_LABEL (widget) && gtk_label_get_selectable (GTK_LABEL (widget)))
        g_ptr_array_add (labels, widget);
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        if (child != ts_message_bin_get_child (bin))
          g_ptr_array_add (pending, child);
    }
  g_ptr_array_unref (pending);

  g_assert_cmpuint (index, <, labels->len);
  return g_ptr_array_index (labels, index);
}

/* The @index-th message in @bin is styled as @kind ("success" or "warning")
 * and shows @icon_name beside its text. */
static void
assert_looks_like (TsMessageBin *bin,
                   guint         index,
                   const char   *kind,
                   const char   *icon_name)
{
  GtkWidget *label = GTK_WIDGET (message_label (bin, index));
  GtkWidget *message = gtk_widget_get_parent (label);
  GtkWidget *icon = gtk_widget_get_prev_sibling (label);

  g_assert_cmpint (gtk_widget_has_css_class (message, "success"), ==, g_str_equal (kind, "success"));
  g_assert_true (GTK_IS_IMAGE (icon));
  g_assert_cmpstr (gtk_image_get_icon_name (GTK_IMAGE (icon)), ==, icon_name);
}

/* A page inside a message bin shows what it reports there, and a widget in a
 * dialog above the window in the window's bin; cancellation is not shown. */
static void
test_show_message (void)
{
  g_autoptr(GError) failure = NULL;
  g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled.");
  const char *advice = "The modem refused the write because its credential store is full "
                       "(+CME ERROR: 515). Delete credentials you no longer need, then try again.";
  GtkWidget *window = gtk_window_new ();
  GtkWidget *dialog = gtk_window_new ();
  GtkWidget *bin = ts_message_bin_new ();
  GtkWidget *page = gtk_label_new ("page");
  GtkWidget *field = gtk_entry_new ();
  GtkLabel *label;
  GtkWidget *dismiss;

  failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, advice);
  ts_message_bin_set_child (TS_MESSAGE_BIN (bin), page);
  gtk_window_set_child (GTK_WINDOW (window), bin);
  gtk_window_set_child (GTK_WINDOW (dialog), field);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (window));

  /* A short confirmation is a toast; cancellation is nothing. */
  ts_show_toast (page, "Saved “ca.pem”");
  ts_show_error (page, cancelled);
  g_assert_cmpuint (ts_message_bin_get_n_messages (TS_MESSAGE_BIN (bin)), ==, 0);

  /* An error from the dialog stays in the window's bin, whole and wrapped. */
  ts_show_error (field, failure);
  g_assert_cmpuint (ts_message_bin_get_n_messages (TS_MESSAGE_BIN (bin)), ==, 1);
  label = message_label (TS_MESSAGE_BIN (bin), 0);
  g_assert_cmpstr (gtk_label_get_text (label), ==, advice);
  g_assert_true (gtk_label_get_wrap (label));
  g_assert_cmpint (gtk_label_get_ellipsize (label), ==, PANGO_ELLIPSIZE_NONE);

  /* Shown once however often it is reported. */
  ts_show_error (page, failure);
  g_assert_cmpuint (ts_message_bin_get_n_messages (TS_MESSAGE_BIN (bin)), ==, 1);

  /* A confirmation too long for a toast is a message, so it is never cut, and
   * it looks like the success it is, unlike the warning below it. */
  ts_show_toast (page, "Provisioned: the certificate and key were written and read back, "
                       "and the modem is back online.");
  g_assert_cmpuint (ts_message_bin_get_n_messages (TS_MESSAGE_BIN (bin)), ==, 2);
  assert_looks_like (TS_MESSAGE_BIN (bin), 0, "success", "emblem-ok-symbolic");
  assert_looks_like (TS_MESSAGE_BIN (bin), 1, "warning", "dialog-warning-symbolic");

  /* Dismissing takes the message away. */
  dismiss = gtk_widget_get_next_sibling (GTK_WIDGET (message_label (TS_MESSAGE_BIN (bin), 0)));
  g_assert_true (GTK_IS_BUTTON (dismiss));
  g_signal_emit_by_name (dismiss, "clicked");
  g_assert_cmpuint (ts_message_bin_get_n_messages (TS_MESSAGE_BIN (bin)), ==, 1);
  g_assert_cmpstr (gtk_label_get_text (message_label (TS_MESSAGE_BIN (bin), 0)), ==, advice);

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
  g_test_add_func ("/gui-util/show-message", test_show_message);

  return g_test_run ();
}
