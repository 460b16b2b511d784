/* bench-issue.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Helpers for bench-issue.py:
 *
 *   bench-issue csrs N DIR            N fresh P-256 CSRs as DIR/NNNNN.csr and DIR/batch.csv
 *   bench-issue latency DB PASS CA N  issue N certificates one by one through libca and
 *                                     print the median and p95 latency in microseconds
 *                                     (the unlock and the CSR generation are not timed) */

#include "config.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ca.h>

static char *
imei_for (guint64 n)
{
  g_autofree char *first14 = g_strdup_printf ("36%012" G_GUINT64_FORMAT, n);

  return g_strdup_printf ("%s%c", first14, ca_imei_check_digit (first14));
}

static char *
new_csr_pem (void)
{
  EVP_PKEY *key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  X509_REQ *req = X509_REQ_new ();
  BIO *bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  char *pem;
  long length;

  X509_REQ_set_version (req, 0);
  X509_NAME_add_entry_by_txt (X509_REQ_get_subject_name (req), "CN", MBSTRING_ASC,
                              (const unsigned char *) "bench", -1, -1, 0);
  X509_REQ_set_pubkey (req, key);
  X509_REQ_sign (req, key, EVP_sha256 ());
  PEM_write_bio_X509_REQ (bio, req);
  length = BIO_get_mem_data (bio, &data);
  pem = g_strndup (data, length);

  BIO_free (bio);
  X509_REQ_free (req);
  EVP_PKEY_free (key);

  return pem;
}

static int
make_csrs (guint       n,
           const char *dir)
{
  g_autoptr(GString) csv = g_string_new (NULL);
  g_autofree char *csv_path = g_build_filename (dir, "batch.csv", NULL);

  g_mkdir_with_parents (dir, 0700);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%05u.csr", i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *pem = new_csr_pem ();
      g_autofree char *imei = imei_for (i);

      if (!g_file_set_contents (path, pem, -1, NULL))
        return 1;
      g_string_append_printf (csv, "%s,%s\n", imei, path);
    }

  return g_file_set_contents (csv_path, csv->str, csv->len, NULL) ? 0 : 1;
}

static int
compare_gint64 (const void *a,
                const void *b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

static int
latency (const char *db,
         const char *passphrase,
         const char *authority,
         guint       n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) ledger = ca_ledger_open (db, &error);
  g_autofree gint64 *times = g_new0 (gint64, n);

  if (ledger == NULL || !ca_ledger_unlock (ledger, passphrase, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *pem = new_csr_pem ();
      g_autofree char *imei = imei_for (900000000 + i);
      g_autoptr(CaCsr) csr = ca_csr_parse (pem, strlen (pem), &error);
      g_autoptr(CaCertificate) cert = NULL;
      gint64 start = g_get_monotonic_time ();

      cert = ca_ledger_issue (ledger, &(CaIssueRequest) { authority, imei }, csr, &error);
      times[i] = g_get_monotonic_time () - start;
      if (cert == NULL)
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
    }

  qsort (times, n, sizeof *times, compare_gint64);
  printf ("%" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n", times[n / 2], times[(n * 95) / 100]);

  return 0;
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 4 && g_str_equal (argv[1], "csrs"))
    return make_csrs (atoi (argv[2]), argv[3]);
  if (argc == 6 && g_str_equal (argv[1], "latency"))
    return latency (argv[2], argv[3], argv[4], atoi (argv[5]));

  fprintf (stderr, "usage: %s csrs N DIR | latency DB PASS CA N\n", argv[0]);

  return 2;
}
