/* ts-device-window.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ts-device-monitor.h"

G_BEGIN_DECLS

#define TS_TYPE_DEVICE_WINDOW (ts_device_window_get_type ())

G_DECLARE_FINAL_TYPE (TsDeviceWindow, ts_device_window, TS, DEVICE_WINDOW, AdwWindow)

/* One open device: its identity, its credential store matched against the ledger,
 * and the actions on it, all workspace operations. The window holds the port
 * (a lease of @workspace) while it is open; closing it cancels whatever it was
 * doing and gives the port back. */
TsDeviceWindow *ts_device_window_new (GtkWindow    *parent,
                                      TsWorkspace  *workspace,
                                      TsDeviceItem *device);

G_END_DECLS
