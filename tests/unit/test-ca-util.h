/* test-ca-util.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <openssl/x509.h>

#include <ca.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)

#define PASS  "correct horse battery"
#define IMEI1 "490154203237518"
#define IMEI2 "352656100123457"

/* A scratch ledger per test: a file in a scratch folder or, when the test's
 * data is a server URI (test_pg_uri()), a schema of its own on that server. */
typedef struct
{
  char     *dir;
  char     *path;      /* the file, or the URI that reaches the schema */
  char     *schema;    /* (nullable) on the server */
  CaLedger *ledger;
} Fixture;

/* TAGSMITH_TEST_PG_URI: a PostgreSQL database the tests may fill (see
 * tests/pg-server.sh), or NULL to test only ledger files. */
const char *test_pg_uri (void);
/* Adds @func as @path on a ledger file and, with a server, as /pg@path on it. */
#define ADD_BOTH(path, func) \
  G_STMT_START { \
    g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down); \
    if (test_pg_uri () != NULL) \
      g_test_add ("/pg" path, Fixture, test_pg_uri (), fixture_set_up, func, fixture_tear_down); \
  } G_STMT_END

void     fixture_set_up    (Fixture       *fixture,
                            gconstpointer  user_data);
void     fixture_tear_down (Fixture       *fixture,
                            gconstpointer  user_data);
CaCsr   *fixture_csr       (const char    *name);
/* Unlocks with PASS and creates Root → Issuing (P-256, pathLen 0). */
void     make_cas          (Fixture       *fixture);
gint64   count_rows        (Fixture       *fixture,
                            const char    *table);
void     run_sql           (Fixture       *fixture,
                            const char    *sql);
/* On a server ledger: the first column of @sql's first row, or NULL. */
char    *server_value      (Fixture       *fixture,
                            const char    *sql);
/* Index entries the server's statistics say were read from @index of this
 * test's schema; they arrive once the reading connection has ended. */
gint64   server_index_reads (Fixture     *fixture,
                             const char  *index);
/* Takes the closed ledger's tables back to what schema version 6 wrote, before
 * the Fleet's sort keys (the version number is the caller's to set). */
void     undo_schema_7     (Fixture       *fixture);
X509    *parse_pem         (const char    *pem);
/* A CSR signed by the EC @key, its point encoded compressed or not. */
CaCsr   *new_csr           (EVP_PKEY      *key,
                            gboolean       compressed);
/* Issues for @imei from @authority on a CSR of a fresh P-256 key. */
CaCertificate *issue_new_key (CaLedger      *ledger,
                              const char    *authority,
                              const char    *imei,
                              GError       **error);
/* The serial of the CA @name's certificate, as its parent's CRL lists it. */
ASN1_INTEGER *authority_serial (Fixture     *fixture,
                                const char  *name);
/* The audit chain of @ledger verifies, and holds events. */
void     assert_audit_verifies (CaLedger  *ledger);
/* A fresh P-256 key and a self-signed certificate for it, both PEM. */
void     make_self_signed  (const char    *cn,
                            char         **cert_pem,
                            char         **key_pem);

G_END_DECLS
