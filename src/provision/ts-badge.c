/* ts-badge.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-badge"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-badge.h"

static const struct
{
  const char *name;
  const char *label;
  const char *style;
} badges[] = {
  [TS_BADGE_VALID]    = { "valid",    N_("Valid"),        "success" },
  [TS_BADGE_EXPIRING] = { "expiring", N_("Expires soon"), "warning" },
  [TS_BADGE_EXPIRED]  = { "expired",  N_("Expired"),      "error" },
  [TS_BADGE_REVOKED]  = { "revoked",  N_("Revoked"),      "error" },
};

/* @not_after is in Unix time, 0 when unknown. */
TsBadge
ts_badge_for_certificate (CaCertStatus status,
                          gint64       not_after)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  TsBadgeKind kind;

  /* A status read a while ago may still say valid for what has ended since. */
  if (status == CA_CERT_STATUS_REVOKED)
    kind = TS_BADGE_REVOKED;
  else if (status == CA_CERT_STATUS_EXPIRED || (not_after != 0 && not_after <= now))
    kind = TS_BADGE_EXPIRED;
  else if (not_after != 0 && not_after - now < (gint64) CA_EXPIRING_DAYS * 24 * 60 * 60)
    kind = TS_BADGE_EXPIRING;
  else
    kind = TS_BADGE_VALID;

  return (TsBadge) { kind, badges[kind].name, _(badges[kind].label), badges[kind].style };
}
