/* ts-export-dialog.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

/* Asks for a cloud format and a folder, exports the fleet's devices with a
 * valid certificate there, and lists the files written. */
void ts_export_dialog_present (GtkWidget   *parent,
                               TsWorkspace *workspace);

G_END_DECLS
