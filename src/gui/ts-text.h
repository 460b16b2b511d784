/* ts-text.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <ca.h>
#include <glib.h>

G_BEGIN_DECLS

/* How the window words dates and hashes. GLib only, like ts-credential-text.h
 * and ts-audit-text.h: the unit suite tests them with no display. */
char *ts_format_date     (gint64      unix_time);
char *ts_format_relative (gint64      unix_time);
char *ts_short_hash      (const char *hex);
char *ts_format_path     (const char *path);
char *ts_error_advice    (const GError *error);
char *ts_message_advice  (const char   *message);

const char *ts_revoke_reason_label (CaRevokeReason reason);

/* A reason of RFC 5280 a person may give for revoking a device certificate or
 * a station, explained in plain words; ts_revoke_reason_label() names it. */
typedef struct
{
  CaRevokeReason  reason;
  const char     *explanation;  /* one line, translated by the caller with _() */
} TsRevokeReasonText;

/* The reasons offered for a device certificate, in the order offered. */
const TsRevokeReasonText *ts_revoke_reasons         (guint *out_n);
/* The reasons offered for a station's CA, in the order offered. */
const TsRevokeReasonText *ts_station_revoke_reasons (guint *out_n);

G_END_DECLS
