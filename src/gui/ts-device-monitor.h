/* ts-device-monitor.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ts-modem.h"

G_BEGIN_DECLS

#define TS_TYPE_DEVICE_ITEM (ts_device_item_get_type ())

G_DECLARE_FINAL_TYPE (TsDeviceItem, ts_device_item, TS, DEVICE_ITEM, GObject)

/* One port that is, or may be, an nRF91: what discovery said, and once it has
 * been identified, what the modem said (properties notify as they change). */
const TsPortInfo      *ts_device_item_get_port     (TsDeviceItem *self);
const TsModemIdentity *ts_device_item_get_identity (TsDeviceItem *self);
const char            *ts_device_item_get_status   (TsDeviceItem *self);
char                  *ts_device_item_dup_title    (TsDeviceItem *self);

#define TS_TYPE_DEVICE_MONITOR (ts_device_monitor_get_type ())

G_DECLARE_FINAL_TYPE (TsDeviceMonitor, ts_device_monitor, TS, DEVICE_MONITOR, GObject)

/*
 * Watches for kits and emulators coming and going (discovery every two seconds
 * in a worker thread) and identifies each new one once. It is a GListModel of
 * TsDeviceItem. It also starts virtual devices (tagsmith-emulator) and stops
 * them when it is disposed.
 */
TsDeviceMonitor *ts_device_monitor_new              (void);
void             ts_device_monitor_set_flow_control (TsDeviceMonitor  *self,
                                                     gboolean          rtscts);
TsModemOpenFlags ts_device_monitor_get_open_flags   (TsDeviceMonitor  *self);
void             ts_device_monitor_add_manual       (TsDeviceMonitor  *self,
                                                     const char       *path);
gboolean         ts_device_monitor_start_emulator   (TsDeviceMonitor  *self,
                                                     GError          **error);
void             ts_device_monitor_refresh          (TsDeviceMonitor  *self);
void             ts_device_monitor_stop             (TsDeviceMonitor  *self);

G_END_DECLS
