/* fuzz-index.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fuzz-index"

#include "config.h"

#include <glib/gstdio.h>
#include <stdlib.h>

#include "ca.h"
#include "fuzz-common.h"

/* The OpenSSL index.txt importer through its public entry point: a real CA
 * folder (data/index-ca) whose db/index.txt is the fuzz input, imported into a
 * real ledger. A failed import must leave the ledger untouched (one transaction),
 * so the ledger is only recreated after an import that succeeded. */
#define PASSPHRASE "fuzz-index passphrase"

static char *work;          /* a private copy of the CA folder */
static char *ledger_path;
static CaLedger *ledger;

static void
copy_tree (const char *from,
           const char *to)
{
  g_autoptr(GDir) dir = g_dir_open (from, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  g_mkdir_with_parents (to, 0700);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *src = g_build_filename (from, name, NULL);
      g_autofree char *dst = g_build_filename (to, name, NULL);
      g_autofree char *contents = NULL;
      gsize length;

      if (g_file_test (src, G_FILE_TEST_IS_DIR))
        copy_tree (src, dst);
      else if (g_file_get_contents (src, &contents, &length, NULL))
        g_assert_true (g_file_set_contents (dst, contents, length, NULL));
    }
}

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
drop_ledger (void)
{
  const char *suffixes[] = { "", "-wal", "-shm", "-journal" };

  g_clear_object (&ledger);
  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (ledger_path, suffixes[i], NULL);

      g_unlink (path);
    }
}

static void
cleanup (void)
{
  drop_ledger ();
  remove_tree (work);
  g_free (work);
  g_free (ledger_path);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *index = NULL;
  g_autoptr(GPtrArray) created = NULL;
  g_autoptr(GError) error = NULL;

  if (work == NULL)
    {
      g_autofree char *ca_dir = NULL;

      work = g_dir_make_tmp ("fuzz-index-XXXXXX", NULL);
      g_assert_nonnull (work);
      ca_dir = g_build_filename (work, "ca", NULL);
      copy_tree (FUZZ_DATA_DIR "/index-ca", ca_dir);
      ledger_path = g_build_filename (work, "fleet.db", NULL);
      atexit (cleanup);
    }

  if (ledger == NULL)
    {
      ledger = ca_ledger_open (ledger_path, &error);
      g_assert_no_error (error);
      g_assert_true (ca_ledger_unlock (ledger, PASSPHRASE, &error));
    }

  index = g_build_filename (work, "ca", "db", "index.txt", NULL);
  g_assert_true (g_file_set_contents (index, (const char *) data, size, NULL));

  {
    g_autofree char *ca_dir = g_build_filename (work, "ca", NULL);

    created = ca_ledger_import_openssl (ledger, ca_dir, NULL, NULL, &error);
  }
  g_assert ((created == NULL) == (error != NULL));

  if (created != NULL)
    drop_ledger ();
  else
    {
      /* Nothing of a refused import may remain. */
      g_autoptr(GPtrArray) authorities = ca_ledger_list_authorities (ledger, NULL);

      g_assert_nonnull (authorities);
      g_assert_cmpuint (authorities->len, ==, 0);
    }

  return 0;
}
