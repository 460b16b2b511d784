/* ts-first-start.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

void ts_first_start_watch (GtkWidget   *window,
                           TsWorkspace *workspace);

G_END_DECLS
