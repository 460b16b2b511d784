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

/* ts_run_in_thread: the work runs off the main thread, its result comes back on it, and
 * the data is freed exactly once, also when the work never ran. */

typedef struct
{
  GThread *main_thread;
  GThread *work_thread;
  int      data_freed;
  gboolean done;
  char    *result;
  GError  *error;
} ThreadCase;

typedef struct
{
  ThreadCase *tc;
  char       *text;
} ThreadData;

static gpointer
upper_work (gpointer       pointer,
            GCancellable  *cancellable,
            GError       **error)
{
  ThreadData *data = pointer;

  data->tc->work_thread = g_thread_self ();
  if (g_str_equal (data->text, "fail"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "refused");
      return NULL;
    }
  return g_ascii_strup (data->text, -1);
}

static void
thread_data_free (gpointer pointer)
{
  ThreadData *data = pointer;

  g_atomic_int_inc (&data->tc->data_freed);
  g_free (data->text);
  g_free (data);
}

static void
thread_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  ThreadCase *tc = user_data;

  g_assert_true (g_thread_self () == tc->main_thread);
  tc->result = ts_run_in_thread_finish (result, &tc->error);
  tc->done = TRUE;
}

static void
run_case (ThreadCase   *tc,
          const char   *input,
          GCancellable *cancellable)
{
  ThreadData *data = g_new0 (ThreadData, 1);

  data->tc = tc;
  data->text = g_strdup (input);
  tc->main_thread = g_thread_self ();
  ts_run_in_thread (NULL, upper_work, data, thread_data_free, g_free,
                    cancellable, thread_done_cb, tc);
  while (!tc->done)
    g_main_context_iteration (NULL, TRUE);
  /* The task, and with it the data, goes once the callback has returned. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
test_run_in_thread (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) cancelled_first = g_cancellable_new ();
  ThreadCase ok = { 0 }, failed = { 0 }, cancelled = { 0 };

  run_case (&ok, "sec_tag", cancellable);
  g_assert_no_error (ok.error);
  g_assert_cmpstr (ok.result, ==, "SEC_TAG");
  g_assert_true (ok.work_thread != NULL && ok.work_thread != ok.main_thread);
  g_assert_cmpint (g_atomic_int_get (&ok.data_freed), ==, 1);
  g_free (ok.result);

  run_case (&failed, "fail", cancellable);
  g_assert_null (failed.result);
  g_assert_error (failed.error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpint (g_atomic_int_get (&failed.data_freed), ==, 1);
  g_clear_error (&failed.error);

  /* Cancelled before it starts: the work never runs and the caller hears "cancelled". */
  g_cancellable_cancel (cancelled_first);
  run_case (&cancelled, "never", cancelled_first);
  g_assert_null (cancelled.result);
  g_assert_null (cancelled.work_thread);
  g_assert_error (cancelled.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_atomic_int_get (&cancelled.data_freed), ==, 1);
  g_clear_error (&cancelled.error);
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
  g_test_add_func ("/gui-util/run-in-thread", test_run_in_thread);
  g_test_add_func ("/gui-util/show-toast", test_show_toast);

  return g_test_run ();
}
