/* ts-message-bin.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-message-bin"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "ts-message-bin.h"
#include "ts-visible-text.h"

/*
 * A page (or a window) and the messages it raised: short confirmations as
 * toasts over it, and messages with advice in an area at its top that keeps
 * them, wrapped and selectable, until the user dismisses them. ts_show_toast()
 * and ts_show_error() find the bin of the widget that reports.
 */
struct _TsMessageBin
{
  GtkWidget        parent_instance;

  /* Borrowed references: the bin's own widgets */
  AdwToastOverlay *toasts;
  GtkBox          *column;
  GtkRevealer     *revealer;
  GtkBox          *messages;
  GtkWidget       *child;
};

G_DEFINE_FINAL_TYPE (TsMessageBin, ts_message_bin, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CHILD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
dismiss_cb (GtkButton *button,
            GtkWidget *message)
{
  TsMessageBin *self = TS_MESSAGE_BIN (gtk_widget_get_ancestor (message, TS_TYPE_MESSAGE_BIN));

  gtk_box_remove (self->messages, message);
  gtk_revealer_set_reveal_child (self->revealer,
                                 gtk_widget_get_first_child (GTK_WIDGET (self->messages)) != NULL);
}

/* Shows @text whole at the top of the bin until the user dismisses it, as a
 * warning or, when @success, as a confirmation. The same text shown again is
 * not repeated. */
static void
add_message (TsMessageBin *self,
             const char   *text,
             gboolean      success)
{
  GtkWidget *message;
  GtkWidget *icon;
  GtkWidget *label;
  GtkWidget *dismiss;

  for (GtkWidget *shown = gtk_widget_get_first_child (GTK_WIDGET (self->messages));
       shown != NULL;
       shown = gtk_widget_get_next_sibling (shown))
    if (g_strcmp0 (g_object_get_data (G_OBJECT (shown), "ts-text"), text) == 0)
      return;

  /* An alert, so that screen readers read it out as it appears. */
  message = g_object_new (GTK_TYPE_BOX,
                          "accessible-role", GTK_ACCESSIBLE_ROLE_ALERT,
                          "spacing", 12,
                          NULL);
  gtk_widget_add_css_class (message, "ts-banner");
  if (success)
    gtk_widget_add_css_class (message, "success");
  g_object_set_data_full (G_OBJECT (message), "ts-text", g_strdup (text), g_free);

  icon = gtk_image_new_from_icon_name (success ? "emblem-ok-symbolic" : "dialog-warning-symbolic");
  gtk_widget_set_valign (icon, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (message), icon);

  label = gtk_label_new (text);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_NONE);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);
  ts_visible_text_watch (GTK_LABEL (label));
  gtk_box_append (GTK_BOX (message), label);

  dismiss = gtk_button_new_from_icon_name ("window-close-symbolic");
  gtk_widget_set_valign (dismiss, GTK_ALIGN_START);
  gtk_widget_set_tooltip_text (dismiss, _("Dismiss"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (dismiss),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Dismiss"),
                                  -1);
  gtk_widget_add_css_class (dismiss, "flat");
  gtk_widget_add_css_class (dismiss, "circular");
  g_signal_connect (dismiss, "clicked", G_CALLBACK (dismiss_cb), message);
  gtk_box_append (GTK_BOX (message), dismiss);

  /* The newest first, where the eye lands. */
  gtk_box_prepend (self->messages, message);
  gtk_revealer_set_reveal_child (self->revealer, TRUE);
}

/**
 * ts_message_bin_add_message:
 * @text: plain text with advice: what happened and what to do
 *
 * Shows @text as a warning at the top of the bin until the user dismisses it.
 */
void
ts_message_bin_add_message (TsMessageBin *self,
                            const char   *text)
{
  g_return_if_fail (TS_IS_MESSAGE_BIN (self));
  g_return_if_fail (text != NULL);

  add_message (self, text, FALSE);
}

/**
 * ts_message_bin_add_confirmation:
 * @text: plain text that says what succeeded, too long for a toast
 *
 * Shows @text as a success, not a warning, at the top of the bin until the
 * user dismisses it.
 */
void
ts_message_bin_add_confirmation (TsMessageBin *self,
                                 const char   *text)
{
  g_return_if_fail (TS_IS_MESSAGE_BIN (self));
  g_return_if_fail (text != NULL);

  add_message (self, text, TRUE);
}

/**
 * ts_message_bin_add_toast:
 * @text: a short confirmation, plain text
 *
 * Returns: (transfer none): the toast, which the caller may dismiss early
 */
AdwToast *
ts_message_bin_add_toast (TsMessageBin *self,
                          const char   *text)
{
  g_autofree char *escaped = NULL;
  AdwToast *toast;

  g_return_val_if_fail (TS_IS_MESSAGE_BIN (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);

  /* Toast titles are markup in libadwaita 1.2. */
  escaped = g_markup_escape_text (text, -1);
  toast = adw_toast_new (escaped);
  adw_toast_overlay_add_toast (self->toasts, toast);

  return toast;
}

guint
ts_message_bin_get_n_messages (TsMessageBin *self)
{
  guint n = 0;

  g_return_val_if_fail (TS_IS_MESSAGE_BIN (self), 0);

  for (GtkWidget *shown = gtk_widget_get_first_child (GTK_WIDGET (self->messages));
       shown != NULL;
       shown = gtk_widget_get_next_sibling (shown))
    n++;

  return n;
}

GtkWidget *
ts_message_bin_get_child (TsMessageBin *self)
{
  g_return_val_if_fail (TS_IS_MESSAGE_BIN (self), NULL);

  return self->child;
}

void
ts_message_bin_set_child (TsMessageBin *self,
                          GtkWidget    *child)
{
  g_return_if_fail (TS_IS_MESSAGE_BIN (self));
  g_return_if_fail (child == NULL || GTK_IS_WIDGET (child));

  if (self->child == child)
    return;

  if (self->child != NULL)
    gtk_box_remove (self->column, self->child);
  self->child = child;
  if (child != NULL)
    {
      gtk_widget_set_vexpand (child, TRUE);
      gtk_box_append (self->column, child);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHILD]);
}

GtkWidget *
ts_message_bin_new (void)
{
  return g_object_new (TS_TYPE_MESSAGE_BIN, NULL);
}

static void
ts_message_bin_dispose (GObject *object)
{
  TsMessageBin *self = TS_MESSAGE_BIN (object);

  if (self->toasts != NULL)
    gtk_widget_unparent (GTK_WIDGET (self->toasts));
  self->toasts = NULL;
  self->child = NULL;

  G_OBJECT_CLASS (ts_message_bin_parent_class)->dispose (object);
}

static void
ts_message_bin_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TsMessageBin *self = TS_MESSAGE_BIN (object);

  switch (prop_id)
    {
    case PROP_CHILD:
      g_value_set_object (value, self->child);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ts_message_bin_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  TsMessageBin *self = TS_MESSAGE_BIN (object);

  switch (prop_id)
    {
    case PROP_CHILD:
      ts_message_bin_set_child (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ts_message_bin_class_init (TsMessageBinClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ts_message_bin_dispose;
  object_class->get_property = ts_message_bin_get_property;
  object_class->set_property = ts_message_bin_set_property;

  properties[PROP_CHILD] =
    g_param_spec_object ("child", NULL, NULL,
                         GTK_TYPE_WIDGET,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ts_message_bin_init (TsMessageBin *self)
{
  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  gtk_widget_set_parent (GTK_WIDGET (self->toasts), GTK_WIDGET (self));

  self->column = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 0));
  adw_toast_overlay_set_child (self->toasts, GTK_WIDGET (self->column));

  self->messages = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 0));
  self->revealer = GTK_REVEALER (gtk_revealer_new ());
  gtk_revealer_set_transition_type (self->revealer, GTK_REVEALER_TRANSITION_TYPE_SLIDE_DOWN);
  gtk_revealer_set_child (self->revealer, GTK_WIDGET (self->messages));
  gtk_box_append (self->column, GTK_WIDGET (self->revealer));
}
