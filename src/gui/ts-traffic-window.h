/* ts-traffic-window.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ts-traffic-log.h"

G_BEGIN_DECLS

#define TS_TYPE_TRAFFIC_WINDOW (ts_traffic_window_get_type ())

G_DECLARE_FINAL_TYPE (TsTrafficWindow, ts_traffic_window, TS, TRAFFIC_WINDOW, AdwWindow)

/* The AT traffic of a device window's session, as sent and answered, with credentials
 * elided (see ts-traffic-log.h); it can be copied whole. */
TsTrafficWindow *ts_traffic_window_new     (GtkWindow     *parent,
                                         TsTrafficLog       *log,
                                         const char    *kit_name);
/* Shows what was added to the log since. */
void           ts_traffic_window_refresh (TsTrafficWindow *self);

G_END_DECLS
