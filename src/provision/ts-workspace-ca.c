/* ts-workspace-ca.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-workspace-ca"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "ts-dossier.h"
#include "ts-provision-private.h"
#include "ts-workspace-ca.h"
#include "ts-workspace-private.h"

/* Device CSRs are small; anything larger from stdin is the wrong input. */
#define MAX_STDIN_CSR (64 * 1024)
/* A million rows naming CSR files; an input far larger is the wrong file. */
#define MAX_BATCH_FILE (64 * 1024 * 1024)

/* The ledger for an operation that changes it: refused while locked, with
 * the same advice everywhere. */
static CaLedger *
writable_ledger (TsWorkspace  *self,
                 GError      **error)
{
  if (!ts_workspace_check_writable (self, error))
    return NULL;

  return ts_workspace_get_ledger (self, error);
}

/* Tells the pages when a change succeeded; passes @result through. */
static gpointer
changed_if (TsWorkspace *self,
            gpointer     result)
{
  if (result != NULL)
    ts_workspace_changed (self);

  return result;
}

CaAuthority *
ts_workspace_get_authority (TsWorkspace  *self,
                            const char   *name,
                            GError      **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return ca_ledger_get_authority (ledger, name, error);
}

char *
ts_workspace_export_authority (TsWorkspace  *self,
                               const char   *name,
                               gboolean      chain,
                               GError      **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return ca_ledger_export_authority (ledger, name, chain, error);
}

CaAuthority *
ts_workspace_create_authority (TsWorkspace               *self,
                               const CaAuthorityRequest  *request,
                               GError                   **error)
{
  CaLedger *ledger = writable_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return changed_if (self, ca_ledger_create_authority (ledger, request, error));
}

char *
ts_workspace_issue_proof (TsWorkspace  *self,
                          const char   *name,
                          const char   *code,
                          GError      **error)
{
  CaLedger *ledger = writable_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return changed_if (self, ca_ledger_issue_proof (ledger, name, code, error));
}

/**
 * ts_workspace_import_openssl:
 * @out_notes: (out): what the import skipped or guessed, one line each
 *
 * Returns: (element-type CaAuthority) (transfer full): the CAs created
 */
GPtrArray *
ts_workspace_import_openssl (TsWorkspace  *self,
                             const char   *directory,
                             const char   *key_passphrase,
                             GStrv        *out_notes,
                             GError      **error)
{
  CaLedger *ledger = writable_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return changed_if (self, ca_ledger_import_openssl (ledger, directory, key_passphrase, out_notes, error));
}

/**
 * ts_csr_read:
 * @source: a PEM or DER file, a file holding a %KEYGEN answer, or "-" for stdin
 *
 * Returns: (transfer full): the parsed request, or %NULL with @error set
 */
CaCsr *
ts_csr_read (const char  *source,
             GError     **error)
{
  g_autoptr(GString) data = NULL;
  char buffer[4096];
  size_t n;

  if (!g_str_equal (source, "-"))
    return ca_csr_load (source, error);

  data = g_string_new (NULL);
  while ((n = fread (buffer, 1, sizeof buffer, stdin)) > 0 && data->len <= MAX_STDIN_CSR)
    g_string_append_len (data, buffer, n);

  return ca_csr_parse (data->str, data->len, error);
}

CaCertificate *
ts_workspace_issue (TsWorkspace           *self,
                    const CaIssueRequest  *request,
                    CaCsr                 *csr,
                    GError               **error)
{
  CaLedger *ledger = writable_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return changed_if (self, ca_ledger_issue (ledger, request, csr, error));
}

CaCertificate *
ts_workspace_issue_with_new_key (TsWorkspace           *self,
                                 const CaIssueRequest  *request,
                                 CaKeyType              key_type,
                                 char                 **out_key_pem,
                                 GError               **error)
{
  CaLedger *ledger = writable_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return changed_if (self, ca_ledger_issue_with_new_key (ledger, request, key_type, out_key_pem, error));
}

CaCertificate *
ts_workspace_find_issued (TsWorkspace           *self,
                          const CaIssueRequest  *request,
                          const char            *imei,
                          CaCsr                 *csr,
                          GError               **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return ca_ledger_find_issued (ledger, request, imei, csr, error);
}

/* Splits one CSV record (RFC 4180: quoted fields may hold commas and doubled
 * quotes; no embedded newlines, as a %KEYGEN string has none). */
static GPtrArray *
split_csv_line (const char *line)
{
  GPtrArray *fields = g_ptr_array_new_with_free_func (g_free);
  GString *field = g_string_new (NULL);
  gboolean quoted = FALSE;

  for (const char *p = line; *p != '\0' && *p != '\r' && *p != '\n'; p++)
    {
      if (quoted && *p == '"' && p[1] == '"')
        g_string_append_c (field, *p++);
      else if (*p == '"')
        quoted = !quoted;
      else if (*p == ',' && !quoted)
        {
          g_ptr_array_add (fields, g_string_free (field, FALSE));
          field = g_string_new (NULL);
        }
      else
        g_string_append_c (field, *p);
    }
  g_ptr_array_add (fields, g_string_free (field, FALSE));

  return fields;
}

/* The csr column is a %KEYGEN answer when it is not an existing file. */
static CaCsr *
batch_csr (const char  *base_dir,
           const char  *value,
           GError     **error)
{
  g_autofree char *path = g_path_is_absolute (value) ? g_strdup (value) : g_build_filename (base_dir, value, NULL);

  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return ca_csr_load (path, error);

  return ca_csr_parse (value, strlen (value), error);
}

void
ts_issue_batch_clear (TsIssueBatch *batch)
{
  for (guint i = 0; i < batch->n; i++)
    ca_batch_item_clear (&batch->items[i]);
  g_clear_pointer (&batch->items, g_free);
  g_clear_pointer (&batch->lines, g_free);
  batch->n = 0;
}

/**
 * ts_issue_batch_read:
 * @batch: (out caller-allocates): zeroed; clear it with ts_issue_batch_clear()
 *
 * Reads every row; a row that is wrong gets its item's error, so that the
 * others are still issued. Fails only when the file cannot be read or holds
 * no rows.
 */
gboolean
ts_issue_batch_read (const char    *path,
                     TsIssueBatch  *batch,
                     GError       **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *base_dir = g_path_get_dirname (path);
  g_auto(GStrv) lines = NULL;
  guint allocated = 0;

  contents = ca_file_read_bounded (path, MAX_BATCH_FILE, NULL, error);
  if (contents == NULL)
    return FALSE;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) fields = NULL;
      CaBatchItem *item;
      const char *imei;

      g_strstrip (lines[i]);
      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      fields = split_csv_line (lines[i]);
      imei = g_strstrip ((char *) fields->pdata[0]);
      if (i == 0 && g_ascii_strcasecmp (imei, "imei") == 0)
        continue;

      if (batch->n == allocated)
        {
          allocated = MAX (64, allocated * 2);
          batch->items = g_renew (CaBatchItem, batch->items, allocated);
          batch->lines = g_renew (guint, batch->lines, allocated);
        }
      item = &batch->items[batch->n];
      memset (item, 0, sizeof *item);
      batch->lines[batch->n++] = i + 1;
      item->imei = g_strdup (imei);

      if (fields->len != 2)
        g_set_error (&item->error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT,
                     _("expected two columns, imei,csr, but found %u"), fields->len);
      else
        item->csr = batch_csr (base_dir, g_strstrip ((char *) fields->pdata[1]), &item->error);
    }

  if (batch->n == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("%s holds no rows. Each row is imei,csr where csr is a file or a %%KEYGEN answer."), path);
      return FALSE;
    }

  ca_batch_refuse_repeated_imeis (batch->items, batch->n);

  return TRUE;
}

/**
 * ts_workspace_issue_batch:
 *
 * Issues every item of @batch without an error under one transaction per
 * item; each item gets its certificate or its error.
 *
 * Returns: %FALSE when the batch as a whole failed (the items still say what
 *   was issued before)
 */
gboolean
ts_workspace_issue_batch (TsWorkspace           *self,
                          const CaIssueRequest  *request,
                          TsIssueBatch          *batch,
                          GError               **error)
{
  CaLedger *ledger = writable_ledger (self, error);
  gboolean ok;

  if (ledger == NULL)
    return FALSE;

  ok = ca_ledger_issue_batch (ledger, request, batch->items, batch->n, error);
  ts_workspace_changed (self);

  return ok;
}

GPtrArray *
ts_workspace_revoke (TsWorkspace            *self,
                     const CaRevokeRequest  *request,
                     GError                **error)
{
  CaLedger *ledger = writable_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return changed_if (self, ca_ledger_revoke (ledger, request, error));
}

/* Signing a CRL takes the next CRL number, a change to the ledger. */
GBytes *
ts_workspace_generate_crl (TsWorkspace  *self,
                           const char   *authority,
                           int           days,
                           gboolean      der,
                           GError      **error)
{
  CaLedger *ledger = writable_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return changed_if (self, ca_ledger_generate_crl (ledger, authority, days, der, error));
}

char *
ts_workspace_publish_crl (TsWorkspace  *self,
                          const char   *authority,
                          const char   *crl_dir,
                          GError      **error)
{
  CaLedger *ledger = writable_ledger (self, error);

  g_return_val_if_fail (authority != NULL, NULL);

  if (ledger == NULL)
    return NULL;

  return changed_if (self, _ts_crl_publish (ledger, authority, crl_dir, error));
}

GPtrArray *
ts_workspace_list_rekey_replaced (TsWorkspace  *self,
                                  const char   *imei,
                                  guint         sec_tag,
                                  GError      **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);
  g_autoptr(GPtrArray) installs = NULL;

  g_return_val_if_fail (imei != NULL, NULL);

  if (ledger == NULL || (installs = ca_ledger_list_installs (ledger, imei, FALSE, error)) == NULL)
    return NULL;

  return _ts_rekey_replaced (ledger, installs, sec_tag);
}

GPtrArray *
ts_workspace_list_stations (TsWorkspace  *self,
                            GError      **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return ca_ledger_list_stations (ledger, error);
}

CaStation *
ts_workspace_enroll_station (TsWorkspace  *self,
                             const char   *name,
                             const char   *parent,
                             GError      **error)
{
  CaLedger *ledger = writable_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return changed_if (self, ca_ledger_enroll_station (ledger, name, parent, error));
}

CaStation *
ts_workspace_revoke_station (TsWorkspace     *self,
                             const char      *name,
                             CaRevokeReason   reason,
                             GBytes         **out_crl,
                             GError         **error)
{
  CaLedger *ledger = writable_ledger (self, error);
  g_autoptr(CaStation) station = NULL;

  *out_crl = NULL;
  if (ledger == NULL)
    return NULL;

  station = changed_if (self, ca_ledger_revoke_station (ledger, name, reason, error));
  if (station == NULL)
    return NULL;
  /* What this machine records next must not name a station that can no longer act. */
  if (g_strcmp0 (ca_ledger_get_station_name (ledger), name) == 0)
    ca_ledger_use_station (ledger, NULL, NULL);
  *out_crl = ca_ledger_generate_crl (ledger, station->parent_name, 0, FALSE, error);
  if (*out_crl == NULL)
    {
      g_prefix_error (error, _("The station “%s” was revoked, but its parent's CRL could not be signed: "),
                      name);
      return NULL;
    }

  return g_steal_pointer (&station);
}

CaStation *
ts_workspace_use_station (TsWorkspace  *self,
                          const char   *name,
                          GError      **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);

  if (ledger == NULL || !ca_ledger_use_station (ledger, name, error))
    return NULL;

  return ca_ledger_get_station (ledger, name, error);
}

void
ts_workspace_leave_station (TsWorkspace *self)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, NULL);

  if (ledger != NULL)
    ca_ledger_use_station (ledger, NULL, NULL);
}

/* The dossier signs CRLs with the next CRL numbers: a change to the ledger. */
gboolean
ts_workspace_write_dossier (TsWorkspace             *self,
                            const TsDossierRequest  *request,
                            GError                 **error)
{
  CaLedger *ledger = writable_ledger (self, error);

  if (ledger == NULL || !ts_dossier_write (ledger, request, error))
    return FALSE;

  ts_workspace_changed (self);
  return TRUE;
}

GPtrArray *
ts_workspace_list_fleet (TsWorkspace         *self,
                         const CaFleetQuery  *query,
                         GError             **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return ca_ledger_list_fleet (ledger, query, error);
}

CaFleetIndex *
ts_workspace_fleet_index (TsWorkspace         *self,
                          const CaFleetQuery  *query,
                          guint                page_size,
                          GCancellable        *cancellable,
                          GError             **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return ca_ledger_fleet_index (ledger, query, page_size, cancellable, error);
}

GPtrArray *
ts_workspace_list_lots (TsWorkspace  *self,
                        GError      **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return ca_ledger_list_lots (ledger, error);
}

CaDeviceHistory *
ts_workspace_get_history (TsWorkspace  *self,
                          const char   *imei,
                          GError      **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return ca_ledger_get_history (ledger, imei, error);
}

GPtrArray *
ts_workspace_list_certificates (TsWorkspace  *self,
                                const char   *imei,
                                gboolean      valid_only,
                                GError      **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return ca_ledger_list_certificates (ledger, imei, valid_only, error);
}

CaShaMatch *
ts_workspace_lookup_sha256 (TsWorkspace  *self,
                            const char   *sha256_hex,
                            GError      **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return ca_ledger_lookup_sha256 (ledger, sha256_hex, error);
}

GPtrArray *
ts_workspace_export_nrfcloud_csv (TsWorkspace  *self,
                                  GError      **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return ca_ledger_export_nrfcloud_csv (ledger, error);
}

GPtrArray *
ts_workspace_list_audit (TsWorkspace  *self,
                         gint64        after_id,
                         guint         limit,
                         GError      **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  return ca_ledger_list_audit (ledger, after_id, limit, error);
}

/* Events are read in batches of this many. */
#define AUDIT_BATCH 2000

/**
 * ts_workspace_list_recent_audit:
 * @out_total: (out): how many events the log holds
 *
 * Walks the whole log in batches and keeps only the newest @count, so a long
 * log costs no memory.
 *
 * Returns: (element-type CaAuditEvent) (transfer full): oldest first
 */
GPtrArray *
ts_workspace_list_recent_audit (TsWorkspace   *self,
                                guint          count,
                                gint64        *out_total,
                                GCancellable  *cancellable,
                                GError       **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);
  g_autoptr(GPtrArray) recent = NULL;
  gint64 after_id = 0;
  gint64 total = 0;

  if (ledger == NULL)
    return NULL;

  recent = g_ptr_array_new_with_free_func ((GDestroyNotify) ca_audit_event_free);
  for (;;)
    {
      g_autoptr(GPtrArray) batch = NULL;
      guint read;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      batch = ca_ledger_list_audit (ledger, after_id, AUDIT_BATCH, error);
      if (batch == NULL)
        return NULL;

      read = batch->len;
      total += read;
      if (read > 0)
        after_id = ((CaAuditEvent *) g_ptr_array_index (batch, read - 1))->id;

      /* Keeps the newest @count of those kept so far and this batch. */
      g_ptr_array_extend_and_steal (recent, g_steal_pointer (&batch));
      if (recent->len > count)
        g_ptr_array_remove_range (recent, 0, recent->len - count);

      if (read < AUDIT_BATCH)
        break;
    }

  if (out_total != NULL)
    *out_total = total;

  return g_steal_pointer (&recent);
}

gboolean
ts_workspace_verify_audit (TsWorkspace  *self,
                           gint64       *out_checked,
                           gint64       *out_first_broken,
                           GError      **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);

  if (ledger == NULL)
    return FALSE;

  return ca_ledger_verify_audit (ledger, out_checked, out_first_broken, error);
}

char *
ts_workspace_dup_audit_head (TsWorkspace  *self,
                             GError      **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);
  g_autofree char *hash = NULL;
  gint64 seq = 0;

  if (ledger == NULL || !ca_ledger_audit_head (ledger, &seq, &hash, error))
    return NULL;

  return ca_audit_head_to_string (seq, hash);
}

gboolean
ts_workspace_audit_contains (TsWorkspace  *self,
                             gint64        seq,
                             const char   *hash,
                             GError      **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);

  if (ledger == NULL)
    return FALSE;

  return ca_ledger_audit_contains (ledger, seq, hash, error);
}

/**
 * ts_workspace_backup:
 *
 * Reads only: a locked or read-only workspace can be backed up.
 *
 * Returns: (transfer full): the copy's audit head, or %NULL with @error set
 */
char *
ts_workspace_backup (TsWorkspace  *self,
                     const char   *destination,
                     GError      **error)
{
  CaLedger *ledger = ts_workspace_get_ledger (self, error);

  if (ledger == NULL)
    return NULL;

  if (!ca_ledger_backup (ledger, destination, error))
    return NULL;

  return ts_workspace_dup_audit_head (self, error);
}
