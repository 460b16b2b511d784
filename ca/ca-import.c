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
#include <stdlib.h>
#include <string.h>

#include "ca-private.h"

/* Importing an OpenSSL-recipe CA ("openssl ca" with a .cnf, db/index.txt,
 * db/serial.txt, certs/ and private/). Files are found by content rather
 * than by name, because every team names them a little differently: CA
 * certificates are the PEM certificates with CA:TRUE, and each is paired with
 * the private key whose public half matches. */

/* Files larger than these are not part of an `openssl ca` setup. */
#define MAX_PEM_FILE   (1024 * 1024)
#define MAX_INDEX_FILE (256 * 1024 * 1024)

typedef struct
{
  char      *root;       /* the real path of the folder being imported; nothing outside it is read */
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
  g_free (source->root);
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

/* TRUE when @path exists and resolves, symlinks followed, to a place inside
 * @root: a link out of the folder being imported is never followed. */
static gboolean
is_inside (const char *root,
           const char *path)
{
  g_autofree char *real = realpath (path, NULL);
  gsize length = strlen (root);

  return real != NULL && strncmp (real, root, length) == 0 && (real[length] == '/' || real[length] == '\0');
}

/* A PEM file inside @root, or NULL. */
static char *
read_pem_file (const char  *root,
               const char  *path,
               gsize       *out_length)
{
  char *contents;

  if (!is_inside (root, path) || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  contents = ca_file_read_bounded (path, MAX_PEM_FILE, out_length, NULL);
  if (contents != NULL && strstr (contents, "-----BEGIN") == NULL)
    g_clear_pointer (&contents, ca_secret_free);

  return contents;
}

/* Every PEM file directly inside @dir and its certs/ and private/ subfolders:
 * CA certificates into @certs, the paths of private keys into @key_paths. */
static void
scan_folder (const char  *root,
             const char  *dir,
             GPtrArray   *certs,
             GPtrArray   *key_paths)
{
  const char *subdirs[] = { "", "certs", "private", NULL };

  for (guint s = 0; subdirs[s] != NULL; s++)
    {
      g_autofree char *folder = g_build_filename (dir, subdirs[s], NULL);
      g_autoptr(GDir) listing = is_inside (root, folder) ? g_dir_open (folder, 0, NULL) : NULL;
      const char *entry;

      while (listing != NULL && (entry = g_dir_read_name (listing)) != NULL)
        {
          g_autofree char *path = g_build_filename (folder, entry, NULL);
          char *contents = NULL;
          gsize length = 0;

          if ((contents = read_pem_file (root, path, &length)) == NULL)
            continue;

          if (strstr (contents, "PRIVATE KEY-----") != NULL)
            g_ptr_array_add (key_paths, g_steal_pointer (&path));
          else if (strstr (contents, "BEGIN CERTIFICATE-----") != NULL)
            {
              g_autoptr(BIO) bio = BIO_new_mem_buf (contents, length);
              X509 *cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);

              if (cert != NULL && X509_check_ca (cert) > 0)
                g_ptr_array_add (certs, cert);
              else
                X509_free (cert);
            }
          ca_secret_free (contents);
        }
    }
  ERR_clear_error ();
}

/* The private keys at @key_paths, decrypted with @key_passphrase. */
static gboolean
read_keys (const char  *root,
           GPtrArray   *key_paths,
           const char  *key_passphrase,
           GPtrArray   *keys,
           GError     **error)
{
  for (guint i = 0; i < key_paths->len; i++)
    {
      const char *path = key_paths->pdata[i];
      gsize length = 0;
      char *contents = read_pem_file (root, path, &length);
      g_autoptr(BIO) bio = NULL;
      EVP_PKEY *key;

      if (contents == NULL)
        continue;
      bio = BIO_new_mem_buf (contents, length);
      key = PEM_read_bio_PrivateKey (bio, NULL, password_cb, (void *) key_passphrase);
      ca_secret_free (contents);
      if (key == NULL)
        {
          ca_set_openssl_error (error, CA_ERROR_IMPORT, "");
          g_prefix_error (error, "The private key %s cannot be read%s. ", path,
                          key_passphrase == NULL ? " (if it is encrypted, give its passphrase)"
                                                 : " with the given passphrase");
          ca_error_add_cli_hint (error, key_passphrase == NULL ? "give its passphrase with --key-pass."
                                                               : "check the one given with --key-pass.");
          return FALSE;
        }
      g_ptr_array_add (keys, key);
    }
  ERR_clear_error ();

  return TRUE;
}

static char *
read_first_line (const char *path)
{
  g_autofree char *contents = NULL;
  char *newline;

  if ((contents = ca_file_read_bounded (path, MAX_PEM_FILE, NULL, NULL)) == NULL)
    return NULL;
  newline = strchr (contents, '\n');
  if (newline != NULL)
    *newline = '\0';

  return g_strdup (g_strstrip (contents));
}

/* new_certs_dir from any *.cnf in @dir or its parent, with $dir expanded by
 * OpenSSL's own parser; paths are tried relative to both folders. */
static char *
find_new_certs_dir (const char *root,
                    const char *dir)
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
          g_autofree char *text = NULL;
          g_autoptr(BIO) bio = NULL;
          CONF *conf;
          const char *section;
          const char *value;
          gsize length = 0;

          if (!g_str_has_suffix (entry, ".cnf"))
            continue;
          path = g_build_filename (folders[f], entry, NULL);
          if (!is_inside (root, path) || (text = ca_file_read_bounded (path, MAX_PEM_FILE, &length, NULL)) == NULL)
            continue;
          bio = BIO_new_mem_buf (text, length);
          conf = NCONF_new (NULL);
          if (NCONF_load_bio (conf, bio, NULL) > 0 &&
              (section = NCONF_get_string (conf, "ca", "default_ca")) != NULL &&
              (value = NCONF_get_string (conf, section, "new_certs_dir")) != NULL)
            {
              for (guint b = 0; b < G_N_ELEMENTS (folders) - 1; b++)
                {
                  g_autofree char *candidate = g_path_is_absolute (value) ? g_strdup (value)
                                                                          : g_build_filename (folders[b], value, NULL);

                  if (is_inside (root, candidate) && g_file_test (candidate, G_FILE_TEST_IS_DIR))
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
first_existing (const char *root,
                const char *dir,
                const char *const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);

      if (is_inside (root, path) && g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }

  return NULL;
}

/* One CA folder → the CA certificate (the one whose key is present). A folder
 * that is not a CA is CA_ERROR_NOT_FOUND; without a CA certificate its keys (a
 * device's, perhaps under another passphrase) are never opened. */
static Source *
load_source (const char  *root,
             const char  *dir,
             const char  *key_passphrase,
             GError     **error)
{
  g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func ((GDestroyNotify) X509_free);
  g_autoptr(GPtrArray) key_paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify) EVP_PKEY_free);
  g_autoptr(Source) source = NULL;
  g_autofree char *serial_path = NULL;
  g_autofree char *name = NULL;

  scan_folder (root, dir, certs, key_paths);
  if (certs->len == 0)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_NOT_FOUND,
                   "%s holds no CA certificate, so it is not a CA folder. Point at the folder of an "
                   "`openssl ca` setup (with its certificate and private/ key).", dir);
      return NULL;
    }
  if (!read_keys (root, key_paths, key_passphrase, keys, error))
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
      g_set_error (error, CA_ERROR, CA_ERROR_NOT_FOUND,
                   "%s holds no CA certificate together with its private key. Point at the folder of an "
                   "`openssl ca` setup (with its certificate and private/ key).", dir);
      return NULL;
    }

  source->root = g_strdup (root);
  source->dir = g_strdup (dir);
  name = ca_name_get_entry (X509_get_subject_name (source->cert), NID_commonName);
  source->name = name != NULL ? g_steal_pointer (&name) : g_path_get_basename (dir);
  if (!ca_name_check ("The name of the CA", source->name, 64, error))
    {
      g_prefix_error (error, "%s: ", dir);
      return NULL;
    }
  source->index = first_existing (root, dir, (const char *const[]) { "db/index.txt", "index.txt", "db/index", NULL });
  serial_path = first_existing (root, dir, (const char *const[]) { "db/serial.txt", "db/serial", "serial.txt", "serial", NULL });
  source->serial = serial_path != NULL ? read_first_line (serial_path) : NULL;
  source->certs_dir = find_new_certs_dir (root, dir);

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

/* The certificate file of an index entry: SERIAL.pem in the new_certs_dir (or
 * newcerts/, certs/ or the CA folder), which must hold that serial, issued and
 * signed by this CA. Sets @problem when it is missing or is another certificate. */
static X509 *
load_issued (Source      *source,
             const char  *serial,
             const char **problem)
{
  g_autofree char *lower = g_ascii_strdown (serial, -1);
  const char *folders[] = { source->certs_dir, "newcerts", "certs", "", NULL };
  X509 *cert = NULL;

  for (guint f = 0; f < G_N_ELEMENTS (folders) - 1 && cert == NULL; f++)
    {
      g_autofree char *dir = NULL;

      if (folders[f] == NULL)
        continue;
      dir = g_path_is_absolute (folders[f]) ? g_strdup (folders[f]) : g_build_filename (source->dir, folders[f], NULL);
      for (const char *const *name = (const char *const[]) { serial, lower, NULL }; *name != NULL && cert == NULL; name++)
        {
          g_autofree char *file = g_strconcat (*name, ".pem", NULL);
          g_autofree char *path = g_build_filename (dir, file, NULL);
          g_autofree char *contents = read_pem_file (source->root, path, NULL);

          if (contents != NULL)
            cert = ca_x509_from_pem (contents, NULL);
        }
    }

  if (cert == NULL)
    *problem = "the certificate file for its serial (SERIAL.pem in the new_certs_dir) is missing";
  else
    {
      BIGNUM *want = NULL;
      BIGNUM *got = ASN1_INTEGER_to_BN (X509_get0_serialNumber (cert), NULL);

      BN_hex2bn (&want, serial);
      if (got == NULL || want == NULL || BN_cmp (got, want) != 0)
        *problem = "its certificate file holds another serial";
      else if (X509_check_issued (source->cert, cert) != X509_V_OK)
        *problem = "its certificate file was issued by another CA";
      else if (X509_verify (cert, X509_get0_pubkey (source->cert)) != 1)
        *problem = "the signature of its certificate file does not verify with this CA's key";
      BN_free (got);
      BN_free (want);
      ERR_clear_error ();
    }
  if (*problem != NULL)
    g_clear_pointer (&cert, X509_free);

  return cert;
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

/* The device's current certificate is its most recently issued one, whatever
 * order the index lists them in and whatever the ledger already held. */
static gboolean
restore_current (CaLedger    *self,
                 const char  *imei,
                 GError     **error)
{
  g_autoptr(CaStmt) stmt = ca_ledger_prepare (self,
                                              "UPDATE devices SET current_certificate_id = (SELECT id FROM "
                                              "certificates WHERE imei = ?1 ORDER BY issued_at DESC, id DESC "
                                              "LIMIT 1) WHERE imei = ?1", error);

  if (stmt == NULL)
    return FALSE;
  ca_stmt_bind_text (stmt, 1, imei);

  return ca_ledger_step_done (self, stmt, error) && ca_fleet_refresh_sort_keys (self, imei, error);
}

static gboolean
insert_imported (CaLedger        *self,
                 Source          *source,
                 X509            *cert,
                 const char      *serial,
                 gboolean         revoked,
                 gint64           revoked_at,
                 CaRevokeReason   reason,
                 GPtrArray       *notes,
                 GError         **error)
{
  g_autofree char *pem = ca_x509_to_pem (cert);
  g_autofree char *subject = ca_name_to_string (X509_get_subject_name (cert));
  g_autofree char *cn = ca_name_get_entry (X509_get_subject_name (cert), NID_commonName);
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
      ca_stmt_bind_text (device, 1, imei);
      ca_stmt_bind_int64 (device, 2, now);
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

  /* An intermediate's own certificate in its parent's index is no device's. */
  if (imei == NULL && X509_check_ca (cert) == 0)
    g_ptr_array_add (notes, g_strdup_printf ("The certificate %s of “%s” (%s) names no valid IMEI, so it was "
                                             "imported for its CA's records and CRLs but belongs to no device.",
                                             serial, source->name, subject));
  if (imei != NULL && !restore_current (self, imei, error))
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
/* A NUL byte would end the text early and hide the lines after it. */
static gboolean
check_no_nul (const char  *path,
              const char  *contents,
              gsize        length,
              GError     **error)
{
  const char *nul = memchr (contents, '\0', length);
  guint line = 1;

  if (nul == NULL)
    return TRUE;
  for (const char *p = contents; p < nul; p++)
    line += *p == '\n';
  g_set_error (error, CA_ERROR, CA_ERROR_IMPORT,
               "Line %u of %s holds a NUL byte, so the file is damaged and not an index. Restore it "
               "from a backup and import again; nothing was imported.", line, path);

  return FALSE;
}

/* Printable UTF-8 apart from the tabs between fields. */
static gboolean
is_printable_line (const char *line)
{
  if (!g_utf8_validate (line, -1, NULL))
    return FALSE;
  for (const char *p = line; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != '\t' && (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT))
        return FALSE;
    }

  return TRUE;
}

static gboolean
import_index (CaLedger   *self,
              Source     *source,
              GPtrArray  *notes,
              guint      *out_count,
              GError    **error)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;

  *out_count = 0;
  if (source->index == NULL)
    return TRUE;
  contents = ca_file_read_bounded (source->index, MAX_INDEX_FILE, &length, &local_error);
  if (contents == NULL)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_IMPORT, "The index %s: %s", source->index, local_error->message);
      return FALSE;
    }
  if (!check_no_nul (source->index, contents, length, error))
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

      /* A file saved with CRLF endings is still the same index. */
      if (g_str_has_suffix (lines[i], "\r"))
        lines[i][strlen (lines[i]) - 1] = '\0';
      if (lines[i][0] == '\0')
        continue;
      fields = g_strsplit (lines[i], "\t", -1);

      if (!is_printable_line (lines[i]))
        problem = "it holds bytes that are not text (control characters or invalid UTF-8)";
      else if (g_strv_length (fields) != 6)
        problem = "it does not have the six tab-separated fields";
      else if (strlen (fields[0]) != 1 || strchr ("VRE", fields[0][0]) == NULL)
        problem = "its status is not V, R or E";
      else if (parse_index_time (fields[1]) == 0)
        problem = "its expiry date cannot be read";
      else if (fields[3][0] == '\0' || strlen (fields[3]) > 40 ||
               strspn (fields[3], "0123456789abcdefABCDEF") != strlen (fields[3]))
        problem = "its serial is not hex";
      else if (fields[5][0] != '/')
        problem = "its subject does not start with /";
      else if (fields[0][0] != 'R' && fields[2][0] != '\0')
        problem = "it has a revocation date but its status is not R";
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
          cert = load_issued (source, fields[3], &problem);
        }

      if (problem != NULL)
        {
          g_set_error (error, CA_ERROR, CA_ERROR_IMPORT,
                       "Line %u of %s cannot be imported: %s. Fix or remove the line and import again; "
                       "nothing was imported.", i + 1, source->index, problem);
          return FALSE;
        }

      if (!insert_imported (self, source, cert, serial, fields[0][0] == 'R', revoked_at, reason, notes, error))
        return FALSE;
      (*out_count)++;
    }

  return TRUE;
}

/* TRUE when @issuer's subject and key identifier name it as @cert's issuer and
 * its key verifies @cert's signature. */
static gboolean
signed_by (X509 *issuer,
           X509 *cert)
{
  gboolean ok = X509_check_issued (issuer, cert) == X509_V_OK && X509_verify (cert, X509_get0_pubkey (issuer)) == 1;

  ERR_clear_error ();

  return ok;
}

/* Roots first, then each CA after its issuer; an issuer may also already be
 * in the ledger. Every signature up the chain is verified, not only the names.
 * Returns the parent id (0 for a root), or -1 if unknown. */
static gint64
find_parent (CaLedger   *self,
             Source     *source,
             GPtrArray  *sources)
{
  g_autoptr(CaStmt) stmt = NULL;

  if (signed_by (source->cert, source->cert))
    return 0;

  for (guint i = 0; i < sources->len; i++)
    {
      Source *other = sources->pdata[i];

      if (other != source && other->id != 0 && signed_by (other->cert, source->cert))
        return other->id;
    }

  stmt = ca_ledger_prepare (self, "SELECT id, cert_pem FROM authorities", NULL);
  while (stmt != NULL && ca_stmt_step (stmt) == CA_DB_ROW)
    {
      g_autoptr(X509) cert = ca_x509_from_pem (ca_stmt_column_text (stmt, 1), NULL);

      if (cert != NULL && signed_by (cert, source->cert))
        return ca_stmt_column_int64 (stmt, 0);
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
                GPtrArray  *notes,
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
          if (source->id == 0 || !ca_authority_check_depth (self, source->id, source->name, error) ||
              !import_index (self, source, notes, &count, error))
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
          for (guint i = 0; i < sources->len; i++)
            if (((Source *) sources->pdata[i])->id == 0)
              {
                Source *orphan = sources->pdata[i];

                g_set_error (error, CA_ERROR, CA_ERROR_IMPORT,
                             "The issuer of the CA “%s” (%s) is neither in the folder nor in the ledger, or "
                             "its signature does not verify with its issuer's key. Import its root first, "
                             "or point at the folder that holds both; nothing was imported.",
                             orphan->name, orphan->dir);
                break;
              }
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
      ca_stmt_bind_int64 (stmt, 1, source->id);
      if (ca_stmt_step (stmt) == CA_DB_ROW)
        g_ptr_array_add (created, ca_authority_from_row (stmt));
    }

  /* The import reports how many certificates each CA arrives with. */
  return ca_authorities_count_issued (self, created, error);
}

/* Resolves @directory and loads each CA folder in it (or @directory itself as
 * one CA). Subfolders that are not CAs are noted in @notes and skipped. */
static gboolean
load_sources (const char  *directory,
              const char  *key_passphrase,
              GPtrArray   *sources,
              GPtrArray   *notes,
              GError     **error)
{
  g_autofree char *root = realpath (directory, NULL);
  g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) listing = NULL;
  const char *entry;
  Source *single;

  if (root == NULL || !g_file_test (root, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, CA_ERROR, CA_ERROR_IMPORT, "%s is not a folder.", directory);
      return FALSE;
    }

  /* A folder of CA folders (rootca/, subca/, devices/, ...), or a single CA. */
  listing = g_dir_open (root, 0, NULL);
  while (listing != NULL && (entry = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *sub = g_build_filename (root, entry, NULL);
      g_autoptr(GError) local_error = NULL;
      Source *source;

      if (!g_file_test (sub, G_FILE_TEST_IS_DIR) || g_str_equal (entry, "certs") ||
          g_str_equal (entry, "private") || g_str_equal (entry, "db") || g_str_equal (entry, "newcerts"))
        continue;
      if (!is_inside (root, sub))
        {
          g_ptr_array_add (skipped, g_strdup_printf ("Skipped %s: it is a link to a folder outside %s.",
                                                     entry, directory));
          continue;
        }
      source = load_source (root, sub, key_passphrase, &local_error);
      if (source != NULL)
        g_ptr_array_add (sources, source);
      else if (g_error_matches (local_error, CA_ERROR, CA_ERROR_NOT_FOUND))
        g_ptr_array_add (skipped, g_strdup_printf ("Skipped %s/: it holds no CA certificate with its private "
                                                   "key, so it is not a CA folder.", entry));
      else
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }

  if (sources->len > 0)
    {
      g_ptr_array_extend_and_steal (notes, g_steal_pointer (&skipped));
      return TRUE;
    }

  single = load_source (root, root, key_passphrase, error);
  if (single == NULL)
    return FALSE;
  g_ptr_array_add (sources, single);

  return TRUE;
}

/**
 * ca_ledger_import_openssl:
 * @key_passphrase: (nullable): the passphrase of the folder's encrypted keys
 * @out_notes: (out) (optional): what was skipped or imported without a device, one sentence each
 *
 * Imports in one transaction: either every CA and index entry arrives, or
 * nothing changes. Keys are re-encrypted under the workspace passphrase.
 * Nothing outside @directory is read, even through a symlink.
 *
 * Returns: (transfer full) (element-type CaAuthority): the imported CAs
 */
GPtrArray *
ca_ledger_import_openssl (CaLedger    *self,
                          const char  *directory,
                          const char  *key_passphrase,
                          GStrv       *out_notes,
                          GError     **error)
{
  g_autoptr(GPtrArray) sources = g_ptr_array_new_with_free_func ((GDestroyNotify) source_free);
  g_autoptr(GPtrArray) created = g_ptr_array_new_with_free_func ((GDestroyNotify) ca_authority_free);
  g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func (g_free);
  gboolean ok = FALSE;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (directory != NULL, NULL);

  if (!ca_ledger_is_unlocked (self))
    {
      g_set_error (error, CA_ERROR, CA_ERROR_LOCKED,
                   "The ledger is locked. Give the workspace passphrase to import CA keys."
                   CA_ERROR_CLI_HINT "give it with --pass.");
      return NULL;
    }
  if (!load_sources (directory, key_passphrase, sources, notes, error))
    return NULL;

  ca_ledger_lock_mutex (self);
  if (ca_ledger_begin (self, error))
    {
      ok = import_sources (self, sources, created, notes, error) && ca_ledger_commit (self, error);
      if (!ok)
        ca_ledger_rollback (self);
    }
  ca_ledger_unlock_mutex (self);

  if (!ok)
    return NULL;
  if (out_notes != NULL)
    {
      g_ptr_array_add (notes, NULL);
      *out_notes = (GStrv) g_ptr_array_steal (notes, NULL);
    }

  return g_steal_pointer (&created);
}
