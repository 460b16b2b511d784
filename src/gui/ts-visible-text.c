/* ts-visible-text.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-visible-text"

#include "config.h"

#include "ts-visible-text.h"

/* Whether the label's text is drawn whole: not ellipsized, not larger than the
 * label, and not inside a revealer that is still closed. */
static const char *
describe (GtkWidget *widget)
{
  PangoLayout *layout = gtk_label_get_layout (GTK_LABEL (widget));
  int width;
  int height;

  if (!gtk_widget_get_mapped (widget))
    return "not drawn";

  for (GtkWidget *up = gtk_widget_get_parent (widget); up != NULL; up = gtk_widget_get_parent (up))
    if (GTK_IS_REVEALER (up) && !gtk_revealer_get_child_revealed (GTK_REVEALER (up)))
      return "not drawn";

  pango_layout_get_pixel_size (layout, &width, &height);
  if (pango_layout_is_ellipsized (layout) ||
      width > gtk_widget_get_width (widget) + 1 ||
      height > gtk_widget_get_height (widget) + 1)
    return "drawn cut";

  return "drawn whole";
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  const char *now = describe (widget);

  if (g_strcmp0 (now, g_object_get_data (G_OBJECT (widget), "ts-visible-text")) != 0)
    {
      g_object_set_data (G_OBJECT (widget), "ts-visible-text", (gpointer) now);
      gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, now,
                                      -1);
    }

  return G_SOURCE_CONTINUE;
}

/**
 * ts_visible_text_watch:
 *
 * A test hook. Screen readers get a label's whole text even when only part of
 * it is drawn, so the GUI tests could not tell a cut message from a whole one.
 * When TAGSMITH_TEST_VISIBLE_TEXT is set, the label's accessible description
 * says what is drawn: "drawn whole", "drawn cut" or "not drawn". Otherwise
 * this does nothing.
 */
void
ts_visible_text_watch (GtkLabel *label)
{
  g_return_if_fail (GTK_IS_LABEL (label));

  if (g_getenv ("TAGSMITH_TEST_VISIBLE_TEXT") != NULL)
    gtk_widget_add_tick_callback (GTK_WIDGET (label), tick_cb, NULL, NULL);
}
