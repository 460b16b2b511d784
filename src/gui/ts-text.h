/* ts-text.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How the window words dates and hashes. GLib only, like ts-credential-text.h
 * and ts-audit-text.h: the unit suite tests them with no display. */
char *ts_format_date     (gint64      unix_time);
char *ts_format_relative (gint64      unix_time);
char *ts_short_hash      (const char *hex);
char *ts_error_advice    (const GError *error);

G_END_DECLS
