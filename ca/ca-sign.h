/* ca-sign.h
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

G_BEGIN_DECLS

/* Signs @content as a detached CMS SignedData (DER, content taken as binary)
 * that `openssl cms -verify -binary` checks against the root of @authority.
 * CA keys sign only certificates and CRLs, so @authority issues a one-time
 * document-signing certificate (CN=@signer_name, digitalSignature and
 * emailProtection) for a fresh key that signs and is then wiped. The
 * certificate is recorded like any other, and a "ca.sign" event names it and
 * the SHA-256 of @content. Needs the ledger unlocked. */
GBytes *ca_ledger_sign_detached (CaLedger    *self,
                                 const char  *authority,
                                 const char  *signer_name,
                                 GBytes      *content,
                                 GError     **error);

G_END_DECLS
