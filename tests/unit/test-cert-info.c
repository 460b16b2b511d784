/* test-cert-info.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A certificate's details as the details view shows them: every field of real
 * certificates made by the ledger's CAs, checked against the ledger's record
 * and against the openssl command, and clear errors for what is not exactly
 * one certificate. */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "test-ca-util.h"
#include "ts-cert-info.h"
#include "ts-provision-error.h"

/* What `openssl x509 @option` prints for @pem, after its "NAME=" prefix. */
static char *
openssl_says (Fixture    *fixture,
              const char *pem,
              const char *option)
{
  g_autofree char *path = g_build_filename (fixture->dir, "cert.pem", NULL);
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "openssl", "x509", "-noout", "-in", path, option, NULL, NULL };
  int status = 0;

  if (g_str_equal (option, "-sha1"))
    {
      argv[5] = "-fingerprint";
      argv[6] = "-sha1";
    }
  else if (g_str_equal (option, "-sha256"))
    {
      argv[5] = "-fingerprint";
      argv[6] = "-sha256";
    }
  g_assert_true (g_file_set_contents (path, pem, -1, &error));
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  g_strstrip (out);
  g_assert_nonnull (strchr (out, '='));

  return g_strdup (strchr (out, '=') + 1);
}

static const TsCertExtension *
find_extension (const TsCertInfo *info,
                const char       *name)
{
  for (guint i = 0; i < info->extensions->len; i++)
    {
      const TsCertExtension *extension = g_ptr_array_index (info->extensions, i);

      if (g_str_equal (extension->name, name))
        return extension;
    }

  g_error ("no “%s” extension", name);
  return NULL;
}

static CaCertificate *
issue_device (Fixture *fixture)
{
  g_autoptr(CaCsr) csr = fixture_csr ("p256.csr.pem");
  g_autoptr(GError) error = NULL;
  CaCertificate *cert;

  make_cas (fixture);
  cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, csr, &error);
  g_assert_no_error (error);

  return cert;
}

static CaAuthority *
get_authority (Fixture    *fixture,
               const char *name)
{
  g_autoptr(GError) error = NULL;
  CaAuthority *authority = ca_ledger_get_authority (fixture->ledger, name, &error);

  g_assert_no_error (error);

  return authority;
}

static void
test_device (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autoptr(CaCertificate) cert = issue_device (fixture);
  g_autoptr(CaAuthority) issuing = get_authority (fixture, "Issuing");
  g_autoptr(TsCertInfo) issuing_info = ts_cert_info_new_from_pem (issuing->cert_pem, NULL);
  g_autoptr(TsCertInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *sha256 = openssl_says (fixture, cert->pem, "-sha256");
  g_autofree char *sha1 = openssl_says (fixture, cert->pem, "-sha1");
  g_autofree char *serial = openssl_says (fixture, cert->pem, "-serial");
  g_autofree char *ski = NULL;
  const TsCertExtension *extension;

  info = ts_cert_info_new_from_pem (cert->pem, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (info->subject, ==, cert->subject);
  g_assert_nonnull (strstr (info->subject, IMEI1));
  g_assert_cmpstr (info->issuer, ==, issuing->subject);
  g_assert_cmpstr (info->subject_cn, !=, NULL);
  g_assert_false (info->self_signed);
  g_assert_cmpstr (info->serial, ==, cert->serial);
  g_assert_cmpstr (info->serial, ==, serial);
  g_assert_cmpint (info->version, ==, 3);
  g_assert_cmpint (info->not_before, ==, cert->not_before);
  g_assert_cmpint (info->not_after, ==, cert->not_after);
  g_assert_cmpstr (info->key_algorithm, ==, "EC");
  g_assert_cmpuint (info->key_bits, ==, 256);
  g_assert_cmpstr (info->key_curve, ==, "P-256 (prime256v1)");
  key = ts_cert_info_describe_key (info);
  g_assert_cmpstr (key, ==, "EC P-256 (prime256v1), 256 bits");
  g_assert_cmpstr (info->signature_algorithm, ==, "ecdsa-with-SHA256");

  /* Fingerprints in full, exactly as openssl prints them. */
  g_assert_cmpstr (info->sha256, ==, sha256);
  g_assert_cmpuint (strlen (info->sha256), ==, 32 * 3 - 1);
  g_assert_cmpstr (info->sha1, ==, sha1);
  g_assert_cmpstr (info->pem_sha256, ==, cert->sha256_lf);
  g_assert_cmpstr (info->pem, ==, cert->pem);
  g_assert_cmpuint (g_bytes_get_size (info->der), >, 200);

  g_assert_cmpuint (info->extensions->len, ==, 5);
  g_assert_cmpuint (strlen (find_extension (info, "Subject key identifier")->value), ==, 20 * 3 - 1);
  extension = find_extension (info, "Basic constraints");
  g_assert_true (extension->critical);
  g_assert_cmpstr (extension->value, ==, "Certificate authority: no");
  extension = find_extension (info, "Key usage");
  g_assert_true (extension->critical);
  g_assert_cmpstr (extension->value, ==, "Digital Signature");
  extension = find_extension (info, "Extended key usage");
  g_assert_false (extension->critical);
  g_assert_cmpstr (extension->value, ==, "TLS Web Client Authentication");
  /* The authority key identifier is the issuing CA's subject key identifier. */
  ski = g_strdup (find_extension (issuing_info, "Subject key identifier")->value);
  extension = find_extension (info, "Authority key identifier");
  g_assert_nonnull (strstr (extension->value, ski));
  g_assert_cmpuint (strlen (ski), ==, 20 * 3 - 1);
}

static void
test_authority (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(CaAuthority) root = NULL;
  g_autoptr(CaAuthority) issuing = NULL;
  g_autoptr(TsCertInfo) root_info = NULL;
  g_autoptr(TsCertInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sha256 = NULL;
  const TsCertExtension *extension;

  make_cas (fixture);
  root = get_authority (fixture, "Root");
  issuing = get_authority (fixture, "Issuing");
  root_info = ts_cert_info_new_from_pem (root->cert_pem, &error);
  g_assert_no_error (error);
  info = ts_cert_info_new_from_pem (issuing->cert_pem, &error);
  g_assert_no_error (error);
  sha256 = openssl_says (fixture, issuing->cert_pem, "-sha256");

  g_assert_true (root_info->self_signed);
  g_assert_cmpstr (root_info->subject, ==, root_info->issuer);
  g_assert_cmpstr (root_info->subject_cn, ==, "Root");
  g_assert_cmpstr (find_extension (root_info, "Basic constraints")->value, ==,
                   "Certificate authority: yes\nPath length: unlimited");

  g_assert_false (info->self_signed);
  g_assert_cmpstr (info->subject, ==, issuing->subject);
  g_assert_cmpstr (info->issuer, ==, root->subject);
  g_assert_cmpstr (info->subject_cn, ==, "Issuing");
  g_assert_cmpstr (info->serial, ==, issuing->serial);
  g_assert_cmpint (info->not_before, ==, issuing->not_before);
  g_assert_cmpint (info->not_after, ==, issuing->not_after);
  g_assert_cmpstr (info->pem_sha256, ==, issuing->sha256);
  g_assert_cmpstr (info->sha256, ==, sha256);

  extension = find_extension (info, "Basic constraints");
  g_assert_true (extension->critical);
  g_assert_cmpstr (extension->value, ==, "Certificate authority: yes\nPath length: 0");
  extension = find_extension (info, "Key usage");
  g_assert_true (extension->critical);
  g_assert_cmpstr (extension->value, ==, "Certificate Sign\nCRL Sign");
  g_assert_cmpstr (find_extension (info, "Authority key identifier")->value, !=, NULL);
  g_assert_nonnull (strstr (find_extension (info, "Authority key identifier")->value,
                            find_extension (root_info, "Subject key identifier")->value));
}

/* Line endings and surrounding blanks do not change what is shown. */
static void
test_crlf (Fixture       *fixture,
           gconstpointer  user_data)
{
  g_autoptr(CaCertificate) cert = issue_device (fixture);
  g_autoptr(GString) crlf = g_string_new ("\r\n  ");
  g_autoptr(TsCertInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  g_string_append (crlf, cert->pem);
  g_string_replace (crlf, "\n", "\r\n", 0);
  info = ts_cert_info_new_from_pem (crlf->str, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->pem, ==, cert->pem);
  g_assert_cmpstr (info->pem_sha256, ==, cert->sha256_lf);
}

static void
assert_refused (const char *text,
                const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TsCertInfo) info = ts_cert_info_new_from_pem (text, &error);

  g_assert_null (info);
  g_assert_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT);
  if (strstr (error->message, expected) == NULL)
    g_error ("“%s” does not say “%s”", error->message, expected);
}

static void
test_hostile (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autoptr(CaCertificate) cert = issue_device (fixture);
  g_autofree char *two = g_strconcat (cert->pem, cert->pem, NULL);
  g_autofree char *truncated = g_strndup (cert->pem, strlen (cert->pem) / 2);
  g_autofree char *no_end = g_strndup (cert->pem, strlen (cert->pem) - strlen ("-----END CERTIFICATE-----\n"));
  g_autofree char *with_key = g_strconcat (cert->pem, "-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n"
                                           "-----END PRIVATE KEY-----\n", NULL);
  g_autoptr(GString) damaged = g_string_new (cert->pem);
  g_autofree char *huge = g_strnfill (300 * 1024, 'A');

  /* Base64 that still decodes, to DER that is not a certificate. */
  damaged->str[strlen ("-----BEGIN CERTIFICATE-----\n") + 10] ^= 0x01;

  assert_refused ("", "not a PEM certificate");
  assert_refused ("garbage \xff\xfe not a certificate at all", "not a PEM certificate");
  assert_refused (truncated, "cut short or damaged");
  assert_refused (no_end, "cut short or damaged");
  assert_refused (damaged->str, "cut short or damaged");
  assert_refused (two, "holds 2 PEM blocks");
  assert_refused (with_key, "holds 2 PEM blocks");
  assert_refused ("-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n-----END PRIVATE KEY-----\n", "not a certificate");
  assert_refused ("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "cut short or damaged");
  assert_refused (huge, "too long");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cert-info/device", Fixture, NULL, fixture_set_up, test_device, fixture_tear_down);
  g_test_add ("/cert-info/authority", Fixture, NULL, fixture_set_up, test_authority, fixture_tear_down);
  g_test_add ("/cert-info/crlf", Fixture, NULL, fixture_set_up, test_crlf, fixture_tear_down);
  g_test_add ("/cert-info/hostile", Fixture, NULL, fixture_set_up, test_hostile, fixture_tear_down);

  return g_test_run ();
}
