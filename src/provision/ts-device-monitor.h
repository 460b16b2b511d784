/* ts-device-monitor.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ts-modem.h"
#include "ts-workspace.h"

G_BEGIN_DECLS

#define TS_TYPE_DEVICE_ITEM (ts_device_item_get_type ())

G_DECLARE_FINAL_TYPE (TsDeviceItem, ts_device_item, TS, DEVICE_ITEM, GObject)

/* One port that is, or may be, an nRF91: what discovery said, and once it has
 * been identified, what the modem said (properties notify as they change).
 * While another part of Tagsmith holds its port, its status says which. */
const TsPortInfo      *ts_device_item_get_port     (TsDeviceItem *self);
const TsModemIdentity *ts_device_item_get_identity (TsDeviceItem *self);
const char            *ts_device_item_get_status   (TsDeviceItem *self);
gboolean               ts_device_item_is_busy      (TsDeviceItem *self);
char                  *ts_device_item_dup_title    (TsDeviceItem *self);

/* What a kit is called where several may be listed: the board (or the modem's
 * model) and the end of its IMEI, "nRF9160 DK · …123456". @identity, when
 * known, wins over what discovery guessed. */
char                  *ts_kit_name                 (const TsPortInfo      *port,
                                                    const TsModemIdentity *identity);

#define TS_TYPE_DEVICE_MONITOR (ts_device_monitor_get_type ())

G_DECLARE_FINAL_TYPE (TsDeviceMonitor, ts_device_monitor, TS, DEVICE_MONITOR, GObject)

/*
 * The workspace's device list: watches for kits and emulators coming and going
 * (discovery every two seconds through the workspace's runner) and identifies
 * each new one once, under a brief lease of its port. It is a GListModel of
 * TsDeviceItem, whose busy state follows the workspace's leases. It also starts
 * virtual devices (tagsmith-emulator) and stops them when it is disposed.
 * GIO only: signals and items change on the main context it was made on.
 */
TsDeviceMonitor *ts_device_monitor_new              (TsWorkspace      *workspace);
void             ts_device_monitor_set_workspace    (TsDeviceMonitor  *self,
                                                     TsWorkspace      *workspace);
void             ts_device_monitor_add_manual       (TsDeviceMonitor  *self,
                                                     const char       *path);
gboolean         ts_device_monitor_start_emulator   (TsDeviceMonitor  *self,
                                                     GError          **error);
void             ts_device_monitor_refresh          (TsDeviceMonitor  *self);
void             ts_device_monitor_stop             (TsDeviceMonitor  *self);

G_END_DECLS
