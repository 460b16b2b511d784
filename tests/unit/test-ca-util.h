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

/* A scratch ledger per test. */
typedef struct
{
  char     *dir;
  char     *path;
  CaLedger *ledger;
} Fixture;

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
X509    *parse_pem         (const char    *pem);
/* A CSR signed by the EC @key, its point encoded compressed or not. */
CaCsr   *new_csr           (EVP_PKEY      *key,
                            gboolean       compressed);

G_END_DECLS
