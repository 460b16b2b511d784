/* test-ca-ledger.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ca.h>

#include "test-ca-util.h"

#define IMEI3 "350000000000014"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free)


/* The first column of the first row @sql returns in the database at @path. */
static char *
query_text (const char *path,
            const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *text;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return text;
}

static void
test_open_pragmas (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *mode = query_text (fixture->path, "PRAGMA journal_mode");
  g_autofree char *version = query_text (fixture->path, "PRAGMA user_version");

  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpint (atoi (version), ==, CA_LEDGER_SCHEMA_VERSION);
  g_assert_cmpint (g_file_test (fixture->path, G_FILE_TEST_EXISTS), ==, TRUE);
}

static void
test_open_refuses_future (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) again = NULL;

  g_clear_object (&fixture->ledger);
  run_sql (fixture, "PRAGMA user_version = 99");

  again = ca_ledger_open (fixture->path, &error);
  g_assert_null (again);
  g_assert_error (error, CA_ERROR, CA_ERROR_SCHEMA_TOO_NEW);
  g_assert_nonnull (strstr (error->message, "newer Tagsmith"));
}

static void
test_open_refuses_garbage (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autofree char *junk = g_build_filename (fixture->dir, "junk.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) ledger = NULL;

  g_assert_true (g_file_set_contents (junk, "this is not a database, just some text that goes on", -1, NULL));
  ledger = ca_ledger_open (junk, &error);
  g_assert_null (ledger);
  g_assert_error (error, CA_ERROR, CA_ERROR_DATABASE);
}

/* A damaged page (valid header) still opens, so its devices stay readable for a
 * rescue, but verifying the ledger says it is damaged. */
static void
test_verify_finds_damage (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *root = query_text (fixture->path, "SELECT rootpage FROM sqlite_schema WHERE name = 'devices'");
  g_autofree char *page_size = query_text (fixture->path, "PRAGMA page_size");
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) damaged = NULL;
  guchar junk[64];
  FILE *file;

  g_clear_object (&fixture->ledger);
  memset (junk, 0xA5, sizeof junk);
  file = fopen (fixture->path, "r+b");
  g_assert_nonnull (file);
  g_assert_cmpint (fseek (file, (atol (root) - 1) * atol (page_size), SEEK_SET), ==, 0);
  g_assert_cmpuint (fwrite (junk, 1, sizeof junk, file), ==, sizeof junk);
  fclose (file);

  damaged = ca_ledger_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_true (ca_ledger_unlock (damaged, PASS, &error));
  g_assert_false (ca_ledger_verify_audit (damaged, NULL, NULL, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_DATABASE);
  g_assert_nonnull (strstr (error->message, "Restore it from a backup"));
}

static void
test_passphrase (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) other = NULL;
  gint64 events;

  g_assert_false (ca_ledger_has_passphrase (fixture->ledger));
  g_assert_false (ca_ledger_unlock (fixture->ledger, "short", &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_WEAK_PASSPHRASE);
  g_clear_error (&error);

  make_cas (fixture);
  g_assert_true (ca_ledger_has_passphrase (fixture->ledger));
  events = count_rows (fixture, "audit_log");

  other = ca_ledger_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_false (ca_ledger_unlock (other, "wrong passphrase", &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_BAD_PASSPHRASE);
  g_assert_false (ca_ledger_is_unlocked (other));
  g_assert_cmpint (count_rows (fixture, "audit_log"), ==, events);
  g_clear_error (&error);

  g_assert_true (ca_ledger_unlock (other, PASS, &error));
  g_assert_no_error (error);
  ca_ledger_lock (other);
  g_assert_false (ca_ledger_is_unlocked (other));
}

static void
test_key_at_rest (Fixture       *fixture,
                  gconstpointer  user_data)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  make_cas (fixture);

  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT key_pkcs8 FROM authorities", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *pem = (const char *) sqlite3_column_text (stmt, 0);
      BIO *bio = BIO_new_mem_buf (pem, -1);
      X509_SIG *sealed = PEM_read_bio_PKCS8 (bio, NULL, NULL, NULL);
      const X509_ALGOR *algorithm = NULL;
      const ASN1_OBJECT *oid = NULL;
      EVP_PKEY *key;

      g_assert_true (g_str_has_prefix (pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
      g_assert_nonnull (sealed);
      X509_SIG_get0 (sealed, &algorithm, NULL);
      X509_ALGOR_get0 (&oid, NULL, NULL, algorithm);
      g_assert_cmpint (OBJ_obj2nid (oid), ==, NID_pbes2);
      X509_SIG_free (sealed);
      BIO_free (bio);

      /* Stock OpenSSL decrypts it with the passphrase, and only with it. */
      bio = BIO_new_mem_buf (pem, -1);
      key = PEM_read_bio_PrivateKey (bio, NULL, NULL, (void *) "wrong passphrase");
      g_assert_null (key);
      BIO_free (bio);
      bio = BIO_new_mem_buf (pem, -1);
      key = PEM_read_bio_PrivateKey (bio, NULL, NULL, (void *) PASS);
      g_assert_nonnull (key);
      EVP_PKEY_free (key);
      BIO_free (bio);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static void
test_authorities (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(CaAuthority) dup = NULL;
  g_autoptr(CaAuthority) deep = NULL;
  g_autofree char *chain = NULL;
  g_autoptr(X509) root = NULL;
  g_autoptr(X509) sub = NULL;
  BASIC_CONSTRAINTS *bc;

  make_cas (fixture);

  list = ca_ledger_list_authorities (fixture->ledger, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((CaAuthority *) list->pdata[0])->name, ==, "Root");
  g_assert_cmpstr (((CaAuthority *) list->pdata[1])->parent_name, ==, "Root");

  dup = ca_ledger_create_authority (fixture->ledger,
                                    &(CaAuthorityRequest) { "Root", NULL, CA_KEY_EC_P256, 0, -1 }, &error);
  g_assert_null (dup);
  g_assert_error (error, CA_ERROR, CA_ERROR_EXISTS);
  g_clear_error (&error);

  /* Issuing has pathLen 0: it cannot sign another CA. */
  deep = ca_ledger_create_authority (fixture->ledger,
                                     &(CaAuthorityRequest) { "Deep", "Issuing", CA_KEY_EC_P256, 0, -1 }, &error);
  g_assert_null (deep);
  g_assert_error (error, CA_ERROR, CA_ERROR_POLICY);
  g_clear_error (&error);

  chain = ca_ledger_export_authority (fixture->ledger, "Issuing", TRUE, &error);
  g_assert_no_error (error);
  sub = parse_pem (chain);
  root = parse_pem (strstr (chain + 10, "-----BEGIN"));
  g_assert_cmpint (X509_verify (sub, X509_get0_pubkey (root)), ==, 1);
  g_assert_cmpint (X509_check_issued (root, sub), ==, X509_V_OK);
  g_assert_cmpint (ASN1_TIME_compare (X509_get0_notAfter (sub), X509_get0_notAfter (root)), <=, 0);

  bc = X509_get_ext_d2i (sub, NID_basic_constraints, NULL, NULL);
  g_assert_nonnull (bc);
  g_assert_true (bc->ca);
  g_assert_cmpint (ASN1_INTEGER_get (bc->pathlen), ==, 0);
  BASIC_CONSTRAINTS_free (bc);
  g_assert_cmpint (X509_get_key_usage (sub), ==, KU_KEY_CERT_SIGN | KU_CRL_SIGN);
  g_assert_nonnull (X509_get0_authority_key_id (sub));
  g_assert_null (X509_get0_authority_key_id (root));
}

/* RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
static void
test_validity_encoding (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaAuthority) root = NULL;
  g_autoptr(X509) cert = NULL;

  g_assert_true (ca_ledger_unlock (fixture->ledger, PASS, &error));
  root = ca_ledger_create_authority (fixture->ledger,
                                     &(CaAuthorityRequest) { "Long", NULL, CA_KEY_EC_P256, 36500, -1 }, &error);
  g_assert_no_error (error);
  cert = parse_pem (root->cert_pem);
  g_assert_cmpint (ASN1_STRING_type (X509_get0_notBefore (cert)), ==, V_ASN1_UTCTIME);
  g_assert_cmpint (ASN1_STRING_type (X509_get0_notAfter (cert)), ==, V_ASN1_GENERALIZEDTIME);
}

static void
test_issue_profile_and_extensions (Fixture       *fixture,
                                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) csr = fixture_csr ("keygen.txt");
  g_autoptr(CaCertificate) cert = NULL;
  g_autoptr(X509) x509 = NULL;
  g_autoptr(X509) issuer = NULL;
  g_autofree char *issuer_pem = NULL;
  ASN1_INTEGER *serial;
  BIGNUM *bn;

  make_cas (fixture);
  cert = ca_ledger_issue (fixture->ledger,
                          &(CaIssueRequest) { "Issuing", IMEI1, "lwm2m", NULL, 30, FALSE }, csr, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cert->subject, ==, "CN=urn:imei:" IMEI1);
  g_assert_cmpstr (cert->imei, ==, IMEI1);
  g_assert_cmpint (cert->status, ==, CA_CERT_STATUS_VALID);
  g_assert_cmpint (strlen (cert->sha256_lf), ==, 64);

  x509 = parse_pem (cert->pem);
  issuer_pem = ca_ledger_export_authority (fixture->ledger, "Issuing", FALSE, NULL);
  issuer = parse_pem (issuer_pem);
  g_assert_cmpint (X509_verify (x509, X509_get0_pubkey (issuer)), ==, 1);

  /* Serial: positive, 16 octets, ≥ 64 random bits. */
  serial = (ASN1_INTEGER *) X509_get0_serialNumber (x509);
  bn = ASN1_INTEGER_to_BN (serial, NULL);
  g_assert_false (BN_is_negative (bn));
  g_assert_cmpint (BN_num_bytes (bn), ==, 16);
  BN_free (bn);

  g_assert_cmpint (X509_get_extension_flags (x509) & EXFLAG_CA, ==, 0);
  g_assert_cmpint (X509_get_key_usage (x509), ==, KU_DIGITAL_SIGNATURE);
  g_assert_cmpint (X509_get_extended_key_usage (x509), ==, XKU_SSL_CLIENT);
  g_assert_nonnull (X509_get0_subject_key_id (x509));
  g_assert_nonnull (X509_get0_authority_key_id (x509));
  g_assert_cmpint (X509_get_ext_by_NID (x509, NID_basic_constraints, -1), >=, 0);
  g_assert_true (X509_EXTENSION_get_critical (X509_get_ext (x509, X509_get_ext_by_NID (x509, NID_basic_constraints, -1))));
  g_assert_true (X509_EXTENSION_get_critical (X509_get_ext (x509, X509_get_ext_by_NID (x509, NID_key_usage, -1))));
  /* The CSR's own KeyUsage request is not copied: only our five extensions. */
  g_assert_cmpint (X509_get_ext_count (x509), ==, 5);
}

static void
test_issue_caps_validity (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) csr = fixture_csr ("p256.csr.pem");
  g_autoptr(CaCertificate) cert = NULL;
  g_autoptr(CaAuthority) issuing = NULL;

  make_cas (fixture);
  issuing = ca_ledger_get_authority (fixture->ledger, "Issuing", &error);
  cert = ca_ledger_issue (fixture->ledger,
                          &(CaIssueRequest) { "Issuing", IMEI1, NULL, NULL, 20000, FALSE }, csr, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cert->not_after, ==, issuing->not_after);
}

static void
test_issue_policy (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) p256 = fixture_csr ("p256.csr.pem");
  g_autoptr(CaCsr) rsa = fixture_csr ("rsa2048.csr.pem");
  g_autoptr(CaCertificate) first = NULL;
  CaCertificate *cert;
  gint64 before;

  make_cas (fixture);
  first = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, p256, &error);
  g_assert_no_error (error);
  before = count_rows (fixture, "certificates");

  /* The same key for another IMEI. */
  cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI2 }, p256, &error);
  g_assert_null (cert);
  g_assert_error (error, CA_ERROR, CA_ERROR_POLICY);
  g_assert_nonnull (strstr (error->message, IMEI1));
  g_clear_error (&error);

  /* RSA only where the profile allows it. */
  cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI2, "lwm2m" }, rsa, &error);
  g_assert_null (cert);
  g_assert_error (error, CA_ERROR, CA_ERROR_POLICY);
  g_clear_error (&error);

  cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", "490154203237519" }, rsa, &error);
  g_assert_null (cert);
  g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_IMEI);
  g_clear_error (&error);

  cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Nope", IMEI2 }, rsa, &error);
  g_assert_null (cert);
  g_assert_error (error, CA_ERROR, CA_ERROR_NOT_FOUND);
  g_clear_error (&error);

  cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI2, "bogus" }, rsa, &error);
  g_assert_null (cert);
  g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_cmpint (count_rows (fixture, "certificates"), ==, before);

  cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI2, "generic" }, rsa, &error);
  g_assert_no_error (error);
  ca_certificate_free (cert);
}

static void
test_issue_locked (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) csr = fixture_csr ("p256.csr.pem");
  g_autoptr(CaCertificate) cert = NULL;

  make_cas (fixture);
  ca_ledger_lock (fixture->ledger);
  cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, csr, &error);
  g_assert_null (cert);
  g_assert_error (error, CA_ERROR, CA_ERROR_LOCKED);
}

static void
test_supersede_and_revoke (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) a = fixture_csr ("p256.csr.pem");
  g_autoptr(CaCsr) b = fixture_csr ("p256b.csr.pem");
  g_autoptr(CaCertificate) first = NULL;
  g_autoptr(CaCertificate) second = NULL;
  g_autoptr(CaCertificate) third = NULL;
  g_autoptr(CaCertificate) reread = NULL;
  g_autoptr(GPtrArray) revoked = NULL;
  g_autoptr(GPtrArray) again = NULL;

  make_cas (fixture);
  first = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, a, &error);
  g_assert_no_error (error);
  second = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, b, &error);
  g_assert_no_error (error);
  g_assert_cmpint (second->supersedes_id, ==, first->id);

  reread = ca_ledger_get_certificate (fixture->ledger, first->id, &error);
  g_assert_cmpint (reread->status, ==, CA_CERT_STATUS_VALID);
  g_assert_cmpint (reread->superseded_by_id, ==, second->id);
  g_clear_pointer (&reread, ca_certificate_free);

  /* The same key may be re-certified for the same IMEI; --revoke-previous
   * revokes both earlier ones as superseded in the same transaction. */
  third = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1, .revoke_previous = TRUE }, a,
                           &error);
  g_assert_no_error (error);
  g_assert_cmpint (third->supersedes_id, ==, second->id);
  reread = ca_ledger_get_certificate (fixture->ledger, second->id, &error);
  g_assert_cmpint (reread->status, ==, CA_CERT_STATUS_REVOKED);
  g_assert_cmpint (reread->revoke_reason, ==, CA_REVOKE_SUPERSEDED);

  revoked = ca_ledger_revoke (fixture->ledger,
                              &(CaRevokeRequest) { "Issuing", .serial = third->serial, .sec_tag = -1,
                                                   .reason = CA_REVOKE_KEY_COMPROMISE }, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (revoked->len, ==, 1);

  again = ca_ledger_revoke (fixture->ledger,
                            &(CaRevokeRequest) { "Issuing", .imei = IMEI1, .sec_tag = -1,
                                                 .reason = CA_REVOKE_KEY_COMPROMISE }, &error);
  g_assert_null (again);
  g_assert_error (error, CA_ERROR, CA_ERROR_ALREADY_REVOKED);
}

/* A listing counts each authority's certificates and devices, a re-key once
 * as a device; one authority looked up (to sign, issue or provision with)
 * comes without counts, which read every certificate. */
static void
test_authority_counts (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) a = fixture_csr ("p256.csr.pem");
  g_autoptr(CaCsr) b = fixture_csr ("p256b.csr.pem");
  g_autoptr(CaCsr) c = fixture_csr ("p256-even.csr.pem");
  g_autoptr(CaCertificate) first = NULL;
  g_autoptr(CaCertificate) rekeyed = NULL;
  g_autoptr(CaCertificate) other = NULL;
  g_autoptr(GPtrArray) authorities = NULL;
  g_autoptr(CaAuthority) issuing = NULL;
  const CaAuthority *root;
  const CaAuthority *listed;

  make_cas (fixture);
  first = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, a, &error);
  g_assert_no_error (error);
  rekeyed = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, b, &error);
  g_assert_no_error (error);
  other = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI2 }, c, &error);
  g_assert_no_error (error);

  authorities = ca_ledger_list_authorities (fixture->ledger, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (authorities->len, ==, 2);
  root = authorities->pdata[0];
  listed = authorities->pdata[1];
  g_assert_cmpstr (root->name, ==, "Root");
  g_assert_cmpint (root->issued_count, ==, 0);
  g_assert_cmpint (root->device_count, ==, 0);
  g_assert_cmpstr (listed->name, ==, "Issuing");
  g_assert_cmpint (listed->issued_count, ==, 3);
  g_assert_cmpint (listed->device_count, ==, 2);

  issuing = ca_ledger_get_authority (fixture->ledger, "Issuing", &error);
  g_assert_no_error (error);
  g_assert_cmpint (issuing->id, ==, listed->id);
  g_assert_cmpint (issuing->issued_count, ==, 0);
  g_assert_cmpint (issuing->device_count, ==, 0);
}

static void
test_crl (Fixture       *fixture,
          gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) a = fixture_csr ("p256.csr.pem");
  g_autoptr(CaCsr) b = fixture_csr ("p384.csr.pem");
  g_autoptr(CaCertificate) keep = NULL;
  g_autoptr(CaCertificate) drop = NULL;
  g_autoptr(GPtrArray) revoked = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autofree char *issuer_pem = NULL;
  g_autoptr(X509) issuer = NULL;
  const guint8 *der;
  gsize length;
  X509_CRL *crl;
  ASN1_INTEGER *number;
  X509_REVOKED *entry = NULL;
  ASN1_INTEGER *serial;
  BIGNUM *bn = NULL;

  make_cas (fixture);
  keep = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, a, &error);
  drop = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI2 }, b, &error);
  g_assert_no_error (error);

  first = ca_ledger_generate_crl (fixture->ledger, "Issuing", 7, TRUE, &error);
  g_assert_no_error (error);

  revoked = ca_ledger_revoke (fixture->ledger,
                              &(CaRevokeRequest) { "Issuing", .imei = IMEI2, .sec_tag = -1,
                                                   .reason = CA_REVOKE_CESSATION_OF_OPERATION,
                                                   .invalidity_date = 1700000000 }, &error);
  g_assert_no_error (error);
  second = ca_ledger_generate_crl (fixture->ledger, "Issuing", 7, TRUE, &error);
  g_assert_no_error (error);

  der = g_bytes_get_data (second, &length);
  crl = d2i_X509_CRL (NULL, &der, length);
  g_assert_nonnull (crl);
  issuer_pem = ca_ledger_export_authority (fixture->ledger, "Issuing", FALSE, NULL);
  issuer = parse_pem (issuer_pem);
  g_assert_cmpint (X509_CRL_verify (crl, X509_get0_pubkey (issuer)), ==, 1);
  g_assert_cmpint (X509_CRL_get_version (crl), ==, X509_CRL_VERSION_2);

  number = X509_CRL_get_ext_d2i (crl, NID_crl_number, NULL, NULL);
  g_assert_cmpint (ASN1_INTEGER_get (number), ==, 2);
  ASN1_INTEGER_free (number);
  g_assert_cmpint (X509_CRL_get_ext_by_NID (crl, NID_authority_key_identifier, -1), >=, 0);

  g_assert_cmpint (sk_X509_REVOKED_num (X509_CRL_get_REVOKED (crl)), ==, 1);
  BN_hex2bn (&bn, drop->serial);
  serial = BN_to_ASN1_INTEGER (bn, NULL);
  g_assert_cmpint (X509_CRL_get0_by_serial (crl, &entry, serial), ==, 1);
  g_assert_cmpint (X509_REVOKED_get_ext_by_NID (entry, NID_crl_reason, -1), >=, 0);
  BN_hex2bn (&bn, keep->serial);
  ASN1_INTEGER_free (serial);
  serial = BN_to_ASN1_INTEGER (bn, NULL);
  g_assert_cmpint (X509_CRL_get0_by_serial (crl, &entry, serial), ==, 0);
  ASN1_INTEGER_free (serial);
  BN_free (bn);
  X509_CRL_free (crl);

  {
    g_autoptr(GBytes) pem = ca_ledger_generate_crl (fixture->ledger, "Issuing", 0, FALSE, &error);

    g_assert_no_error (error);
    g_assert_true (g_str_has_prefix (g_bytes_get_data (pem, NULL), "-----BEGIN X509 CRL-----"));
  }
}

static void
test_revoke_intermediate (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) csr = fixture_csr ("p256.csr.pem");
  g_autoptr(CaAuthority) issuing = NULL;
  g_autoptr(CaAuthority) reread = NULL;
  g_autoptr(CaCertificate) refused = NULL;
  g_autoptr(GPtrArray) revoked = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GBytes) crl_der = NULL;
  g_autoptr(GBytes) issuing_crl = NULL;
  g_autofree char *proof = NULL;
  CaCertificate *cert;
  ASN1_INTEGER *serial;
  X509_REVOKED *entry = NULL;
  const guint8 *der;
  gsize length;
  X509_CRL *crl;
  gint64 events;

  make_cas (fixture);
  issuing = ca_ledger_get_authority (fixture->ledger, "Issuing", &error);
  g_assert_no_error (error);
  g_assert_cmpint (issuing->status, ==, CA_CERT_STATUS_VALID);

  /* Only the parent can revoke it: to Issuing itself the serial means nothing. */
  again = ca_ledger_revoke (fixture->ledger,
                            &(CaRevokeRequest) { "Issuing", .serial = issuing->serial, .sec_tag = -1,
                                                 .reason = CA_REVOKE_CA_COMPROMISE }, &error);
  g_assert_null (again);
  g_assert_error (error, CA_ERROR, CA_ERROR_NOT_FOUND);
  g_clear_error (&error);

  events = count_rows (fixture, "audit_log");
  revoked = ca_ledger_revoke (fixture->ledger,
                              &(CaRevokeRequest) { "Root", .serial = issuing->serial, .sec_tag = -1,
                                                   .reason = CA_REVOKE_CA_COMPROMISE,
                                                   .invalidity_date = 1700000000 }, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (revoked->len, ==, 1);
  cert = g_ptr_array_index (revoked, 0);
  g_assert_cmpint (cert->id, ==, 0);
  g_assert_cmpstr (cert->profile, ==, "intermediate");
  g_assert_cmpstr (cert->serial, ==, issuing->serial);
  g_assert_cmpstr (cert->authority_name, ==, "Root");
  g_assert_cmpint (cert->status, ==, CA_CERT_STATUS_REVOKED);
  g_assert_cmpint (count_rows (fixture, "audit_log"), ==, events + 1);

  reread = ca_ledger_get_authority (fixture->ledger, "Issuing", &error);
  g_assert_no_error (error);
  g_assert_cmpint (reread->status, ==, CA_CERT_STATUS_REVOKED);
  g_assert_cmpint (reread->revoke_reason, ==, CA_REVOKE_CA_COMPROMISE);
  g_assert_cmpint (reread->invalidity_date, ==, 1700000000);
  g_assert_cmpint (reread->revoked_at, >, 0);

  /* Twice: refused, and nothing changes. */
  g_clear_pointer (&again, g_ptr_array_unref);
  again = ca_ledger_revoke (fixture->ledger,
                            &(CaRevokeRequest) { "Root", .serial = issuing->serial, .sec_tag = -1,
                                                 .reason = CA_REVOKE_KEY_COMPROMISE }, &error);
  g_assert_null (again);
  g_assert_error (error, CA_ERROR, CA_ERROR_ALREADY_REVOKED);
  g_clear_error (&error);
  g_assert_cmpint (count_rows (fixture, "audit_log"), ==, events + 1);

  /* A revoked CA signs nothing more, with advice. */
  refused = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, csr, &error);
  g_assert_null (refused);
  g_assert_error (error, CA_ERROR, CA_ERROR_POLICY);
  g_assert_nonnull (strstr (error->message, "revoked"));
  g_clear_error (&error);
  proof = ca_ledger_issue_proof (fixture->ledger, "Issuing", "ABC123", &error);
  g_assert_null (proof);
  g_assert_error (error, CA_ERROR, CA_ERROR_POLICY);
  g_clear_error (&error);
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, 0);

  /* It still publishes its own CRL, so devices that trust it learn of revocations. */
  issuing_crl = ca_ledger_generate_crl (fixture->ledger, "Issuing", 7, TRUE, &error);
  g_assert_no_error (error);

  crl_der = ca_ledger_generate_crl (fixture->ledger, "Root", 7, TRUE, &error);
  g_assert_no_error (error);
  der = g_bytes_get_data (crl_der, &length);
  crl = d2i_X509_CRL (NULL, &der, length);
  g_assert_nonnull (crl);
  g_assert_cmpint (sk_X509_REVOKED_num (X509_CRL_get_REVOKED (crl)), ==, 1);
  serial = authority_serial (fixture, "Issuing");
  g_assert_cmpint (X509_CRL_get0_by_serial (crl, &entry, serial), ==, 1);
  g_assert_cmpint (X509_REVOKED_get_ext_by_NID (entry, NID_crl_reason, -1), >=, 0);
  g_assert_cmpint (X509_REVOKED_get_ext_by_NID (entry, NID_invalidity_date, -1), >=, 0);
  ASN1_INTEGER_free (serial);
  X509_CRL_free (crl);
}

static void
test_revoke_refuses_below_revoked (Fixture       *fixture,
                                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaAuthority) middle = NULL;
  g_autoptr(CaAuthority) leaf_ca = NULL;
  g_autoptr(CaAuthority) refused = NULL;
  g_autoptr(GPtrArray) revoked = NULL;

  make_cas (fixture);
  middle = ca_ledger_create_authority (fixture->ledger,
                                       &(CaAuthorityRequest) { "Middle", "Root", CA_KEY_EC_P256, 365, -1 }, &error);
  g_assert_no_error (error);
  leaf_ca = ca_ledger_create_authority (fixture->ledger,
                                        &(CaAuthorityRequest) { "Lower", "Middle", CA_KEY_EC_P256, 365, -1 }, &error);
  g_assert_no_error (error);

  revoked = ca_ledger_revoke (fixture->ledger,
                              &(CaRevokeRequest) { "Root", .serial = middle->serial, .sec_tag = -1,
                                                   .reason = CA_REVOKE_CESSATION_OF_OPERATION }, &error);
  g_assert_no_error (error);

  /* Lower itself is not revoked, but its chain runs through Middle. */
  refused = ca_ledger_create_authority (fixture->ledger,
                                        &(CaAuthorityRequest) { "Lowest", "Lower", CA_KEY_EC_P256, 365, -1 }, &error);
  g_assert_null (refused);
  g_assert_error (error, CA_ERROR, CA_ERROR_POLICY);
  g_assert_nonnull (strstr (error->message, "“Middle”"));
  g_clear_error (&error);

  /* The rest of the tree is untouched. */
  refused = ca_ledger_create_authority (fixture->ledger,
                                        &(CaAuthorityRequest) { "Fresh", "Root", CA_KEY_EC_P256, 365, -1 }, &error);
  g_assert_no_error (error);
  g_assert_cmpint (refused->status, ==, CA_CERT_STATUS_VALID);
}

/* A ledger as schema version 1 (ca-schema.sql alone) wrote it, holding one CA "Old". */
static void
write_v1_ledger (const char *path)
{
  g_autofree char *schema = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;

  g_assert_true (g_file_get_contents (TEST_DATA_DIR "/../../../ca/ca-schema.sql", &schema, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, schema, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "PRAGMA user_version = 1;"
                                 "INSERT INTO authorities (name, subject, key_type, not_before, not_after, serial, "
                                 "ski, cert_pem, sha256_lf, sha256_crlf, key_pkcs8, created_at) VALUES ('Old', "
                                 "'CN=Old', 0, 1700000000, 4102444800, '01', '', '', '', '', '', 1700000000);",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

/* A ledger made by schema version 1 is migrated on open. */
static void
test_migrate_v1 (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "v1.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) ledger = NULL;
  g_autoptr(GPtrArray) authorities = NULL;
  g_autofree char *version = NULL;
  g_autofree char *status = NULL;
  CaAuthority *root;

  write_v1_ledger (path);

  ledger = ca_ledger_open (path, &error);
  g_assert_no_error (error);
  authorities = ca_ledger_list_authorities (ledger, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (authorities->len, ==, 1);
  root = g_ptr_array_index (authorities, 0);
  g_assert_cmpstr (root->name, ==, "Old");
  g_assert_cmpint (root->status, ==, CA_CERT_STATUS_VALID);
  g_clear_object (&ledger);

  version = query_text (path, "PRAGMA user_version");
  g_assert_cmpint (atoi (version), ==, CA_LEDGER_SCHEMA_VERSION);
  status = query_text (path, "SELECT status FROM authorities");
  g_assert_cmpstr (status, ==, "valid");

  /* Opening again finds nothing left to do. */
  ledger = ca_ledger_open (path, &error);
  g_assert_no_error (error);
}

static void
test_new_key (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) cert = NULL;
  g_autoptr(X509) x509 = NULL;
  char *key_pem = NULL;
  EVP_PKEY *key;
  BIO *bio;

  make_cas (fixture);
  cert = ca_ledger_issue_with_new_key (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1, "nrfcloud" },
                                       CA_KEY_EC_P256, &key_pem, &error);
  g_assert_no_error (error);
  g_assert_true (cert->host_key);
  g_assert_cmpstr (cert->subject, ==, "CN=nrf-" IMEI1);

  bio = BIO_new_mem_buf (key_pem, -1);
  key = PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL);
  BIO_free (bio);
  x509 = parse_pem (cert->pem);
  g_assert_cmpint (X509_check_private_key (x509, key), ==, 1);
  EVP_PKEY_free (key);
  ca_secret_free (key_pem);
}

static void
test_batch (Fixture       *fixture,
            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  CaBatchItem items[4] = {
    { g_strdup (IMEI1), fixture_csr ("p256.csr.pem") },
    { g_strdup ("123"), fixture_csr ("p384.csr.pem") },
    { g_strdup (IMEI2), fixture_csr ("p256.csr.pem") },   /* same key, other IMEI */
    { g_strdup (IMEI3), fixture_csr ("p256b.csr.pem") },
  };

  make_cas (fixture);
  g_assert_true (ca_ledger_issue_batch (fixture->ledger, &(CaIssueRequest) { "Issuing" }, items, 4, &error));
  g_assert_no_error (error);
  g_assert_nonnull (items[0].certificate);
  g_assert_error (items[1].error, CA_ERROR, CA_ERROR_INVALID_IMEI);
  g_assert_error (items[2].error, CA_ERROR, CA_ERROR_POLICY);
  g_assert_no_error (items[3].error);
  g_assert_nonnull (items[3].certificate);
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, 2);
  /* The refused row left nothing behind: one issue event per certificate, one
   * device row per certificate, and the chain holds. */
  g_assert_cmpint (count_rows (fixture, "audit_log WHERE action = 'issue'"), ==, 2);
  g_assert_cmpint (count_rows (fixture, "devices"), ==, 2);
  g_assert_true (ca_ledger_verify_audit (fixture->ledger, NULL, NULL, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < 4; i++)
    ca_batch_item_clear (&items[i]);
}

static void
test_proof (Fixture       *fixture,
            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *root_pem = NULL;
  g_autoptr(X509) cert = NULL;
  g_autoptr(X509) root = NULL;
  char cn[80];

  make_cas (fixture);
  pem = ca_ledger_issue_proof (fixture->ledger, "Root", "7A3B9C0D1E2F", &error);
  g_assert_no_error (error);
  cert = parse_pem (pem);
  root_pem = ca_ledger_export_authority (fixture->ledger, "Root", FALSE, NULL);
  root = parse_pem (root_pem);
  g_assert_cmpint (X509_verify (cert, X509_get0_pubkey (root)), ==, 1);
  X509_NAME_get_text_by_NID (X509_get_subject_name (cert), NID_commonName, cn, sizeof cn);
  g_assert_cmpstr (cn, ==, "7A3B9C0D1E2F");
}

static void
test_backup (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *copy_path = g_build_filename (fixture->dir, "copy.db", NULL);
  g_autoptr(CaLedger) copy = NULL;
  g_autoptr(GPtrArray) list = NULL;

  make_cas (fixture);
  g_assert_true (ca_ledger_backup (fixture->ledger, copy_path, &error));
  g_assert_no_error (error);
  g_assert_false (ca_ledger_backup (fixture->ledger, copy_path, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_EXISTS);
  g_clear_error (&error);

  copy = ca_ledger_open (copy_path, &error);
  g_assert_no_error (error);
  list = ca_ledger_list_authorities (copy, &error);
  g_assert_cmpuint (list->len, ==, 2);
  /* The chain is keyed with the passphrase: verifying needs it. */
  g_assert_false (ca_ledger_verify_audit (copy, NULL, NULL, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_LOCKED);
  g_clear_error (&error);
  g_assert_true (ca_ledger_unlock (copy, PASS, &error));
  g_assert_true (ca_ledger_verify_audit (copy, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* The head names the newest event; a head the log no longer holds is reported. */
static void
test_audit_head (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *text = NULL;
  g_autofree char *parsed_hash = NULL;
  g_autofree char *last = NULL;
  gint64 seq = -1;
  gint64 parsed_seq = 0;

  g_assert_true (ca_ledger_audit_head (fixture->ledger, &seq, &hash, &error));
  g_assert_cmpint (seq, ==, 0);
  g_clear_pointer (&hash, g_free);

  make_cas (fixture);
  g_assert_true (ca_ledger_audit_head (fixture->ledger, &seq, &hash, &error));
  g_assert_no_error (error);
  g_assert_cmpint (seq, ==, count_rows (fixture, "audit_log"));
  text = ca_audit_head_to_string (seq, hash);
  g_assert_true (ca_audit_head_parse (text, &parsed_seq, &parsed_hash, &error));
  g_assert_cmpint (parsed_seq, ==, seq);
  g_assert_cmpstr (parsed_hash, ==, hash);
  g_assert_false (ca_audit_head_parse ("3:abc", &parsed_seq, &last, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_true (ca_ledger_audit_contains (fixture->ledger, seq, hash, &error));
  g_assert_false (ca_ledger_audit_contains (fixture->ledger, seq + 1, hash, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN);
  g_clear_error (&error);
  g_assert_false (ca_ledger_audit_contains (fixture->ledger, seq - 1, hash, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN);
}

/* Issues for IMEI1 and then IMEI2 on one CSR: the second is refused (the key
 * is IMEI1's) and rolls the transaction back; @ignore_failure goes on as if not. */
typedef struct
{
  CaCsr    *csr;
  gboolean  second;
  gboolean  ignore_failure;
} TwoIssues;

static gboolean
issue_two (CaLedger  *ledger,
           gpointer   data,
           GError   **error)
{
  TwoIssues *two = data;
  g_autoptr(CaCertificate) first = NULL;
  g_autoptr(CaCertificate) second = NULL;
  g_autoptr(GError) local_error = NULL;

  first = ca_ledger_issue (ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, two->csr, error);
  if (first == NULL || !two->second)
    return first != NULL;
  second = ca_ledger_issue (ledger, &(CaIssueRequest) { "Issuing", IMEI2 }, two->csr, &local_error);
  g_assert_null (second);
  g_assert_nonnull (local_error);
  if (two->ignore_failure)
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local_error));

  return FALSE;
}

/* Changes made inside ca_ledger_run_in_transaction() commit together or not at all. */
static void
test_one_transaction (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  EVP_PKEY *key;
  TwoIssues two = { 0 };
  gint64 certificates;
  gint64 events;

  make_cas (fixture);
  key = EVP_EC_gen ("P-256");
  two.csr = new_csr (key, FALSE);
  EVP_PKEY_free (key);
  certificates = count_rows (fixture, "certificates");
  events = count_rows (fixture, "audit_log");

  two.second = TRUE;
  g_assert_false (ca_ledger_run_in_transaction (fixture->ledger, issue_two, &two, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, certificates);

  /* A step that failed undid the lot, even when the work went on regardless. */
  two.ignore_failure = TRUE;
  g_assert_false (ca_ledger_run_in_transaction (fixture->ledger, issue_two, &two, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_DATABASE);
  g_clear_error (&error);
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, certificates);
  g_assert_cmpint (count_rows (fixture, "audit_log"), ==, events);

  two.second = FALSE;
  g_assert_true (ca_ledger_run_in_transaction (fixture->ledger, issue_two, &two, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, certificates + 1);
  g_assert_cmpint (count_rows (fixture, "audit_log"), ==, events + 1);
  assert_audit_verifies (fixture->ledger);
  ca_csr_unref (two.csr);
}

/* Editing a table without touching the log is caught by replaying the log. */
static void
test_audit_replay (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) csr = fixture_csr ("p256.csr.pem");
  g_autoptr(CaCertificate) cert = NULL;
  g_autoptr(CaCertificate) successor = NULL;
  g_autoptr(GPtrArray) revoked = NULL;

  make_cas (fixture);
  cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, csr, &error);
  g_assert_no_error (error);
  /* Superseded by a certificate of another CA: its revocation names that CA. */
  successor = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Root", IMEI1, .revoke_previous = TRUE }, csr,
                               &error);
  g_assert_no_error (error);
  g_assert_true (ca_ledger_verify_audit (fixture->ledger, NULL, NULL, &error));
  g_assert_no_error (error);
  revoked = ca_ledger_revoke (fixture->ledger, &(CaRevokeRequest) { "Root", .imei = IMEI1, .sec_tag = -1,
                                                                    .reason = CA_REVOKE_KEY_COMPROMISE }, &error);
  g_assert_no_error (error);
  g_assert_true (ca_ledger_verify_audit (fixture->ledger, NULL, NULL, &error));
  g_assert_no_error (error);

  run_sql (fixture, "UPDATE certificates SET status = 'valid', revoke_reason = NULL, revoked_at = NULL "
                    "WHERE revoke_reason = 1");
  g_assert_false (ca_ledger_verify_audit (fixture->ledger, NULL, NULL, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN);
  g_assert_nonnull (strstr (error->message, "the log says revoked as keyCompromise"));
}

/* Without the passphrase nothing changes, not even a revocation. */
static void
test_locked_changes_refused (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) csr = fixture_csr ("p256.csr.pem");
  g_autoptr(CaCertificate) cert = NULL;
  g_autoptr(CaLedger) other = NULL;
  g_autoptr(GPtrArray) revoked = NULL;
  gint64 events;

  make_cas (fixture);
  cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, csr, &error);
  g_assert_no_error (error);
  events = count_rows (fixture, "audit_log");

  other = ca_ledger_open (fixture->path, &error);
  g_assert_no_error (error);
  revoked = ca_ledger_revoke (other, &(CaRevokeRequest) { "Issuing", .imei = IMEI1, .sec_tag = -1 }, &error);
  g_assert_null (revoked);
  g_assert_error (error, CA_ERROR, CA_ERROR_LOCKED);
  g_assert_cmpint (count_rows (fixture, "audit_log"), ==, events);
  g_assert_cmpint (count_rows (fixture, "certificates WHERE status = 'revoked'"), ==, 0);
}

/* A plaintext key put into the ledger is never used, even with the right passphrase. */
static void
test_plaintext_key_refused (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) csr = fixture_csr ("p256.csr.pem");
  g_autoptr(CaCertificate) cert = NULL;
  g_autoptr(CaLedger) other = NULL;
  g_autoptr(EVP_PKEY) key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  g_autofree char *sql = NULL;
  char *data = NULL;
  long length;

  make_cas (fixture);
  g_assert_cmpint (PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL), ==, 1);
  length = BIO_get_mem_data (bio, &data);
  sql = g_strdup_printf ("UPDATE authorities SET key_pkcs8 = '%.*s' WHERE name = 'Issuing'", (int) length, data);
  run_sql (fixture, sql);

  other = ca_ledger_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_true (ca_ledger_unlock (other, PASS, &error));
  cert = ca_ledger_issue (other, &(CaIssueRequest) { "Issuing", IMEI1 }, csr, &error);
  g_assert_null (cert);
  g_assert_error (error, CA_ERROR, CA_ERROR_POLICY);
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, 0);
}

static CaAuthority *
create_ca (Fixture     *fixture,
           const char  *name,
           const char  *parent,
           int          path_len,
           GError     **error)
{
  return ca_ledger_create_authority (fixture->ledger,
                                     &(CaAuthorityRequest) { name, parent, CA_KEY_EC_P256, 0, path_len }, error);
}

/* A path length limits the whole chain below it: a CA without its own limit
 * under a limited one gets what is left, and nothing goes deeper. */
static void
test_path_length_inherited (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaAuthority) a = NULL;
  g_autoptr(CaAuthority) b = NULL;
  g_autoptr(CaAuthority) c = NULL;
  g_autoptr(CaAuthority) wide = NULL;
  g_autoptr(CaCsr) csr = fixture_csr ("p256.csr.pem");
  g_autoptr(CaCertificate) cert = NULL;
  g_autoptr(X509) b_cert = NULL;
  BASIC_CONSTRAINTS *bc;

  make_cas (fixture);
  a = create_ca (fixture, "A", "Root", 1, &error);
  g_assert_no_error (error);
  b = create_ca (fixture, "B", "A", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (b->path_len, ==, 0);
  b_cert = parse_pem (b->cert_pem);
  bc = X509_get_ext_d2i (b_cert, NID_basic_constraints, NULL, NULL);
  g_assert_nonnull (bc->pathlen);
  g_assert_cmpint (ASN1_INTEGER_get (bc->pathlen), ==, 0);
  BASIC_CONSTRAINTS_free (bc);

  c = create_ca (fixture, "C", "B", -1, &error);
  g_assert_null (c);
  g_assert_error (error, CA_ERROR, CA_ERROR_POLICY);
  g_assert_nonnull (strstr (error->message, "“B” may not have CAs below it"));
  g_clear_error (&error);

  wide = create_ca (fixture, "Wide", "A", 3, &error);
  g_assert_null (wide);
  g_assert_error (error, CA_ERROR, CA_ERROR_POLICY);
  g_assert_nonnull (strstr (error->message, "--path-len 0 or less"));
  g_clear_error (&error);

  cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "B", IMEI1 }, csr, &error);
  g_assert_no_error (error);
  g_clear_pointer (&cert, ca_certificate_free);

  /* A ledger whose B was made without the limit (as before it was inherited)
   * and whose A allows no CA below it: B is too deep, and issues nothing. */
  run_sql (fixture, "UPDATE authorities SET path_len = -1 WHERE name = 'B'; "
                    "UPDATE authorities SET path_len = 0 WHERE name = 'A'");
  cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "B", IMEI2 }, csr, &error);
  g_assert_null (cert);
  g_assert_error (error, CA_ERROR, CA_ERROR_POLICY);
  g_assert_nonnull (strstr (error->message, "deeper below its root"));
}

static void
expect_refused (GError      **error,
                const char   *text)
{
  g_assert_error (*error, CA_ERROR, CA_ERROR_POLICY);
  if (strstr ((*error)->message, text) == NULL)
    g_error ("“%s” does not say “%s”", (*error)->message, text);
  g_clear_error (error);
}

/* A CA outside its validity, or below one that is, signs nothing: no device
 * certificate, no CRL, no proof, no CA. */
static void
test_validity_refused (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) csr = fixture_csr ("p256.csr.pem");
  CaIssueRequest request = { "Issuing", IMEI1 };
  GBytes *crl;

  make_cas (fixture);
  run_sql (fixture, "UPDATE authorities SET not_after = unixepoch () - 60 WHERE name = 'Issuing'");
  g_assert_null (ca_ledger_issue (fixture->ledger, &request, csr, &error));
  expect_refused (&error, "The CA “Issuing” has expired");
  crl = ca_ledger_generate_crl (fixture->ledger, "Issuing", 0, FALSE, &error);
  g_assert_null (crl);
  expect_refused (&error, "has expired");
  g_assert_null (ca_ledger_issue_proof (fixture->ledger, "Issuing", "CODE1", &error));
  expect_refused (&error, "has expired");

  run_sql (fixture, "UPDATE authorities SET not_after = unixepoch () + 86400 WHERE name = 'Issuing'; "
                    "UPDATE authorities SET not_after = unixepoch () - 60 WHERE name = 'Root'");
  g_assert_null (ca_ledger_issue (fixture->ledger, &request, csr, &error));
  expect_refused (&error, "below the CA “Root”, which has expired");
  g_assert_null (create_ca (fixture, "Late", "Issuing", -1, &error));
  expect_refused (&error, "has expired");

  run_sql (fixture, "UPDATE authorities SET not_after = unixepoch () + 86400 WHERE name = 'Root'; "
                    "UPDATE authorities SET not_before = unixepoch () + 3600 WHERE name = 'Issuing'");
  g_assert_null (ca_ledger_issue (fixture->ledger, &request, csr, &error));
  expect_refused (&error, "is not valid yet");
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, 0);
}

/* A device certificate ends when the first CA of its chain ends, even when
 * its own CA (say, an imported one) would outlive its root. */
static void
test_issue_within_chain (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) csr = fixture_csr ("p256.csr.pem");
  g_autoptr(CaCertificate) cert = NULL;
  g_autoptr(CaAuthority) root = NULL;

  make_cas (fixture);
  run_sql (fixture, "UPDATE authorities SET not_after = unixepoch () + 10 * 86400 WHERE name = 'Root'");
  root = ca_ledger_get_authority (fixture->ledger, "Root", &error);
  cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, csr, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cert->not_after, ==, root->not_after);
}

/* The same EC key sent compressed is certified in its uncompressed form, and
 * is the same key to "one key, one device" whichever form it comes in. */
static void
test_compressed_key (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  EVP_PKEY *key = EVP_EC_gen ("P-256");
  g_autoptr(CaCsr) compressed = new_csr (key, TRUE);
  g_autoptr(CaCsr) plain = new_csr (key, FALSE);
  g_autoptr(CaCertificate) cert = NULL;
  g_autoptr(CaCertificate) again = NULL;
  g_autoptr(X509) x509 = NULL;
  const unsigned char *bits = NULL;
  int length = 0;

  make_cas (fixture);
  cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, compressed, &error);
  g_assert_no_error (error);
  x509 = parse_pem (cert->pem);
  g_assert_true (X509_PUBKEY_get0_param (NULL, &bits, &length, NULL, X509_get_X509_PUBKEY (x509)));
  g_assert_cmpint (length, ==, 65);
  g_assert_cmpint (bits[0], ==, 0x04);
  g_assert_cmpint (EVP_PKEY_eq (X509_get0_pubkey (x509), key), ==, 1);

  again = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI2 }, plain, &error);
  g_assert_null (again);
  expect_refused (&error, "already certified for the device " IMEI1);

  /* And the other way round. */
  ca_csr_unref (g_steal_pointer (&compressed));
  EVP_PKEY_free (key);
  key = EVP_EC_gen ("P-256");
  plain = (ca_csr_unref (plain), new_csr (key, FALSE));
  compressed = new_csr (key, TRUE);
  g_clear_pointer (&cert, ca_certificate_free);
  cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI2 }, plain, &error);
  g_assert_no_error (error);
  g_assert_null (ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", "350000000000014" },
                                  compressed, &error));
  expect_refused (&error, "already certified for the device " IMEI2);
  EVP_PKEY_free (key);
}

/* A row that supersedes a certificate appends two events; a refused row among
 * them has the group recorded again row by row. Either way the chain links each
 * event once, and nothing of the refused row remains. */
static void
test_batch_audit_chain (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) first = NULL;
  CaCsr *csr = fixture_csr ("p256.csr.pem");
  CaBatchItem items[3] = {
    { g_strdup (IMEI1), fixture_csr ("p256b.csr.pem") },  /* supersedes the first */
    { g_strdup (IMEI2), fixture_csr ("p256.csr.pem") },   /* IMEI1's first key: refused */
    { g_strdup (IMEI3), fixture_csr ("p384.csr.pem") },
  };
  CaBatchItem later = { g_strdup (IMEI2), fixture_csr ("p256-even.csr.pem") };
  gint64 events;

  make_cas (fixture);
  first = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, csr, &error);
  g_assert_no_error (error);
  events = count_rows (fixture, "audit_log");

  g_assert_true (ca_ledger_issue_batch (fixture->ledger,
                                        &(CaIssueRequest) { "Issuing", .revoke_previous = TRUE }, items, 3, &error));
  g_assert_no_error (error);
  g_assert_no_error (items[0].error);
  g_assert_cmpint (items[0].certificate->supersedes_id, ==, first->id);
  g_assert_error (items[1].error, CA_ERROR, CA_ERROR_POLICY);
  g_assert_no_error (items[2].error);
  g_assert_nonnull (items[2].certificate);
  g_assert_cmpint (count_rows (fixture, "audit_log"), ==, events + 3);
  g_assert_cmpint (count_rows (fixture, "audit_log WHERE action = 'revoke'"), ==, 1);
  g_assert_cmpint (count_rows (fixture, "devices"), ==, 2);
  g_assert_true (ca_ledger_verify_audit (fixture->ledger, NULL, NULL, &error));
  g_assert_no_error (error);

  /* The next change links to the head the batch left. */
  g_assert_true (ca_ledger_issue_batch (fixture->ledger, &(CaIssueRequest) { "Issuing" }, &later, 1, &error));
  g_assert_no_error (later.error);
  g_assert_cmpint (count_rows (fixture, "audit_log"), ==, events + 4);
  g_assert_true (ca_ledger_verify_audit (fixture->ledger, NULL, NULL, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < 3; i++)
    ca_batch_item_clear (&items[i]);
  ca_batch_item_clear (&later);
  ca_csr_unref (csr);
}

/* A second row for an IMEI is refused; running the same batch again issues
 * nothing and reports the certificates the first run issued, whatever the
 * key's last byte (p256-even.csr.pem's point ends in zero bits). */
static void
test_batch_rerun (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  char *serials[3] = { NULL };
  CaBatchItem first[4] = {
    { g_strdup (IMEI1), fixture_csr ("p256.csr.pem") },
    { g_strdup (IMEI2), fixture_csr ("p384.csr.pem") },
    { g_strdup (IMEI3), fixture_csr ("p256-even.csr.pem") },
    { g_strdup (IMEI1), fixture_csr ("p256b.csr.pem") },
  };
  CaBatchItem again[3] = {
    { g_strdup (IMEI1), fixture_csr ("p256.csr.pem") },
    { g_strdup (IMEI2), fixture_csr ("p384.csr.pem") },
    { g_strdup (IMEI3), fixture_csr ("p256-even.csr.pem") },
  };

  make_cas (fixture);
  g_assert_true (ca_ledger_issue_batch (fixture->ledger, &(CaIssueRequest) { "Issuing" }, first, 4, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_no_error (first[i].error);
      g_assert_false (first[i].existing);
      serials[i] = g_strdup (first[i].certificate->serial);
    }
  g_assert_null (first[3].certificate);
  g_assert_error (first[3].error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (first[3].error->message, "earlier row"));
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, 3);

  g_assert_true (ca_ledger_issue_batch (fixture->ledger, &(CaIssueRequest) { "Issuing" }, again, 3, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(CaCertificate) found = NULL;

      g_assert_no_error (again[i].error);
      g_assert_true (again[i].existing);
      g_assert_cmpstr (again[i].certificate->serial, ==, serials[i]);
      g_assert_cmpstr (again[i].certificate->pem, ==, first[i].certificate->pem);
      found = ca_ledger_find_issued (fixture->ledger, &(CaIssueRequest) { "Issuing" }, again[i].imei,
                                     again[i].csr, &error);
      g_assert_no_error (error);
      g_assert_nonnull (found);
      g_assert_cmpstr (found->serial, ==, serials[i]);
    }
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, 3);

  /* A batch that cannot start marks every row as not issued. */
  for (guint i = 0; i < 3; i++)
    {
      g_clear_pointer (&again[i].certificate, ca_certificate_free);
      again[i].existing = FALSE;
    }
  g_assert_false (ca_ledger_issue_batch (fixture->ledger, &(CaIssueRequest) { "Nobody" }, again, 3, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_NOT_FOUND);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_null (again[i].certificate);
      g_assert_nonnull (strstr (again[i].error->message, "Not issued"));
    }

  for (guint i = 0; i < 4; i++)
    ca_batch_item_clear (&first[i]);
  for (guint i = 0; i < 3; i++)
    {
      ca_batch_item_clear (&again[i]);
      g_free (serials[i]);
    }
}

/* @n batch rows, each a device of its own (IMEIs from @first on under
 * @prefix, eight digits) with a fresh P-256 key. */
static CaBatchItem *
new_batch_items (const char *prefix,
                 guint       first,
                 guint       n)
{
  CaBatchItem *items = g_new0 (CaBatchItem, n);

  g_assert_cmpint (strlen (prefix), ==, 8);
  for (guint i = 0; i < n; i++)
    {
      EVP_PKEY *key = EVP_EC_gen ("P-256");
      char first14[16];

      g_snprintf (first14, sizeof first14, "%s%06u", prefix, first + i);
      items[i].imei = g_strdup_printf ("%s%c", first14, ca_imei_check_digit (first14));
      items[i].csr = new_csr (key, FALSE);
      EVP_PKEY_free (key);
    }

  return items;
}

static void
free_batch_items (CaBatchItem *items,
                  guint        n)
{
  for (guint i = 0; i < n; i++)
    ca_batch_item_clear (&items[i]);
  g_free (items);
}

/* Revoking the CA while a batch runs stops it at its next group: what was
 * recorded is reported, the rest is marked not issued. The trigger revokes
 * Issuing in the transaction that records the first group's last certificate,
 * as another process would between two groups. */
static void
test_batch_stops_when_revoked (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  enum { N = 260, FIRST_GROUP = 256 };
  CaBatchItem *items = new_batch_items ("35265610", 0, N);

  make_cas (fixture);
  run_sql (fixture, "CREATE TRIGGER revoke_midway AFTER INSERT ON certificates "
                    "WHEN (SELECT count(*) FROM certificates) = 256 BEGIN "
                    "UPDATE authorities SET status = 'revoked', revoke_reason = 2, revoked_at = unixepoch () "
                    "WHERE name = 'Issuing'; END");

  g_assert_false (ca_ledger_issue_batch (fixture->ledger, &(CaIssueRequest) { "Issuing" }, items, N, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_POLICY);
  g_assert_nonnull (strstr (error->message, "has been revoked"));
  g_assert_nonnull (strstr (error->message, "what it issued before is recorded"));
  g_assert_null (strstr (error->message, "nothing was changed"));
  for (guint i = 0; i < N; i++)
    {
      if (i < FIRST_GROUP)
        {
          g_assert_no_error (items[i].error);
          g_assert_nonnull (items[i].certificate);
        }
      else
        {
          g_assert_null (items[i].certificate);
          g_assert_nonnull (items[i].error);
          g_assert_nonnull (strstr (items[i].error->message, "Not issued"));
        }
    }
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, FIRST_GROUP);

  free_batch_items (items, N);
}

/* A group where one row's key is already another device's: that row fails
 * alone with its own error, the others are recorded with their devices and
 * events, and the chain holds. */
static void
test_batch_reused_key (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) first = NULL;
  g_autoptr(CaCsr) csr = fixture_csr ("p256.csr.pem");
  enum { N = 6, REUSED = 3 };
  CaBatchItem *items = new_batch_items ("35265620", 0, N);

  make_cas (fixture);
  first = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, csr, &error);
  g_assert_no_error (error);
  ca_csr_unref (items[REUSED].csr);
  items[REUSED].csr = fixture_csr ("p256.csr.pem");

  g_assert_true (ca_ledger_issue_batch (fixture->ledger, &(CaIssueRequest) { "Issuing" }, items, N, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < N; i++)
    {
      if (i == REUSED)
        {
          g_assert_error (items[i].error, CA_ERROR, CA_ERROR_POLICY);
          g_assert_nonnull (strstr (items[i].error->message, IMEI1));
          g_assert_null (items[i].certificate);
          continue;
        }
      g_assert_no_error (items[i].error);
      g_assert_nonnull (items[i].certificate);
      g_assert_cmpint (items[i].certificate->id, >, 0);
    }
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, N);
  g_assert_cmpint (count_rows (fixture, "audit_log WHERE action = 'issue'"), ==, N);
  g_assert_cmpint (count_rows (fixture, "devices"), ==, N);
  assert_audit_verifies (fixture->ledger);

  free_batch_items (items, N);
}

/* Devices seen before: with revoke_previous their valid certificates are
 * revoked as superseded, one event each before the row's issue event;
 * without it the new one only links to the newest. */
static void
test_batch_supersedes (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) old1 = NULL;
  g_autoptr(CaCertificate) old2 = NULL;
  g_autoptr(CaCertificate) old3 = NULL;
  g_autofree char *revoked = NULL;
  g_autofree char *still_valid = NULL;
  CaBatchItem *items = new_batch_items ("35265630", 0, 3);
  CaBatchItem *later = new_batch_items ("35265630", 1, 1);

  make_cas (fixture);
  old1 = issue_new_key (fixture->ledger, "Issuing", items[0].imei, &error);
  g_assert_no_error (error);
  old2 = issue_new_key (fixture->ledger, "Issuing", items[0].imei, &error);
  g_assert_no_error (error);
  old3 = issue_new_key (fixture->ledger, "Issuing", items[2].imei, &error);
  g_assert_no_error (error);

  g_assert_true (ca_ledger_issue_batch (fixture->ledger, &(CaIssueRequest) { "Issuing", .revoke_previous = TRUE },
                                        items, 3, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    g_assert_no_error (items[i].error);
  g_assert_cmpint (items[0].certificate->supersedes_id, ==, old2->id);
  g_assert_cmpint (items[1].certificate->supersedes_id, ==, 0);
  g_assert_cmpint (items[2].certificate->supersedes_id, ==, old3->id);
  revoked = g_strdup_printf ("certificates WHERE id IN (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %"
                             G_GINT64_FORMAT ") AND status = 'revoked' AND revoke_reason = 4",
                             old1->id, old2->id, old3->id);
  g_assert_cmpint (count_rows (fixture, revoked), ==, 3);
  g_assert_cmpint (count_rows (fixture, "certificates WHERE status = 'valid'"), ==, 3);
  /* Each row's revocations come right before its issue event. */
  g_assert_cmpint (count_rows (fixture, "audit_log r JOIN audit_log i ON i.id = r.id + 1 "
                                        "WHERE r.action = 'revoke' AND i.action = 'issue' AND i.imei = r.imei"),
                   ==, 2);
  g_assert_cmpint (count_rows (fixture, "audit_log WHERE action = 'revoke'"), ==, 3);
  assert_audit_verifies (fixture->ledger);

  g_assert_true (ca_ledger_issue_batch (fixture->ledger, &(CaIssueRequest) { "Issuing" }, later, 1, &error));
  g_assert_no_error (later[0].error);
  g_assert_cmpint (later[0].certificate->supersedes_id, ==, items[1].certificate->id);
  still_valid = g_strdup_printf ("certificates WHERE id = %" G_GINT64_FORMAT " AND status = 'valid'",
                                 items[1].certificate->id);
  g_assert_cmpint (count_rows (fixture, still_valid), ==, 1);
  assert_audit_verifies (fixture->ledger);

  free_batch_items (items, 3);
  free_batch_items (later, 1);
}

/* Right after a batch each device names its new certificate as its current
 * one, and carries that certificate's end and status for the fleet's sorts. */
static void
test_batch_current_and_sort_keys (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) old = NULL;
  enum { N = 5 };
  CaBatchItem *items = new_batch_items ("35265640", 0, N);

  make_cas (fixture);
  old = issue_new_key (fixture->ledger, "Issuing", items[1].imei, &error);
  g_assert_no_error (error);

  g_assert_true (ca_ledger_issue_batch (fixture->ledger, &(CaIssueRequest) { "Issuing", .revoke_previous = TRUE },
                                        items, N, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < N; i++)
    {
      g_autofree char *where = NULL;

      g_assert_no_error (items[i].error);
      where = g_strdup_printf ("devices WHERE imei = '%s' AND current_certificate_id = %" G_GINT64_FORMAT
                               " AND current_not_after = %" G_GINT64_FORMAT " AND current_status_rank = 1",
                               items[i].imei, items[i].certificate->id, items[i].certificate->not_after);
      g_assert_cmpint (count_rows (fixture, where), ==, 1);
    }

  free_batch_items (items, N);
}

typedef struct
{
  const char  *location;
  CaBatchItem *items;
  guint        n;
} BatchWriter;

static gpointer
batch_writer_thread (gpointer data)
{
  const BatchWriter *writer = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) ledger = ca_ledger_open (writer->location, &error);

  g_assert_no_error (error);
  g_assert_true (ca_ledger_unlock (ledger, PASS, &error));
  g_assert_true (ca_ledger_issue_batch (ledger, &(CaIssueRequest) { "Issuing" }, writer->items, writer->n, &error));
  g_assert_no_error (error);

  return NULL;
}

/* Two ledgers on the one database issue batches of several groups at once:
 * every row is recorded once, and the audit chain stays one chain. */
static void
test_batch_concurrent_writers (Fixture       *fixture,
                               gconstpointer  user_data)
{
  enum { N = 300 };
  BatchWriter writers[2] = {
    { fixture->path, new_batch_items ("35265650", 0, N), N },
    { fixture->path, new_batch_items ("35265650", N, N), N },
  };
  GThread *threads[G_N_ELEMENTS (writers)];
  gint64 events;

  make_cas (fixture);
  events = count_rows (fixture, "audit_log");
  for (guint i = 0; i < G_N_ELEMENTS (writers); i++)
    threads[i] = g_thread_new ("writer", batch_writer_thread, &writers[i]);
  for (guint i = 0; i < G_N_ELEMENTS (writers); i++)
    g_thread_join (threads[i]);

  for (guint w = 0; w < G_N_ELEMENTS (writers); w++)
    for (guint i = 0; i < N; i++)
      {
        g_assert_no_error (writers[w].items[i].error);
        g_assert_nonnull (writers[w].items[i].certificate);
      }
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, 2 * N);
  g_assert_cmpint (count_rows (fixture, "(SELECT DISTINCT serial FROM certificates) s"), ==, 2 * N);
  g_assert_cmpint (count_rows (fixture, "audit_log"), ==, events + 2 * N);
  assert_audit_verifies (fixture->ledger);

  for (guint i = 0; i < G_N_ELEMENTS (writers); i++)
    free_batch_items (writers[i].items, N);
}

/* The statements a batch sends (each a round trip to a server) do not grow
 * with the number of its rows: a group is recorded in a fixed number. */
static void
test_batch_statements (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  CaBatchItem *small = new_batch_items ("35265660", 0, 2);
  CaBatchItem *large = new_batch_items ("35265660", 2, 40);
  guint64 before;
  guint64 for_small;
  guint64 for_large;

  make_cas (fixture);
  before = ca_ledger_statement_count (fixture->ledger);
  g_assert_true (ca_ledger_issue_batch (fixture->ledger, &(CaIssueRequest) { "Issuing" }, small, 2, &error));
  g_assert_no_error (error);
  for_small = ca_ledger_statement_count (fixture->ledger) - before;

  before = ca_ledger_statement_count (fixture->ledger);
  g_assert_true (ca_ledger_issue_batch (fixture->ledger, &(CaIssueRequest) { "Issuing" }, large, 40, &error));
  g_assert_no_error (error);
  for_large = ca_ledger_statement_count (fixture->ledger) - before;

  g_test_message ("statements for a batch of 2 rows: %" G_GUINT64_FORMAT ", of 40 rows: %" G_GUINT64_FORMAT,
                  for_small, for_large);
  g_assert_cmpuint (for_small, >, 0);
  g_assert_cmpuint (for_large, ==, for_small);
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, 42);
  assert_audit_verifies (fixture->ledger);

  free_batch_items (small, 2);
  free_batch_items (large, 40);
}

/* A server plans a statement it has run five times once for any values (a
 * generic plan). Planned on tables it last saw empty, the batch's lookups of
 * earlier certificates walked all the CA's valid certificates through their
 * index, for each group; they may only use the IMEI and key indexes. */
static void
test_batch_generic_plans (Fixture       *fixture,
                          gconstpointer  user_data)
{
  enum { EXISTING = 20000, N = 20 };
  static const char *const walked[] = { "certificates_revoked", "certificates_authority_imei", "certificates_pkey" };
  g_autofree char *generic_path = g_strconcat (fixture->path, "%20-cplan_cache_mode%3Dforce_generic_plan", NULL);
  g_autofree char *flushed = g_strdup_printf ("SELECT n_tup_ins >= %d FROM pg_stat_user_tables WHERE "
                                              "schemaname = current_schema () AND relname = 'certificates'",
                                              EXISTING + N);
  CaBatchItem *items = new_batch_items ("35265670", 0, N);
  g_autoptr(CaLedger) generic = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  gboolean arrived = FALSE;

  make_cas (fixture);
  /* Valid certificates of the issuing CA, for other devices, written since the
   * server last counted them: as during a long batch, which autovacuum would
   * only analyze later. */
  run_sql (fixture, "ALTER TABLE certificates SET (autovacuum_enabled = false); ANALYZE certificates");
  run_sql (fixture, "INSERT INTO devices (imei, first_seen, last_seen) SELECT lpad (g::text, 15, '0'), 0, 0 "
                    "FROM generate_series (1, 20000) g; "
                    "INSERT INTO certificates (authority_id, serial, imei, profile, subject, not_before, not_after, "
                    "pubkey_sha256, issued_at, pem, sha256_lf, sha256_crlf) "
                    "SELECT a.id, 'f' || g, lpad (g::text, 15, '0'), 'generic', 'CN=other', 0, 4102444800, "
                    "md5 (g::text), 0, '-', md5 ('lf' || g), md5 ('crlf' || g) "
                    "FROM generate_series (1, 20000) g, authorities a WHERE a.name = 'Issuing'");
  generic = ca_ledger_open (generic_path, &error);
  g_assert_no_error (error);
  g_assert_true (ca_ledger_unlock (generic, PASS, &error));
  g_assert_true (ca_ledger_issue_batch (generic, &(CaIssueRequest) { "Issuing" }, items, N, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < N; i++)
    g_assert_nonnull (items[i].certificate);
  g_clear_object (&generic);

  /* The statistics of the batch's connection arrive with its inserts. */
  while (!arrived && g_get_monotonic_time () < deadline)
    {
      g_autofree char *value = server_value (fixture, flushed);

      arrived = g_strcmp0 (value, "t") == 0;
      if (!arrived)
        g_usleep (G_USEC_PER_SEC / 10);
    }
  g_assert_true (arrived);
  for (guint i = 0; i < G_N_ELEMENTS (walked); i++)
    {
      gint64 reads = server_index_reads (fixture, walked[i]);

      g_test_message ("%s: %" G_GINT64_FORMAT " entries read", walked[i], reads);
      g_assert_cmpint (reads, <, 1000);
    }
  free_batch_items (items, N);
}

/* A batch into a new server ledger tells the planner how its tables grew,
 * rather than leave them planned as empty until autovacuum comes (a minute
 * later, after the batch); a small batch does not. */
static void
test_batch_counts_growth (Fixture       *fixture,
                          gconstpointer  user_data)
{
  enum { SMALL = 40, LARGE = 1100 };
  const char *counted = "SELECT reltuples::bigint FROM pg_class WHERE oid = 'certificates'::regclass";
  CaBatchItem *small = new_batch_items ("35265680", 0, SMALL);
  CaBatchItem *large = new_batch_items ("35265680", SMALL, LARGE);
  g_autoptr(GError) error = NULL;
  g_autofree char *after_small = NULL;
  g_autofree char *after_large = NULL;

  make_cas (fixture);
  run_sql (fixture, "ALTER TABLE certificates SET (autovacuum_enabled = false); ANALYZE certificates");
  g_assert_true (ca_ledger_issue_batch (fixture->ledger, &(CaIssueRequest) { "Issuing" }, small, SMALL, &error));
  g_assert_no_error (error);
  after_small = server_value (fixture, counted);
  g_assert_true (ca_ledger_issue_batch (fixture->ledger, &(CaIssueRequest) { "Issuing" }, large, LARGE, &error));
  g_assert_no_error (error);
  after_large = server_value (fixture, counted);

  g_test_message ("certificates the planner knows of: %s after %d rows, %s after %d",
                  after_small, SMALL, after_large, SMALL + LARGE);
  g_assert_cmpint (g_ascii_strtoll (after_small, NULL, 10), <=, 0);
  g_assert_cmpint (g_ascii_strtoll (after_large, NULL, 10), >=, 1000);
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, SMALL + LARGE);
  free_batch_items (small, SMALL);
  free_batch_items (large, LARGE);
}

static gboolean
cms_verifies (GBytes     *signature,
              const char *content,
              const char *root_pem)
{
  const unsigned char *der = g_bytes_get_data (signature, NULL);
  CMS_ContentInfo *cms = d2i_CMS_ContentInfo (NULL, &der, (long) g_bytes_get_size (signature));
  X509_STORE *store = X509_STORE_new ();
  g_autoptr(X509) root = parse_pem (root_pem);
  BIO *in = BIO_new_mem_buf (content, -1);
  gboolean ok;

  g_assert_nonnull (cms);
  X509_STORE_add_cert (store, root);
  ok = CMS_verify (cms, NULL, store, in, NULL, CMS_BINARY) == 1;
  BIO_free (in);
  X509_STORE_free (store);
  CMS_ContentInfo_free (cms);

  return ok;
}

/* A detached signature by a one-time certificate of the issuing CA: it
 * verifies against the root alone, fails on other content, is refused while
 * locked, and is recorded. */
static void
test_sign_detached (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) content = g_bytes_new_static ("abc  file\n", 10);
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autofree char *root_pem = NULL;
  const CaAuditEvent *last;

  make_cas (f);
  root_pem = ca_ledger_export_authority (f->ledger, "Root", FALSE, &error);
  signature = ca_ledger_sign_detached (f->ledger, "Issuing", "Test signer", content, &error);
  g_assert_no_error (error);
  g_assert_true (cms_verifies (signature, "abc  file\n", root_pem));
  g_assert_false (cms_verifies (signature, "abd  file\n", root_pem));

  events = ca_ledger_list_audit (f->ledger, 0, 0, &error);
  last = g_ptr_array_index (events, events->len - 1);
  g_assert_cmpstr (last->action, ==, "ca.sign");
  g_assert_nonnull (strstr (last->details, "\"signed_sha256\""));

  ca_ledger_lock (f->ledger);
  g_clear_pointer (&signature, g_bytes_unref);
  signature = ca_ledger_sign_detached (f->ledger, "Issuing", "Test signer", content, &error);
  g_assert_null (signature);
  g_assert_nonnull (error);
}

/* Stations writing one ledger at once, each through its own connection: every
 * certificate lands once and the audit chain keeps one head. */
typedef struct
{
  const char *location;
  int         station;
} Station;

#define PER_STATION 6

static gpointer
station_thread (gpointer data)
{
  const Station *station = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) ledger = ca_ledger_open (station->location, &error);

  g_assert_no_error (error);
  g_assert_true (ca_ledger_unlock (ledger, PASS, &error));
  for (int i = 0; i < PER_STATION; i++)
    {
      g_autoptr(CaCertificate) cert = NULL;
      char imei[16];

      g_snprintf (imei, sizeof imei, "35000000%02d%04d", station->station, i);
      imei[14] = ca_imei_check_digit (imei);
      imei[15] = '\0';
      cert = issue_new_key (ledger, "Issuing", imei, &error);
      g_assert_no_error (error);
    }

  return NULL;
}

static void
test_concurrent_stations (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  Station stations[3];
  GThread *threads[G_N_ELEMENTS (stations)];
  gint64 events;

  make_cas (fixture);
  events = count_rows (fixture, "audit_log");
  for (guint i = 0; i < G_N_ELEMENTS (stations); i++)
    {
      stations[i] = (Station) { fixture->path, (int) i };
      threads[i] = g_thread_new ("station", station_thread, &stations[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (stations); i++)
    g_thread_join (threads[i]);

  g_assert_cmpint (count_rows (fixture, "certificates"), ==, G_N_ELEMENTS (stations) * PER_STATION);
  g_assert_cmpint (count_rows (fixture, "audit_log"), ==, events + G_N_ELEMENTS (stations) * PER_STATION);
  g_assert_true (ca_ledger_verify_audit (fixture->ledger, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* A server URI is never a file name: without a server it is a clear error, and
 * nothing named after it appears on disk. */
static void
test_uri_never_a_file (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) ledger = NULL;
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *uri = g_strdup_printf ("postgresql:///tagsmith?host=%s/no-server", fixture->dir);
  g_autoptr(GDir) listing = NULL;
  const char *name;

  g_assert_cmpint (g_chdir (fixture->dir), ==, 0);
  ledger = ca_ledger_open (uri, &error);
  g_assert_null (ledger);
  g_assert_error (error, CA_ERROR, CA_ERROR_DATABASE);
  g_assert_nonnull (strstr (error->message, "cannot be reached"));
  g_clear_error (&error);
  ledger = ca_ledger_open_read_only ("postgres://localhost:1/tagsmith", &error);
  g_assert_null (ledger);
  g_assert_error (error, CA_ERROR, CA_ERROR_DATABASE);
  g_assert_cmpint (g_chdir (cwd), ==, 0);

  /* Only the fixture's own ledger files are there. */
  listing = g_dir_open (fixture->dir, 0, NULL);
  while ((name = g_dir_read_name (listing)) != NULL)
    g_assert_true (g_str_has_prefix (name, "fleet.db"));
}

/* Reading an empty database on the server says there is no ledger there, as
 * for a missing file, and creates nothing. */
static void
test_read_only_server_never_creates (Fixture       *fixture,
                                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) ledger = NULL;
  g_autofree char *uri = g_strdup_printf ("%s%coptions=-csearch_path%%3D%s_nowhere", (const char *) user_data,
                                          strchr (user_data, '?') != NULL ? '&' : '?', fixture->schema);

  ledger = ca_ledger_open_read_only (uri, &error);
  g_assert_null (ledger);
  g_assert_error (error, CA_ERROR, CA_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "reading never creates one"));
}

static char *
file_digest (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));

  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
}

/* SQLite would make a new ledger of an empty file; a wrong --db or a truncated
 * copy must be refused instead, and left as it is. */
static void
test_open_refuses_empty (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autofree char *empty = g_build_filename (fixture->dir, "empty.db", NULL);
  g_autofree char *wal = g_strconcat (empty, "-wal", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) ledger = NULL;
  GStatBuf st;

  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  ledger = ca_ledger_open (empty, &error);
  g_assert_null (ledger);
  g_assert_error (error, CA_ERROR, CA_ERROR_DATABASE);
  g_assert_nonnull (strstr (error->message, "empty"));
  g_assert_cmpint (g_stat (empty, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 0);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  ledger = ca_ledger_open (fixture->dir, &error);
  g_assert_null (ledger);
  g_assert_error (error, CA_ERROR, CA_ERROR_DATABASE);
}

/* Another program's SQLite database is not turned into a ledger. */
static void
test_open_refuses_foreign_database (Fixture       *fixture,
                                    gconstpointer  user_data)
{
  g_autofree char *other = g_build_filename (fixture->dir, "other.db", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) ledger = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (other, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT);"
                                     "INSERT INTO photos (path) VALUES ('a.jpg');", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  before = file_digest (other);

  ledger = ca_ledger_open (other, &error);
  g_assert_null (ledger);
  g_assert_error (error, CA_ERROR, CA_ERROR_DATABASE);
  g_assert_nonnull (strstr (error->message, "not a Tagsmith ledger"));
  g_clear_error (&error);
  ledger = ca_ledger_open_read_only (other, &error);
  g_assert_null (ledger);
  g_assert_error (error, CA_ERROR, CA_ERROR_DATABASE);

  after = file_digest (other);
  g_assert_cmpstr (before, ==, after);
}

static void
test_read_only_never_creates (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autofree char *missing = g_build_filename (fixture->dir, "typo", "fleet.db", NULL);
  g_autofree char *folder = g_path_get_dirname (missing);
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) ledger = NULL;

  ledger = ca_ledger_open_read_only (missing, &error);
  g_assert_null (ledger);
  g_assert_error (error, CA_ERROR, CA_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "There is no ledger at"));
  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  ledger = ca_ledger_open (missing, &error);
  g_assert_no_error (error);
  g_assert_true (ca_ledger_was_created (ledger));
}

/* A folder given as the ledger: the advice names where both front ends choose
 * the file, since the window shows the same message in its bar. */
static void
test_folder_is_not_a_ledger (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) ledger = NULL;

  ledger = ca_ledger_open (fixture->dir, &error);
  g_assert_null (ledger);
  g_assert_error (error, CA_ERROR, CA_ERROR_DATABASE);
  g_assert_nonnull (strstr (error->message, "is not a file"));
  g_assert_nonnull (strstr (error->message, "--db"));
  g_assert_nonnull (strstr (error->message, "TAGSMITH_DB"));
  g_assert_nonnull (strstr (error->message, "Preferences"));
  g_clear_error (&error);

  ledger = ca_ledger_open_read_only (fixture->dir, &error);
  g_assert_null (ledger);
  g_assert_nonnull (strstr (error->message, "Preferences"));
}

/* An older ledger opened read-only reads as a current one, but the file keeps
 * its bytes and its schema version; nothing can be written through it. */
static void
test_read_only_leaves_file (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "v1.db", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *version = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) ledger = NULL;
  g_autoptr(GPtrArray) authorities = NULL;
  g_autoptr(CaAuthority) refused = NULL;

  write_v1_ledger (path);
  before = file_digest (path);

  ledger = ca_ledger_open_read_only (path, &error);
  g_assert_no_error (error);
  authorities = ca_ledger_list_authorities (ledger, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (authorities->len, ==, 1);
  g_assert_false (ca_ledger_unlock (ledger, PASS, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  refused = ca_ledger_create_authority (ledger, &(CaAuthorityRequest) { "Root", NULL, CA_KEY_EC_P256, 365, -1 },
                                        &error);
  g_assert_null (refused);
  g_assert_nonnull (error);
  g_clear_object (&ledger);

  after = file_digest (path);
  g_assert_cmpstr (before, ==, after);
  version = query_text (path, "PRAGMA user_version");
  g_assert_cmpint (atoi (version), ==, 1);
}

/* A symlink at the destination would send a copy of the encrypted keys wherever
 * it points. */
static void
test_backup_refuses_symlink (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autofree char *link = g_build_filename (fixture->dir, "backup.db", NULL);
  g_autofree char *elsewhere = g_build_filename (fixture->dir, "elsewhere.db", NULL);
  g_autoptr(GError) error = NULL;

  make_cas (fixture);
  g_assert_cmpint (symlink (elsewhere, link), ==, 0);
  g_assert_false (ca_ledger_backup (fixture->ledger, link, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "symbolic link"));
  g_assert_false (g_file_test (elsewhere, G_FILE_TEST_EXISTS));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/ca/ledger/open-pragmas", test_open_pragmas);
  ADD ("/ca/ledger/uri-never-a-file", test_uri_never_a_file);
  ADD_BOTH ("/ca/ledger/concurrent-stations", test_concurrent_stations);
  if (test_pg_uri () != NULL)
    g_test_add ("/pg/ca/ledger/read-only-never-creates", Fixture, test_pg_uri (), fixture_set_up,
                test_read_only_server_never_creates, fixture_tear_down);
  ADD ("/ca/ledger/refuses-future", test_open_refuses_future);
  ADD ("/ca/ledger/refuses-garbage", test_open_refuses_garbage);
  ADD ("/ca/ledger/verify-finds-damage", test_verify_finds_damage);
  ADD_BOTH ("/ca/ledger/passphrase", test_passphrase);
  ADD ("/ca/ledger/key-at-rest", test_key_at_rest);
  ADD_BOTH ("/ca/authority/create-list-export", test_authorities);
  ADD_BOTH ("/ca/authority/validity-encoding", test_validity_encoding);
  ADD_BOTH ("/ca/issue/profile-and-extensions", test_issue_profile_and_extensions);
  ADD_BOTH ("/ca/issue/caps-validity", test_issue_caps_validity);
  ADD_BOTH ("/ca/issue/policy", test_issue_policy);
  ADD_BOTH ("/ca/issue/locked", test_issue_locked);
  ADD_BOTH ("/ca/issue/new-key", test_new_key);
  ADD_BOTH ("/ca/issue/batch", test_batch);
  ADD_BOTH ("/ca/issue/batch-audit-chain", test_batch_audit_chain);
  ADD_BOTH ("/ca/revoke/supersede-and-revoke", test_supersede_and_revoke);
  ADD_BOTH ("/ca/authority/counts", test_authority_counts);
  ADD_BOTH ("/ca/revoke/crl", test_crl);
  ADD_BOTH ("/ca/revoke/intermediate", test_revoke_intermediate);
  ADD_BOTH ("/ca/revoke/refuses-below-revoked", test_revoke_refuses_below_revoked);
  ADD ("/ca/ledger/migrate-v1", test_migrate_v1);
  ADD_BOTH ("/ca/authority/proof", test_proof);
  ADD ("/ca/ledger/backup", test_backup);
  ADD_BOTH ("/ca/authority/path-length-inherited", test_path_length_inherited);
  ADD ("/ca/authority/validity-refused", test_validity_refused);
  ADD ("/ca/issue/within-chain", test_issue_within_chain);
  ADD_BOTH ("/ca/issue/compressed-key", test_compressed_key);
  ADD_BOTH ("/ca/issue/batch-rerun", test_batch_rerun);
  ADD_BOTH ("/ca/issue/batch-reused-key", test_batch_reused_key);
  ADD_BOTH ("/ca/issue/batch-supersedes", test_batch_supersedes);
  ADD_BOTH ("/ca/issue/batch-current-and-sort-keys", test_batch_current_and_sort_keys);
  ADD_BOTH ("/ca/issue/batch-concurrent-writers", test_batch_concurrent_writers);
  ADD_BOTH ("/ca/issue/batch-statements", test_batch_statements);
  ADD ("/ca/issue/batch-stops-when-revoked", test_batch_stops_when_revoked);
  if (test_pg_uri () != NULL)
    {
      g_test_add ("/pg/ca/issue/batch-generic-plans", Fixture, test_pg_uri (), fixture_set_up,
                  test_batch_generic_plans, fixture_tear_down);
      g_test_add ("/pg/ca/issue/batch-counts-growth", Fixture, test_pg_uri (), fixture_set_up,
                  test_batch_counts_growth, fixture_tear_down);
    }
  ADD_BOTH ("/ca/audit/head", test_audit_head);
  ADD_BOTH ("/ca/ledger/one-transaction", test_one_transaction);
  ADD_BOTH ("/ca/sign/detached", test_sign_detached);
  ADD ("/ca/ledger/refuses-empty", test_open_refuses_empty);
  ADD ("/ca/ledger/refuses-foreign-database", test_open_refuses_foreign_database);
  ADD ("/ca/ledger/read-only-never-creates", test_read_only_never_creates);
  ADD ("/ca/ledger/folder-is-not-a-ledger", test_folder_is_not_a_ledger);
  ADD ("/ca/ledger/read-only-leaves-file", test_read_only_leaves_file);
  ADD ("/ca/ledger/backup-refuses-symlink", test_backup_refuses_symlink);
  ADD_BOTH ("/ca/audit/replay", test_audit_replay);
  ADD_BOTH ("/ca/ledger/locked-changes-refused", test_locked_changes_refused);
  ADD_BOTH ("/ca/ledger/plaintext-key-refused", test_plaintext_key_refused);
#undef ADD

  return g_test_run ();
}
