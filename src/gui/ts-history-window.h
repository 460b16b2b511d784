/* ts-history-window.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

#define TS_TYPE_HISTORY_WINDOW (ts_history_window_get_type ())

G_DECLARE_FINAL_TYPE (TsHistoryWindow, ts_history_window, TS, HISTORY_WINDOW, AdwWindow)

/* One device's story: its certificates and a timeline of everything recorded for it. */
TsHistoryWindow *ts_history_window_new (TsWorkspace *workspace,
                                        GtkWindow   *parent,
                                        const char  *imei);

G_END_DECLS
