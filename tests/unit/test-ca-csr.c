/* test-ca-csr.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <ca.h>

static CaCsr *
load_fixture (const char  *name,
              GError     **error)
{
  g_autofree char *path = g_build_filename (TEST_DATA_DIR, "ca", name, NULL);

  return ca_csr_load (path, error);
}

static void
test_imei_luhn (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ca_imei_validate ("490154203237518", NULL));
  g_assert_true (ca_imei_validate ("352656100123457", NULL));
  g_assert_cmpint (ca_imei_check_digit ("49015420323751"), ==, '8');

  g_assert_false (ca_imei_validate ("490154203237519", &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_IMEI);
  g_assert_nonnull (strstr (error->message, "check digit"));
  g_clear_error (&error);

  g_assert_false (ca_imei_validate ("49015420323751", &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_IMEI);
  g_clear_error (&error);
  g_assert_false (ca_imei_validate ("49015420323751a", &error));
  g_clear_error (&error);
  g_assert_false (ca_imei_validate ("", &error));
  g_clear_error (&error);
  g_assert_false (ca_imei_validate (NULL, &error));
  g_clear_error (&error);

  /* What an unprogrammed modem reports passes Luhn but is no device's IMEI. */
  g_assert_false (ca_imei_validate ("000000000000000", &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_IMEI);
  g_assert_nonnull (strstr (error->message, "programmed"));
}

/* Limits count characters, so a name in any script gets the same room. */
static void
test_name_check (void)
{
  g_autoptr(GString) accents = g_string_new (NULL);
  const char *refused[] = {
    "", "   ", "\xc2\xa0", " Root", "Root ", "Ro\x01ot", "Root\n", "Ro\xc2\x85ot", "Root\xe2\x80\x8b",
    "\xe2\x80\xaeRoot", "\xef\xbb\xbfRoot", "Root\xe3\x85\xa4", "\xe3\x85\xa4", "Ro\xffot",
  };

  for (guint i = 0; i < 64; i++)
    g_string_append (accents, "\xc3\xa9");
  g_assert_true (ca_name_check ("A CA name", accents->str, 64, NULL));
  g_assert_true (ca_name_check ("A CA name", "Fleet Root \xe2\x80\x94 2026", 64, NULL));
  g_string_append (accents, "\xc3\xa9");
  g_assert_false (ca_name_check ("A CA name", accents->str, 64, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (ca_name_check ("A CA name", refused[i], 64, &error));
      g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT);
      g_assert_true (g_str_has_prefix (error->message, "A CA name "));
    }
}

/* A CSR path naming a device, a pipe or a huge file is refused before it is
 * read, so memory stays bounded and nothing waits for a writer. */
static void
test_file_read_bounded (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tagsmith-read-XXXXXX", NULL);
  g_autofree char *fifo = g_build_filename (dir, "fifo", NULL);
  g_autofree char *huge = g_build_filename (dir, "huge.pem", NULL);
  g_autofree char *small = g_build_filename (dir, "small.txt", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) csr = NULL;
  gsize length = 0;
  FILE *file;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  file = fopen (huge, "wb");
  g_assert_nonnull (file);
  g_assert_cmpint (fseek (file, 100 * 1024 * 1024 - 1, SEEK_SET), ==, 0);
  g_assert_cmpint (fputc ('\n', file), ==, '\n');
  fclose (file);
  g_assert_true (g_file_set_contents (small, "abc", 3, NULL));

  for (guint i = 0; i < 4; i++)
    {
      const char *path = (const char *[]) { "/dev/zero", fifo, huge, dir }[i];

      csr = ca_csr_load (path, &error);
      g_assert_null (csr);
      g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_CSR);
      g_assert_nonnull (strstr (error->message, path));
      g_clear_error (&error);
      text = ca_file_read_bounded (path, 64 * 1024 * 1024, NULL, &error);
      g_assert_null (text);
      g_assert_error (error, G_IO_ERROR, (i == 2 ? G_IO_ERROR_MESSAGE_TOO_LARGE : G_IO_ERROR_NOT_REGULAR_FILE));
      g_clear_error (&error);
    }

  text = ca_file_read_bounded (huge, 1024, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_clear_error (&error);
  text = ca_file_read_bounded (small, 3, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "abc");
  g_assert_cmpuint (length, ==, 3);

  g_unlink (fifo);
  g_unlink (huge);
  g_unlink (small);
  g_rmdir (dir);
}

static void
test_profiles (void)
{
  struct { const char *profile; const char *uuid; const char *cn; } cases[] = {
    { "generic", NULL, "490154203237518" },
    { "lwm2m", NULL, "urn:imei:490154203237518" },
    { "nrfcloud", NULL, "nrf-490154203237518" },
    { "nrfcloud-uuid", "50363154-3931-4a21-80b9-1503d88271bf", "50363154-3931-4a21-80b9-1503d88271bf" },
    { "azure", NULL, "490154203237518" },
    { "aws", NULL, "490154203237518" },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *lower = NULL;
  guint n = 0;

  ca_profile_get_all (&n);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (cases));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *cn = ca_profile_render_cn (ca_profile_lookup (cases[i].profile), "490154203237518",
                                                  cases[i].uuid, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (cn, ==, cases[i].cn);
    }

  /* Azure wants lower case; the UUID profile needs a UUID. */
  lower = ca_profile_render_cn (ca_profile_lookup ("nrfcloud-uuid"), "490154203237518",
                                "50363154-3931-4A21-80B9-1503D88271BF", &error);
  g_assert_cmpstr (lower, ==, "50363154-3931-4a21-80b9-1503d88271bf");
  g_assert_null (ca_profile_render_cn (ca_profile_lookup ("nrfcloud-uuid"), "490154203237518", NULL, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_POLICY);
  g_clear_error (&error);
  g_assert_null (ca_profile_render_cn (ca_profile_lookup ("generic"), "123", NULL, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_IMEI);
  g_assert_null (ca_profile_lookup ("nope"));
  g_assert_true (ca_profile_lookup (NULL) == ca_profile_lookup ("generic"));
}

static void
test_csr_forms (void)
{
  const char *good[] = { "p256.csr.pem", "p256.csr.der", "legacy-null.csr.der", "keygen.txt",
                         "p384.csr.pem", "rsa2048.csr.pem" };
  const char *keys[] = { "ec-p256", "ec-p256", "ec-p256", "ec-p256", "ec-p384", "rsa-2048" };
  g_autofree char *sha_pem = NULL;
  g_autofree char *sha_keygen = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CaCsr) csr = load_fixture (good[i], &error);
      g_autofree char *key = NULL;

      g_test_message ("%s", good[i]);
      g_assert_no_error (error);
      g_assert_nonnull (csr);
      key = ca_csr_get_key_description (csr);
      g_assert_cmpstr (key, ==, keys[i]);
    }

  /* The %KEYGEN line wraps the same CSR as the PEM file. */
  {
    g_autoptr(CaCsr) pem = load_fixture ("p256.csr.pem", NULL);
    g_autoptr(CaCsr) keygen = load_fixture ("keygen.txt", NULL);
    g_autofree char *subject = ca_csr_get_subject (keygen);

    sha_pem = ca_csr_get_public_key_sha256 (pem);
    sha_keygen = ca_csr_get_public_key_sha256 (keygen);
    g_assert_cmpstr (sha_pem, ==, sha_keygen);
    g_assert_cmpstr (subject, ==, "CN=ignored-subject");
  }
}

/* The key's hash is that of the SubjectPublicKeyInfo exactly as the request
 * encodes it, which is what a certificate issued for it records; a point
 * ending in zero bits (p256-even.csr.pem) must not be re-encoded another way. */
static void
test_csr_key_hash (void)
{
  const char *names[] = { "p256.csr.pem", "p256b.csr.pem", "p256-even.csr.pem", "p384.csr.pem" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (TEST_DATA_DIR, "ca", names[i], NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(CaCsr) csr = ca_csr_load (path, &error);
      g_autofree char *hash = NULL;
      g_autofree char *expected = NULL;
      unsigned char *der = NULL;
      X509_REQ *req;
      FILE *file;
      int length;

      g_test_message ("%s", names[i]);
      g_assert_no_error (error);
      file = fopen (path, "r");
      g_assert_nonnull (file);
      req = PEM_read_X509_REQ (file, NULL, NULL, NULL);
      fclose (file);
      g_assert_nonnull (req);
      length = i2d_X509_PUBKEY (X509_REQ_get_X509_PUBKEY (req), &der);
      g_assert_cmpint (length, >, 0);
      expected = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der, length);
      OPENSSL_free (der);
      X509_REQ_free (req);

      hash = ca_csr_get_public_key_sha256 (csr);
      g_assert_cmpint (g_ascii_strcasecmp (hash, expected), ==, 0);
    }
}

static void
test_csr_keygen_variants (void)
{
  g_autofree char *path = g_build_filename (TEST_DATA_DIR, "ca", "keygen.txt", NULL);
  g_autofree char *line = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *bare = NULL;
  g_autofree char *part1 = NULL;
  char *start;

  g_assert_true (g_file_get_contents (path, &line, NULL, NULL));
  start = strchr (line, '"');
  g_assert_nonnull (start);
  quoted = g_strstrip (g_strdup (start));
  bare = g_strndup (quoted + 1, strlen (quoted) - 2);
  part1 = g_strndup (bare, strchr (bare, '.') - bare);

  for (const char *const *text = (const char *const[]) { quoted, bare, part1, NULL }; *text; text++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CaCsr) csr = ca_csr_parse (*text, strlen (*text), &error);

      g_assert_no_error (error);
      g_assert_nonnull (csr);
    }
}

static void
test_csr_rejects (void)
{
  struct { const char *file; int code; const char *words; } cases[] = {
    { "badsig.csr.der", CA_ERROR_INVALID_CSR, "does not verify" },
    { "truncated.csr.der", CA_ERROR_INVALID_CSR, "truncated" },
    { "rsa1024.csr.pem", CA_ERROR_POLICY, "2048" },
    { "ed25519.csr.pem", CA_ERROR_POLICY, "P-256" },
    { "secp256k1.csr.pem", CA_ERROR_POLICY, "secp256k1" },
    { "explicit.csr.pem", CA_ERROR_POLICY, "explicit" },
    { "commands.txt", CA_ERROR_INVALID_CSR, "%KEYGEN" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CaCsr) csr = load_fixture (cases[i].file, &error);

      g_test_message ("%s: %s", cases[i].file, error != NULL ? error->message : "(accepted)");
      g_assert_null (csr);
      g_assert_error (error, CA_ERROR, cases[i].code);
      g_assert_nonnull (strstr (error->message, cases[i].words));
    }

  {
    g_autoptr(GError) error = NULL;

    g_assert_null (ca_csr_parse ("", 0, &error));
    g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_CSR);
    g_clear_error (&error);
    g_assert_null (ca_csr_parse ("%KEYGEN: \"A\"", 12, &error));
    g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_CSR);
    g_clear_error (&error);
    g_assert_null (ca_csr_parse ("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
                                 72, &error));
    g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_CSR);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ca/imei/luhn", test_imei_luhn);
  g_test_add_func ("/ca/profile/render", test_profiles);
  g_test_add_func ("/ca/csr/forms", test_csr_forms);
  g_test_add_func ("/ca/csr/keygen-variants", test_csr_keygen_variants);
  g_test_add_func ("/ca/csr/key-hash", test_csr_key_hash);
  g_test_add_func ("/ca/csr/rejects", test_csr_rejects);
  g_test_add_func ("/ca/file/read-bounded", test_file_read_bounded);
  g_test_add_func ("/ca/names/check", test_name_check);

  return g_test_run ();
}
