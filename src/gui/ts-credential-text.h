/* ts-credential-text.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ca.h"
#include "ts-modem.h"

G_BEGIN_DECLS

/* What a modem's store entry is, in words, e.g. "Client certificate for
 * 352656100123456, issued by Line 1 CA, expires 3 Mar 2036". @match comes from
 * ca_ledger_lookup_sha256(); @subject_cn (nullable) from the certificate itself
 * when it was read back. */
char     *ts_credential_describe    (const TsCredential  *credential,
                                     const CaShaMatch    *match,
                                     const char          *subject_cn);

/* The subject common name of the first certificate in @pem, or NULL. */
char     *ts_pem_subject_cn         (GBytes              *pem);

/* Checks content typed or picked for a %CMNG type before anything is sent:
 * certificates must parse, keys must be PEM keys, PSKs hex, identities text. */
gboolean  ts_credential_check_input (guint                type,
                                     GBytes              *content,
                                     GError             **error);

G_END_DECLS
