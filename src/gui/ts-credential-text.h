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
 * ts_workspace_lookup_sha256(); @subject_cn (nullable) from the certificate itself
 * when it was read back. */
char     *ts_credential_describe    (const TsCredential  *credential,
                                     const CaShaMatch    *match,
                                     const char          *subject_cn);

G_END_DECLS
