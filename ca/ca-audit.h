/* ca-audit.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#if !defined(CA_INSIDE) && !defined(CA_COMPILATION)
# error "Only <ca.h> can be included directly."
#endif

#include "ca-ledger.h"
#include "ca-types.h"

G_BEGIN_DECLS

/* (element-type CaAuditEvent) events after @after_id, oldest first, each with
 * its link verified. @limit 0 means all. */
GPtrArray *ca_ledger_list_audit          (CaLedger             *self,
                                          gint64                after_id,
                                          guint                 limit,
                                          GError              **error);

/* Checks the file's integrity (CA_ERROR_DATABASE when damaged), then walks
 * the whole hash chain. On a broken link returns FALSE with
 * CA_ERROR_AUDIT_BROKEN naming the first bad event, and its id in
 * @out_first_broken. @out_checked counts the events that verified. */
gboolean   ca_ledger_verify_audit        (CaLedger             *self,
                                          gint64               *out_checked,
                                          gint64               *out_first_broken,
                                          GError              **error);
void       ca_ledger_verify_audit_async  (CaLedger             *self,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
gboolean   ca_ledger_verify_audit_finish (CaLedger             *self,
                                          GAsyncResult         *result,
                                          gint64               *out_checked,
                                          gint64               *out_first_broken,
                                          GError              **error);

G_END_DECLS
