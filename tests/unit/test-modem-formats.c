/* test-modem-formats.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "ts-modem.h"

static char *
load_fixture (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (TEST_DATA_DIR, "modem", name, NULL);
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);

  return g_strchomp (text);
}

static void
test_sha256_examples (void)
{
  char hex[65];
  const char *lf = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----";
  const char *crlf = "-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----";

  /* The worked examples of PROTOCOL.md §6.4. */
  ts_nrf91_sha256_hex ((const guint8 *) "HONKHONK", 8, hex);
  g_assert_cmpstr (hex, ==, "6AEE30EC87D762D5EF420BB5C1404738F2312F4904FB2AC157019A959E34371C");
  ts_nrf91_sha256_hex ((const guint8 *) lf, strlen (lf), hex);
  g_assert_cmpstr (hex, ==, "E3C1FDED22009845E3E8E01CE56C9CAF7D5F23877364CF0A27A4E55DD36C7D61");
  ts_nrf91_sha256_hex ((const guint8 *) crlf, strlen (crlf), hex);
  g_assert_cmpstr (hex, ==, "D4506ED94C8DB66D86488030B31736458F9F67E670D3C6DDBA5DA5755F15F9DA");
}

static void
assert_normalised (const char    *in,
                   TsLineEndings  endings,
                   const char    *want)
{
  g_autoptr(GBytes) src = g_bytes_new (in, strlen (in));
  g_autoptr(GBytes) out = ts_nrf91_normalise_content (src, endings);
  g_autofree char *got = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));

  g_assert_cmpstr (got, ==, want);
}

static void
test_normalise (void)
{
  assert_normalised ("a\r\nb\nc\rd\n", TS_LINE_ENDINGS_LF, "a\nb\nc\nd\n");
  assert_normalised ("a\r\nb\nc\rd\n", TS_LINE_ENDINGS_CRLF, "a\r\nb\r\nc\r\nd\r\n");
  assert_normalised ("a\r\nb\nc\rd\n", TS_LINE_ENDINGS_KEEP, "a\r\nb\nc\rd\n");
  assert_normalised ("\r\n\r\n", TS_LINE_ENDINGS_LF, "\n\n");
}

static void
assert_content_refused (const char *data,
                        gsize       len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);
  g_autoptr(GError) error = NULL;

  g_assert_false (ts_nrf91_check_content (bytes, &error));
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT);
}

static void
test_content_checks (void)
{
  g_autoptr(GBytes) good = g_bytes_new_static ("-----BEGIN X-----\n", 18);
  g_autoptr(GError) error = NULL;

  g_assert_true (ts_nrf91_check_content (good, &error));
  g_assert_no_error (error);

  assert_content_refused ("", 0);
  assert_content_refused ("a\"b", 3);
  assert_content_refused ("a\0b", 3);
  assert_content_refused ("a\bb", 3);
  assert_content_refused ("a\x7f" "b", 3);

  g_assert_true (ts_nrf91_check_key_password ("secret", NULL));
  g_assert_true (ts_nrf91_check_key_password (NULL, NULL));
  g_assert_false (ts_nrf91_check_key_password ("has\"quote", NULL));
  g_assert_false (ts_nrf91_check_key_password ("123456789012345678901234567890123", NULL));
}

static void
test_build_write (void)
{
  g_autoptr(GBytes) content = g_bytes_new_static ("AB\nCD\n", 6);
  g_autofree char *plain = ts_nrf91_build_write (42, 0, content, NULL);
  g_autofree char *keyed = ts_nrf91_build_write (7, 2, content, "pw");

  g_assert_cmpstr (plain, ==, "AT%CMNG=0,42,0,\"AB\nCD\n\"");
  g_assert_cmpstr (keyed, ==, "AT%CMNG=0,7,2,\"AB\nCD\n\",\"pw\"");
}

static void
test_cmng_entries (void)
{
  TsCredential c;

  g_assert_true (ts_nrf91_parse_cmng_entry (
    "%CMNG: 123,0,\"2C43952EE9E000FF2ACC4E2ED0897C0A72AD5FA72C3D934E81741CBD54F05BD1\"", &c));
  g_assert_cmpuint (c.sec_tag, ==, 123);
  g_assert_cmpuint (c.type, ==, 0);
  g_assert_cmpstr (c.sha256, ==, "2C43952EE9E000FF2ACC4E2ED0897C0A72AD5FA72C3D934E81741CBD54F05BD1");

  /* The documentation's spaced form, lower-case hex. */
  g_assert_true (ts_nrf91_parse_cmng_entry (
    "%CMNG: 12345678, 0, \"978c6e7e2b5b0c1b9d1c8d5c3a4fb2b8ab1b3f7a0e6c2a4f51e2d0d12f4e02c4\"", &c));
  g_assert_cmpuint (c.sec_tag, ==, 12345678);
  g_assert_cmpstr (c.sha256, ==, "978C6E7E2B5B0C1B9D1C8D5C3A4FB2B8AB1B3F7A0E6C2A4F51E2D0D12F4E02C4");

  /* Tolerated: no SHA, or a malformed one. */
  g_assert_true (ts_nrf91_parse_cmng_entry ("%CMNG: 4294967292,10", &c));
  g_assert_cmpuint (c.sec_tag, ==, 4294967292u);
  g_assert_cmpstr (c.sha256, ==, "");
  g_assert_true (ts_nrf91_parse_cmng_entry ("%CMNG: 5,1,\"XYZ\"", &c));
  g_assert_cmpstr (c.sha256, ==, "");

  g_assert_false (ts_nrf91_parse_cmng_entry ("%CMNG: ,1", &c));
  g_assert_false (ts_nrf91_parse_cmng_entry ("%CMNG: 4294967296,1", &c));
  g_assert_false (ts_nrf91_parse_cmng_entry ("+CEREG: 5", &c));
}

static void
test_cmng_read (void)
{
  g_autoptr(GBytes) content = NULL;
  g_autoptr(GError) error = NULL;
  TsCredential c;

  g_assert_true (ts_nrf91_parse_cmng_read ("%CMNG: 42,0,\"AB\",\"-----BEGIN\r\nX\r\n\"", &c,
                                           &content, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (content, NULL), g_bytes_get_size (content),
                   "-----BEGIN\r\nX\r\n", 15);

  g_assert_false (ts_nrf91_parse_cmng_read ("%CMNG: 42,0,\"AB\",\"cut off", &c, &content, &error));
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL);
}

static void
test_firmware_versions (void)
{
  TsFirmwareVersion v;

  g_assert_true (ts_nrf91_parse_firmware ("mfw_nrf9160_1.3.5", &v));
  g_assert_cmpuint (v.major, ==, 1);
  g_assert_cmpuint (v.minor, ==, 3);
  g_assert_cmpuint (v.patch, ==, 5);
  g_assert_false (v.ntn);

  g_assert_true (ts_nrf91_parse_firmware ("mfw-pti_nrf91x1_2.3.8", &v));
  g_assert_cmpuint (v.major, ==, 2);
  g_assert_true (ts_nrf91_parse_firmware ("mfw_nrf9151-ntn_1.0.0-1.alpha", &v));
  g_assert_true (v.ntn);
  g_assert_cmpuint (v.patch, ==, 0);

  g_assert_false (ts_nrf91_parse_firmware ("mfw_nrf9160_1.3", &v));
  g_assert_false (ts_nrf91_parse_firmware ("mfw_1.2.3_4.5.6", &v));
  g_assert_false (ts_nrf91_parse_firmware ("mfw_nrf9160_1000.3.5", &v));
  /* Found by fuzz-cmng: a byte that is not UTF-8 made GRegex return NULL. */
  g_assert_false (ts_nrf91_parse_firmware ("mfw_nrf9160_1.3.5\xd0", &v));
}

static void
test_sec_tags_and_types (void)
{
  g_autoptr(GError) error = NULL;
  guint32 tag;
  guint type;

  g_assert_cmpint (ts_sec_tag_classify (0), ==, TS_SEC_TAG_USER);
  g_assert_cmpint (ts_sec_tag_classify (2147483647), ==, TS_SEC_TAG_USER);
  g_assert_cmpint (ts_sec_tag_classify (2147483648u), ==, TS_SEC_TAG_DEBUG);
  g_assert_cmpint (ts_sec_tag_classify (2147483667u), ==, TS_SEC_TAG_DEBUG);
  g_assert_cmpint (ts_sec_tag_classify (2147483668u), ==, TS_SEC_TAG_MODEM);

  g_assert_true (ts_sec_tag_check_writable (2147483650u, NULL));
  g_assert_false (ts_sec_tag_check_writable (4294967292u, &error));
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  g_assert_true (ts_sec_tag_parse ("16842753", &tag, NULL));
  g_assert_cmpuint (tag, ==, 16842753);
  g_assert_false (ts_sec_tag_parse ("-1", &tag, NULL));
  g_assert_false (ts_sec_tag_parse ("4294967296", &tag, NULL));
  g_assert_false (ts_sec_tag_parse ("12abc", &tag, NULL));

  g_assert_true (ts_cred_type_parse ("psk-identity", &type, NULL));
  g_assert_cmpuint (type, ==, TS_CRED_PSK_IDENTITY);
  g_assert_true (ts_cred_type_parse ("CERT", &type, NULL));
  g_assert_cmpuint (type, ==, TS_CRED_CLIENT_CERT);
  g_assert_true (ts_cred_type_parse ("10", &type, NULL));
  g_assert_cmpuint (type, ==, 10);
  g_assert_false (ts_cred_type_parse ("12", &type, &error));
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT);

  g_assert_true (ts_cred_type_is_writable (TS_CRED_PSK_IDENTITY));
  g_assert_false (ts_cred_type_is_writable (5));
}

static void
test_cfun (void)
{
  int mode;

  g_assert_true (ts_nrf91_parse_cfun ("+CFUN: 4", &mode));
  g_assert_cmpint (mode, ==, 4);
  g_assert_false (ts_nrf91_parse_cfun ("+CFUN: x", &mode));
  g_assert_true (ts_nrf91_cfun_is_lte_active (1));
  g_assert_true (ts_nrf91_cfun_is_lte_active (21));
  g_assert_false (ts_nrf91_cfun_is_lte_active (4));
  g_assert_false (ts_nrf91_cfun_is_lte_active (0));
}

static void
test_cme_messages (void)
{
  const int codes[] = { 0, 513, 514, 515, 518, 519, 520, 523, 527, 528 };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    g_assert_cmpstr (ts_cme_error_advice (codes[i]), !=, ts_cme_error_advice (9999));

  ts_set_cme_error (&error, 527, "Writing the client certificate");
  g_assert_error (error, TS_CME_ERROR, 527);
  g_assert_nonnull (strstr (error->message, "(+CME ERROR: 527)"));
  g_assert_nonnull (strstr (error->message, "invalid or too large"));
}

static void
test_keygen_token (void)
{
  g_autofree char *line = load_fixture ("keygen.txt");
  g_autoptr(TsKeygenResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = NULL;

  result = ts_keygen_result_parse (line, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->payload_id, ==, TS_KEYGEN_PAYLOAD_CSR);
  g_assert_cmpuint (result->sec_tag, ==, 16842753);
  g_assert_cmpstr (result->device_uuid, ==, "504d5632-3739-42fb-80c8-1411df972166");
  g_assert_cmpstr (result->subject, ==, "CN=504d5632-3739-42fb-80c8-1411df972166");

  g_assert_true (ts_keygen_result_verify (result, 16842753, "504D5632-3739-42FB-80C8-1411DF972166",
                                          &error));
  g_assert_no_error (error);

  g_assert_false (ts_keygen_result_verify (result, 16842754, NULL, &error));
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_VERIFY_FAILED);
  g_clear_error (&error);
  g_assert_false (ts_keygen_result_verify (result, 16842753, "00000000-0000-0000-0000-000000000000",
                                           &error));
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_VERIFY_FAILED);

  pem = ts_keygen_result_dup_pem (result);
  g_assert_true (g_str_has_prefix (pem, "-----BEGIN CERTIFICATE REQUEST-----\n"));
}

static void
test_keygen_refusals (void)
{
  g_autofree char *bad_digest = load_fixture ("keygen-bad-digest.txt");
  g_autofree char *high_tag = load_fixture ("keygen-high-tag.txt");
  g_autofree char *p384 = load_fixture ("keygen-p384.txt");
  g_autoptr(TsKeygenResult) result = NULL;
  g_autoptr(TsKeygenResult) high = NULL;
  g_autoptr(TsKeygenResult) none = NULL;
  g_autoptr(GError) error = NULL;

  result = ts_keygen_result_parse (bad_digest, &error);
  g_assert_no_error (error);
  g_assert_false (ts_keygen_result_verify (result, 16842753, NULL, &error));
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_VERIFY_FAILED);
  g_clear_error (&error);

  /* A negative CBOR sec_tag is the int32 view of a tag >= 2^31 (§6.3). */
  high = ts_keygen_result_parse (high_tag, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (high->sec_tag, ==, 2147483649u);

  none = ts_keygen_result_parse (p384, &error);
  g_assert_null (none);
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_VERIFY_FAILED);
  g_clear_error (&error);

  g_assert_null (ts_keygen_result_parse ("%KEYGEN: \"abc\"", &error));
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_null (ts_keygen_result_parse ("%KEYGEN: \"ab$c.def\"", &error));
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL);
}

static void
test_attestation_token (void)
{
  g_autofree char *line = load_fixture ("attest.txt");
  g_autoptr(TsAttestation) token = NULL;
  g_autoptr(GError) error = NULL;

  token = ts_attestation_parse (line, &error);
  g_assert_no_error (error);
  g_assert_cmpint (token->message_type, ==, 1);
  g_assert_cmpstr (token->device_uuid, ==, "504d5632-3739-42fb-80c8-1411df972166");
  g_assert_cmpint (token->device_type, ==, 3);
  g_assert_cmpstr (token->firmware_uuid, ==, "25c95751-efa4-40d4-8b4a-1dcaab81fac9");
  g_assert_cmpstr (token->nonce_hex, ==, "90115c20ac3f381b520b43c76bd5d99c");
}

static void
test_base64url (void)
{
  g_autoptr(GBytes) a = ts_base64url_decode ("-_8", -1, NULL);
  g_autoptr(GBytes) b = ts_base64url_decode ("YQ==", -1, NULL);

  g_assert_cmpmem (g_bytes_get_data (a, NULL), g_bytes_get_size (a), "\xfb\xff", 2);
  g_assert_cmpmem (g_bytes_get_data (b, NULL), g_bytes_get_size (b), "a", 1);
  g_assert_null (ts_base64url_decode ("A", -1, NULL));
  g_assert_null (ts_base64url_decode ("a+b/", -1, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ts/modem-formats/sha256-examples", test_sha256_examples);
  g_test_add_func ("/ts/modem-formats/normalise", test_normalise);
  g_test_add_func ("/ts/modem-formats/content-checks", test_content_checks);
  g_test_add_func ("/ts/modem-formats/build-write", test_build_write);
  g_test_add_func ("/ts/modem-formats/cmng-entries", test_cmng_entries);
  g_test_add_func ("/ts/modem-formats/cmng-read", test_cmng_read);
  g_test_add_func ("/ts/modem-formats/firmware-versions", test_firmware_versions);
  g_test_add_func ("/ts/modem-formats/sec-tags-and-types", test_sec_tags_and_types);
  g_test_add_func ("/ts/modem-formats/cfun", test_cfun);
  g_test_add_func ("/ts/modem-formats/cme-messages", test_cme_messages);
  g_test_add_func ("/ts/modem-formats/keygen-token", test_keygen_token);
  g_test_add_func ("/ts/modem-formats/keygen-refusals", test_keygen_refusals);
  g_test_add_func ("/ts/modem-formats/attestation-token", test_attestation_token);
  g_test_add_func ("/ts/modem-formats/base64url", test_base64url);

  return g_test_run ();
}
