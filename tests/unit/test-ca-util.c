/* test-ca-util.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "test-ca-util.h"

const char *
test_pg_uri (void)
{
  const char *uri = g_getenv ("TAGSMITH_TEST_PG_URI");

  return uri != NULL && *uri != '\0' ? uri : NULL;
}

/* Runs @sql on the server; returns the first column of the first row, if any. */
static char *
server_exec (const char *uri,
             const char *sql)
{
  PGconn *conn = PQconnectdb (uri);
  PGresult *result;
  char *value = NULL;

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("The test server %s cannot be reached: %s", uri, PQerrorMessage (conn));
  PQclear (PQexec (conn, "SET client_min_messages = warning"));
  result = PQexec (conn, sql);
  if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK)
    g_error ("%s failed on the test server: %s", sql, PQresultErrorMessage (result));
  if (PQresultStatus (result) == PGRES_TUPLES_OK && PQntuples (result) > 0)
    value = g_strdup (PQgetvalue (result, 0, 0));
  PQclear (result);
  PQfinish (conn);

  return value;
}

void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("ca-ledger-XXXXXX", &error);
  g_assert_no_error (error);
  if (user_data != NULL)
    {
      static guint counter;
      g_autofree char *create = NULL;

      fixture->schema = g_strdup_printf ("test_%d_%u", (int) getpid (), counter++);
      create = g_strdup_printf ("DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", fixture->schema,
                                fixture->schema);
      server_exec (user_data, create);
      fixture->path = g_strdup_printf ("%s%coptions=-csearch_path%%3D%s", (const char *) user_data,
                                       strchr (user_data, '?') != NULL ? '&' : '?', fixture->schema);
    }
  else
    fixture->path = g_build_filename (fixture->dir, "fleet.db", NULL);
  fixture->ledger = ca_ledger_open (fixture->path, &error);
  g_assert_no_error (error);
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_clear_object (&fixture->ledger);
  if (fixture->schema != NULL)
    {
      g_autofree char *drop = g_strdup_printf ("DROP SCHEMA %s CASCADE", fixture->schema);

      server_exec (user_data, drop);
      g_free (fixture->schema);
    }
  remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->path);
}

CaCsr *
fixture_csr (const char *name)
{
  g_autofree char *path = g_build_filename (TEST_DATA_DIR, "ca", name, NULL);
  g_autoptr(GError) error = NULL;
  CaCsr *csr = ca_csr_load (path, &error);

  g_assert_no_error (error);

  return csr;
}

/* Unlocks and makes Root → Issuing (P-256 both). */
void
make_cas (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaAuthority) root = NULL;
  g_autoptr(CaAuthority) sub = NULL;

  g_assert_true (ca_ledger_unlock (fixture->ledger, PASS, &error));
  g_assert_no_error (error);
  root = ca_ledger_create_authority (fixture->ledger,
                                     &(CaAuthorityRequest) { "Root", NULL, CA_KEY_EC_P256, 0, -1 }, &error);
  g_assert_no_error (error);
  sub = ca_ledger_create_authority (fixture->ledger,
                                    &(CaAuthorityRequest) { "Issuing", "Root", CA_KEY_EC_P256, 365, 0 }, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sub->parent_name, ==, "Root");
  g_assert_cmpint (sub->path_len, ==, 0);
}

gint64
count_rows (Fixture    *fixture,
            const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 n;

  if (fixture->schema != NULL)
    {
      g_autofree char *value = server_exec (fixture->path, sql);

      return g_ascii_strtoll (value, NULL, 10);
    }

  g_assert_cmpint (sqlite3_open_v2 (fixture->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return n;
}

void
undo_schema_7 (Fixture *fixture)
{
  run_sql (fixture, "DROP INDEX devices_last_seen; DROP INDEX devices_expiry; DROP INDEX devices_status; "
                    "DROP INDEX devices_lot_last_seen; DROP INDEX devices_lot_expiry; DROP INDEX devices_lot_status; "
                    "ALTER TABLE devices DROP COLUMN current_not_after; "
                    "ALTER TABLE devices DROP COLUMN current_status_rank;");
}

void
run_sql (Fixture    *fixture,
         const char *sql)
{
  sqlite3 *db = NULL;

  if (fixture->schema != NULL)
    {
      g_free (server_exec (fixture->path, sql));
      return;
    }

  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

char *
server_value (Fixture    *fixture,
              const char *sql)
{
  g_assert_nonnull (fixture->schema);

  return server_exec (fixture->path, sql);
}

gint64
server_index_reads (Fixture    *fixture,
                    const char *index)
{
  g_autofree char *sql = g_strdup_printf ("SELECT coalesce (sum (idx_tup_read), 0) FROM pg_stat_user_indexes "
                                          "WHERE schemaname = current_schema () AND indexrelname = '%s'", index);
  g_autofree char *value = server_value (fixture, sql);

  return g_ascii_strtoll (value, NULL, 10);
}

X509 *
parse_pem (const char *pem)
{
  BIO *bio = BIO_new_mem_buf (pem, -1);
  X509 *cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);

  BIO_free (bio);
  g_assert_nonnull (cert);

  return cert;
}

CaCsr *
new_csr (EVP_PKEY *key,
         gboolean  compressed)
{
  g_autoptr(GError) error = NULL;
  EVP_PKEY *public_key = EVP_PKEY_dup (key);
  X509_REQ *req = X509_REQ_new ();
  unsigned char *der = NULL;
  int length;
  CaCsr *csr;

  g_assert_true (EVP_PKEY_set_utf8_string_param (public_key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                                 compressed ? OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED
                                                            : OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED));
  g_assert_true (X509_REQ_set_version (req, X509_REQ_VERSION_1));
  g_assert_true (X509_REQ_set_pubkey (req, public_key));
  g_assert_cmpint (X509_REQ_sign (req, key, EVP_sha256 ()), >, 0);
  length = i2d_X509_REQ (req, &der);
  csr = ca_csr_parse (der, length, &error);
  g_assert_no_error (error);

  OPENSSL_free (der);
  X509_REQ_free (req);
  EVP_PKEY_free (public_key);

  return csr;
}

CaCertificate *
issue_new_key (CaLedger    *ledger,
               const char  *authority,
               const char  *imei,
               GError     **error)
{
  EVP_PKEY *key = EVP_EC_gen ("P-256");
  g_autoptr(CaCsr) csr = new_csr (key, FALSE);

  EVP_PKEY_free (key);

  return ca_ledger_issue (ledger, &(CaIssueRequest) { authority, imei }, csr, error);
}

ASN1_INTEGER *
authority_serial (Fixture    *fixture,
                  const char *name)
{
  g_autoptr(CaAuthority) authority = ca_ledger_get_authority (fixture->ledger, name, NULL);
  BIGNUM *bn = NULL;
  ASN1_INTEGER *serial;

  g_assert_nonnull (authority);
  g_assert_cmpint (BN_hex2bn (&bn, authority->serial), >, 0);
  serial = BN_to_ASN1_INTEGER (bn, NULL);
  BN_free (bn);

  return serial;
}

void
assert_audit_verifies (CaLedger *ledger)
{
  g_autoptr(GError) error = NULL;
  gint64 checked = 0;
  gint64 broken = 0;

  g_assert_true (ca_ledger_verify_audit (ledger, &checked, &broken, &error));
  g_assert_no_error (error);
  g_assert_cmpint (checked, >, 0);
}

void
make_self_signed (const char  *cn,
                  char       **cert_pem,
                  char       **key_pem)
{
  EVP_PKEY *key = EVP_EC_gen ("P-256");
  X509 *cert = X509_new ();
  X509_NAME *name = X509_get_subject_name (cert);
  BIO *bio;
  BUF_MEM *mem;

  g_assert_nonnull (key);
  ASN1_INTEGER_set (X509_get_serialNumber (cert), 1);
  X509_gmtime_adj (X509_getm_notBefore (cert), 0);
  X509_gmtime_adj (X509_getm_notAfter (cert), 86400);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const guchar *) cn, -1, -1, 0);
  X509_set_issuer_name (cert, name);
  X509_set_pubkey (cert, key);
  g_assert_cmpint (X509_sign (cert, key, EVP_sha256 ()), >, 0);

  bio = BIO_new (BIO_s_mem ());
  PEM_write_bio_X509 (bio, cert);
  BIO_get_mem_ptr (bio, &mem);
  *cert_pem = g_strndup (mem->data, mem->length);
  BIO_free (bio);
  bio = BIO_new (BIO_s_mem ());
  PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL);
  BIO_get_mem_ptr (bio, &mem);
  *key_pem = g_strndup (mem->data, mem->length);
  BIO_free (bio);
  X509_free (cert);
  EVP_PKEY_free (key);
}
