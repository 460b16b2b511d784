/* ts-traffic-log.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "ts-modem.h"

G_BEGIN_DECLS

/*
 * The AT traffic of a session with a kit, for a person debugging it: each
 * command as sent and the lines it was answered with, timestamped, as Nordic's
 * Cellular Monitor shows it. It holds only what modem observers see, which is
 * elided (ts-at-elide.h): credential bodies, PSKs, key passwords and generated
 * output never reach it, so its text may be shown and copied. Thread-safe: a
 * link's observer adds to it from the worker thread that runs the command.
 */
typedef struct _TsTrafficLog TsTrafficLog;

TsTrafficLog  *ts_traffic_log_new        (guint               max_lines);
TsTrafficLog  *ts_traffic_log_ref        (TsTrafficLog            *log);
void      ts_traffic_log_unref      (TsTrafficLog            *log);

/* Adds @event; returns TRUE when the log had nothing new since the last
 * ts_traffic_log_dup_text(), so whoever shows it knows to schedule one refresh. */
gboolean  ts_traffic_log_add        (TsTrafficLog            *log,
                                const TsModemEvent *event);
/* Forwards to ts_traffic_log_add(): a TsModemObserver whose user data is the log. */
void      ts_traffic_log_observe    (TsModem            *modem,
                                const TsModemEvent *event,
                                gpointer            log);

/* The whole log, one line per line sent or received ("12:03:04.250 → AT+CGSN"). */
char     *ts_traffic_log_dup_text   (TsTrafficLog            *log);
guint     ts_traffic_log_get_n_lines (TsTrafficLog           *log);
void      ts_traffic_log_clear      (TsTrafficLog            *log);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsTrafficLog, ts_traffic_log_unref)

G_END_DECLS
