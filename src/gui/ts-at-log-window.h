/* ts-at-log-window.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ts-at-log.h"

G_BEGIN_DECLS

#define TS_TYPE_AT_LOG_WINDOW (ts_at_log_window_get_type ())

G_DECLARE_FINAL_TYPE (TsAtLogWindow, ts_at_log_window, TS, AT_LOG_WINDOW, AdwWindow)

/* The AT traffic of a device window's session, as sent and answered, with credentials
 * elided (see ts-at-log.h); it can be copied whole. */
TsAtLogWindow *ts_at_log_window_new     (GtkWindow     *parent,
                                         TsAtLog       *log,
                                         const char    *kit_name);
/* Shows what was added to the log since. */
void           ts_at_log_window_refresh (TsAtLogWindow *self);

G_END_DECLS
