/* ca-issue.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-issue"

#include "config.h"

#include <openssl/crypto.h>
#include <string.h>

#include "ca-private.h"

/* Certificates signed, then recorded together in one transaction: fsync once per
 * group instead of once per certificate. */
#define BATCH_GROUP 256

/* A signed certificate waiting to be recorded. */
typedef struct
{
  char          *imei;
  const char    *profile;
  const char    *uuid;
  gboolean       host_key;
  gboolean       revoke_previous;
  CaCertificate *record;       /* filled from the certificate; id set on insert */
  char          *pubkey_sha256;
} Signed;

static void
signed_free (Signed *item)
{
  if (item == NULL)
    return;
  g_free (item->imei);
  g_free (item->pubkey_sha256);
  ca_certificate_free (item->record);
  g_free (item);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Signed, signed_free)

/* Checks what can be checked without the ledger and returns the profile. */
static const CaProfile *
check_request (const CaIssueRequest  *request,
               GError               **error)
{
  const CaProfile *profile = ca_profile_lookup (request->profile);

  if (profile == NULL)
    {
      g_autoptr(GString) names = g_string_new (NULL);
      guint n = 0;
      const CaProfile *all = ca_profile_get_all (&n);

      for (guint i = 0; i < n; i++)
        g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", all[i].name);
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT,
                   "There is no profile “%s”. The profiles are: %s.", request->profile, names->str);
      return NULL;
    }

  if (!ca_check_days (request->days, 36500, "The validity", error))
    return NULL;

  return profile;
}

/* Policy, naming and signing: everything before the ledger is written. */
static Signed *
sign_for_key (CaSigner              *signer,
              const CaIssueRequest  *request,
              const char            *imei,
              EVP_PKEY              *public_key,
              const X509_PUBKEY     *spki,
              CaKeyType              key_type,
              gboolean               host_key,
              GError               **error)
{
  g_autoptr(Signed) item = NULL;
  g_autoptr(X509) cert = NULL;
  g_autofree char *cn = NULL;
  const CaProfile *profile;
  CaCertificate *record;
  gint64 days;

  profile = check_request (request, error);
  if (profile == NULL)
    return NULL;

  if (key_type >= CA_KEY_RSA_2048 && !profile->allow_rsa)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                   "The %s profile accepts only EC P-256 or P-384 device keys, and this key is %s. "
                   "Generate an EC key (%%KEYGEN makes P-256).", profile->name,
                   ca_key_type_to_string (key_type));
      return NULL;
    }

  cn = ca_profile_render_cn (profile, imei, request->uuid, error);
  if (cn == NULL)
    return NULL;

  days = request->days > 0 ? request->days : CA_DEFAULT_DEVICE_DAYS;
  item = g_new0 (Signed, 1);
  item->imei = g_strdup (imei);
  item->profile = profile->name;
  item->uuid = request->uuid;
  item->host_key = host_key;
  item->revoke_previous = request->revoke_previous;
  item->record = record = g_new0 (CaCertificate, 1);

  cert = ca_signer_sign_leaf (signer, cn, public_key, spki, ca_now () + days * 86400, &record->serial, error);
  if (cert == NULL)
    return NULL;

  item->pubkey_sha256 = ca_x509_pubkey_sha256 (X509_get_X509_PUBKEY (cert));
  record->imei = g_strdup (imei);
  record->authority_id = signer->id;
  record->authority_name = g_strdup (signer->name);
  record->profile = g_strdup (profile->name);
  record->subject = ca_name_to_string (X509_get_subject_name (cert));
  record->not_before = ca_asn1_time_to_unix (X509_get0_notBefore (cert));
  record->not_after = ca_asn1_time_to_unix (X509_get0_notAfter (cert));
  record->status = CA_CERT_STATUS_VALID;
  record->host_key = host_key;
  record->issued_at = ca_now ();
  record->pem = ca_x509_to_pem (cert);
  ca_pem_hashes (record->pem, &record->sha256_lf, &record->sha256_crlf);

  return g_steal_pointer (&item);
}

static gboolean
check_key_unused (CaLedger  *self,
                  Signed    *item,
                  GError   **error)
{
  g_autoptr(CaStmt) stmt = ca_ledger_prepare (self,
                                              "SELECT imei FROM certificates WHERE pubkey_sha256 = ? "
                                              "AND imei IS NOT NULL AND imei <> ? LIMIT 1", error);
  CaDbStatus rc;

  if (stmt == NULL)
    return FALSE;
  ca_stmt_bind_text (stmt, 1, item->pubkey_sha256);
  ca_stmt_bind_text (stmt, 2, item->imei);
  rc = ca_stmt_step (stmt);
  if (rc == CA_DB_ROW)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                   "This public key is already certified for the device %s. Each device needs its "
                   "own key: run %%KEYGEN on this device (IMEI %s) again.",
                   ca_stmt_column_text (stmt, 0), item->imei);
      return FALSE;
    }
  if (rc != CA_DB_DONE)
    return ca_ledger_set_db_error (self, rc, error);

  return TRUE;
}

static gboolean
ensure_device (CaLedger    *self,
               const char  *imei,
               const char  *uuid,
               GError     **error)
{
  g_autoptr(CaStmt) stmt = ca_ledger_prepare (self,
                                              "INSERT INTO devices (imei, uuid, first_seen, last_seen) "
                                              "VALUES (?1, ?2, ?3, ?3) ON CONFLICT (imei) DO UPDATE "
                                              "SET uuid = coalesce (excluded.uuid, devices.uuid)", error);

  if (stmt == NULL)
    return FALSE;
  ca_stmt_bind_text (stmt, 1, imei);
  ca_stmt_bind_text (stmt, 2, uuid);
  ca_stmt_bind_int64 (stmt, 3, ca_now ());

  return ca_ledger_step_done (self, stmt, error);
}

/* The details of the audit events that issuing appends. */
static char *
revoke_details (Signed      *item,
                const char  *serial)
{
  GString *builder = ca_details_new ();

  ca_details_add (builder, "ca", item->record->authority_name);
  ca_details_add (builder, "serial", serial);
  ca_details_add (builder, "reason", "superseded");
  ca_details_add (builder, "by", item->record->serial);

  return ca_details_free (builder);
}

static char *
issue_details (Signed *item)
{
  CaCertificate *record = item->record;
  GString *builder = ca_details_new ();

  ca_details_add (builder, "ca", record->authority_name);
  ca_details_add (builder, "serial", record->serial);
  ca_details_add (builder, "profile", record->profile);
  ca_details_add (builder, "subject", record->subject);
  ca_details_add (builder, "sha256", record->sha256_lf);
  if (record->supersedes_id != 0)
    ca_details_add_int (builder, "supersedes", record->supersedes_id);
  if (item->host_key)
    ca_details_add (builder, "key", "host");
  ca_details_add (builder, "station", record->station);

  return ca_details_free (builder);
}

/* Revokes @imei's valid certificates as superseded, or only finds the newest one
 * to link from. Returns FALSE on error; *out_newest is 0 when there is none. */
static gboolean
handle_previous (CaLedger  *self,
                 Signed    *item,
                 gint64    *out_newest,
                 GError   **error)
{
  g_autoptr(CaStmt) select = ca_ledger_prepare (self,
                                                "SELECT id, serial FROM certificates WHERE imei = ? AND "
                                                "status = 'valid' AND not_after > ? ORDER BY id DESC", error);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) serials = g_ptr_array_new_with_free_func (g_free);
  CaDbStatus rc;

  *out_newest = 0;
  if (select == NULL)
    return FALSE;
  ca_stmt_bind_text (select, 1, item->imei);
  ca_stmt_bind_int64 (select, 2, ca_now ());
  while ((rc = ca_stmt_step (select)) == CA_DB_ROW)
    {
      gint64 id = ca_stmt_column_int64 (select, 0);

      g_array_append_val (ids, id);
      g_ptr_array_add (serials, ca_column_dup (select, 1));
    }
  if (rc != CA_DB_DONE)
    return ca_ledger_set_db_error (self, rc, error);
  g_clear_pointer (&select, ca_stmt_release);

  if (ids->len > 0)
    *out_newest = g_array_index (ids, gint64, 0);

  for (guint i = 0; item->revoke_previous && i < ids->len; i++)
    {
      g_autoptr(CaStmt) update = ca_ledger_prepare (self,
                                                    "UPDATE certificates SET status = 'revoked', "
                                                    "revoke_reason = 4, revoked_at = ? WHERE id = ?", error);
      g_autofree char *details = NULL;

      if (update == NULL)
        return FALSE;
      ca_stmt_bind_int64 (update, 1, ca_now ());
      ca_stmt_bind_int64 (update, 2, g_array_index (ids, gint64, i));
      if (!ca_ledger_step_done (self, update, error))
        return FALSE;

      details = revoke_details (item, g_ptr_array_index (serials, i));
      if (!ca_audit_append (self, "revoke", item->imei, details, error))
        return FALSE;
    }

  return TRUE;
}

/* Binds @record's columns of the certificate INSERT from parameter @first on. */
static void
bind_certificate (CaLedger             *self,
                  CaStmt               *insert,
                  int                   first,
                  const CaCertificate  *record,
                  const char           *pubkey_sha256)
{
  gboolean revoked = record->status == CA_CERT_STATUS_REVOKED;
  int p = first - 1;

  ca_stmt_bind_int64 (insert, p + 1, record->authority_id);
  ca_stmt_bind_text (insert, p + 2, record->serial);
  ca_stmt_bind_text (insert, p + 3, record->imei);
  ca_stmt_bind_text (insert, p + 4, record->profile);
  ca_stmt_bind_text (insert, p + 5, record->subject);
  ca_stmt_bind_int64 (insert, p + 6, record->not_before);
  ca_stmt_bind_int64 (insert, p + 7, record->not_after);
  ca_stmt_bind_text (insert, p + 8, revoked ? "revoked" : "valid");
  if (revoked)
    {
      ca_stmt_bind_int64 (insert, p + 9, record->revoke_reason);
      ca_stmt_bind_int64 (insert, p + 10, record->revoked_at);
    }
  if (record->supersedes_id != 0)
    ca_stmt_bind_int64 (insert, p + 11, record->supersedes_id);
  ca_stmt_bind_text (insert, p + 12, pubkey_sha256);
  ca_stmt_bind_int64 (insert, p + 13, record->host_key);
  ca_stmt_bind_int64 (insert, p + 14, record->issued_at);
  ca_stmt_bind_text (insert, p + 15, record->pem);
  ca_stmt_bind_text (insert, p + 16, record->sha256_lf);
  ca_stmt_bind_text (insert, p + 17, record->sha256_crlf);
  /* Only what was issued here names the station: not an import, not a proof. */
  if (record->station != NULL)
    ca_ledger_bind_station (self, insert, p + 18);
}

#define CERTIFICATE_PARAMS 18

/* Records @n certificates in one statement and sets each one's id. A serial
 * its issuer already used fails them all with CA_ERROR_EXISTS. */
static gboolean
insert_certificates (CaLedger              *self,
                     CaCertificate *const  *records,
                     const char *const     *pubkeys,
                     guint                  n,
                     GError               **error)
{
  g_autoptr(CaStmt) insert = NULL;
  CaDbStatus rc;

  insert = ca_ledger_prepare_rows (self,
                                   "INSERT INTO certificates (authority_id, serial, imei, profile, subject, "
                                   "not_before, not_after, status, revoke_reason, revoked_at, supersedes_id, "
                                   "pubkey_sha256, host_key, issued_at, pem, sha256_lf, sha256_crlf, station_id) "
                                   "VALUES ", "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", n,
                                   " RETURNING id, authority_id, serial", error);
  if (insert == NULL)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      records[i]->id = 0;
      bind_certificate (self, insert, (int) i * CERTIFICATE_PARAMS + 1, records[i], pubkeys[i]);
    }
  /* Neither engine promises the order of RETURNING rows: each is matched by
   * its issuer and serial, which are unique together. */
  while ((rc = ca_stmt_step (insert)) == CA_DB_ROW)
    for (guint i = 0; i < n; i++)
      if (records[i]->authority_id == ca_stmt_column_int64 (insert, 1) &&
          g_strcmp0 (records[i]->serial, ca_stmt_column_text (insert, 2)) == 0)
        records[i]->id = ca_stmt_column_int64 (insert, 0);
  if (rc == CA_DB_UNIQUE)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_EXISTS, "The CA already holds a certificate with serial %s.",
                   n == 1 ? records[0]->serial : "of one of these");
      return FALSE;
    }
  if (rc != CA_DB_DONE)
    return ca_ledger_set_db_error (self, rc, error);
  for (guint i = 0; i < n; i++)
    g_assert (records[i]->id != 0);

  return TRUE;
}

/* Makes each device certificate of @records its device's current one. */
static gboolean
make_current (CaLedger              *self,
              CaCertificate *const  *records,
              guint                  n,
              GError               **error)
{
  g_autoptr(GPtrArray) imeis = g_ptr_array_new ();
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < n; i++)
    if (records[i]->imei != NULL)
      {
        g_ptr_array_add (imeis, records[i]->imei);
        g_array_append_val (ids, records[i]->id);
      }

  return ca_fleet_set_current (self, (const char *const *) imeis->pdata, (gint64 *) ids->data, imeis->len, error);
}

/**
 * ca_certificate_insert:
 *
 * Records @record (its id is ignored) in the caller's transaction and, for a
 * device certificate, makes it the device's current one. A serial its issuer
 * already used is CA_ERROR_EXISTS.
 *
 * Returns: the new row's id, 0 on error
 */
gint64
ca_certificate_insert (CaLedger             *self,
                       const CaCertificate  *record,
                       const char           *pubkey_sha256,
                       GError              **error)
{
  CaCertificate copy = *record;
  CaCertificate *records[1] = { &copy };

  if (!insert_certificates (self, records, &pubkey_sha256, 1, error) || !make_current (self, records, 1, error))
    return 0;

  return copy.id;
}

/* Records one signed certificate in the caller's transaction. */
static gboolean
record_signed (CaLedger  *self,
               Signed    *item,
               GError   **error)
{
  CaCertificate *record = item->record;
  g_autofree char *details = NULL;
  gint64 previous = 0;

  if (!check_key_unused (self, item, error) ||
      !ensure_device (self, item->imei, item->uuid, error) ||
      !handle_previous (self, item, &previous, error))
    return FALSE;

  record->supersedes_id = previous;
  g_free (record->station);
  record->station = g_strdup (self->station_name);
  record->id = ca_certificate_insert (self, record, item->pubkey_sha256, error);
  if (record->id == 0)
    {
      if (error != NULL && g_error_matches (*error, CA_ERROR, CA_ERROR_EXISTS))
        {
          g_clear_error (error);
          g_set_error (error, CA_ERROR, CA_ERROR_EXISTS,
                       "The random serial %s is already in use by this CA; issue again.", record->serial);
        }
      return FALSE;
    }

  details = issue_details (item);

  return ca_audit_append (self, "issue", record->imei, details, error);
}

/* The CA was checked when loaded; another process may have revoked it since,
 * or it may have expired during a long batch. Checked again in the write
 * transaction, so nothing is recorded under a CA that may no longer issue. */
static gboolean
check_signer_in_transaction (CaLedger  *self,
                             CaSigner  *signer,
                             GError   **error)
{
  return ca_signer_refresh (self, signer, error) && ca_signer_check_can_issue (signer, error);
}

/* Signs and records one certificate; retries once on the (126-bit) chance of
 * a serial collision, which the UNIQUE constraint reports. */
static CaCertificate *
issue_one (CaLedger              *self,
           const CaIssueRequest  *request,
           EVP_PKEY              *public_key,
           const X509_PUBKEY     *spki,
           CaKeyType              key_type,
           gboolean               host_key,
           GError               **error)
{
  g_auto(CaSigner) signer = { 0 };
  gboolean loaded_in_transaction;

  if (check_request (request, error) == NULL || !ca_imei_validate (request->imei, error))
    return NULL;

  ca_ledger_lock_mutex (self);
  /* Loaded inside the caller's write transaction, the signer cannot change before it is used. */
  loaded_in_transaction = self->in_one_transaction;
  if (!ca_signer_load_for_signing (self, request->authority, &signer, error))
    {
      ca_ledger_unlock_mutex (self);
      return NULL;
    }

  for (int attempt = 0; attempt < 2; attempt++)
    {
      g_autoptr(Signed) item = NULL;
      g_autoptr(GError) local_error = NULL;

      item = sign_for_key (&signer, request, request->imei, public_key, spki, key_type, host_key, &local_error);
      if (item != NULL && ca_ledger_begin (self, &local_error))
        {
          if ((loaded_in_transaction || check_signer_in_transaction (self, &signer, &local_error)) &&
              record_signed (self, item, &local_error) && ca_ledger_commit (self, &local_error))
            {
              ca_ledger_unlock_mutex (self);
              return g_steal_pointer (&item->record);
            }
          ca_ledger_rollback (self);
        }

      if (attempt == 1 || !g_error_matches (local_error, CA_ERROR, CA_ERROR_EXISTS))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          break;
        }
    }

  ca_ledger_unlock_mutex (self);

  return NULL;
}

/**
 * ca_ledger_issue:
 *
 * Returns: (transfer full): the recorded certificate
 */
CaCertificate *
ca_ledger_issue (CaLedger              *self,
                 const CaIssueRequest  *request,
                 CaCsr                 *csr,
                 GError               **error)
{
  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (request != NULL && request->authority != NULL, NULL);
  g_return_val_if_fail (csr != NULL, NULL);

  return issue_one (self, request, ca_csr_get_pubkey (csr), ca_csr_get_spki (csr),
                    ca_csr_get_key_type (csr), FALSE, error);
}

CaCertificate *
ca_ledger_issue_with_new_key (CaLedger              *self,
                              const CaIssueRequest  *request,
                              CaKeyType              key_type,
                              char                 **out_key_pem,
                              GError               **error)
{
  g_autoptr(EVP_PKEY) key = NULL;
  g_autofree char *key_pem = NULL;
  CaCertificate *certificate;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (request != NULL && request->authority != NULL, NULL);
  g_return_val_if_fail (out_key_pem != NULL, NULL);

  key = ca_key_generate (key_type, error);
  if (key == NULL)
    return NULL;
  key_pem = ca_key_to_plain_pem (key, error);
  if (key_pem == NULL)
    return NULL;

  certificate = issue_one (self, request, key, NULL, key_type, TRUE, error);
  if (certificate == NULL)
    {
      g_clear_pointer (&key_pem, ca_secret_free);
      return NULL;
    }

  *out_key_pem = g_steal_pointer (&key_pem);

  return certificate;
}

void
ca_batch_item_clear (CaBatchItem *item)
{
  g_clear_pointer (&item->imei, g_free);
  g_clear_pointer (&item->csr, ca_csr_unref);
  g_clear_pointer (&item->certificate, ca_certificate_free);
  g_clear_error (&item->error);
}

/* Records a group item by item, each under its own savepoint, so one bad item
 * (say, a reused key) fails alone with its own error. */
static gboolean
record_group_by_item (CaLedger     *self,
                      CaSigner     *signer,
                      CaBatchItem  *items,
                      Signed      **signed_items,
                      guint         n,
                      GError      **error)
{
  if (!ca_ledger_begin (self, error))
    return FALSE;
  if (!check_signer_in_transaction (self, signer, error))
    goto fail;

  for (guint i = 0; i < n; i++)
    {
      if (signed_items[i] == NULL)
        continue;
      if (!ca_ledger_exec (self, "SAVEPOINT item", error))
        goto fail;
      if (record_signed (self, signed_items[i], &items[i].error))
        {
          if (!ca_ledger_exec (self, "RELEASE item", error))
            goto fail;
        }
      else if (!ca_ledger_exec (self, "ROLLBACK TO item; RELEASE item", error))
        goto fail;
    }

  if (!ca_ledger_commit (self, error))
    goto fail;

  for (guint i = 0; i < n; i++)
    if (signed_items[i] != NULL && items[i].error == NULL)
      items[i].certificate = g_steal_pointer (&signed_items[i]->record);

  return TRUE;

fail:
  ca_ledger_rollback (self);
  /* What record_signed() said of an item was rolled back with it. */
  for (guint i = 0; i < n; i++)
    if (signed_items[i] != NULL)
      g_clear_error (&items[i].error);
  return FALSE;
}

/* Whether no key of @group is certified for another device, in the ledger or
 * in the group itself: what check_key_unused() asks of each, in one query. */
static gboolean
group_keys_unused (CaLedger  *self,
                   Signed   **group,
                   guint      n,
                   gboolean  *out_unused,
                   GError   **error)
{
  g_autoptr(GHashTable) owners = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(CaStmt) stmt = NULL;
  CaDbStatus rc;

  *out_unused = TRUE;
  for (guint i = 0; i < n; i++)
    {
      const char *owner = g_hash_table_lookup (owners, group[i]->pubkey_sha256);

      if (owner != NULL && strcmp (owner, group[i]->imei) != 0)
        *out_unused = FALSE;
      g_hash_table_insert (owners, group[i]->pubkey_sha256, group[i]->imei);
    }
  if (!*out_unused)
    return TRUE;

  stmt = ca_ledger_prepare_rows (self, "SELECT pubkey_sha256, imei FROM certificates WHERE imei IS NOT NULL "
                                 "AND pubkey_sha256 IN (", "?", n, ")", error);
  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < n; i++)
    ca_stmt_bind_text (stmt, (int) i + 1, group[i]->pubkey_sha256);
  while ((rc = ca_stmt_step (stmt)) == CA_DB_ROW)
    if (g_strcmp0 (g_hash_table_lookup (owners, ca_stmt_column_text (stmt, 0)), ca_stmt_column_text (stmt, 1)) != 0)
      *out_unused = FALSE;
  if (rc != CA_DB_DONE)
    return ca_ledger_set_db_error (self, rc, error);

  return TRUE;
}

static gboolean
ensure_devices (CaLedger  *self,
                Signed   **group,
                guint      n,
                GError   **error)
{
  g_autoptr(CaStmt) stmt = NULL;
  gint64 now = ca_now ();

  stmt = ca_ledger_prepare_rows (self, "INSERT INTO devices (imei, uuid, first_seen, last_seen) VALUES ",
                                 "(?, ?, ?, ?)", n,
                                 " ON CONFLICT (imei) DO UPDATE SET uuid = coalesce (excluded.uuid, devices.uuid)",
                                 error);
  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      ca_stmt_bind_text (stmt, (int) i * 4 + 1, group[i]->imei);
      ca_stmt_bind_text (stmt, (int) i * 4 + 2, group[i]->uuid);
      ca_stmt_bind_int64 (stmt, (int) i * 4 + 3, now);
      ca_stmt_bind_int64 (stmt, (int) i * 4 + 4, now);
    }

  return ca_ledger_step_done (self, stmt, error);
}

/* A valid certificate the group supersedes. */
typedef struct
{
  guint   item;     /* its device's place in the group */
  gint64  id;
  char   *serial;
} Previous;

static void
previous_clear (gpointer data)
{
  g_free (((Previous *) data)->serial);
}

/* What handle_previous() finds for each item, in one query: the valid
 * certificates of the group's devices, newest first. Sets each item's
 * supersedes_id. */
static GArray *
find_previous (CaLedger  *self,
               Signed   **group,
               guint      n,
               GError   **error)
{
  g_autoptr(GHashTable) places = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GArray) found = g_array_new (FALSE, FALSE, sizeof (Previous));
  g_autoptr(CaStmt) stmt = NULL;
  CaDbStatus rc;

  g_array_set_clear_func (found, previous_clear);
  /* Only the IMEIs' index may serve this. A server plans a statement it has
   * run five times once for any values, and that generic plan walked every
   * valid certificate through certificates_revoked for each group, so a batch
   * slowed as the ledger grew. A unary + (text) or + 0 (numbers) keeps a
   * column off every index, in both engines. */
  stmt = ca_ledger_prepare_rows (self, "SELECT c.id, c.serial, c.imei FROM certificates c WHERE "
                                 "+c.status = 'valid' AND c.not_after + 0 > ? AND c.imei IN (", "?", n,
                                 ") ORDER BY c.id DESC", error);
  if (stmt == NULL)
    return NULL;
  ca_stmt_bind_int64 (stmt, 1, ca_now ());
  for (guint i = 0; i < n; i++)
    {
      ca_stmt_bind_text (stmt, (int) i + 2, group[i]->imei);
      g_hash_table_insert (places, group[i]->imei, GUINT_TO_POINTER (i + 1));
      group[i]->record->supersedes_id = 0;
    }
  while ((rc = ca_stmt_step (stmt)) == CA_DB_ROW)
    {
      guint place = GPOINTER_TO_UINT (g_hash_table_lookup (places, ca_stmt_column_text (stmt, 2)));
      Previous previous = { place - 1, ca_stmt_column_int64 (stmt, 0), ca_column_dup (stmt, 1) };

      g_assert (place > 0);
      if (group[place - 1]->record->supersedes_id == 0)
        group[place - 1]->record->supersedes_id = previous.id;
      g_array_append_val (found, previous);
    }
  if (rc != CA_DB_DONE)
    {
      ca_ledger_set_db_error (self, rc, error);
      return NULL;
    }

  return g_steal_pointer (&found);
}

/* Ids a statement lists at most in one IN (…), well within either engine's
 * limit on parameters. */
#define IDS_PER_STATEMENT 256

static gboolean
revoke_superseded (CaLedger  *self,
                   GArray    *previous,
                   GError   **error)
{
  for (guint done = 0; done < previous->len; done += IDS_PER_STATEMENT)
    {
      guint rows = MIN (previous->len - done, IDS_PER_STATEMENT);
      g_autoptr(CaStmt) update = NULL;

      update = ca_ledger_prepare_rows (self, "UPDATE certificates SET status = 'revoked', revoke_reason = 4, "
                                       "revoked_at = ? WHERE id IN (", "?", rows, ")", error);
      if (update == NULL)
        return FALSE;
      ca_stmt_bind_int64 (update, 1, ca_now ());
      for (guint i = 0; i < rows; i++)
        ca_stmt_bind_int64 (update, (int) i + 2, g_array_index (previous, Previous, done + i).id);
      if (!ca_ledger_step_done (self, update, error))
        return FALSE;
    }

  return TRUE;
}

/* The group's events in the order record_signed() appends them one by one:
 * for each item, its revocations (newest first), then its issue. */
static gboolean
audit_group (CaLedger  *self,
             Signed   **group,
             guint      n,
             GArray    *previous,
             gboolean   revoke,
             GError   **error)
{
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (CaAuditEntry));
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n; i++)
    {
      CaAuditEntry entry = { "issue", group[i]->imei, NULL };

      for (guint k = 0; revoke && k < previous->len; k++)
        {
          Previous *old = &g_array_index (previous, Previous, k);
          CaAuditEntry revocation = { "revoke", group[i]->imei, NULL };

          if (old->item != i)
            continue;
          revocation.details = revoke_details (group[i], old->serial);
          g_ptr_array_add (texts, (char *) revocation.details);
          g_array_append_val (entries, revocation);
        }
      entry.details = issue_details (group[i]);
      g_ptr_array_add (texts, (char *) entry.details);
      g_array_append_val (entries, entry);
    }

  return ca_audit_append_many (self, (CaAuditEntry *) entries->data, entries->len, error);
}

/* Records a whole group in one transaction with a few statements, whatever its
 * size. When one item would fail alone (a key certified for another device, a
 * serial already used), nothing is recorded and *out_item_failed says so: the
 * caller records the group item by item, where that item gets its own error.
 * The group's IMEIs are distinct (ca_batch_refuse_repeated_imeis()): one
 * statement may not change a device twice. */
static gboolean
record_group_at_once (CaLedger     *self,
                      CaSigner     *signer,
                      CaBatchItem  *items,
                      Signed      **signed_items,
                      guint         n,
                      gboolean     *out_item_failed,
                      GError      **error)
{
  g_autoptr(GPtrArray) live = g_ptr_array_new ();
  g_autoptr(GPtrArray) records = g_ptr_array_new ();
  g_autoptr(GPtrArray) pubkeys = g_ptr_array_new ();
  g_autoptr(GArray) previous = NULL;
  g_autoptr(GError) local_error = NULL;
  Signed **group;
  gboolean unused;

  *out_item_failed = FALSE;
  for (guint i = 0; i < n; i++)
    if (signed_items[i] != NULL)
      {
        g_free (signed_items[i]->record->station);
        signed_items[i]->record->station = g_strdup (self->station_name);
        g_ptr_array_add (live, signed_items[i]);
        g_ptr_array_add (records, signed_items[i]->record);
        g_ptr_array_add (pubkeys, signed_items[i]->pubkey_sha256);
      }
  if (live->len == 0)
    return TRUE;
  group = (Signed **) live->pdata;

  if (!ca_ledger_begin (self, error))
    return FALSE;
  if (!check_signer_in_transaction (self, signer, error) ||
      !group_keys_unused (self, group, live->len, &unused, error))
    goto fail;
  if (!unused)
    {
      *out_item_failed = TRUE;
      goto fail;
    }
  if (!ensure_devices (self, group, live->len, error) ||
      (previous = find_previous (self, group, live->len, error)) == NULL ||
      (group[0]->revoke_previous && !revoke_superseded (self, previous, error)))
    goto fail;
  if (!insert_certificates (self, (CaCertificate **) records->pdata, (const char *const *) pubkeys->pdata,
                            records->len, &local_error))
    {
      *out_item_failed = g_error_matches (local_error, CA_ERROR, CA_ERROR_EXISTS);
      g_propagate_error (error, g_steal_pointer (&local_error));
      goto fail;
    }
  if (!make_current (self, (CaCertificate **) records->pdata, records->len, error) ||
      !audit_group (self, group, live->len, previous, group[0]->revoke_previous, error) ||
      !ca_ledger_commit (self, error))
    goto fail;

  for (guint i = 0; i < n; i++)
    if (signed_items[i] != NULL)
      items[i].certificate = g_steal_pointer (&signed_items[i]->record);

  return TRUE;

fail:
  ca_ledger_rollback (self);
  return FALSE;
}

/* Records a group in one transaction where one bad item fails alone: first
 * the whole group at once; only when an item fails is it recorded again item
 * by item, under savepoints. */
static gboolean
record_group (CaLedger     *self,
              CaSigner     *signer,
              CaBatchItem  *items,
              Signed      **signed_items,
              guint         n,
              GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean item_failed;

  if (record_group_at_once (self, signer, items, signed_items, n, &item_failed, &local_error))
    return TRUE;
  if (!item_failed)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return record_group_by_item (self, signer, items, signed_items, n, error);
}

/* The valid certificate @authority already gave each of @n devices under
 * @profile for its key, in one query. Returns FALSE on error; out[i] is NULL
 * where there is none. */
static gboolean
find_issued (CaLedger           *self,
             const char         *authority,
             const char         *profile,
             const char *const  *imeis,
             const char *const  *pubkeys,
             guint               n,
             CaCertificate     **out,
             GError            **error)
{
  g_autoptr(CaStmt) stmt = NULL;
  CaDbStatus rc;

  for (guint i = 0; i < n; i++)
    out[i] = NULL;
  if (n == 0)
    return TRUE;
  /* The key is the column after CA_CERTIFICATE_COLUMNS' 22. */
  /* Only the keys' index may serve this, not the authority's certificates
   * (see find_previous()). */
  stmt = ca_ledger_prepare_rows (self, "SELECT " CA_CERTIFICATE_COLUMNS ", c.pubkey_sha256 FROM certificates c "
                                 "JOIN authorities a ON a.id = c.authority_id + 0 WHERE a.name = ? AND "
                                 "+c.profile = ? AND +c.status = 'valid' AND c.not_after + 0 > ? AND "
                                 "c.pubkey_sha256 IN (", "?", n, ") ORDER BY c.id DESC", error);
  if (stmt == NULL)
    return FALSE;
  ca_stmt_bind_text (stmt, 1, authority);
  ca_stmt_bind_text (stmt, 2, profile);
  ca_stmt_bind_int64 (stmt, 3, ca_now ());
  for (guint i = 0; i < n; i++)
    ca_stmt_bind_text (stmt, (int) i + 4, pubkeys[i]);
  while ((rc = ca_stmt_step (stmt)) == CA_DB_ROW)
    for (guint i = 0; i < n; i++)
      if (out[i] == NULL && g_strcmp0 (imeis[i], ca_stmt_column_text (stmt, 2)) == 0 &&
          g_strcmp0 (pubkeys[i], ca_stmt_column_text (stmt, 22)) == 0)
        out[i] = ca_certificate_from_row (stmt);
  if (rc != CA_DB_DONE)
    {
      for (guint i = 0; i < n; i++)
        g_clear_pointer (&out[i], ca_certificate_free);
      return ca_ledger_set_db_error (self, rc, error);
    }

  return TRUE;
}

CaCertificate *
ca_ledger_find_issued (CaLedger              *self,
                       const CaIssueRequest  *request,
                       const char            *imei,
                       CaCsr                 *csr,
                       GError               **error)
{
  g_autofree char *pubkey_sha256 = NULL;
  const CaProfile *profile;
  CaCertificate *found = NULL;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (request != NULL && request->authority != NULL && imei != NULL && csr != NULL, NULL);

  profile = check_request (request, error);
  if (profile == NULL)
    return NULL;
  pubkey_sha256 = ca_csr_get_public_key_sha256 (csr);

  ca_ledger_lock_mutex (self);
  find_issued (self, request->authority, profile->name, &imei, (const char *const *) &pubkey_sha256, 1, &found,
               error);
  ca_ledger_unlock_mutex (self);

  return found;
}

/* A second row for an IMEI already in the batch is refused: a device gets one
 * certificate per run, and which row was meant is for a person to say. */
void
ca_batch_refuse_repeated_imeis (CaBatchItem *items,
                                guint        n_items)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < n_items; i++)
    {
      if (items[i].error != NULL || items[i].imei == NULL)
        continue;
      if (!g_hash_table_add (seen, items[i].imei))
        g_set_error (&items[i].error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT,
                     "The IMEI %s is on an earlier row of this batch already; each device gets one "
                     "certificate. Remove one of the rows.", items[i].imei);
    }
}

/* Signs a certificate for each item still to issue, or finds the one a
 * previous run of the same batch issued (reported, not issued again). */
static gboolean
sign_group (CaLedger              *self,
            CaSigner              *signer,
            const CaIssueRequest  *request,
            const CaProfile       *profile,
            CaBatchItem           *chunk,
            Signed               **group,
            guint                  n,
            GError               **error)
{
  g_autoptr(GPtrArray) imeis = g_ptr_array_new ();
  g_autoptr(GPtrArray) pubkeys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) places = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree CaCertificate **found = NULL;

  for (guint i = 0; i < n; i++)
    {
      group[i] = NULL;
      if (chunk[i].error != NULL || chunk[i].csr == NULL)
        continue;
      g_ptr_array_add (imeis, chunk[i].imei);
      g_ptr_array_add (pubkeys, ca_x509_pubkey_sha256 (ca_csr_get_spki (chunk[i].csr)));
      g_array_append_val (places, i);
    }
  found = g_new0 (CaCertificate *, MAX (places->len, 1));
  if (!find_issued (self, signer->name, profile->name, (const char *const *) imeis->pdata,
                    (const char *const *) pubkeys->pdata, places->len, found, error))
    return FALSE;

  for (guint k = 0; k < places->len; k++)
    {
      CaBatchItem *item = &chunk[g_array_index (places, guint, k)];

      if (found[k] != NULL)
        {
          item->certificate = found[k];
          item->existing = TRUE;
          continue;
        }
      group[g_array_index (places, guint, k)] =
        sign_for_key (signer, request, item->imei, ca_csr_get_pubkey (item->csr), ca_csr_get_spki (item->csr),
                      ca_csr_get_key_type (item->csr), FALSE, &item->error);
    }

  return TRUE;
}

gboolean
ca_ledger_issue_batch (CaLedger              *self,
                       const CaIssueRequest  *request,
                       CaBatchItem           *items,
                       guint                  n_items,
                       GError               **error)
{
  g_auto(CaSigner) signer = { 0 };
  Signed *group[BATCH_GROUP] = { NULL };
  const CaProfile *profile;
  gboolean ok;
  guint start;

  g_return_val_if_fail (CA_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (request != NULL && request->authority != NULL, FALSE);
  g_return_val_if_fail (items != NULL || n_items == 0, FALSE);

  ca_batch_refuse_repeated_imeis (items, n_items);

  profile = check_request (request, error);
  ca_ledger_lock_mutex (self);
  ok = profile != NULL && ca_signer_load_for_signing (self, request->authority, &signer, error);
  start = 0;
  while (ok && start < n_items)
    {
      guint n = MIN (BATCH_GROUP, n_items - start);

      ok = sign_group (self, &signer, request, profile, items + start, group, n, error) &&
           record_group (self, &signer, items + start, group, n, error);
      for (guint i = 0; i < n; i++)
        g_clear_pointer (&group[i], signed_free);
      if (ok)
        {
          static const char *const grown[] = { "certificates", "devices", "audit_log", NULL };

          ca_ledger_note_growth (self, grown, n);
          start += n;
        }
    }
  ca_ledger_unlock_mutex (self);

  if (ok)
    return TRUE;

  /* Earlier groups are recorded and keep their certificates; say so, and mark
   * every row from here on as not issued. */
  for (guint i = start; i < n_items; i++)
    if (items[i].certificate == NULL && items[i].error == NULL)
      g_set_error (&items[i].error, CA_ERROR, CA_ERROR_DATABASE, "Not issued: the batch stopped before this row.");
  if (start > 0)
    g_prefix_error (error, "The batch stopped after %u of its %u rows; what it issued before is recorded. ",
                    start, n_items);

  return FALSE;
}

