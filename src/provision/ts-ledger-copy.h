/* ts-ledger-copy.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <ca.h>

G_BEGIN_DECLS

/* Moves a whole ledger between two locations, each a file or a server URI;
 * no workspace needs to be open on either. Returns (element-type
 * CaLedgerCopyCount) (transfer full) the rows copied per table. */
GPtrArray *ts_ledger_copy (const char  *source,
                           const char  *destination,
                           GError     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
