/* ts-audit-text.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ca.h"

G_BEGIN_DECLS

/* An audit event in words, for the Activity page, a device's timeline and the
 * text of `audit list` and `fleet show`: @title says what happened ("Certificate issued"), @subtitle the particulars
 * ("Serial 1A2B by Line 1 CA"), @icon_name a symbolic icon for it. */
void ts_audit_event_describe (const CaAuditEvent  *event,
                              char               **title,
                              char               **subtitle,
                              const char         **icon_name);

G_END_DECLS
