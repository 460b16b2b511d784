/* fuzz-csv.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fuzz-csv"

#include "config.h"

#include <glib/gstdio.h>
#include <stdlib.h>

#include "ca.h"
#include "fuzz-common.h"
#include "ts-cli.h"

/* The issue-batch CSV (imei,csr rows; csr a file beside the CSV or a %KEYGEN
 * answer) through the real command line, `tagsmith issue-batch`, in process,
 * against a real ledger. Two CSR files sit beside the CSV for rows to name. */
#define PASSPHRASE "fuzz-csv passphrase"

static char *work;

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
cleanup (void)
{
  remove_tree (work);
  g_free (work);
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (from, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (to, contents, length, NULL));
}

static void
set_up (void)
{
  g_autofree char *db = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autoptr(CaLedger) ledger = NULL;
  g_autoptr(CaAuthority) authority = NULL;
  g_autoptr(GError) error = NULL;
  CaAuthorityRequest request = { "Fuzz", NULL, CA_KEY_EC_P256, 0, -1 };

  work = g_dir_make_tmp ("fuzz-csv-XXXXXX", NULL);
  g_assert_nonnull (work);
  atexit (cleanup);

  db = g_build_filename (work, "fleet.db", NULL);
  ledger = ca_ledger_open (db, &error);
  g_assert_no_error (error);
  g_assert_true (ca_ledger_unlock (ledger, PASSPHRASE, &error));
  authority = ca_ledger_create_authority (ledger, &request, &error);
  g_assert_no_error (error);

  a = g_build_filename (work, "a.csr", NULL);
  b = g_build_filename (work, "b.csr", NULL);
  copy_file (FUZZ_UNIT_DATA_DIR "/ca/p256.csr.pem", a);
  copy_file (FUZZ_UNIT_DATA_DIR "/ca/p384.csr.pem", b);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *db = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) argv = NULL;
  int status;

  if (work == NULL)
    set_up ();

  db = g_build_filename (work, "fleet.db", NULL);
  csv = g_build_filename (work, "batch.csv", NULL);
  out = g_build_filename (work, "out", NULL);
  g_assert_true (g_file_set_contents (csv, (const char *) data, size, NULL));

  argv = g_strdupv ((char *[]) { "tagsmith", "--db", db, "--pass", "pass:" PASSPHRASE, "issue-batch",
                                 "--ca", "Fuzz", "--input", csv, "--out-dir", out, NULL });
  {
    /* GOption rearranges the vector it is given; keep the strings to free them. */
    g_autofree char **view = g_memdup2 (argv, sizeof (char *) * (g_strv_length (argv) + 1));

    status = ts_cli_main (g_strv_length (view), view);
  }
  g_assert (status == 0 || status == 1);
  remove_tree (out);

  return 0;
}
