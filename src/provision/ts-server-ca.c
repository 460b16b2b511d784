/* ts-server-ca.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-server-ca"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ca.h>

#include "ts-nrf91.h"
#include "ts-provision-error.h"
#include "ts-server-ca.h"

G_DEFINE_QUARK (ts-provision-error-quark, ts_provision_error)

/* A bundle of every public root is about 200 KB. */
#define MAX_SERVER_CA_FILE (1024 * 1024)

/* Parses @content as PEM certificates: at least one, nothing else. */
static gboolean
check_certificates (GBytes      *content,
                    const char  *label,
                    GError     **error)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (content, &len);
  BIO *bio;
  guint count = 0;
  X509 *cert;

  if (len > G_MAXINT)
    len = G_MAXINT;
  bio = BIO_new_mem_buf (data, (int) len);
  while ((cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL)) != NULL)
    {
      count++;
      X509_free (cert);
    }
  BIO_free (bio);
  /* The loop ends with a "no start line" error at the end of the text. */
  ERR_clear_error ();

  if (count == 0)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("%s holds no PEM certificate. The server CA must be one or more "
                     "“-----BEGIN CERTIFICATE-----” blocks."), label);
      return FALSE;
    }

  if (!ts_nrf91_check_content (content, error))
    {
      g_prefix_error (error, _("The server CA in %s cannot be written: "), label);
      return FALSE;
    }

  return TRUE;
}

/**
 * ts_server_ca_load_file:
 *
 * Returns: (transfer full): the file's PEM text, checked
 */
GBytes *
ts_server_ca_load_file (const char  *path,
                        GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) content = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;

  g_return_val_if_fail (path != NULL, NULL);

  data = ca_file_read_bounded (path, MAX_SERVER_CA_FILE, &len, &local_error);
  if (data == NULL)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("Could not read the server CA: %s"), local_error->message);
      return NULL;
    }

  content = g_bytes_new_take (g_steal_pointer (&data), len);
  if (!check_certificates (content, path, error))
    return NULL;

  return g_steal_pointer (&content);
}

/* "ISRG Root X1", "isrg_root_x1" and "ISRG_Root_X1.pem" all name the same file. */
static char *
normalise_name (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  if (g_str_has_suffix (lower, ".pem") || g_str_has_suffix (lower, ".crt"))
    lower[strlen (lower) - 4] = '\0';
  g_strdelimit (lower, " -", '_');

  return g_steal_pointer (&lower);
}

/**
 * ts_server_ca_load_system:
 * @directory: (nullable): the trust store folder; when %NULL, $TAGSMITH_TRUST_DIR
 *   or else %TS_SYSTEM_TRUST_DIR
 * @name: the certificate's file name in the folder, with or without ".pem";
 *   case, spaces and underscores do not matter
 * @out_path: (out) (optional): the file that was picked
 *
 * Returns: (transfer full): the certificate's PEM text, checked
 */
GBytes *
ts_server_ca_load_system (const char  *directory,
                          const char  *name,
                          char       **out_path,
                          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autofree char *wanted = NULL;
  g_autofree char *found = NULL;
  g_autoptr(GString) near = g_string_new (NULL);
  guint n_near = 0;
  const char *entry;
  GBytes *content;

  g_return_val_if_fail (name != NULL, NULL);

  if (directory == NULL)
    directory = g_getenv ("TAGSMITH_TRUST_DIR");
  if (directory == NULL || directory[0] == '\0')
    directory = TS_SYSTEM_TRUST_DIR;

  dir = g_dir_open (directory, 0, &local_error);
  if (dir == NULL)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("Could not open the system trust store: %s. Install the "
                     "ca-certificates package, or pass the server CA with --server-ca FILE."),
                   local_error->message);
      return NULL;
    }

  wanted = normalise_name (name);
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *candidate = NULL;

      if (!g_str_has_suffix (entry, ".pem") && !g_str_has_suffix (entry, ".crt"))
        continue;

      candidate = normalise_name (entry);
      if (g_str_equal (candidate, wanted))
        {
          found = g_build_filename (directory, entry, NULL);
          break;
        }
      if (strstr (candidate, wanted) != NULL && n_near++ < 5)
        g_string_append_printf (near, "%s%s", near->len ? ", " : "", entry);
    }

  if (found == NULL)
    {
      if (near->len > 0)
        g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                     _("The system trust store (%s) has no certificate named “%s”. "
                       "Did you mean one of: %s?"), directory, name, near->str);
      else
        g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                     _("The system trust store (%s) has no certificate named “%s”. "
                       "List the names with `ls %s`."), directory, name, directory);
      return NULL;
    }

  content = ts_server_ca_load_file (found, error);
  if (content != NULL && out_path != NULL)
    *out_path = g_steal_pointer (&found);

  return content;
}
