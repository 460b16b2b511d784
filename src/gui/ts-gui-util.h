/* ts-gui-util.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ts-text.h"

G_BEGIN_DECLS

void      ts_save_bytes          (GtkWidget           *parent,
                                  const char          *title,
                                  const char          *suggested_name,
                                  GBytes              *contents);
void      ts_clear_children      (GtkWidget           *box);
void      ts_accessible_fixup    (GtkWidget           *widget);
void      ts_set_accessible_name (GtkWidget           *widget,
                                  const char          *name);
void      ts_present_dialog      (GtkWidget           *dialog);
gboolean  ts_activate_window_action (GtkWidget         *widget,
                                     const char        *name);
AdwToast *ts_show_toast          (GtkWidget           *widget,
                                  const char          *message);
void      ts_show_message        (GtkWidget           *widget,
                                  const char          *message);
void      ts_show_error          (GtkWidget           *widget,
                                  const GError        *error);
void      ts_show_help           (GtkWindow           *window,
                                  const char          *uri);

G_END_DECLS
