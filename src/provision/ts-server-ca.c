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
#include <openssl/x509v3.h>

#include <ca.h>

#include "ts-cert-info.h"
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
    directory = ts_server_ca_system_dir ();

  dir = g_dir_open (directory, 0, &local_error);
  if (dir == NULL)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("Could not open the system trust store: %s. Install the "
                     "ca-certificates package, or choose the server CA's certificate file."),
                   local_error->message);
      ca_error_add_cli_hint (error, _("pass it with --server-ca FILE."));
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

/**
 * ts_server_ca_system_dir:
 *
 * Returns: the system trust store folder: $TAGSMITH_TRUST_DIR, or else
 *   %TS_SYSTEM_TRUST_DIR
 */
const char *
ts_server_ca_system_dir (void)
{
  const char *directory = g_getenv ("TAGSMITH_TRUST_DIR");

  return directory != NULL && directory[0] != '\0' ? directory : TS_SYSTEM_TRUST_DIR;
}

TsServerCaEntry *
ts_server_ca_entry_copy (const TsServerCaEntry *entry)
{
  TsServerCaEntry *copy = g_new0 (TsServerCaEntry, 1);

  copy->path = g_strdup (entry->path);
  copy->name = g_strdup (entry->name);
  copy->common_name = g_strdup (entry->common_name);
  copy->organisation = g_strdup (entry->organisation);
  copy->not_after = entry->not_after;

  return copy;
}

void
ts_server_ca_entry_free (TsServerCaEntry *entry)
{
  if (entry == NULL)
    return;

  g_free (entry->path);
  g_free (entry->name);
  g_free (entry->common_name);
  g_free (entry->organisation);
  g_free (entry);
}

/**
 * ts_server_ca_check_file:
 *
 * Checks that @path holds what a server CA chosen in the window must be: one
 * PEM certificate, of a certificate authority, valid today.
 *
 * Returns: (transfer full): what the certificate says
 */
TsServerCaEntry *
ts_server_ca_check_file (const char  *path,
                         GError     **error)
{
  g_autoptr(GBytes) content = NULL;
  g_autoptr(TsServerCaEntry) entry = NULL;
  g_autofree char *label = NULL;
  gsize len = 0;
  const char *data;
  BIO *bio;
  X509 *cert;
  X509 *extra;
  g_autoptr(TsCertInfo) info = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  content = ts_server_ca_load_file (path, error);
  if (content == NULL)
    return NULL;

  label = g_path_get_basename (path);
  data = g_bytes_get_data (content, &len);
  bio = BIO_new_mem_buf (data, (int) MIN (len, G_MAXINT));
  cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  extra = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  BIO_free (bio);
  ERR_clear_error ();
  g_assert (cert != NULL);

  if (extra != NULL)
    {
      X509_free (extra);
      X509_free (cert);
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("“%s” holds several certificates. Choose a file with the one CA "
                     "certificate the server’s chain ends at."), label);
      return NULL;
    }

  info = ts_cert_info_new_from_x509 (cert, error);
  X509_free (cert);
  if (info == NULL)
    return NULL;

  entry = g_new0 (TsServerCaEntry, 1);
  entry->path = g_strdup (path);
  entry->name = g_steal_pointer (&label);
  entry->common_name = g_steal_pointer (&info->subject_cn);
  entry->organisation = g_steal_pointer (&info->organisation);
  entry->not_after = info->not_after;

  if (!info->is_ca)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("“%s” is not a certificate authority’s certificate: the modem could not "
                     "check a server with it. Choose the CA certificate that signed the "
                     "server’s certificate, as its operator publishes it."), entry->name);
      return NULL;
    }
  if (entry->not_after <= g_get_real_time () / G_USEC_PER_SEC)
    {
      g_autoptr(GDateTime) expired = g_date_time_new_from_unix_utc (entry->not_after);
      g_autofree char *date = g_date_time_format (expired, "%Y-%m-%d");

      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("“%s” expired on %s: the modem would refuse every server with it. "
                     "Choose the CA’s current certificate."), entry->name, date);
      return NULL;
    }

  return g_steal_pointer (&entry);
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const TsServerCaEntry *x = *(TsServerCaEntry **) a;
  const TsServerCaEntry *y = *(TsServerCaEntry **) b;

  return g_utf8_collate (x->common_name ? x->common_name : x->name,
                         y->common_name ? y->common_name : y->name);
}

/**
 * ts_server_ca_list_system:
 * @directory: (nullable): the trust store folder, by default ts_server_ca_system_dir()
 *
 * Reads every certificate of the trust store that could be the server CA, by
 * name; bundles, expired and other certificates are left out. It reads files:
 * call it off the main loop.
 *
 * Returns: (transfer full) (element-type TsServerCaEntry): the certificates,
 *   sorted by name
 */
GPtrArray *
ts_server_ca_list_system (const char  *directory,
                          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) ts_server_ca_entry_free);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (directory == NULL)
    directory = ts_server_ca_system_dir ();

  dir = g_dir_open (directory, 0, &local_error);
  if (dir == NULL)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("Could not open the system trust store: %s. Install the "
                     "ca-certificates package, or choose the server CA from a file."),
                   local_error->message);
      return NULL;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      TsServerCaEntry *entry;

      if (!g_str_has_suffix (name, ".pem") && !g_str_has_suffix (name, ".crt"))
        continue;
      path = g_build_filename (directory, name, NULL);
      entry = ts_server_ca_check_file (path, NULL);
      if (entry != NULL)
        g_ptr_array_add (entries, entry);
    }
  g_ptr_array_sort (entries, compare_entries);

  return g_steal_pointer (&entries);
}

/* Whether @search is part of the entry's file name, common name or organisation, in any case. */
gboolean
ts_server_ca_entry_matches (const TsServerCaEntry *entry,
                            const char            *search)
{
  const char *fields[] = { entry->name, entry->common_name, entry->organisation };
  g_autofree char *wanted = g_utf8_casefold (search, -1);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autofree char *field = fields[i] != NULL ? g_utf8_casefold (fields[i], -1) : NULL;

      if (field != NULL && strstr (field, wanted) != NULL)
        return TRUE;
    }

  return FALSE;
}
