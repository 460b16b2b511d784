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

/* The newest event of the chain: its id (0 for an empty log) and hash, so a
 * document can quote the head and the ledger later be shown to contain it. */
gboolean   ca_ledger_audit_head          (CaLedger             *ledger,
                                          gint64               *seq,
                                          char                **hash,
                                          GError              **error);

/* Appends a "key.evidence" event for @certificate_id: what shows where its key
 * was made. @evidence_json is a JSON object in the caller's own vocabulary,
 * kept verbatim inside the hash chain. */
gboolean   ca_ledger_record_key_evidence (CaLedger             *self,
                                          gint64                certificate_id,
                                          const char           *evidence_json,
                                          GError              **error);

G_END_DECLS
