/* ca-revoke.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-revoke"

#include "config.h"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "ca-private.h"

/* Normalises a serial typed by a person: optional 0x, colons, any case, no
 * leading zero octets (the way BN_bn2hex prints what we store). */
char *
ca_serial_normalise (const char  *text,
                     GError     **error)
{
  g_autoptr(GString) hex = g_string_new (NULL);
  const char *p = text;

  if (g_str_has_prefix (p, "0x") || g_str_has_prefix (p, "0X"))
    p += 2;
  for (; *p != '\0'; p++)
    {
      if (*p == ':' || *p == ' ')
        continue;
      if (!g_ascii_isxdigit (*p))
        {
          g_set_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT,
                       "“%s” is not a serial number: give it in hex, as the device's details show it."
                       CA_ERROR_CLI_HINT "`tagsmith fleet show IMEI` prints it.",
                       text);
          return NULL;
        }
      g_string_append_c (hex, g_ascii_toupper (*p));
    }

  while (hex->len > 2 && hex->str[0] == '0' && hex->str[1] == '0')
    g_string_erase (hex, 0, 2);
  if (hex->len % 2 == 1)
    g_string_prepend_c (hex, '0');
  if (hex->len == 0 || hex->len > 40)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a serial number: serials are 1 to 20 octets of hex.", text);
      return NULL;
    }

  return g_string_free (g_steal_pointer (&hex), FALSE);
}

/* The certificates a request names: one serial, or the IMEI's valid ones
 * (optionally only those installed at sec_tag). Empty when there are none. */
static GPtrArray *
find_targets (CaLedger               *self,
              const CaRevokeRequest  *request,
              const char             *serial,
              gint64                  authority_id,
              GError                **error)
{
  g_autoptr(CaStmt) stmt = NULL;

  if (serial != NULL)
    {
      stmt = ca_ledger_prepare (self, "SELECT " CA_CERTIFICATE_COLUMNS " FROM " CA_CERTIFICATE_FROM
                                " WHERE c.authority_id = ? AND c.serial = ?", error);
      if (stmt == NULL)
        return NULL;
      ca_stmt_bind_int64 (stmt, 1, authority_id);
      ca_stmt_bind_text (stmt, 2, serial);
    }
  else
    {
      stmt = ca_ledger_prepare (self, "SELECT " CA_CERTIFICATE_COLUMNS " FROM " CA_CERTIFICATE_FROM
                                " WHERE c.authority_id = ?1 AND c.imei = ?2 AND (?3 < 0 OR EXISTS "
                                "(SELECT 1 FROM installs i WHERE i.certificate_id = c.id AND i.sec_tag = ?3)) "
                                "ORDER BY c.id", error);
      if (stmt == NULL)
        return NULL;
      ca_stmt_bind_int64 (stmt, 1, authority_id);
      ca_stmt_bind_text (stmt, 2, request->imei);
      ca_stmt_bind_int64 (stmt, 3, request->sec_tag);
    }

  return ca_ledger_collect_rows (self, stmt, (CaRowFunc) ca_certificate_from_row,
                                 (GDestroyNotify) ca_certificate_free, error);
}

/* The intermediate CA that @parent_id issued with @serial, if any. */
static gboolean
find_child_authority (CaLedger     *self,
                      gint64        parent_id,
                      const char   *serial,
                      CaAuthority **out_child,
                      GError      **error)
{
  g_autoptr(CaStmt) stmt = NULL;
  CaDbStatus rc;

  *out_child = NULL;
  stmt = ca_ledger_prepare (self, "SELECT " CA_AUTHORITY_COLUMNS " FROM " CA_AUTHORITY_FROM
                            " WHERE a.parent_id = ? AND a.serial = ?", error);
  if (stmt == NULL)
    return FALSE;
  ca_stmt_bind_int64 (stmt, 1, parent_id);
  ca_stmt_bind_text (stmt, 2, serial);
  rc = ca_stmt_step (stmt);
  if (rc == CA_DB_ROW)
    *out_child = ca_authority_from_row (stmt);
  else if (rc != CA_DB_DONE)
    return ca_ledger_set_db_error (self, rc, error);

  return TRUE;
}

/* An intermediate's certificate described as the certificate its parent issued. */
static CaCertificate *
certificate_from_authority (const CaAuthority *child)
{
  CaCertificate *cert = g_new0 (CaCertificate, 1);

  cert->serial = g_strdup (child->serial);
  cert->authority_id = child->parent_id;
  cert->authority_name = g_strdup (child->parent_name);
  cert->profile = g_strdup ("intermediate");
  cert->subject = g_strdup (child->subject);
  cert->not_before = child->not_before;
  cert->not_after = child->not_after;
  cert->status = child->status;
  cert->revoke_reason = child->revoke_reason;
  cert->revoked_at = child->revoked_at;
  cert->invalidity_date = child->invalidity_date;
  cert->pem = g_strdup (child->cert_pem);
  ca_pem_hashes (cert->pem, &cert->sha256_lf, &cert->sha256_crlf);

  return cert;
}

/* Marks one row revoked with @update_sql (which binds reason, date,
 * invalidity date and id, and only touches a valid row), records it on @cert
 * and appends the audit event. */
static gboolean
revoke_one (CaLedger               *self,
            const char             *update_sql,
            gint64                  row_id,
            const char             *action,
            const char             *authority_name,
            CaCertificate          *cert,
            const CaRevokeRequest  *request,
            GError                **error)
{
  g_autoptr(CaStmt) stmt = NULL;
  g_autofree char *details = NULL;
  g_autofree char *invalidity = NULL;
  GString *builder;
  gint64 now = ca_now ();

  stmt = ca_ledger_prepare (self, update_sql, error);
  if (stmt == NULL)
    return FALSE;
  ca_stmt_bind_int64 (stmt, 1, request->reason);
  ca_stmt_bind_int64 (stmt, 2, now);
  if (request->invalidity_date != 0)
    ca_stmt_bind_int64 (stmt, 3, request->invalidity_date);
  ca_stmt_bind_int64 (stmt, 4, row_id);
  if (!ca_ledger_step_done (self, stmt, error))
    return FALSE;
  if (authority_name == NULL && cert->imei != NULL && !ca_fleet_refresh_sort_keys (self, cert->imei, error))
    return FALSE;

  cert->status = CA_CERT_STATUS_REVOKED;
  cert->revoke_reason = request->reason;
  cert->revoked_at = now;
  cert->invalidity_date = request->invalidity_date;

  builder = ca_details_new ();
  ca_details_add (builder, "ca", request->authority);
  if (authority_name != NULL)
    ca_details_add (builder, "authority", authority_name);
  ca_details_add (builder, "serial", cert->serial);
  ca_details_add (builder, "reason", ca_revoke_reason_to_string (request->reason));
  invalidity = ca_time_to_iso8601 (request->invalidity_date);
  ca_details_add (builder, "invalidity_date", invalidity);
  details = ca_details_free (builder);

  return ca_audit_append (self, action, cert->imei, details, error);
}

static gboolean
check_revoke_request (const CaRevokeRequest  *request,
                      GError                **error)
{
  if ((request->serial == NULL) == (request->imei == NULL))
    {
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT,
                   "Name the certificate to revoke by its serial or by the device's IMEI (one of them).");
      return FALSE;
    }
  if (request->reason == CA_REVOKE_REMOVE_FROM_CRL || (int) request->reason < 0 || request->reason > 10 ||
      request->reason == 7)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT,
                   "That revocation reason cannot be used for revoking; removeFromCRL only applies to delta CRLs.");
      return FALSE;
    }

  return request->imei == NULL || ca_imei_validate (request->imei, error);
}

static void
set_not_found (const CaRevokeRequest  *request,
               const char             *serial,
               GError                **error)
{
  if (serial != NULL)
    g_set_error (error, CA_ERROR, CA_ERROR_NOT_FOUND,
                 "The CA “%s” never issued a certificate or intermediate CA with serial %s. Check the "
                 "serial against the device's details and the CA against the ledger's CAs."
                 CA_ERROR_CLI_HINT "`tagsmith fleet show IMEI` and `tagsmith ca list` show them.",
                 request->authority, serial);
  else
    g_set_error (error, CA_ERROR, CA_ERROR_NOT_FOUND,
                 "The CA “%s” issued no certificate for the IMEI %s%s.", request->authority,
                 request->imei, request->sec_tag >= 0 ? " at that sec_tag" : "");
}

GPtrArray *
ca_revoke_in_transaction (CaLedger               *self,
                          const CaRevokeRequest  *request,
                          GError                **error)
{
  g_autoptr(GPtrArray) targets = NULL;
  g_autoptr(GPtrArray) revoked = NULL;
  g_autoptr(CaAuthority) child = NULL;
  g_autofree char *serial = NULL;
  g_auto(CaSigner) signer = { 0 };

  if (!check_revoke_request (request, error))
    return NULL;
  if (request->serial != NULL && (serial = ca_serial_normalise (request->serial, error)) == NULL)
    return NULL;
  if (!ca_signer_load (self, request->authority, FALSE, &signer, error))
    return NULL;

  targets = find_targets (self, request, serial, signer.id, error);
  if (targets == NULL || (serial != NULL && !find_child_authority (self, signer.id, serial, &child, error)))
    return NULL;
  /* An imported CA can be both: its parent's index.txt listed it. */
  if (child != NULL)
    g_ptr_array_add (targets, certificate_from_authority (child));
  if (targets->len == 0)
    {
      set_not_found (request, serial, error);
      return NULL;
    }

  revoked = g_ptr_array_new_with_free_func ((GDestroyNotify) ca_certificate_free);
  for (guint i = 0; i < targets->len; i++)
    {
      CaCertificate *cert = g_ptr_array_index (targets, i);
      gboolean is_child = child != NULL && i == targets->len - 1;

      if (cert->status == CA_CERT_STATUS_REVOKED)
        continue;
      if (is_child ? !revoke_one (self,
                                  "UPDATE authorities SET status = 'revoked', revoke_reason = ?, revoked_at = ?, "
                                  "invalidity_date = ? WHERE id = ? AND status = 'valid'",
                                  child->id, "ca.revoke", child->name, cert, request, error)
                   : !revoke_one (self,
                                  "UPDATE certificates SET status = 'revoked', revoke_reason = ?, revoked_at = ?, "
                                  "invalidity_date = ? WHERE id = ? AND status = 'valid'",
                                  cert->id, "revoke", NULL, cert, request, error))
        return NULL;
      g_ptr_array_add (revoked, g_steal_pointer (&targets->pdata[i]));
    }

  if (revoked->len == 0)
    {
      CaCertificate *first = g_ptr_array_index (targets, 0);

      g_set_error (error, CA_ERROR, CA_ERROR_ALREADY_REVOKED,
                   "The certificate %s is already revoked (%s); nothing was changed.", first->serial,
                   ca_revoke_reason_to_string (first->revoke_reason));
      return NULL;
    }

  return g_steal_pointer (&revoked);
}

/**
 * ca_ledger_revoke:
 *
 * Returns: (transfer full) (element-type CaCertificate): the certificates revoked
 */
GPtrArray *
ca_ledger_revoke (CaLedger               *self,
                  const CaRevokeRequest  *request,
                  GError                **error)
{
  g_autoptr(GPtrArray) revoked = NULL;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (request != NULL && request->authority != NULL, NULL);

  ca_ledger_lock_mutex (self);
  if (ca_ledger_begin (self, error))
    {
      revoked = ca_revoke_in_transaction (self, request, error);
      if (revoked == NULL || !ca_ledger_commit (self, error))
        {
          ca_ledger_rollback (self);
          g_clear_pointer (&revoked, g_ptr_array_unref);
        }
    }
  ca_ledger_unlock_mutex (self);

  return g_steal_pointer (&revoked);
}

static gboolean
add_revoked_entry (X509_CRL     *crl,
                   const char   *serial_hex,
                   gint64        revoked_at,
                   int           reason,
                   gint64        invalidity_date)
{
  X509_REVOKED *entry = X509_REVOKED_new ();
  BIGNUM *bn = NULL;
  ASN1_INTEGER *serial = NULL;
  ASN1_TIME *when = ASN1_TIME_set (NULL, (time_t) revoked_at);
  gboolean ok;

  ok = BN_hex2bn (&bn, serial_hex) > 0 &&
       (serial = BN_to_ASN1_INTEGER (bn, NULL)) != NULL &&
       X509_REVOKED_set_serialNumber (entry, serial) &&
       X509_REVOKED_set_revocationDate (entry, when);

  /* RFC 5280 §5.3.1: reasonCode unspecified SHOULD be absent. */
  if (ok && reason != CA_REVOKE_UNSPECIFIED)
    {
      ASN1_ENUMERATED *code = ASN1_ENUMERATED_new ();

      ok = ASN1_ENUMERATED_set (code, reason) &&
           X509_REVOKED_add1_ext_i2d (entry, NID_crl_reason, code, 0, 0) == 1;
      ASN1_ENUMERATED_free (code);
    }
  if (ok && invalidity_date != 0)
    {
      ASN1_GENERALIZEDTIME *date = ASN1_GENERALIZEDTIME_set (NULL, (time_t) invalidity_date);

      ok = date != NULL && X509_REVOKED_add1_ext_i2d (entry, NID_invalidity_date, date, 0, 0) == 1;
      ASN1_GENERALIZEDTIME_free (date);
    }

  ok = ok && X509_CRL_add0_revoked (crl, entry);
  if (!ok)
    X509_REVOKED_free (entry);

  BN_free (bn);
  ASN1_INTEGER_free (serial);
  ASN1_TIME_free (when);

  return ok;
}

static gboolean
add_crl_extensions (X509_CRL  *crl,
                    X509      *issuer,
                    gint64     number)
{
  const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id (issuer);
  AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new ();
  ASN1_INTEGER *crl_number = ASN1_INTEGER_new ();
  gboolean ok;

  aki->keyid = ski != NULL ? ASN1_OCTET_STRING_dup (ski) : NULL;
  ok = aki->keyid != NULL &&
       X509_CRL_add1_ext_i2d (crl, NID_authority_key_identifier, aki, 0, 0) == 1 &&
       ASN1_INTEGER_set_int64 (crl_number, number) &&
       X509_CRL_add1_ext_i2d (crl, NID_crl_number, crl_number, 0, 0) == 1;

  AUTHORITY_KEYID_free (aki);
  ASN1_INTEGER_free (crl_number);

  return ok;
}

/* Builds and signs the CRL inside the caller's transaction. */
static X509_CRL *
build_crl (CaLedger  *self,
           CaSigner  *signer,
           int        days,
           gint64     number,
           guint     *out_count,
           GError   **error)
{
  g_autoptr(X509_CRL) crl = X509_CRL_new ();
  g_autoptr(CaStmt) stmt = NULL;
  ASN1_TIME *last = NULL;
  ASN1_TIME *next = NULL;
  gint64 now = ca_now ();
  gboolean ok;
  CaDbStatus rc;

  last = ASN1_TIME_set (NULL, (time_t) now);
  next = ASN1_TIME_set (NULL, (time_t) MIN (now + (gint64) days * 86400, signer->not_after));
  ok = X509_CRL_set_version (crl, X509_CRL_VERSION_2) &&
       X509_CRL_set_issuer_name (crl, X509_get_subject_name (signer->cert)) &&
       X509_CRL_set1_lastUpdate (crl, last) &&
       X509_CRL_set1_nextUpdate (crl, next);
  ASN1_TIME_free (last);
  ASN1_TIME_free (next);
  if (!ok)
    goto crypto_fail;

  /* Revoked certificates and intermediate CAs of this issuer; expired ones
   * leave the CRL (RFC 5280 §3.3). An imported intermediate may also be a
   * row of certificates (its parent's index.txt listed it): list it once. */
  stmt = ca_ledger_prepare (self,
                            "SELECT serial, revoked_at, revoke_reason, invalidity_date FROM certificates "
                            "WHERE authority_id = ?1 AND status = 'revoked' AND not_after > ?2 "
                            "UNION ALL SELECT serial, revoked_at, revoke_reason, invalidity_date FROM authorities a "
                            "WHERE parent_id = ?1 AND status = 'revoked' AND not_after > ?2 AND NOT EXISTS "
                            "(SELECT 1 FROM certificates c WHERE c.authority_id = ?1 AND c.serial = a.serial "
                            "AND c.status = 'revoked')", error);
  if (stmt == NULL)
    return NULL;
  ca_stmt_bind_int64 (stmt, 1, signer->id);
  ca_stmt_bind_int64 (stmt, 2, now);
  *out_count = 0;
  while ((rc = ca_stmt_step (stmt)) == CA_DB_ROW)
    {
      if (!add_revoked_entry (crl, ca_stmt_column_text (stmt, 0),
                              ca_stmt_column_int64 (stmt, 1), ca_stmt_column_int (stmt, 2),
                              ca_stmt_column_int64 (stmt, 3)))
        goto crypto_fail;
      (*out_count)++;
    }
  if (rc != CA_DB_DONE)
    {
      ca_ledger_set_db_error (self, rc, error);
      return NULL;
    }

  if (!add_crl_extensions (crl, signer->cert, number) || !X509_CRL_sort (crl) ||
      X509_CRL_sign (crl, signer->key, signer->md) <= 0)
    goto crypto_fail;

  return g_steal_pointer (&crl);

crypto_fail:
  ca_set_openssl_error (error, CA_ERROR_CRYPTO, "Building the CRL failed.");
  return NULL;
}

static GBytes *
encode_crl (X509_CRL *crl,
            gboolean  der)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long length;

  if ((der ? i2d_X509_CRL_bio (bio, crl) : PEM_write_bio_X509_CRL (bio, crl)) != 1)
    return NULL;
  length = BIO_get_mem_data (bio, &data);

  return g_bytes_new (data, length);
}

/**
 * ca_ledger_generate_crl:
 *
 * Returns: (transfer full): the CRL, PEM text or DER
 */
GBytes *
ca_ledger_generate_crl (CaLedger    *self,
                        const char  *authority,
                        int          days,
                        gboolean     der,
                        GError     **error)
{
  g_auto(CaSigner) signer = { 0 };
  g_autoptr(X509_CRL) crl = NULL;
  g_autoptr(CaStmt) number_stmt = NULL;
  g_autofree char *details = NULL;
  GBytes *encoded = NULL;
  GString *builder;
  gint64 number;
  guint count = 0;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (authority != NULL, NULL);

  if (!ca_check_days (days, 3650, "A CRL's validity", error))
    return NULL;
  if (days == 0)
    days = CA_DEFAULT_CRL_DAYS;

  ca_ledger_lock_mutex (self);
  if (!ca_signer_load (self, authority, TRUE, &signer, error) || !ca_ledger_begin (self, error))
    goto out;
  /* A CRL signed outside the CA's validity is rejected by verifiers. */
  if (!ca_signer_refresh (self, &signer, error) || !ca_signer_check_in_validity (&signer, error))
    goto fail;

  /* The number increases in the same transaction that signs, so two processes
   * can never publish the same CRL number. */
  number_stmt = ca_ledger_prepare (self,
                                   "UPDATE authorities SET crl_number = crl_number + 1 WHERE id = ? "
                                   "RETURNING crl_number", error);
  if (number_stmt == NULL)
    goto fail;
  ca_stmt_bind_int64 (number_stmt, 1, signer.id);
  if (ca_stmt_step (number_stmt) != CA_DB_ROW)
    {
      ca_ledger_set_db_error (self, ca_db_status (self->db), error);
      goto fail;
    }
  number = ca_stmt_column_int64 (number_stmt, 0);
  ca_ledger_step_done (self, number_stmt, NULL);
  g_clear_pointer (&number_stmt, ca_stmt_release);

  crl = build_crl (self, &signer, days, number, &count, error);
  if (crl == NULL)
    goto fail;

  builder = ca_details_new ();
  ca_details_add (builder, "ca", authority);
  ca_details_add_int (builder, "crl_number", number);
  ca_details_add_int (builder, "revoked", count);
  ca_details_add_int (builder, "days", days);
  details = ca_details_free (builder);
  if (!ca_audit_append (self, "crl", NULL, details, error) || !ca_ledger_commit (self, error))
    goto fail;

  encoded = encode_crl (crl, der);
  goto out;

fail:
  ca_ledger_rollback (self);
out:
  ca_ledger_unlock_mutex (self);

  return encoded;
}

