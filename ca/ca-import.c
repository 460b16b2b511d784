/* ca-import.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-import"

#include "config.h"

#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "ca-private.h"

/* Importing an OpenSSL-recipe CA ("openssl ca" with a .cnf, db/index.txt,
 * db/serial.txt, certs/ and private/). Files are found by content rather
 * than by name, because every team names them a little differently: CA
 * certificates are the PEM certificates with CA:TRUE, and each is paired with
 * the private key whose public half matches. */

typedef struct
{
  char      *dir;        /* the CA's folder */
  char      *name;       /* its CN */
  X509      *cert;
  EVP_PKEY  *key;
  char      *index;      /* path of index.txt */
  char      *serial;     /* contents of serial.txt, if any */
  char      *certs_dir;  /* new_certs_dir from the .cnf, if any */
  gint64     id;         /* once inserted */
} Source;

static void
source_free (Source *source)
{
  g_free (source->dir);
  g_free (source->name);
  X509_free (source->cert);
  EVP_PKEY_free (source->key);
  g_free (source->index);
  g_free (source->serial);
  g_free (source->certs_dir);
  g_free (source);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Source, source_free)

static int
password_cb (char *buffer,
             int   size,
             int   rwflag,
             void *user_data)
{
  const char *passphrase = user_data;
  int length;

  /* Without a passphrase an encrypted key fails here instead of prompting. */
  if (passphrase == NULL)
    return -1;
  length = MIN ((int) strlen (passphrase), size);
  memcpy (buffer, passphrase, length);

  return length;
}

/* Every PEM object in the files directly inside @dir (and its certs/ and
 * private/ subfolders): CA certificates into @certs, private keys into @keys. */
static gboolean
scan_folder (const char  *dir,
             const char  *key_passphrase,
             GPtrArray   *certs,
             GPtrArray   *keys,
             GError     **error)
{
  const char *subdirs[] = { "", "certs", "private", NULL };

  for (guint s = 0; subdirs[s] != NULL; s++)
    {
      g_autofree char *folder = g_build_filename (dir, subdirs[s], NULL);
      g_autoptr(GDir) listing = g_dir_open (folder, 0, NULL);
      const char *entry;

      while (listing != NULL && (entry = g_dir_read_name (listing)) != NULL)
        {
          g_autofree char *path = g_build_filename (folder, entry, NULL);
          g_autofree char *contents = NULL;
          gsize length = 0;

          if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) ||
              !g_file_get_contents (path, &contents, &length, NULL) ||
              length > 1024 * 1024 || strstr (contents, "-----BEGIN") == NULL)
            continue;

          if (strstr (contents, "PRIVATE KEY-----") != NULL)
            {
              g_autoptr(BIO) bio = BIO_new_mem_buf (contents, length);
              EVP_PKEY *key = PEM_read_bio_PrivateKey (bio, NULL, password_cb, (void *) key_passphrase);

              if (key == NULL)
                {
                  ca_set_openssl_error (error, CA_ERROR_IMPORT, "");
                  g_prefix_error (error, "The private key %s cannot be read%s. ", path,
                                  key_passphrase == NULL ? " (if it is encrypted, give its passphrase with "
                                                           "--key-pass)" : " with the given --key-pass");
                  return FALSE;
                }
              g_ptr_array_add (keys, key);
            }
          else if (strstr (contents, "BEGIN CERTIFICATE-----") != NULL)
            {
              g_autoptr(BIO) bio = BIO_new_mem_buf (contents, length);
              X509 *cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);

              if (cert != NULL && X509_check_ca (cert) > 0)
                g_ptr_array_add (certs, cert);
              else
                X509_free (cert);
            }
        }
    }
  ERR_clear_error ();

  return TRUE;
}

static char *
read_first_line (const char *path)
{
  g_autofree char *contents = NULL;
  char *newline;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  newline = strchr (contents, '\n');
  if (newline != NULL)
    *newline = '\0';

  return g_strdup (g_strstrip (contents));
}

/* new_certs_dir from any *.cnf in @dir or its parent, with $dir expanded by
 * OpenSSL's own parser; paths are tried relative to both folders. */
static char *
find_new_certs_dir (const char *dir)
{
  g_autofree char *parent = g_path_get_dirname (dir);
  const char *folders[] = { dir, parent, NULL };

  for (guint f = 0; folders[f] != NULL; f++)
    {
      g_autoptr(GDir) listing = g_dir_open (folders[f], 0, NULL);
      const char *entry;

      while (listing != NULL && (entry = g_dir_read_name (listing)) != NULL)
        {
          g_autofree char *path = NULL;
          CONF *conf;
          const char *section;
          const char *value;

          if (!g_str_has_suffix (entry, ".cnf"))
            continue;
          path = g_build_filename (folders[f], entry, NULL);
          conf = NCONF_new (NULL);
          if (NCONF_load (conf, path, NULL) > 0 &&
              (section = NCONF_get_string (conf, "ca", "default_ca")) != NULL &&
              (value = NCONF_get_string (conf, section, "new_certs_dir")) != NULL)
            {
              for (guint b = 0; b < G_N_ELEMENTS (folders) - 1; b++)
                {
                  g_autofree char *candidate = g_path_is_absolute (value) ? g_strdup (value)
                                                                          : g_build_filename (folders[b], value, NULL);

                  if (g_file_test (candidate, G_FILE_TEST_IS_DIR))
                    {
                      NCONF_free (conf);
                      return g_steal_pointer (&candidate);
                    }
                }
            }
          NCONF_free (conf);
          ERR_clear_error ();
        }
    }

  return NULL;
}

static char *
first_existing (const char *dir,
                const char *const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }

  return NULL;
}

/* One CA folder → the CA certificate (the one whose key is present). */
static Source *
load_source (const char  *dir,
             const char  *key_passphrase,
             GError     **error)
{
  g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func ((GDestroyNotify) X509_free);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify) EVP_PKEY_free);
  g_autoptr(Source) source = NULL;
  g_autofree char *serial_path = NULL;

  if (!scan_folder (dir, key_passphrase, certs, keys, error))
    return NULL;

  for (guint c = 0; c < certs->len && source == NULL; c++)
    for (guint k = 0; k < keys->len && source == NULL; k++)
      if (X509_check_private_key (certs->pdata[c], keys->pdata[k]) == 1)
        {
          source = g_new0 (Source, 1);
          source->cert = X509_dup (certs->pdata[c]);
          source->key = g_steal_pointer (&keys->pdata[k]);
        }
  ERR_clear_error ();

  if (source == NULL)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_IMPORT,
                   "%s holds no CA certificate together with its private key. Point at the folder of an "
                   "`openssl ca` setup (with its certificate and private/ key).", dir);
      return NULL;
    }

  source->dir = g_strdup (dir);
  source->name = ca_name_get_cn (X509_get_subject_name (source->cert));
  if (source->name == NULL)
    source->name = g_path_get_basename (dir);
  source->index = first_existing (dir, (const char *const[]) { "db/index.txt", "index.txt", "db/index", NULL });
  serial_path = first_existing (dir, (const char *const[]) { "db/serial.txt", "db/serial", "serial.txt", "serial", NULL });
  source->serial = serial_path != NULL ? read_first_line (serial_path) : NULL;
  source->certs_dir = find_new_certs_dir (dir);

  return g_steal_pointer (&source);
}

/* "YYMMDDHHMMSSZ" (UTCTime) or "YYYYMMDDHHMMSSZ" as index.txt stores times. */
static gint64
parse_index_time (const char *text)
{
  ASN1_TIME *time = ASN1_TIME_new ();
  gint64 value = 0;

  if (ASN1_TIME_set_string (time, text) == 1)
    value = ca_asn1_time_to_unix (time);
  ASN1_TIME_free (time);

  return value;
}

static gboolean
parse_reason (const char     *text,
              CaRevokeReason *out_reason)
{
  /* `openssl ca` writes CAkeyCompromise where RFC 5280 says cACompromise. */
  if (g_ascii_strcasecmp (text, "CAkeyCompromise") == 0)
    {
      *out_reason = CA_REVOKE_CA_COMPROMISE;
      return TRUE;
    }

  return ca_revoke_reason_from_string (text, out_reason);
}

static X509 *
load_issued (Source      *source,
             const char  *serial)
{
  g_autofree char *lower = g_ascii_strdown (serial, -1);
  const char *folders[] = { source->certs_dir, "newcerts", "certs", "", NULL };

  for (guint f = 0; f < G_N_ELEMENTS (folders) - 1; f++)
    {
      g_autofree char *dir = NULL;

      if (folders[f] == NULL)
        continue;
      dir = g_path_is_absolute (folders[f]) ? g_strdup (folders[f]) : g_build_filename (source->dir, folders[f], NULL);
      for (const char *const *name = (const char *const[]) { serial, lower, NULL }; *name != NULL; name++)
        {
          g_autofree char *file = g_strconcat (*name, ".pem", NULL);
          g_autofree char *path = g_build_filename (dir, file, NULL);
          g_autofree char *contents = NULL;

          if (g_file_get_contents (path, &contents, NULL, NULL))
            {
              X509 *cert = ca_x509_from_pem (contents, NULL);

              if (cert != NULL)
                return cert;
            }
        }
    }

  return NULL;
}

/* A device's IMEI when the certificate's CN carries one (bare, urn:imei:, nrf-). */
static char *
imei_from_cn (const char *cn)
{
  if (cn == NULL)
    return NULL;

  for (const char *p = cn; *p != '\0'; p++)
    if (g_ascii_isdigit (*p) && (p == cn || !g_ascii_isdigit (p[-1])))
      {
        g_autofree char *digits = g_strndup (p, 15);

        if (strlen (digits) == 15 && !g_ascii_isdigit (p[15]) && ca_imei_validate (digits, NULL))
          return g_steal_pointer (&digits);
      }

  return NULL;
}

static gboolean
insert_imported (CaLedger        *self,
                 Source          *source,
                 X509            *cert,
                 const char      *serial,
                 gboolean         revoked,
                 gint64           revoked_at,
                 CaRevokeReason   reason,
                 GError         **error)
{
  g_autofree char *pem = ca_x509_to_pem (cert);
  g_autofree char *subject = ca_name_to_string (X509_get_subject_name (cert));
  g_autofree char *cn = ca_name_get_cn (X509_get_subject_name (cert));
  g_autofree char *imei = imei_from_cn (cn);
  g_autofree char *pubkey = ca_spki_sha256 (X509_get0_pubkey (cert));
  g_autofree char *sha_lf = NULL;
  g_autofree char *sha_crlf = NULL;
  g_autofree char *details = NULL;
  g_autoptr(CaStmt) device = NULL;
  CaCertificate record;
  GString *builder;
  gint64 now = ca_now ();

  ca_pem_hashes (pem, &sha_lf, &sha_crlf);

  if (imei != NULL)
    {
      device = ca_ledger_prepare (self, "INSERT INTO devices (imei, first_seen, last_seen) VALUES (?1, ?2, ?2) "
                                  "ON CONFLICT (imei) DO NOTHING", error);
      if (device == NULL)
        return FALSE;
      sqlite3_bind_text (device, 1, imei, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (device, 2, now);
      if (!ca_ledger_step_done (self, device, error))
        return FALSE;
    }

  record = (CaCertificate) {
    .authority_id = source->id, .serial = (char *) serial, .imei = imei, .profile = (char *) "imported",
    .subject = subject, .not_before = ca_asn1_time_to_unix (X509_get0_notBefore (cert)),
    .not_after = ca_asn1_time_to_unix (X509_get0_notAfter (cert)),
    .status = revoked ? CA_CERT_STATUS_REVOKED : CA_CERT_STATUS_VALID, .revoke_reason = reason,
    .revoked_at = revoked_at, .pem = pem, .sha256_lf = sha_lf, .sha256_crlf = sha_crlf,
  };
  record.issued_at = record.not_before;
  if (ca_certificate_insert (self, &record, pubkey, error) == 0)
    return FALSE;

  /* Each imported certificate is in the audit log, so `audit verify` can replay it. */
  builder = ca_details_new ();
  ca_details_add (builder, "ca", source->name);
  ca_details_add (builder, "serial", serial);
  ca_details_add (builder, "sha256", sha_lf);
  if (revoked)
    ca_details_add (builder, "reason", ca_revoke_reason_to_string (reason));
  details = ca_details_free (builder);

  return ca_audit_append (self, "import.certificate", imei, details, error);
}

/* index.txt: status, expiry, "revocation[,reason]", serial, file, subject —
 * tab separated. Any malformed line aborts the whole import. */
static gboolean
import_index (CaLedger  *self,
              Source    *source,
              guint     *out_count,
              GError   **error)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  *out_count = 0;
  if (source->index == NULL)
    return TRUE;
  if (!g_file_get_contents (source->index, &contents, NULL, error))
    return FALSE;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;
      g_auto(GStrv) revocation = NULL;
      g_autofree char *serial = NULL;
      g_autoptr(X509) cert = NULL;
      CaRevokeReason reason = CA_REVOKE_UNSPECIFIED;
      gint64 revoked_at = 0;
      const char *problem = NULL;

      if (lines[i][0] == '\0')
        continue;
      fields = g_strsplit (lines[i], "\t", -1);

      if (g_strv_length (fields) != 6)
        problem = "it does not have the six tab-separated fields";
      else if (strlen (fields[0]) != 1 || strchr ("VRE", fields[0][0]) == NULL)
        problem = "its status is not V, R or E";
      else if (parse_index_time (fields[1]) == 0)
        problem = "its expiry date cannot be read";
      else if (fields[3][0] == '\0' || strspn (fields[3], "0123456789abcdefABCDEF") != strlen (fields[3]))
        problem = "its serial is not hex";
      else if (fields[0][0] == 'R')
        {
          revocation = g_strsplit (fields[2], ",", 2);
          revoked_at = revocation[0] != NULL ? parse_index_time (revocation[0]) : 0;
          if (revoked_at == 0)
            problem = "its revocation date cannot be read";
          else if (revocation[1] != NULL && !parse_reason (revocation[1], &reason))
            problem = "its revocation reason is unknown";
        }

      if (problem == NULL)
        {
          BIGNUM *bn = NULL;
          char *hex;

          BN_hex2bn (&bn, fields[3]);
          hex = BN_bn2hex (bn);
          serial = g_strdup (hex);
          OPENSSL_free (hex);
          BN_free (bn);
          cert = load_issued (source, fields[3]);
          if (cert == NULL)
            problem = "the certificate file for its serial (SERIAL.pem in the new_certs_dir) is missing";
        }

      if (problem != NULL)
        {
          g_set_error (error, CA_ERROR, CA_ERROR_IMPORT,
                       "Line %u of %s cannot be imported: %s. Fix or remove the line and import again; "
                       "nothing was imported.", i + 1, source->index, problem);
          return FALSE;
        }

      if (!insert_imported (self, source, cert, serial, fields[0][0] == 'R', revoked_at, reason, error))
        return FALSE;
      (*out_count)++;
    }

  return TRUE;
}

/* Roots first, then each CA after its issuer; an issuer may also already be
 * in the ledger. Returns the parent id (0 for a root), or -1 if unknown. */
static gint64
find_parent (CaLedger   *self,
             Source     *source,
             GPtrArray  *sources)
{
  g_autoptr(CaStmt) stmt = NULL;

  if (X509_check_issued (source->cert, source->cert) == X509_V_OK)
    return 0;

  for (guint i = 0; i < sources->len; i++)
    {
      Source *other = sources->pdata[i];

      if (other != source && other->id != 0 && X509_check_issued (other->cert, source->cert) == X509_V_OK)
        return other->id;
    }

  stmt = ca_ledger_prepare (self, "SELECT id, cert_pem FROM authorities", NULL);
  while (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(X509) cert = ca_x509_from_pem ((const char *) sqlite3_column_text (stmt, 1), NULL);

      if (cert != NULL && X509_check_issued (cert, source->cert) == X509_V_OK)
        return sqlite3_column_int64 (stmt, 0);
    }

  return -1;
}

static int
path_len_of (X509 *cert)
{
  long path_len = X509_get_pathlen (cert);

  return path_len >= 0 ? (int) path_len : -1;
}

static gboolean
import_sources (CaLedger   *self,
                GPtrArray  *sources,
                GPtrArray  *created,
                GError    **error)
{
  guint done = 0;

  /* Each pass inserts every CA whose issuer is known by now. */
  while (done < sources->len)
    {
      guint before = done;

      for (guint i = 0; i < sources->len; i++)
        {
          Source *source = sources->pdata[i];
          g_autofree char *details = NULL;
          GString *builder;
          gint64 parent;
          guint count = 0;

          if (source->id != 0 || (parent = find_parent (self, source, sources)) < 0)
            continue;

          source->id = ca_authority_insert (self, source->name, parent, source->cert, source->key,
                                            path_len_of (source->cert), "ca.import", error);
          if (source->id == 0 || !import_index (self, source, &count, error))
            return FALSE;

          builder = ca_details_new ();
          ca_details_add (builder, "ca", source->name);
          ca_details_add (builder, "folder", source->dir);
          ca_details_add_int (builder, "certificates", count);
          ca_details_add (builder, "next_serial", source->serial);
          details = ca_details_free (builder);
          if (!ca_audit_append (self, "ca.import.index", NULL, details, error))
            return FALSE;
          done++;
        }

      if (done == before)
        {
          g_set_error (error, CA_ERROR, CA_ERROR_IMPORT,
                       "The issuer of an imported CA is neither in the folder nor in the ledger. Import its "
                       "root first, or point at the folder that holds both.");
          return FALSE;
        }
    }

  /* An intermediate its parent's index.txt lists as revoked arrives revoked. */
  if (!ca_ledger_exec (self,
                       "UPDATE authorities SET status = 'revoked', revoke_reason = c.revoke_reason, "
                       "revoked_at = c.revoked_at FROM certificates c WHERE c.authority_id = authorities.parent_id "
                       "AND c.serial = authorities.serial AND c.status = 'revoked' AND authorities.status = 'valid'",
                       error))
    return FALSE;

  for (guint i = 0; i < sources->len; i++)
    {
      Source *source = sources->pdata[i];
      g_autoptr(CaStmt) stmt = ca_ledger_prepare (self, "SELECT " CA_AUTHORITY_COLUMNS " FROM "
                                                  CA_AUTHORITY_FROM " WHERE a.id = ?", error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, source->id);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        g_ptr_array_add (created, ca_authority_from_row (stmt));
    }

  return TRUE;
}

/**
 * ca_ledger_import_openssl:
 * @key_passphrase: (nullable): the passphrase of the folder's encrypted keys
 *
 * Imports in one transaction: either every CA and index entry arrives, or
 * nothing changes. Keys are re-encrypted under the workspace passphrase.
 *
 * Returns: (transfer full) (element-type CaAuthority): the imported CAs
 */
GPtrArray *
ca_ledger_import_openssl (CaLedger    *self,
                          const char  *directory,
                          const char  *key_passphrase,
                          GError     **error)
{
  g_autoptr(GPtrArray) sources = g_ptr_array_new_with_free_func ((GDestroyNotify) source_free);
  g_autoptr(GPtrArray) created = g_ptr_array_new_with_free_func ((GDestroyNotify) ca_authority_free);
  g_autoptr(GDir) listing = NULL;
  const char *entry;
  gboolean ok = FALSE;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (directory != NULL, NULL);

  if (!ca_ledger_is_unlocked (self))
    {
      g_set_error (error, CA_ERROR, CA_ERROR_LOCKED,
                   "The ledger is locked. Give the workspace passphrase (--pass) to import CA keys.");
      return NULL;
    }
  if (!g_file_test (directory, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, CA_ERROR, CA_ERROR_IMPORT, "%s is not a folder.", directory);
      return NULL;
    }

  /* A folder of CA folders (rootca/, subca/, ...), or a single CA. */
  listing = g_dir_open (directory, 0, NULL);
  while (listing != NULL && (entry = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *sub = g_build_filename (directory, entry, NULL);
      g_autoptr(GError) local_error = NULL;
      Source *source;

      if (!g_file_test (sub, G_FILE_TEST_IS_DIR) || g_str_equal (entry, "certs") ||
          g_str_equal (entry, "private") || g_str_equal (entry, "db") || g_str_equal (entry, "newcerts"))
        continue;
      source = load_source (sub, key_passphrase, &local_error);
      if (source != NULL)
        g_ptr_array_add (sources, source);
      else if (local_error->code != CA_ERROR_IMPORT || strstr (local_error->message, "private key") != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
  if (sources->len == 0)
    {
      Source *single = load_source (directory, key_passphrase, error);

      if (single == NULL)
        return NULL;
      g_ptr_array_add (sources, single);
    }

  ca_ledger_lock_mutex (self);
  if (ca_ledger_begin (self, error))
    {
      ok = import_sources (self, sources, created, error) && ca_ledger_commit (self, error);
      if (!ok)
        ca_ledger_rollback (self);
    }
  ca_ledger_unlock_mutex (self);

  return ok ? g_steal_pointer (&created) : NULL;
}
