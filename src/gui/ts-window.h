/* ts-window.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ts-device-monitor.h"
#include "ts-workspace.h"

G_BEGIN_DECLS

#define TS_TYPE_WINDOW (ts_window_get_type ())

G_DECLARE_FINAL_TYPE (TsWindow, ts_window, TS, WINDOW, AdwApplicationWindow)

TsWindow *ts_window_new           (GtkApplication *application,
                                   TsWorkspace    *workspace,
                                   TsDeviceMonitor *devices,
                                   GSettings      *settings);
void      ts_window_set_workspace (TsWindow       *self,
                                   TsWorkspace    *workspace);

G_END_DECLS
