/* ts-key-evidence.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <ca.h>

#include "ts-nrf91-token.h"

G_BEGIN_DECLS

/* The version of the evidence object recorded in "key.evidence" audit events. */
#define TS_KEY_EVIDENCE_VERSION 1

/* Records in the ledger's audit chain what shows that @certificate's key was
 * made inside the modem: the %KEYGEN answer as the modem sent it and the
 * checks made on it (the COSE digest, sec_tag and device UUID, the CSR's own
 * signature). Call it once the certificate is issued: every check has passed
 * by then, or nothing would have been signed. */
gboolean ts_key_evidence_record (CaLedger             *ledger,
                                 const CaCertificate  *certificate,
                                 const TsKeygenResult *keygen,
                                 GError              **error);

G_END_DECLS
