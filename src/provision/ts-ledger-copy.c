/* ts-ledger-copy.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "ts-ledger-copy.h"

/**
 * ts_ledger_copy:
 *
 * Copies the ledger at @source into the new or empty ledger at @destination
 * (ca_ledger_copy()): history, audit chain, ids and encrypted CA keys as they
 * are, so no passphrase is needed. A workspace open on either keeps working.
 */
GPtrArray *
ts_ledger_copy (const char  *source,
                const char  *destination,
                GError     **error)
{
  return ca_ledger_copy (source, destination, error);
}
