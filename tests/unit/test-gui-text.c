/* test-gui-text.c: the window's helpers that turn ledger and modem data into words.
 * They are GLib only (the ts-gui-text library), so they run with no display.
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ts-credential-text.h"
#include "ts-provision-error.h"
#include "ts-store.h"
#include "ts-text.h"

/* A self-signed P-256 certificate with @cn as subject common name, as PEM. */
static GBytes *
make_certificate (const char *cn)
{
  EVP_PKEY *key = EVP_EC_gen ("P-256");
  X509 *cert = X509_new ();
  X509_NAME *name = X509_get_subject_name (cert);
  BIO *bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long len;
  GBytes *pem;

  g_assert_nonnull (key);
  X509_set_version (cert, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (cert), 4242);
  X509_gmtime_adj (X509_getm_notBefore (cert), 0);
  X509_gmtime_adj (X509_getm_notAfter (cert), 86400);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) cn, -1, -1, 0);
  X509_set_issuer_name (cert, name);
  X509_set_pubkey (cert, key);
  g_assert_cmpint (X509_sign (cert, key, EVP_sha256 ()), >, 0);
  g_assert_cmpint (PEM_write_bio_X509 (bio, cert), ==, 1);

  len = BIO_get_mem_data (bio, &data);
  pem = g_bytes_new (data, len);

  BIO_free (bio);
  X509_free (cert);
  EVP_PKEY_free (key);

  return pem;
}

static GBytes *
text_bytes (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

/* ts_credential_describe ------------------------------------------------------------ */

static void
test_describe_device_certificate (void)
{
  TsCredential credential = { .sec_tag = 16842753, .type = TS_CRED_CLIENT_CERT };
  /* 2036-03-03 12:00 UTC: midday, so the local date is the same in every time zone. */
  CaShaMatch match = {
    .kind = CA_SHA_DEVICE_CERTIFICATE, .imei = (char *) "352656100123456",
    .authority_name = (char *) "Line 1 CA", .not_after = 2088158400,
  };
  g_autofree char *text = ts_credential_describe (&credential, &match, "ignored");

  g_assert_cmpstr (text, ==, "Client certificate for 352656100123456, issued by Line 1 CA, "
                             "expires 3 Mar 2036");

  /* A ledger row without an IMEI still reads as a sentence. */
  match.imei = NULL;
  g_clear_pointer (&text, g_free);
  text = ts_credential_describe (&credential, &match, NULL);
  g_assert_true (g_str_has_prefix (text, "Client certificate for ?, issued by Line 1 CA"));
}

static void
test_describe_ca_and_foreign (void)
{
  TsCredential ca_cert = { .sec_tag = 7, .type = TS_CRED_CA_CERT };
  TsCredential client = { .sec_tag = 7, .type = TS_CRED_CLIENT_CERT };
  CaShaMatch ours = { .kind = CA_SHA_CA_CERTIFICATE, .authority_name = (char *) "Test Root CA" };
  CaShaMatch unknown = { .kind = CA_SHA_UNKNOWN };
  g_autofree char *a = ts_credential_describe (&ca_cert, &ours, NULL);
  g_autofree char *b = ts_credential_describe (&ca_cert, &unknown, "Amazon Root CA 1");
  g_autofree char *c = ts_credential_describe (&client, NULL, "other-device");
  g_autofree char *d = ts_credential_describe (&client, NULL, NULL);

  g_assert_cmpstr (a, ==, "CA certificate: Test Root CA (from this ledger)");
  g_assert_cmpstr (b, ==, "Server CA: Amazon Root CA 1");
  g_assert_cmpstr (c, ==, "Client certificate for other-device, not issued here");
  g_assert_cmpstr (d, ==, "Unknown: not in this ledger");
}

static void
test_describe_secrets_and_modem_entries (void)
{
  TsCredential key = { .sec_tag = 1, .type = TS_CRED_PRIVATE_KEY };
  TsCredential psk = { .sec_tag = 1, .type = TS_CRED_PSK };
  TsCredential identity = { .sec_tag = 1, .type = TS_CRED_PSK_IDENTITY };
  TsCredential nordic = { .sec_tag = 4294967292u, .type = 10 };
  g_autofree char *a = ts_credential_describe (&key, NULL, NULL);
  g_autofree char *b = ts_credential_describe (&psk, NULL, NULL);
  g_autofree char *c = ts_credential_describe (&identity, NULL, NULL);
  g_autofree char *d = ts_credential_describe (&nordic, NULL, NULL);

  g_assert_cmpstr (a, ==, "Private key (the modem never shows it)");
  g_assert_cmpstr (b, ==, "Pre-shared key");
  g_assert_cmpstr (c, ==, "PSK identity");
  g_assert_cmpstr (d, ==, "Managed by the modem: Nordic identity root CA");
}

/* ts_pem_subject_cn and ts_store_check_credential ---------------------------------- */

static void
test_pem_subject_cn (void)
{
  g_autoptr(GBytes) pem = make_certificate ("nrf-352656100123456");
  g_autoptr(GBytes) utf8 = make_certificate ("Prüfstelle Nord");
  g_autoptr(GBytes) junk = text_bytes ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autofree char *cn = ts_pem_subject_cn (pem);
  g_autofree char *cn_utf8 = ts_pem_subject_cn (utf8);
  g_autofree char *cn_junk = ts_pem_subject_cn (junk);
  g_autofree char *cn_empty = ts_pem_subject_cn (empty);

  g_assert_cmpstr (cn, ==, "nrf-352656100123456");
  g_assert_cmpstr (cn_utf8, ==, "Prüfstelle Nord");
  g_assert_null (cn_junk);
  g_assert_null (cn_empty);
}

static void
assert_refused (guint       type,
                const char *content,
                const char *advice)
{
  g_autoptr(GBytes) bytes = text_bytes (content);
  g_autoptr(GError) error = NULL;

  g_assert_false (ts_store_check_credential (type, bytes, &error));
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, advice));
}

static void
assert_accepted (guint       type,
                 GBytes     *bytes)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ts_store_check_credential (type, bytes, &error));
  g_assert_no_error (error);
}

static void
test_check_input (void)
{
  g_autoptr(GBytes) cert = make_certificate ("server");
  g_autoptr(GBytes) key = text_bytes ("-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n-----END PRIVATE KEY-----\n");
  g_autoptr(GBytes) psk = text_bytes ("000102030405060708090A0B0C0D0E0F\n");
  g_autoptr(GBytes) identity = text_bytes ("device-17");

  assert_accepted (TS_CRED_CA_CERT, cert);
  assert_accepted (TS_CRED_CLIENT_CERT, cert);
  assert_accepted (TS_CRED_PRIVATE_KEY, key);
  assert_accepted (TS_CRED_PSK, psk);
  assert_accepted (TS_CRED_PSK_IDENTITY, identity);

  assert_refused (TS_CRED_CA_CERT, "hello", "Give the text from");
  assert_refused (TS_CRED_PRIVATE_KEY, "-----BEGIN CERTIFICATE-----\n", "not a PEM private key");
  assert_refused (TS_CRED_PSK, "00010G", "hexadecimal digits");
  assert_refused (TS_CRED_PSK, "000", "even number of hex digits");
  assert_refused (TS_CRED_PSK_IDENTITY, "two\tparts", "one line of printable text");
  assert_refused (8, "anything", "cannot be written");
  /* Bytes the AT line cannot carry are refused before any type check. */
  assert_refused (TS_CRED_PSK_IDENTITY, "id\"x", "cannot carry");
}

static void
test_check_input_empty (void)
{
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GError) error = NULL;

  g_assert_false (ts_store_check_credential (TS_CRED_PSK, empty, &error));
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "empty"));
}

/* ts-text ------------------------------------------------------------------------- */

static void
test_format_date (void)
{
  g_autofree char *none = ts_format_date (0);
  g_autofree char *date = ts_format_date (2088158400);
  g_autofree char *early = ts_format_date (86400 * 31 + 43200);

  g_assert_cmpstr (none, ==, "—");
  g_assert_cmpstr (date, ==, "3 Mar 2036");
  g_assert_cmpstr (early, ==, "1 Feb 1970");
}

static void
test_format_relative (void)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *none = ts_format_relative (0);
  g_autofree char *soon = ts_format_relative (now + 42 * 86400 + 3600);
  g_autofree char *tomorrow = ts_format_relative (now + 86400 + 3600);
  g_autofree char *past = ts_format_relative (now - 3 * 86400 - 3600);
  g_autofree char *yesterday = ts_format_relative (now - 86400 - 3600);
  g_autofree char *today = ts_format_relative (now + 3600);

  g_assert_cmpstr (none, ==, "—");
  g_assert_cmpstr (soon, ==, "in 42 days");
  g_assert_cmpstr (tomorrow, ==, "in 1 day");
  g_assert_cmpstr (past, ==, "3 days ago");
  g_assert_cmpstr (yesterday, ==, "1 day ago");
  g_assert_cmpstr (today, ==, "today");
}

static void
test_short_hash (void)
{
  const char *sha = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";
  g_autofree char *full = ts_short_hash (sha);
  g_autofree char *short_one = ts_short_hash ("ABCDEF");
  g_autofree char *sixteen = ts_short_hash ("0123456789ABCDEF");
  g_autofree char *none = ts_short_hash (NULL);
  g_autofree char *empty = ts_short_hash ("");

  g_assert_cmpstr (full, ==, "01234567…CDEF");
  g_assert_cmpstr (short_one, ==, "ABCDEF");
  g_assert_cmpstr (sixteen, ==, "0123456789ABCDEF");
  g_assert_cmpstr (none, ==, "—");
  g_assert_cmpstr (empty, ==, "—");
}

/* HOME is /home/ada (main() says so), as g_get_home_dir() reads it. */
static void
test_format_path (void)
{
  const struct { const char *path; const char *shown; } cases[] = {
    { "/home/ada/Documents/fleet-export", "~/Documents/fleet-export" },
    { "/home/ada", "~" },
    { "/home/ada/", "~/" },
    { "/home/adam/Documents", "/home/adam/Documents" },  /* another home that starts the same */
    { "/tmp/export", "/tmp/export" },
    { "relative/folder", "relative/folder" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *shown = ts_format_path (cases[i].path);

      g_assert_cmpstr (shown, ==, cases[i].shown);
    }
}

/* ts_revoke_reasons ------------------------------------------------------------------ */

/* Each of @reasons is a reason the ledger takes, offered once, named and explained in
 * a line; @offered says which are. */
static void
check_reasons (const TsRevokeReasonText *reasons,
               guint                     n,
               gboolean                  offered[11])
{
  for (guint i = 0; i < n; i++)
    {
      CaRevokeReason parsed;

      g_assert_true (ca_revoke_reason_from_string (ca_revoke_reason_to_string (reasons[i].reason), &parsed));
      g_assert_cmpint (parsed, ==, reasons[i].reason);
      g_assert_false (offered[reasons[i].reason]);
      offered[reasons[i].reason] = TRUE;
      g_assert_cmpstr (ts_revoke_reason_label (reasons[i].reason), !=, "Unknown reason");
      g_assert_null (strchr (reasons[i].explanation, '\n'));
      g_assert_true (g_str_has_suffix (reasons[i].explanation, "."));
    }
}

static void
test_revoke_reasons (void)
{
  guint n = 0;
  const TsRevokeReasonText *reasons = ts_revoke_reasons (&n);
  gboolean offered[11] = { FALSE };

  g_assert_cmpuint (n, >=, 5);
  check_reasons (reasons, n, offered);
  /* Those people choose for a device; never the ones for authorities, nor the CRL delta's. */
  g_assert_true (offered[CA_REVOKE_KEY_COMPROMISE] && offered[CA_REVOKE_SUPERSEDED] &&
                 offered[CA_REVOKE_AFFILIATION_CHANGED] && offered[CA_REVOKE_CESSATION_OF_OPERATION]);
  g_assert_false (offered[CA_REVOKE_CA_COMPROMISE] || offered[CA_REVOKE_AA_COMPROMISE] ||
                  offered[CA_REVOKE_REMOVE_FROM_CRL]);
}

/* The window names every reason a ledger may hold in words, never by the
 * standard's identifier, which the ledger, the CRL and --json keep. */
static void
test_revoke_reason_labels (void)
{
  static const CaRevokeReason all[] = {
    CA_REVOKE_UNSPECIFIED, CA_REVOKE_KEY_COMPROMISE, CA_REVOKE_CA_COMPROMISE,
    CA_REVOKE_AFFILIATION_CHANGED, CA_REVOKE_SUPERSEDED, CA_REVOKE_CESSATION_OF_OPERATION,
    CA_REVOKE_CERTIFICATE_HOLD, CA_REVOKE_REMOVE_FROM_CRL, CA_REVOKE_PRIVILEGE_WITHDRAWN,
    CA_REVOKE_AA_COMPROMISE,
  };
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      const char *label = ts_revoke_reason_label (all[i]);

      g_assert_cmpstr (label, !=, ca_revoke_reason_to_string (all[i]));
      g_assert_cmpstr (label, !=, "Unknown reason");
      g_assert_true (g_unichar_isupper (g_utf8_get_char (label)));
      g_assert_true (g_hash_table_add (seen, (gpointer) label));
    }
  g_assert_cmpstr (ts_revoke_reason_label (CA_REVOKE_CESSATION_OF_OPERATION), ==, "Cessation of operation");
  g_assert_cmpstr (ts_revoke_reason_label (7), ==, "Unknown reason");
}

static void
test_station_revoke_reasons (void)
{
  guint n = 0;
  const TsRevokeReasonText *reasons = ts_station_revoke_reasons (&n);
  gboolean offered[11] = { FALSE };

  check_reasons (reasons, n, offered);
  /* A station is a CA: its compromise comes first, as the command line's default. */
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpint (reasons[0].reason, ==, CA_REVOKE_CA_COMPROMISE);
  g_assert_true (offered[CA_REVOKE_CESSATION_OF_OPERATION] && offered[CA_REVOKE_SUPERSEDED] &&
                 offered[CA_REVOKE_AFFILIATION_CHANGED]);
}

/* The window names its own choice where the core's advice names a command-line option. */
static void
test_error_advice (void)
{
  g_autoptr(GError) old_firmware = NULL;
  g_autoptr(GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                                 "No such port. Plug the kit in again.");
  g_autofree char *advice = NULL;
  g_autofree char *same = NULL;

  old_firmware = g_error_new (TS_PROVISION_ERROR, TS_PROVISION_ERROR_NOT_SUPPORTED,
                              "The modem firmware (mfw_nrf9160_1.2.3) is older than 1.3.0 and "
                              "cannot generate a key (%%KEYGEN). Update the modem firmware, or "
                              "run again with --host-key to generate the key on this computer.");
  advice = ts_error_advice (old_firmware);
  g_assert_null (strstr (advice, "--"));
  g_assert_null (strstr (advice, "%KEYGEN"));
  g_assert_nonnull (strstr (advice, "Generate the key on this computer"));

  same = ts_error_advice (other);
  g_assert_cmpstr (same, ==, other->message);
}

/* Advice only the command line can follow stays out of the window; the rest of
 * the message is the window's advice, and the command line keeps it all. */
static void
test_error_advice_cli_hint (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) plain = NULL;
  g_autofree char *advice = NULL;
  g_autofree char *plain_advice = NULL;
  g_autofree char *line_advice = NULL;

  g_set_error (&error, CA_ERROR, CA_ERROR_NOT_FOUND,
               "There is no CA named “%s” in this ledger. Check the name against the ledger's CAs.",
               "Fleet");
  ca_error_add_cli_hint (&error, "`tagsmith ca list` shows %s.", "them");
  g_assert_cmpstr (error->message, ==,
                   "There is no CA named “Fleet” in this ledger. Check the name against the "
                   "ledger's CAs.\nOn the command line, `tagsmith ca list` shows them.");

  advice = ts_error_advice (error);
  g_assert_cmpstr (advice, ==,
                   "There is no CA named “Fleet” in this ledger. Check the name against the "
                   "ledger's CAs.");

  /* A message passed on without its GError, as the production line's events are. */
  line_advice = ts_message_advice (error->message);
  g_assert_cmpstr (line_advice, ==, advice);

  /* Nothing set, nothing to add to. */
  ca_error_add_cli_hint (&plain, "`tagsmith ca list`");
  g_assert_null (plain);
  ca_error_add_cli_hint (NULL, "`tagsmith ca list`");

  plain = g_error_new_literal (CA_ERROR, CA_ERROR_POLICY, "A line.\nAnother line.");
  plain_advice = ts_error_advice (plain);
  g_assert_cmpstr (plain_advice, ==, plain->message);
}

int
main (int    argc,
      char **argv)
{
  /* The expected strings are the untranslated English ones, dates in the C locale. */
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("TZ", "UTC", TRUE);
  g_setenv ("HOME", "/home/ada", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gui-text/credential/device-certificate", test_describe_device_certificate);
  g_test_add_func ("/gui-text/credential/ca-and-foreign", test_describe_ca_and_foreign);
  g_test_add_func ("/gui-text/credential/secrets-and-modem-entries",
                   test_describe_secrets_and_modem_entries);
  g_test_add_func ("/gui-text/credential/subject-cn", test_pem_subject_cn);
  g_test_add_func ("/gui-text/credential/check-input", test_check_input);
  g_test_add_func ("/gui-text/credential/check-input-empty", test_check_input_empty);
  g_test_add_func ("/gui-text/format-date", test_format_date);
  g_test_add_func ("/gui-text/error-advice/cli-hint", test_error_advice_cli_hint);
  g_test_add_func ("/gui-text/format-relative", test_format_relative);
  g_test_add_func ("/gui-text/short-hash", test_short_hash);
  g_test_add_func ("/gui-text/format-path", test_format_path);
  g_test_add_func ("/gui-text/revoke-reasons", test_revoke_reasons);
  g_test_add_func ("/gui-text/revoke-reason-labels", test_revoke_reason_labels);
  g_test_add_func ("/gui-text/station-revoke-reasons", test_station_revoke_reasons);
  g_test_add_func ("/gui-text/error-advice", test_error_advice);

  return g_test_run ();
}
