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

/* Needs the ledger unlocked (the chain is keyed with the passphrase). Checks the
 * file's integrity (CA_ERROR_DATABASE when damaged), walks the whole chain and
 * replays its events against the tables: every certificate's serial, status,
 * revocation reason and PEM, every CA's certificate and key, each install's
 * state and the passphrase verifier. On a broken link or a mismatch returns
 * FALSE with CA_ERROR_AUDIT_BROKEN, and in @out_first_broken the first bad
 * event (one past the last for a mismatch). @out_checked counts the events
 * that verified. */
gboolean   ca_ledger_verify_audit        (CaLedger             *self,
                                          gint64               *out_checked,
                                          gint64               *out_first_broken,
                                          GError              **error);

/* The newest audit event: its sequence number and hash, as "SEQ:HASH" in text. */
gboolean   ca_ledger_audit_head          (CaLedger             *ledger,
                                          gint64               *seq,
                                          char                **hash,
                                          GError              **error);
char      *ca_audit_head_to_string       (gint64                seq,
                                          const char           *hash);
gboolean   ca_audit_head_parse           (const char           *text,
                                          gint64               *out_seq,
                                          char                **out_hash,
                                          GError              **error);
/* Whether the log still holds event @seq with @hash (a head recorded earlier). */
gboolean   ca_ledger_audit_contains      (CaLedger             *self,
                                          gint64                seq,
                                          const char           *hash,
                                          GError              **error);

/* Appends a "key.evidence" event for @certificate_id: what shows where its key
 * was made. @evidence_json is a JSON object in the caller's own vocabulary,
 * kept verbatim inside the hash chain. */
gboolean   ca_ledger_record_key_evidence (CaLedger             *self,
                                          gint64                certificate_id,
                                          const char           *evidence_json,
                                          GError              **error);

G_END_DECLS
