/* ts-devices-page.h
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

#define TS_TYPE_DEVICES_PAGE (ts_devices_page_get_type ())

G_DECLARE_FINAL_TYPE (TsDevicesPage, ts_devices_page, TS, DEVICES_PAGE, AdwBin)

void ts_devices_page_set_workspace (TsDevicesPage *self,
                                   TsWorkspace   *workspace);
void ts_devices_page_set_devices   (TsDevicesPage   *self,
                                    TsDeviceMonitor *devices);

G_END_DECLS
