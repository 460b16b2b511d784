/* ca-ledger.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#if !defined(CA_INSIDE) && !defined(CA_COMPILATION)
# error "Only <ca.h> can be included directly."
#endif

#include <gio/gio.h>

G_BEGIN_DECLS

#define CA_TYPE_LEDGER (ca_ledger_get_type ())

G_DECLARE_FINAL_TYPE (CaLedger, ca_ledger, CA, LEDGER, GObject)

/* The schema version this build writes; a ledger with a larger one is refused. */
#define CA_LEDGER_SCHEMA_VERSION 7

/* A fleet ledger: one SQLite file, or a database on a PostgreSQL server named by
 * a postgresql:// (or postgres://) URI. A CaLedger may be used from several
 * threads; calls are serialised inside. Every call that changes the ledger
 * appends an audit event in the same transaction. */
gboolean    ca_ledger_location_is_server (const char        *location);
CaLedger   *ca_ledger_open            (const char           *path,
                                       GError              **error) G_GNUC_WARN_UNUSED_RESULT;
CaLedger   *ca_ledger_open_read_only  (const char           *path,
                                       GError              **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean    ca_ledger_was_created     (CaLedger             *self);
const char *ca_ledger_get_path        (CaLedger             *self);

/* All authorities of one ledger share one workspace passphrase. The first unlock of
 * a ledger sets it; later ones check it against the stored verifier before
 * anything changes. The decrypted keys stay in memory until ca_ledger_lock().
 * A new passphrase has at least CA_PASSPHRASE_MIN_LENGTH bytes: it protects
 * every CA key of the ledger. */
#define CA_PASSPHRASE_MIN_LENGTH 8

gboolean    ca_ledger_has_passphrase  (CaLedger             *self);
gboolean    ca_ledger_unlock          (CaLedger             *self,
                                       const char           *passphrase,
                                       GError              **error);
gboolean    ca_ledger_is_unlocked     (CaLedger             *self);
void        ca_ledger_lock            (CaLedger             *self);

/* Runs @work inside one write transaction, holding the ledger for its length:
 * what the ca_ledger_* calls it makes would each commit on their own commits
 * once, together at its end, or none of it does. @work does no slow input or
 * output: every other thread's call waits for it. Not nested. */
typedef gboolean (*CaLedgerWork) (CaLedger  *ledger,
                                  gpointer   data,
                                  GError   **error);
gboolean    ca_ledger_run_in_transaction (CaLedger      *self,
                                          CaLedgerWork   work,
                                          gpointer       data,
                                          GError       **error);

/* The statements this ledger has sent to its database since it was opened: on
 * a server, each is one round trip. For measuring what an operation costs. */
guint64     ca_ledger_statement_count (CaLedger             *self);

/* Copies the whole ledger to @destination with SQLite's online backup. */
gboolean    ca_ledger_backup          (CaLedger             *self,
                                       const char           *destination,
                                       GError              **error);

G_END_DECLS
