/* ts-workspace-ca.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <ca.h>

#include "ts-dossier.h"
#include "ts-workspace.h"

G_BEGIN_DECLS

/*
 * The workspace's operations on the certificate authorities and the fleet
 * ledger: synchronous, callable from any thread (the window runs them through
 * ts_workspace_run_async()). Those that read work on a locked workspace; those
 * that change the ledger refuse a locked one with TS_WORKSPACE_ERROR_LOCKED and
 * tell every page through the workspace's "changed" signal when they are done.
 */

/* Authorities. The listing, with each one's counts, is read once and shared
 * by every caller until the ledger changes (ts_workspace_changed()): a window
 * whose pages all list the authorities as it opens reads them once. The array
 * is (transfer full) but shared: read it, never change it. A single authority
 * comes without counts. */
GPtrArray       *ts_workspace_list_authorities   (TsWorkspace               *self,
                                                  GError                   **error);
CaAuthority     *ts_workspace_get_authority      (TsWorkspace               *self,
                                                  const char                *name,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
char            *ts_workspace_export_authority   (TsWorkspace               *self,
                                                  const char                *name,
                                                  gboolean                   chain,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
CaAuthority     *ts_workspace_create_authority   (TsWorkspace               *self,
                                                  const CaAuthorityRequest  *request,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
char            *ts_workspace_issue_proof        (TsWorkspace               *self,
                                                  const char                *name,
                                                  const char                *code,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray       *ts_workspace_import_openssl     (TsWorkspace               *self,
                                                  const char                *directory,
                                                  const char                *key_passphrase,
                                                  GStrv                     *out_notes,
                                                  GError                   **error);

/* Issuing. A CSR comes from a PEM or DER file, a file holding the modem's
 * %KEYGEN answer, or "-" for standard input. */
CaCsr           *ts_csr_read                     (const char                *source,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
CaCertificate   *ts_workspace_issue              (TsWorkspace               *self,
                                                  const CaIssueRequest      *request,
                                                  CaCsr                     *csr,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
/* @out_key_pem: the unencrypted device key; wipe it with ca_secret_free() */
CaCertificate   *ts_workspace_issue_with_new_key (TsWorkspace               *self,
                                                  const CaIssueRequest      *request,
                                                  CaKeyType                  key_type,
                                                  char                     **out_key_pem,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
CaCertificate   *ts_workspace_find_issued        (TsWorkspace               *self,
                                                  const CaIssueRequest      *request,
                                                  const char                *imei,
                                                  CaCsr                     *csr,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;

/* A batch read from a CSV of imei,csr rows (csr: a file, relative to the CSV's
 * folder, or a %KEYGEN answer). A row that cannot be read, or repeats an
 * earlier IMEI, has its item's error set and is never issued. */
typedef struct
{
  CaBatchItem *items;
  guint       *lines;  /* the CSV line of each item, from 1 */
  guint        n;
} TsIssueBatch;

gboolean         ts_issue_batch_read             (const char                *path,
                                                  TsIssueBatch              *batch,
                                                  GError                   **error);
void             ts_issue_batch_clear            (TsIssueBatch              *batch);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TsIssueBatch, ts_issue_batch_clear)

gboolean         ts_workspace_issue_batch        (TsWorkspace               *self,
                                                  const CaIssueRequest      *request,
                                                  TsIssueBatch              *batch,
                                                  GError                   **error);

/* Revocation */
GPtrArray       *ts_workspace_revoke             (TsWorkspace               *self,
                                                  const CaRevokeRequest     *request,
                                                  GError                   **error);
GBytes          *ts_workspace_generate_crl       (TsWorkspace               *self,
                                                  const char                *authority,
                                                  int                        days,
                                                  gboolean                   der,
                                                  GError                   **error);

/* Signs the CRL of @authority and writes it as AUTHORITY.crl.pem in @crl_dir
 * (NULL: the crl folder beside the ledger, where a re-key publishes it too);
 * returns the path written. */
char            *ts_workspace_publish_crl        (TsWorkspace               *self,
                                                  const char                *authority,
                                                  const char                *crl_dir,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
/* The certificates a re-key of @imei at @sec_tag would revoke: the valid ones
 * verified installed there. (element-type CaCertificate) */
GPtrArray       *ts_workspace_list_rekey_replaced (TsWorkspace              *self,
                                                   const char               *imei,
                                                   guint                     sec_tag,
                                                   GError                  **error);
/* Stations (see ca-station.h). Revoking one also signs its parent's next CRL,
 * which lists the station's intermediate: PEM in @out_crl; a machine that was
 * that station is none from then on. */
GPtrArray       *ts_workspace_list_stations      (TsWorkspace               *self,
                                                  GError                   **error);
CaStation       *ts_workspace_enroll_station     (TsWorkspace               *self,
                                                  const char                *name,
                                                  const char                *parent,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
CaStation       *ts_workspace_revoke_station     (TsWorkspace               *self,
                                                  const char                *name,
                                                  CaRevokeReason             reason,
                                                  GBytes                   **out_crl,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
/* Makes this machine the station @name for what the workspace records from now
 * on; refused for an unknown or revoked station. Returns the station, whose
 * authority_name is the CA to issue with when no other is given. */
CaStation       *ts_workspace_use_station        (TsWorkspace               *self,
                                                  const char                *name,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
/* This machine is no station from now on: what the workspace records names none. */
void             ts_workspace_leave_station      (TsWorkspace               *self);

/* A production lot's evidence folder (see ts-dossier.h) */
gboolean         ts_workspace_write_dossier      (TsWorkspace               *self,
                                                  const TsDossierRequest    *request,
                                                  GError                   **error);

/* The fleet */
GPtrArray       *ts_workspace_list_fleet         (TsWorkspace               *self,
                                                  const CaFleetQuery        *query,
                                                  GError                   **error);
CaFleetIndex    *ts_workspace_fleet_index        (TsWorkspace               *self,
                                                  const CaFleetQuery        *query,
                                                  guint                      page_size,
                                                  GCancellable              *cancellable,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray       *ts_workspace_list_lots          (TsWorkspace               *self,
                                                  GError                   **error);
CaDeviceHistory *ts_workspace_get_history        (TsWorkspace               *self,
                                                  const char                *imei,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray       *ts_workspace_list_certificates  (TsWorkspace               *self,
                                                  const char                *imei,
                                                  gboolean                   valid_only,
                                                  GError                   **error);
CaShaMatch      *ts_workspace_lookup_sha256      (TsWorkspace               *self,
                                                  const char                *sha256_hex,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray       *ts_workspace_export_nrfcloud_csv (TsWorkspace              *self,
                                                   GError                  **error);

/* The audit log */
GPtrArray       *ts_workspace_list_audit         (TsWorkspace               *self,
                                                  gint64                     after_id,
                                                  guint                      limit,
                                                  GError                   **error);
/* The newest @count events, oldest first, and how many the log holds. */
GPtrArray       *ts_workspace_list_recent_audit  (TsWorkspace               *self,
                                                  guint                      count,
                                                  gint64                    *out_total,
                                                  GCancellable              *cancellable,
                                                  GError                   **error);
/* Needs the workspace unlocked: the chain is keyed with the passphrase. */
gboolean         ts_workspace_verify_audit       (TsWorkspace               *self,
                                                  gint64                    *out_checked,
                                                  gint64                    *out_first_broken,
                                                  GError                   **error);
/* The newest event as "SEQ:HASH" */
char            *ts_workspace_dup_audit_head     (TsWorkspace               *self,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean         ts_workspace_audit_contains     (TsWorkspace               *self,
                                                  gint64                     seq,
                                                  const char                *hash,
                                                  GError                   **error);

/* Copies the whole ledger to @destination while it is in use; returns the
 * audit head of the copy ("SEQ:HASH"), to tell a later rollback past it. */
char            *ts_workspace_backup             (TsWorkspace               *self,
                                                  const char                *destination,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
