/* ca-authority.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#if !defined(CA_INSIDE) && !defined(CA_COMPILATION)
# error "Only <ca.h> can be included directly."
#endif

#include "ca-ledger.h"
#include "ca-types.h"

G_BEGIN_DECLS

#define CA_DEFAULT_ROOT_DAYS         7300
#define CA_DEFAULT_INTERMEDIATE_DAYS 3650

typedef struct
{
  const char *name;
  const char *parent;    /* (nullable): NULL creates a self-signed root */
  CaKeyType   key_type;
  int         days;      /* 0 for the default */
  int         path_len;  /* -1 for none */
} CaAuthorityRequest;

CaAuthority *ca_ledger_create_authority        (CaLedger                  *self,
                                                const CaAuthorityRequest  *request,
                                                GError                   **error) G_GNUC_WARN_UNUSED_RESULT;

/* (element-type CaAuthority) (transfer full), roots before their children,
 * with their issued and device counts */
GPtrArray   *ca_ledger_list_authorities        (CaLedger                  *self,
                                                GError                   **error);
/* One authority, without counts: signing and issuing never pay for them. */
CaAuthority *ca_ledger_get_authority           (CaLedger                  *self,
                                                const char                *name,
                                                GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
/* PEM of the authority, followed by its issuers up to the root when @chain. */
char        *ca_ledger_export_authority        (CaLedger                  *self,
                                                const char                *name,
                                                gboolean                   chain,
                                                GError                   **error) G_GNUC_WARN_UNUSED_RESULT;

/* A proof-of-possession (verification) certificate with CN=@code signed by
 * @name, as Azure IoT Hub/DPS and AWS IoT ask for when registering a CA. */
char        *ca_ledger_issue_proof             (CaLedger                  *self,
                                                const char                *name,
                                                const char                *code,
                                                GError                   **error) G_GNUC_WARN_UNUSED_RESULT;

/* Imports an OpenSSL-recipe CA folder (rootca/ + subca/, or a single CA).
 * Returns (element-type CaAuthority) the authorities created; @out_notes says
 * what was skipped or imported without a device. */
GPtrArray   *ca_ledger_import_openssl          (CaLedger                  *self,
                                                const char                *directory,
                                                const char                *key_passphrase,
                                                GStrv                     *out_notes,
                                                GError                   **error);

G_END_DECLS
