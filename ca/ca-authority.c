/* ca-authority.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-authority"

#include "config.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "ca-private.h"

/* A certificate is valid from a few minutes ago, so a device whose clock is
 * slightly behind does not reject it as not yet valid. */
#define BACKDATE_SECONDS 300

void
ca_signer_clear (CaSigner *signer)
{
  g_clear_pointer (&signer->name, g_free);
  g_clear_pointer (&signer->revoked_name, g_free);
  g_clear_pointer (&signer->outside_name, g_free);
  g_clear_pointer (&signer->cert, X509_free);
  for (guint i = 0; i < G_N_ELEMENTS (signer->leaf_extensions); i++)
    g_clear_pointer (&signer->leaf_extensions[i], X509_EXTENSION_free);
  signer->key = NULL;
}

/* The device profile's fixed extensions, made once per signer rather than
 * parsed from text for every certificate of a batch. */
static gboolean
build_leaf_extensions (CaSigner  *signer,
                       GError   **error)
{
  static const struct { int nid; const char *value; } fixed[] = {
    { NID_basic_constraints, "critical,CA:FALSE" },
    { NID_key_usage, "critical,digitalSignature" },
    { NID_ext_key_usage, "clientAuth" },
    { NID_authority_key_identifier, "keyid:always" },
  };
  g_autoptr(X509) subject = X509_new ();
  X509V3_CTX ctx;

  X509V3_set_ctx (&ctx, signer->cert, subject, NULL, NULL, 0);
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    {
      signer->leaf_extensions[i] = X509V3_EXT_nconf_nid (NULL, &ctx, fixed[i].nid, fixed[i].value);
      if (signer->leaf_extensions[i] == NULL)
        {
          ca_set_openssl_error (error, CA_ERROR_CRYPTO, "Preparing the certificate extensions failed.");
          return FALSE;
        }
    }

  return TRUE;
}

/* Reads what the chain from @signer up to its root allows now: the nearest
 * revoked CA, the nearest CA outside its validity, the validity every CA of
 * the chain shares, and how many CAs may still follow below @signer. */
gboolean
ca_signer_refresh (CaLedger  *self,
                   CaSigner  *signer,
                   GError   **error)
{
  g_autoptr(CaStmt) stmt = NULL;
  gint64 now = ca_now ();
  CaDbStatus rc;

  g_clear_pointer (&signer->revoked_name, g_free);
  g_clear_pointer (&signer->outside_name, g_free);
  signer->chain_not_before = G_MININT64;
  signer->chain_not_after = G_MAXINT64;
  signer->path_room = G_MAXINT;

  stmt = ca_ledger_prepare (self,
                            "WITH RECURSIVE chain (id, parent_id, name, status, path_len, not_before,"
                            " not_after, depth) AS ("
                            " SELECT id, parent_id, name, status, path_len, not_before, not_after, 0"
                            " FROM authorities WHERE id = ?"
                            " UNION ALL SELECT a.id, a.parent_id, a.name, a.status, a.path_len, a.not_before,"
                            " a.not_after, chain.depth + 1"
                            " FROM authorities a JOIN chain ON a.id = chain.parent_id WHERE chain.depth < 16)"
                            " SELECT name, status, path_len, not_before, not_after, depth FROM chain"
                            " ORDER BY depth", error);
  if (stmt == NULL)
    return FALSE;
  ca_stmt_bind_int64 (stmt, 1, signer->id);
  while ((rc = ca_stmt_step (stmt)) == CA_DB_ROW)
    {
      const char *status = ca_stmt_column_text (stmt, 1);
      int path_len = ca_stmt_column_int (stmt, 2);
      gint64 not_before = ca_stmt_column_int64 (stmt, 3);
      gint64 not_after = ca_stmt_column_int64 (stmt, 4);
      int depth = ca_stmt_column_int (stmt, 5);

      if (signer->revoked_name == NULL && g_strcmp0 (status, "revoked") == 0)
        signer->revoked_name = ca_column_dup (stmt, 0);
      if (signer->outside_name == NULL && (now < not_before || now >= not_after))
        {
          signer->outside_name = ca_column_dup (stmt, 0);
          signer->outside_not_yet = now < not_before;
        }
      signer->chain_not_before = MAX (signer->chain_not_before, not_before);
      signer->chain_not_after = MIN (signer->chain_not_after, not_after);
      /* A pathLen of N on a CA @depth levels up leaves N - depth CAs below @signer. */
      if (path_len >= 0)
        signer->path_room = MIN (signer->path_room, path_len - depth);
    }
  if (rc != CA_DB_DONE)
    return ca_ledger_set_db_error (self, rc, error);

  return TRUE;
}

gboolean
ca_authority_check_depth (CaLedger    *self,
                          gint64       id,
                          const char  *name,
                          GError     **error)
{
  CaSigner chain = { .id = id };
  gboolean ok = ca_signer_refresh (self, &chain, error);

  if (ok && chain.path_room < 0)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_IMPORT,
                   "The CA “%s” sits deeper below its root than the path length of a CA above it "
                   "allows, so every verifier would reject what it signs. Import only the CAs that "
                   "path length allows.", name);
      ok = FALSE;
    }
  ca_signer_clear (&chain);

  return ok;
}

static gboolean
check_not_revoked (CaSigner  *signer,
                   GError   **error)
{
  if (signer->revoked_name == NULL)
    return TRUE;

  if (g_strcmp0 (signer->revoked_name, signer->name) == 0)
    g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                 "The CA “%s” has been revoked, so nothing it signs would be trusted. Issue from "
                 "another CA, or create a new intermediate CA and issue from it." CA_ERROR_CLI_HINT
                 "`tagsmith ca list` shows the CAs and `tagsmith ca intermediate` creates one.",
                 signer->name);
  else
    g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                 "The CA “%s” sits below the revoked CA “%s”, so nothing it signs would be trusted. "
                 "Issue from a CA outside that branch." CA_ERROR_CLI_HINT "`tagsmith ca list` shows the CAs.",
                 signer->name, signer->revoked_name);

  return FALSE;
}

gboolean
ca_signer_check_in_validity (CaSigner  *signer,
                             GError   **error)
{
  const char *state = signer->outside_not_yet ? "is not valid yet" : "has expired";

  if (signer->outside_name == NULL)
    return TRUE;

  if (g_strcmp0 (signer->outside_name, signer->name) == 0)
    g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                 "The CA “%s” %s, so nothing it signs would be accepted. %s",
                 signer->name, state,
                 signer->outside_not_yet ? "Check this computer's clock, or wait until it is valid."
                                         : "Create a new CA and sign with it." CA_ERROR_CLI_HINT
                                           "`tagsmith ca init` or `tagsmith ca intermediate` creates one.");
  else
    g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                 "The CA “%s” sits below the CA “%s”, which %s, so nothing it signs would be accepted. %s",
                 signer->name, signer->outside_name, state,
                 signer->outside_not_yet ? "Check this computer's clock, or wait until it is valid."
                                         : "Sign with a CA below a valid root." CA_ERROR_CLI_HINT
                                           "`tagsmith ca list` shows the CAs.");

  return FALSE;
}

gboolean
ca_signer_check_can_issue (CaSigner  *signer,
                           GError   **error)
{
  if (!check_not_revoked (signer, error) || !ca_signer_check_in_validity (signer, error))
    return FALSE;

  if (signer->path_room < 0)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                   "The CA “%s” sits deeper below its root than a path length above it allows, so "
                   "every verifier would reject what it signs. Issue from a CA higher up." CA_ERROR_CLI_HINT
                   "`tagsmith ca list` shows each CA's path length.", signer->name);
      return FALSE;
    }

  return TRUE;
}

void
ca_set_no_such_authority (GError     **error,
                          const char  *name)
{
  g_set_error (error, CA_ERROR, CA_ERROR_NOT_FOUND,
               "There is no CA named “%s” in this ledger. Check the name against the ledger's CAs."
               CA_ERROR_CLI_HINT "`tagsmith ca list` shows them.", name);
}

gboolean
ca_signer_load (CaLedger    *self,
                const char  *name,
                gboolean     need_key,
                CaSigner    *out_signer,
                GError     **error)
{
  g_autoptr(CaStmt) stmt = NULL;
  CaDbStatus rc;

  memset (out_signer, 0, sizeof *out_signer);

  stmt = ca_ledger_prepare (self,
                            "SELECT id, name, cert_pem, key_pkcs8, not_after "
                            "FROM authorities WHERE name = ?", error);
  if (stmt == NULL)
    return FALSE;
  ca_stmt_bind_text (stmt, 1, name);
  rc = ca_stmt_step (stmt);
  if (rc == CA_DB_DONE)
    {
      ca_set_no_such_authority (error, name);
      return FALSE;
    }
  if (rc != CA_DB_ROW)
    return ca_ledger_set_db_error (self, rc, error);

  out_signer->id = ca_stmt_column_int64 (stmt, 0);
  out_signer->name = ca_column_dup (stmt, 1);
  out_signer->not_after = ca_stmt_column_int64 (stmt, 4);
  out_signer->cert = ca_x509_from_pem (ca_stmt_column_text (stmt, 2), error);
  if (out_signer->cert == NULL || !ca_signer_refresh (self, out_signer, error))
    {
      ca_signer_clear (out_signer);
      return FALSE;
    }

  if (need_key)
    {
      out_signer->key = ca_ledger_get_key (self, out_signer->id,
                                           ca_stmt_column_text (stmt, 3), error);
      /* A key swapped in from another CA would sign what no verifier accepts. */
      if (out_signer->key != NULL && X509_check_private_key (out_signer->cert, out_signer->key) != 1)
        {
          ERR_clear_error ();
          g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                       "The key stored for the CA “%s” does not belong to its certificate, so it was "
                       "not used. Someone changed the ledger: verify the audit log to see what else was "
                       "changed, and restore it from a backup.", name);
          out_signer->key = NULL;
        }
      if (out_signer->key == NULL || !build_leaf_extensions (out_signer, error))
        {
          ca_signer_clear (out_signer);
          return FALSE;
        }
      out_signer->md = ca_key_digest (out_signer->key);
    }

  return TRUE;
}

gboolean
ca_signer_load_for_signing (CaLedger    *self,
                            const char  *name,
                            CaSigner    *out_signer,
                            GError     **error)
{
  if (!ca_signer_load (self, name, TRUE, out_signer, error))
    return FALSE;
  if (!ca_signer_check_can_issue (out_signer, error))
    {
      ca_signer_clear (out_signer);
      return FALSE;
    }

  return TRUE;
}

/* Copies a request's SubjectPublicKeyInfo as it is. X509_set_pubkey() would
 * re-encode the key through OpenSSL 3.0's encoder, the slowest step of issuing. */
static gboolean
copy_public_key (X509              *cert,
                 const X509_PUBKEY *spki)
{
  const ASN1_OBJECT *algorithm = NULL;
  const X509_ALGOR *algor = NULL;
  const unsigned char *bits = NULL;
  const void *parameter = NULL;
  unsigned char *copy;
  void *parameter_copy = NULL;
  int parameter_type = V_ASN1_UNDEF;
  int length = 0;

  if (!X509_PUBKEY_get0_param (NULL, &bits, &length, (X509_ALGOR **) &algor, spki))
    return FALSE;
  X509_ALGOR_get0 (&algorithm, &parameter_type, &parameter, algor);

  if (parameter_type == V_ASN1_OBJECT)
    parameter_copy = OBJ_dup (parameter);
  else if (parameter_type == V_ASN1_SEQUENCE)
    parameter_copy = ASN1_STRING_dup (parameter);
  else if (parameter_type != V_ASN1_NULL && parameter_type != V_ASN1_UNDEF)
    return FALSE;

  copy = OPENSSL_memdup (bits, length);
  if (!X509_PUBKEY_set0_param (X509_get_X509_PUBKEY (cert), OBJ_dup (algorithm), parameter_type,
                               parameter_copy, copy, length))
    {
      OPENSSL_free (copy);
      return FALSE;
    }

  return TRUE;
}

X509 *
ca_new_certificate (const char         *cn,
                    EVP_PKEY           *public_key,
                    const X509_PUBKEY  *spki,
                    gint64              not_before,
                    gint64              not_after,
                    char              **out_serial,
                    GError            **error)
{
  X509 *cert = X509_new ();
  ASN1_INTEGER *serial = ca_serial_new (out_serial);
  X509_NAME *subject = X509_get_subject_name (cert);
  gboolean ok;

  ok = serial != NULL &&
       X509_set_version (cert, X509_VERSION_3) &&
       X509_set_serialNumber (cert, serial) &&
       X509_NAME_add_entry_by_NID (subject, NID_commonName, MBSTRING_UTF8,
                                   (const unsigned char *) cn, -1, -1, 0) &&
       (spki != NULL ? copy_public_key (cert, spki) : X509_set_pubkey (cert, public_key)) &&
       ca_set_validity (cert, not_before, not_after);
  ASN1_INTEGER_free (serial);

  if (!ok)
    {
      ca_set_openssl_error (error, CA_ERROR_CRYPTO, "Building the certificate failed.");
      X509_free (cert);
      g_clear_pointer (out_serial, g_free);
      return NULL;
    }

  return cert;
}

X509 *
ca_signer_sign_leaf (CaSigner           *signer,
                     const char         *cn,
                     EVP_PKEY           *public_key,
                     const X509_PUBKEY  *spki,
                     gint64              not_after,
                     char              **out_serial,
                     GError            **error)
{
  X509 *cert;

  cert = ca_new_certificate (cn, public_key, spki, MAX (ca_now () - BACKDATE_SECONDS, signer->chain_not_before),
                          MIN (not_after, signer->chain_not_after), out_serial, error);
  if (cert == NULL)
    return NULL;

  if (!X509_set_issuer_name (cert, X509_get_subject_name (signer->cert)) ||
      !X509_add_ext (cert, signer->leaf_extensions[0], -1) ||
      !X509_add_ext (cert, signer->leaf_extensions[1], -1) ||
      !X509_add_ext (cert, signer->leaf_extensions[2], -1) ||
      !ca_add_subject_key_id (cert, error) ||
      !X509_add_ext (cert, signer->leaf_extensions[3], -1) ||
      X509_sign (cert, signer->key, signer->md) <= 0)
    {
      if (error != NULL && *error == NULL)
        ca_set_openssl_error (error, CA_ERROR_CRYPTO, "Signing the certificate failed.");
      X509_free (cert);
      g_clear_pointer (out_serial, g_free);
      return NULL;
    }

  return cert;
}

/* The name becomes the CA's common name, which X.509 caps at 64 characters. */
static gboolean
check_name (const char  *name,
            GError     **error)
{
  return ca_name_check ("A CA name", name, 64, error);
}

static CaAuthority *
get_authority_locked (CaLedger    *self,
                      const char  *name,
                      GError     **error)
{
  g_autoptr(CaStmt) stmt = ca_ledger_prepare (self,
                                              "SELECT " CA_AUTHORITY_COLUMNS " FROM " CA_AUTHORITY_FROM
                                              " WHERE a.name = ?", error);
  CaDbStatus rc;

  if (stmt == NULL)
    return NULL;
  ca_stmt_bind_text (stmt, 1, name);
  rc = ca_stmt_step (stmt);
  if (rc == CA_DB_ROW)
    return ca_authority_from_row (stmt);
  if (rc == CA_DB_DONE)
    ca_set_no_such_authority (error, name);
  else
    ca_ledger_set_db_error (self, rc, error);

  return NULL;
}

CaAuthority *
ca_ledger_get_authority (CaLedger    *self,
                         const char  *name,
                         GError     **error)
{
  CaAuthority *authority;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  ca_ledger_lock_mutex (self);
  authority = get_authority_locked (self, name, error);
  ca_ledger_unlock_mutex (self);

  return authority;
}

/* Records a CA certificate and its encrypted key, with its audit event, in the
 * caller's transaction. Shared by creation and import. Returns the new row's id,
 * 0 on error. */
gint64
ca_authority_insert (CaLedger    *self,
                  const char  *name,
                  gint64       parent_id,
                  X509        *cert,
                  EVP_PKEY    *key,
                  int          path_len,
                  const char  *action,
                  GError     **error)
{
  g_autofree char *subject = ca_name_to_string (X509_get_subject_name (cert));
  g_autofree char *pem = ca_x509_to_pem (cert);
  g_autofree char *sha_lf = NULL;
  g_autofree char *sha_crlf = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *ski = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *key_sha = NULL;
  g_autofree char *details = NULL;
  g_autoptr(CaStmt) stmt = NULL;
  const ASN1_OCTET_STRING *ski_octets = X509_get0_subject_key_id (cert);
  CaKeyType key_type;
  GString *detail_builder;
  gint64 id;

  serial = ca_serial_to_hex (X509_get0_serialNumber (cert));
  ski = ski_octets != NULL ? ca_hex_upper (ASN1_STRING_get0_data (ski_octets), ASN1_STRING_length (ski_octets))
                           : g_strdup ("");
  ca_pem_hashes (pem, &sha_lf, &sha_crlf);

  if (!ca_key_describe (key, &key_type, error))
    return 0;
  key_pem = ca_key_encrypt_pem (key, self->passphrase, error);
  if (key_pem == NULL)
    return 0;

  stmt = ca_ledger_prepare (self,
                            "INSERT INTO authorities (name, parent_id, subject, key_type, path_len, "
                            "not_before, not_after, serial, ski, cert_pem, sha256_lf, sha256_crlf, "
                            "key_pkcs8, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                            error);
  if (stmt == NULL)
    return 0;
  ca_stmt_bind_text (stmt, 1, name);
  if (parent_id != 0)
    ca_stmt_bind_int64 (stmt, 2, parent_id);
  ca_stmt_bind_text (stmt, 3, subject);
  ca_stmt_bind_int64 (stmt, 4, key_type);
  ca_stmt_bind_int64 (stmt, 5, path_len);
  ca_stmt_bind_int64 (stmt, 6, ca_asn1_time_to_unix (X509_get0_notBefore (cert)));
  ca_stmt_bind_int64 (stmt, 7, ca_asn1_time_to_unix (X509_get0_notAfter (cert)));
  ca_stmt_bind_text (stmt, 8, serial);
  ca_stmt_bind_text (stmt, 9, ski);
  ca_stmt_bind_text (stmt, 10, pem);
  ca_stmt_bind_text (stmt, 11, sha_lf);
  ca_stmt_bind_text (stmt, 12, sha_crlf);
  ca_stmt_bind_text (stmt, 13, key_pem);
  ca_stmt_bind_int64 (stmt, 14, ca_now ());
  if (ca_stmt_step (stmt) != CA_DB_ROW)
    {
      if (ca_db_status (self->db) == CA_DB_UNIQUE)
        g_set_error (error, CA_ERROR, CA_ERROR_EXISTS,
                     "A CA named “%s” already exists in this ledger. Choose another name.", name);
      else
        ca_ledger_set_db_error (self, ca_db_status (self->db), error);
      return 0;
    }
  id = ca_stmt_column_int64 (stmt, 0);
  g_clear_pointer (&stmt, ca_stmt_release);

  detail_builder = ca_details_new ();
  ca_details_add (detail_builder, "name", name);
  ca_details_add (detail_builder, "subject", subject);
  ca_details_add (detail_builder, "serial", serial);
  ca_details_add (detail_builder, "key", ca_key_type_to_string (key_type));
  ca_details_add (detail_builder, "sha256", sha_lf);
  key_sha = ca_sha256_hex (key_pem, strlen (key_pem));
  ca_details_add (detail_builder, "key_sha256", key_sha);
  details = ca_details_free (detail_builder);
  if (!ca_audit_append (self, action, NULL, details, error))
    return 0;

  return id;
}

/* The path length a new CA below @parent gets: what was asked, or for no
 * limit (-1) as many levels as the chain above still allows. Asking for more
 * than that is refused, as every verifier would reject the chain. Returns
 * less than -1 on error. */
static int
inherit_path_len (CaSigner  *parent,
                  int        requested,
                  GError   **error)
{
  if (parent->path_room == G_MAXINT)
    return requested;

  if (parent->path_room == 0)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                   "The CA “%s” may not have CAs below it (the path length of the chain above it "
                   "allows none), so it can only issue device certificates. Sign the new CA with a "
                   "CA higher up." CA_ERROR_CLI_HINT "`tagsmith ca list` shows each CA's path length.",
                   parent->name);
      return -2;
    }
  if (requested > parent->path_room - 1)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                   "Below the CA “%s” the chain allows at most %d more CA level%s, so a CA it signs "
                   "can have a path length of %d at most. Give %d or less, or leave it out."
                   CA_ERROR_CLI_HINT "give --path-len %d or less, or leave it out.",
                   parent->name, parent->path_room, parent->path_room == 1 ? "" : "s",
                   parent->path_room - 1, parent->path_room - 1, parent->path_room - 1);
      return -2;
    }

  return requested >= 0 ? requested : parent->path_room - 1;
}

static X509 *
build_ca_certificate (const CaAuthorityRequest  *request,
                      CaSigner                  *parent,
                      EVP_PKEY                  *key,
                      int                        path_len,
                      GError                   **error)
{
  g_autofree char *serial = NULL;
  g_autofree char *constraints = NULL;
  int default_days = parent != NULL ? CA_DEFAULT_INTERMEDIATE_DAYS : CA_DEFAULT_ROOT_DAYS;
  gint64 now = ca_now ();
  gint64 not_after = now + (gint64) (request->days > 0 ? request->days : default_days) * 86400;
  X509 *issuer;
  X509 *cert;

  if (parent != NULL)
    not_after = MIN (not_after, parent->chain_not_after);

  cert = ca_new_certificate (request->name, key, NULL,
                          parent != NULL ? MAX (now - BACKDATE_SECONDS, parent->chain_not_before)
                                         : now - BACKDATE_SECONDS,
                          not_after, &serial, error);
  if (cert == NULL)
    return NULL;

  issuer = parent != NULL ? parent->cert : cert;
  constraints = path_len >= 0 ? g_strdup_printf ("critical,CA:TRUE,pathlen:%d", path_len)
                              : g_strdup ("critical,CA:TRUE");

  if (!X509_set_issuer_name (cert, X509_get_subject_name (issuer)) ||
      !ca_add_extension (cert, issuer, NID_basic_constraints, constraints, error) ||
      !ca_add_extension (cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign", error) ||
      !ca_add_extension (cert, issuer, NID_subject_key_identifier, "hash", error) ||
      (parent != NULL &&
       !ca_add_extension (cert, issuer, NID_authority_key_identifier, "keyid:always", error)) ||
      !ca_sign (cert, parent != NULL ? parent->key : key, error))
    {
      X509_free (cert);
      return NULL;
    }

  return cert;
}

gint64
ca_authority_create_open (CaLedger                  *self,
                          const CaAuthorityRequest  *request,
                          EVP_PKEY                 **out_key,
                          GError                   **error)
{
  g_auto(CaSigner) parent = { 0 };
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(X509) cert = NULL;
  int path_len = request->path_len;
  gint64 id;

  if (!check_name (request->name, error) || !ca_check_days (request->days, 36500, "The validity", error))
    return 0;

  if (!ca_ledger_is_unlocked (self))
    {
      g_set_error (error, CA_ERROR, CA_ERROR_LOCKED,
                   "The ledger is locked. Give the workspace passphrase to create a CA."
                   CA_ERROR_CLI_HINT "give it with --pass.");
      return 0;
    }

  if (request->parent != NULL)
    {
      if (!ca_signer_load_for_signing (self, request->parent, &parent, error))
        return 0;
      path_len = inherit_path_len (&parent, request->path_len, error);
      if (path_len < -1)
        return 0;
    }

  key = ca_key_generate (request->key_type, error);
  if (key == NULL)
    return 0;
  cert = build_ca_certificate (request, request->parent != NULL ? &parent : NULL, key, path_len, error);
  if (cert == NULL || !ca_ledger_begin (self, error))
    return 0;

  /* Another process may have revoked the parent since it was loaded. */
  if (request->parent != NULL &&
      (!ca_signer_refresh (self, &parent, error) || !ca_signer_check_can_issue (&parent, error)))
    {
      ca_ledger_rollback (self);
      return 0;
    }

  id = ca_authority_insert (self, request->name, parent.id, cert, key, path_len,
                            request->parent != NULL ? "ca.intermediate" : "ca.root", error);
  if (id == 0)
    {
      ca_ledger_rollback (self);
      return 0;
    }
  *out_key = g_steal_pointer (&key);

  return id;
}

/**
 * ca_ledger_create_authority:
 *
 * Creates a self-signed root, or an intermediate signed by @request->parent.
 * The ledger must be unlocked: the new key is stored encrypted under the
 * workspace passphrase.
 *
 * Returns: (transfer full): the new authority
 */
CaAuthority *
ca_ledger_create_authority (CaLedger                  *self,
                            const CaAuthorityRequest  *request,
                            GError                   **error)
{
  g_autoptr(EVP_PKEY) key = NULL;
  CaAuthority *authority = NULL;
  gint64 id;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (request != NULL, NULL);

  ca_ledger_lock_mutex (self);
  id = ca_authority_create_open (self, request, &key, error);
  if (id != 0 && ca_ledger_commit (self, error))
    {
      g_hash_table_insert (self->keys, g_memdup2 (&id, sizeof id), g_steal_pointer (&key));
      authority = get_authority_locked (self, request->name, error);
    }
  ca_ledger_unlock_mutex (self);

  return authority;
}

/* One grouped pass over the covering (authority_id, imei) index, rather than
 * a count per authority, which a server ran as two full table scans each. */
gboolean
ca_authorities_count_issued (CaLedger   *self,
                             GPtrArray  *authorities,
                             GError    **error)
{
  g_autoptr(CaStmt) stmt = ca_ledger_prepare (self,
                                              "SELECT authority_id, count(*), count(DISTINCT imei) "
                                              "FROM certificates WHERE imei IS NOT NULL GROUP BY authority_id",
                                              error);
  CaDbStatus rc;

  if (stmt == NULL)
    return FALSE;

  while ((rc = ca_stmt_step (stmt)) == CA_DB_ROW)
    {
      gint64 id = ca_stmt_column_int64 (stmt, 0);

      for (guint i = 0; i < authorities->len; i++)
        {
          CaAuthority *authority = authorities->pdata[i];

          if (authority->id == id)
            {
              authority->issued_count = ca_stmt_column_int64 (stmt, 1);
              authority->device_count = ca_stmt_column_int64 (stmt, 2);
            }
        }
    }
  if (rc != CA_DB_DONE)
    return ca_ledger_set_db_error (self, rc, error);

  return TRUE;
}

GPtrArray *
ca_ledger_list_authorities (CaLedger  *self,
                            GError   **error)
{
  g_autoptr(GPtrArray) authorities = g_ptr_array_new_with_free_func ((GDestroyNotify) ca_authority_free);
  g_autoptr(CaStmt) stmt = NULL;
  CaDbStatus rc = CA_DB_ERROR;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);

  ca_ledger_lock_mutex (self);
  /* Ids grow with creation, and a parent always exists before its children. */
  stmt = ca_ledger_prepare (self, "SELECT " CA_AUTHORITY_COLUMNS " FROM " CA_AUTHORITY_FROM
                            " ORDER BY a.id", error);
  if (stmt != NULL)
    {
      while ((rc = ca_stmt_step (stmt)) == CA_DB_ROW)
        g_ptr_array_add (authorities, ca_authority_from_row (stmt));
      if (rc != CA_DB_DONE)
        ca_ledger_set_db_error (self, rc, error);
      else if (!ca_authorities_count_issued (self, authorities, error))
        rc = CA_DB_ERROR;
    }
  ca_ledger_unlock_mutex (self);

  return rc == CA_DB_DONE ? g_steal_pointer (&authorities) : NULL;
}

char *
ca_ledger_export_authority (CaLedger    *self,
                            const char  *name,
                            gboolean     chain,
                            GError     **error)
{
  g_autoptr(GString) pem = g_string_new (NULL);
  g_autofree char *current = g_strdup (name);

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  ca_ledger_lock_mutex (self);
  for (guint depth = 0; current != NULL && depth < 16; depth++)
    {
      g_autoptr(CaAuthority) authority = get_authority_locked (self, current, error);

      if (authority == NULL)
        {
          ca_ledger_unlock_mutex (self);
          return NULL;
        }
      g_string_append (pem, authority->cert_pem);
      g_free (current);
      current = chain ? g_steal_pointer (&authority->parent_name) : NULL;
    }
  ca_ledger_unlock_mutex (self);

  return g_string_free (g_steal_pointer (&pem), FALSE);
}

/**
 * ca_ledger_issue_proof:
 *
 * The verification certificate CA registration asks for: CN=@code, for a
 * throwaway P-256 key (only the CA's signature matters), signed by @name.
 */
char *
ca_ledger_issue_proof (CaLedger    *self,
                       const char  *name,
                       const char  *code,
                       GError     **error)
{
  g_auto(CaSigner) signer = { 0 };
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(X509) cert = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *pubkey_sha = NULL;
  g_autofree char *sha_lf = NULL;
  g_autofree char *sha_crlf = NULL;
  g_autofree char *details = NULL;
  CaCertificate record;
  GString *builder;
  gboolean ok = FALSE;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (!ca_name_check ("The registration code", code, 64, error))
    return NULL;

  ca_ledger_lock_mutex (self);
  if (!ca_signer_load_for_signing (self, name, &signer, error) ||
      (key = ca_key_generate (CA_KEY_EC_P256, error)) == NULL ||
      (cert = ca_signer_sign_leaf (&signer, code, key, NULL, ca_now () + 30 * 86400, &serial, error)) == NULL)
    goto out;

  pem = ca_x509_to_pem (cert);
  subject = ca_name_to_string (X509_get_subject_name (cert));
  pubkey_sha = ca_spki_sha256 (key);
  ca_pem_hashes (pem, &sha_lf, &sha_crlf);
  builder = ca_details_new ();
  ca_details_add (builder, "ca", name);
  ca_details_add (builder, "code", code);
  ca_details_add (builder, "serial", serial);
  ca_details_add (builder, "sha256", sha_lf);
  details = ca_details_free (builder);

  if (!ca_ledger_begin (self, error))
    goto out;
  if (!ca_signer_refresh (self, &signer, error) || !ca_signer_check_can_issue (&signer, error))
    goto fail;
  record = (CaCertificate) {
    .authority_id = signer.id, .serial = serial, .profile = (char *) "proof", .subject = subject,
    .not_before = ca_asn1_time_to_unix (X509_get0_notBefore (cert)),
    .not_after = ca_asn1_time_to_unix (X509_get0_notAfter (cert)), .host_key = TRUE, .issued_at = ca_now (),
    .pem = pem, .sha256_lf = sha_lf, .sha256_crlf = sha_crlf,
  };
  if (ca_certificate_insert (self, &record, pubkey_sha, error) == 0 ||
      !ca_audit_append (self, "ca.proof", NULL, details, error) ||
      !ca_ledger_commit (self, error))
    goto fail;
  ok = TRUE;
  goto out;

fail:
  ca_ledger_rollback (self);
out:
  ca_ledger_unlock_mutex (self);

  return ok ? g_steal_pointer (&pem) : NULL;
}
