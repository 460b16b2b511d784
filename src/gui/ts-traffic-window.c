/* ts-traffic-window.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-traffic-window"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-traffic-window.h"

struct _TsTrafficWindow
{
  AdwWindow        parent_instance;

  /* Owned references */
  TsTrafficLog         *log;

  /* Widgets */
  AdwToastOverlay *toasts;
  GtkTextView     *view;
  AdwStatusPage   *empty;
  GtkStack        *stack;
};

G_DEFINE_FINAL_TYPE (TsTrafficWindow, ts_traffic_window, ADW_TYPE_WINDOW)

static void
copy_cb (GtkButton     *button,
         TsTrafficWindow *self)
{
  /* Only what the log holds, which is elided: no credential reaches the clipboard. */
  g_autofree char *text = ts_traffic_log_dup_text (self->log);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
  adw_toast_overlay_add_toast (self->toasts, adw_toast_new (_("Copied the AT log")));
}

void
ts_traffic_window_refresh (TsTrafficWindow *self)
{
  g_autofree char *text = NULL;
  GtkTextBuffer *buffer;
  GtkTextMark *mark;
  GtkTextIter end;

  g_return_if_fail (TS_IS_TRAFFIC_WINDOW (self));

  text = ts_traffic_log_dup_text (self->log);
  buffer = gtk_text_view_get_buffer (self->view);
  gtk_text_buffer_set_text (buffer, text, -1);
  gtk_stack_set_visible_child (self->stack, text[0] != '\0'
                               ? gtk_widget_get_parent (GTK_WIDGET (self->view))
                               : GTK_WIDGET (self->empty));
  /* The newest lines are what a person debugging a kit looks at. */
  gtk_text_buffer_get_end_iter (buffer, &end);
  mark = gtk_text_buffer_get_mark (buffer, "end");
  if (mark == NULL)
    mark = gtk_text_buffer_create_mark (buffer, "end", &end, FALSE);
  gtk_text_buffer_move_mark (buffer, mark, &end);
  gtk_text_view_scroll_to_mark (self->view, mark, 0, FALSE, 0, 1);
}

static void
ts_traffic_window_dispose (GObject *object)
{
  TsTrafficWindow *self = TS_TRAFFIC_WINDOW (object);

  g_clear_pointer (&self->log, ts_traffic_log_unref);

  G_OBJECT_CLASS (ts_traffic_window_parent_class)->dispose (object);
}

static void
ts_traffic_window_class_init (TsTrafficWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ts_traffic_window_dispose;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
ts_traffic_window_init (TsTrafficWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *copy = gtk_button_new_with_mnemonic (_("_Copy"));
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  gtk_window_set_default_size (GTK_WINDOW (self), 720, 520);
  gtk_widget_set_size_request (GTK_WIDGET (self), 360, 294);

  gtk_widget_set_tooltip_text (copy, _("Copy the Log, Credentials Elided"));
  g_signal_connect (copy, "clicked", G_CALLBACK (copy_cb), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), copy);
  gtk_box_append (GTK_BOX (box), header);

  self->view = GTK_TEXT_VIEW (gtk_text_view_new ());
  gtk_text_view_set_editable (self->view, FALSE);
  gtk_text_view_set_monospace (self->view, TRUE);
  gtk_text_view_set_wrap_mode (self->view, GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_left_margin (self->view, 12);
  gtk_text_view_set_right_margin (self->view, 12);
  gtk_text_view_set_top_margin (self->view, 12);
  gtk_text_view_set_bottom_margin (self->view, 12);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("AT Log"), -1);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->view));

  self->empty = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_title (self->empty, _("Nothing Sent Yet"));
  adw_status_page_set_description (self->empty,
                                   _("Commands the device window sends and the kit's answers appear here."));

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  gtk_stack_add_child (self->stack, GTK_WIDGET (self->empty));
  gtk_stack_add_child (self->stack, scrolled);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->stack));

  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (self->toasts, box);
  adw_window_set_content (ADW_WINDOW (self), GTK_WIDGET (self->toasts));
}

TsTrafficWindow *
ts_traffic_window_new (GtkWindow  *parent,
                      TsTrafficLog    *log,
                      const char *kit_name)
{
  TsTrafficWindow *self;
  g_autofree char *title = NULL;

  g_return_val_if_fail (log != NULL, NULL);

  self = g_object_new (TS_TYPE_TRAFFIC_WINDOW,
                       "transient-for", parent,
                       "application", parent != NULL ? gtk_window_get_application (parent) : NULL,
                       NULL);
  self->log = ts_traffic_log_ref (log);
  title = g_strdup_printf (_("AT Log — %s"), kit_name);
  gtk_window_set_title (GTK_WINDOW (self), title);
  ts_traffic_window_refresh (self);

  return self;
}
