/* ca-ledger-copy.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#if !defined(CA_INSIDE) && !defined(CA_COMPILATION)
# error "Only <ca.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/* How many rows of one table a copy wrote. */
typedef struct
{
  char   *table;
  gint64  rows;
} CaLedgerCopyCount;

void        ca_ledger_copy_count_free (CaLedgerCopyCount  *count);

/* Copies the ledger at @source (a file or a server URI) into the new or empty
 * ledger at @destination (either kind), row for row in one transaction.
 * Returns (element-type CaLedgerCopyCount) (transfer full): the rows of each table. */
GPtrArray  *ca_ledger_copy            (const char         *source,
                                       const char         *destination,
                                       GError            **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
