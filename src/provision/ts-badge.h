/* ts-badge.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ca.h"

G_BEGIN_DECLS

/**
 * TsBadgeKind:
 * @TS_BADGE_VALID: valid for more than %CA_EXPIRING_DAYS days.
 * @TS_BADGE_EXPIRING: valid, but ends within %CA_EXPIRING_DAYS days.
 * @TS_BADGE_EXPIRED: past its notAfter, whatever the ledger's status says.
 * @TS_BADGE_REVOKED: revoked.
 */
typedef enum
{
  TS_BADGE_VALID,
  TS_BADGE_EXPIRING,
  TS_BADGE_EXPIRED,
  TS_BADGE_REVOKED,
} TsBadgeKind;

/*
 * A certificate's or authority's state as every front end shows it: the
 * window's badges and the command line's status column.
 */
typedef struct
{
  TsBadgeKind  kind;
  const char  *name;    /* for the command line and scripts: "valid", "expiring", "expired", "revoked" */
  const char  *label;   /* translated, for the window: "Valid", "Expires soon", … */
  const char  *style;   /* the badge's style class: "success", "warning" or "error" */
} TsBadge;

TsBadge ts_badge_for_certificate (CaCertStatus  status,
                                  gint64        not_after);

G_END_DECLS
