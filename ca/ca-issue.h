/* ca-issue.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#if !defined(CA_INSIDE) && !defined(CA_COMPILATION)
# error "Only <ca.h> can be included directly."
#endif

#include "ca-csr.h"
#include "ca-ledger.h"
#include "ca-types.h"

G_BEGIN_DECLS

#define CA_DEFAULT_DEVICE_DAYS 3650

typedef struct
{
  const char *authority;        /* the issuing CA's name */
  const char *imei;
  const char *profile;          /* (nullable): CA_PROFILE_DEFAULT */
  const char *uuid;             /* (nullable): for profiles naming by UUID */
  int         days;             /* 0 for the default, capped at the issuer's notAfter */
  gboolean    revoke_previous;  /* revoke the IMEI's valid certificates as superseded */
} CaIssueRequest;

/* Checks policy, signs, records the certificate, the supersedes link and an
 * audit event in one transaction, and returns the record (with its PEM). */
CaCertificate *ca_ledger_issue                 (CaLedger               *self,
                                                const CaIssueRequest   *request,
                                                CaCsr                  *csr,
                                                GError                **error) G_GNUC_WARN_UNUSED_RESULT;
void           ca_ledger_issue_async           (CaLedger               *self,
                                                const CaIssueRequest   *request,
                                                CaCsr                  *csr,
                                                GCancellable           *cancellable,
                                                GAsyncReadyCallback     callback,
                                                gpointer                user_data);
CaCertificate *ca_ledger_issue_finish          (CaLedger               *self,
                                                GAsyncResult           *result,
                                                GError                **error) G_GNUC_WARN_UNUSED_RESULT;

/* For kits whose key is made on the host: generates the key, issues for it and
 * returns the unencrypted PKCS#8 PEM in @out_key_pem. The key never enters the
 * ledger; wipe it with ca_secret_free() when written. */
CaCertificate *ca_ledger_issue_with_new_key    (CaLedger               *self,
                                                const CaIssueRequest   *request,
                                                CaKeyType               key_type,
                                                char                  **out_key_pem,
                                                GError                **error) G_GNUC_WARN_UNUSED_RESULT;

/* One entry of a batch: the caller fills imei and csr; the ledger fills
 * certificate or error. existing says the certificate was issued before (same
 * CA, IMEI, profile and key, still valid) and is reported, not issued again. */
typedef struct
{
  char          *imei;
  CaCsr         *csr;
  CaCertificate *certificate;
  GError        *error;
  gboolean       existing;
} CaBatchItem;

void           ca_batch_item_clear             (CaBatchItem            *item);

/* Sets an error on every item whose IMEI an earlier item without error has;
 * ca_ledger_issue_batch() does it too. */
void           ca_batch_refuse_repeated_imeis  (CaBatchItem            *items,
                                                guint                   n_items);

/* The still-valid certificate @request's CA already issued to @imei under its
 * profile for @csr's key, or NULL (check @error) when there is none. */
CaCertificate *ca_ledger_find_issued           (CaLedger               *self,
                                                const CaIssueRequest   *request,
                                                const char             *imei,
                                                CaCsr                  *csr,
                                                GError                **error) G_GNUC_WARN_UNUSED_RESULT;

/* Issues every item under @request's authority, profile and days (its imei is
 * ignored). Items are committed in groups; a bad item fails alone, and so does
 * a second item for the same IMEI. Returns FALSE when the batch stopped (the
 * ledger failed, or the CA was revoked or expired meanwhile): the items of the
 * groups recorded before keep their certificates, every later one has an error. */
gboolean       ca_ledger_issue_batch           (CaLedger               *self,
                                                const CaIssueRequest   *request,
                                                CaBatchItem            *items,
                                                guint                   n_items,
                                                GError                **error);

G_END_DECLS
