/* ca-revoke.h
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

#define CA_DEFAULT_CRL_DAYS 30

typedef struct
{
  const char     *authority;
  const char     *serial;           /* (nullable) uppercase or lowercase hex */
  const char     *imei;             /* (nullable) revokes the IMEI's valid certificates */
  int             sec_tag;          /* -1, or only those installed at this sec_tag */
  CaRevokeReason  reason;
  gint64          invalidity_date;  /* 0 when not given */
} CaRevokeRequest;

/* Returns (element-type CaCertificate) the certificates revoked. A certificate
 * that is already revoked is CA_ERROR_ALREADY_REVOKED and nothing changes.
 * A serial may also name an intermediate CA that @request->authority issued:
 * it is marked revoked, listed on its parent's CRL, can no longer issue, and
 * comes back as a CaCertificate with id 0 and profile "intermediate". */
GPtrArray *ca_ledger_revoke             (CaLedger               *self,
                                         const CaRevokeRequest  *request,
                                         GError                **error);

/* A signed CRL of @authority's revoked, unexpired serials with the next CRL
 * number. PEM text, or DER when @der. */
GBytes    *ca_ledger_generate_crl       (CaLedger               *self,
                                         const char             *authority,
                                         int                     days,
                                         gboolean                der,
                                         GError                **error);

G_END_DECLS
