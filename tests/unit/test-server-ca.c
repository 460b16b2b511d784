/* test-server-ca.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ts-provision-error.h"
#include "ts-server-ca.h"

/* Appends a self-signed P-256 certificate to @path, valid until @days from now
 * (negative: expired), a CA's when @ca. */
static void
append_cert (const char *path,
             const char *cn,
             const char *org,
             gboolean    ca,
             long        days)
{
  EVP_PKEY *key = EVP_EC_gen ("P-256");
  X509 *cert = X509_new ();
  X509_NAME *name = X509_get_subject_name (cert);
  X509V3_CTX ctx;
  X509_EXTENSION *ext;
  FILE *file;

  g_assert_nonnull (key);
  X509_set_version (cert, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (cert), 1);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) cn, -1, -1, 0);
  X509_NAME_add_entry_by_txt (name, "O", MBSTRING_UTF8, (const unsigned char *) org, -1, -1, 0);
  X509_set_issuer_name (cert, name);
  X509_gmtime_adj (X509_getm_notBefore (cert), -3 * 86400L);
  X509_gmtime_adj (X509_getm_notAfter (cert), days * 86400L);
  X509_set_pubkey (cert, key);
  X509V3_set_ctx (&ctx, cert, cert, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, NID_basic_constraints,
                             ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  X509_add_ext (cert, ext, -1);
  X509_EXTENSION_free (ext);
  g_assert_cmpint (X509_sign (cert, key, EVP_sha256 ()), >, 0);

  file = g_fopen (path, "a");
  g_assert_nonnull (file);
  PEM_write_X509 (file, cert);
  fclose (file);
  X509_free (cert);
  EVP_PKEY_free (key);
}

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  /* Two CAs the list shows, and what it leaves out: a server's certificate, an
   * expired CA and a bundle. */
  const struct { const char *file; const char *cn; const char *org; gboolean ca; long days; } certs[] = {
    { "beta-root.pem", "Beta Test Root", "Beta Networks", TRUE, 400 },
    { "alpha-root.crt", "Alpha Test Root", "Alpha Trust", TRUE, 400 },
    { "leaf.pem", "Leaf Test Server", "Alpha Trust", FALSE, 400 },
    { "old-root.pem", "Old Test Root", "Old Trust", TRUE, -1 },
    { "bundle.crt", "Bundle One", "Bundle", TRUE, 400 },
    { "bundle.crt", "Bundle Two", "Bundle", TRUE, 400 },
  };

  fixture->dir = g_dir_make_tmp ("tagsmith-server-ca-XXXXXX", NULL);
  g_assert_nonnull (fixture->dir);
  for (guint i = 0; i < G_N_ELEMENTS (certs); i++)
    {
      g_autofree char *path = g_build_filename (fixture->dir, certs[i].file, NULL);

      append_cert (path, certs[i].cn, certs[i].org, certs[i].ca, certs[i].days);
    }
}

static void
remove_all (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_remove (path);
    }
  g_rmdir (dir);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  remove_all (fixture->dir);
  g_free (fixture->dir);
}

static void
test_check_accepts_ca (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "beta-root.pem", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TsServerCaEntry) entry = ts_server_ca_check_file (path, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (entry->name, ==, "beta-root.pem");
  g_assert_cmpstr (entry->common_name, ==, "Beta Test Root");
  g_assert_cmpstr (entry->organisation, ==, "Beta Networks");
  g_assert_cmpint (entry->not_after, >, g_get_real_time () / G_USEC_PER_SEC + 399 * 86400L);
  g_assert_true (ts_server_ca_entry_matches (entry, "NETWORKS"));
  g_assert_true (ts_server_ca_entry_matches (entry, "beta-root"));
  g_assert_false (ts_server_ca_entry_matches (entry, "alpha"));
}

static void
test_check_refuses (Fixture       *fixture,
                    gconstpointer  data)
{
  const struct { const char *file; const char *advice; } cases[] = {
    { "leaf.pem", "is not a certificate authority" },
    { "old-root.pem", "expired on" },
    { "bundle.crt", "holds several certificates" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_build_filename (fixture->dir, cases[i].file, NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(TsServerCaEntry) entry = ts_server_ca_check_file (path, &error);

      g_assert_null (entry);
      g_assert_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT);
      g_assert_nonnull (strstr (error->message, cases[i].advice));
      g_assert_nonnull (strstr (error->message, "Choose"));
    }
}

static void
test_list_system (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;

  g_setenv ("TAGSMITH_TRUST_DIR", fixture->dir, TRUE);
  g_assert_cmpstr (ts_server_ca_system_dir (), ==, fixture->dir);
  entries = ts_server_ca_list_system (NULL, &error);
  g_unsetenv ("TAGSMITH_TRUST_DIR");

  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 2);
  g_assert_cmpstr (((TsServerCaEntry *) entries->pdata[0])->common_name, ==, "Alpha Test Root");
  g_assert_cmpstr (((TsServerCaEntry *) entries->pdata[1])->common_name, ==, "Beta Test Root");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/server-ca/check/accepts-ca", Fixture, NULL, fixture_set_up, test_check_accepts_ca, fixture_tear_down);
  g_test_add ("/server-ca/check/refuses", Fixture, NULL, fixture_set_up, test_check_refuses, fixture_tear_down);
  g_test_add ("/server-ca/list-system", Fixture, NULL, fixture_set_up, test_list_system, fixture_tear_down);

  return g_test_run ();
}
