/* ts-provision-private.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ts-provision.h"

G_BEGIN_DECLS

/* Shared between the files of src/provision/ and its unit tests. */

TsProvisionResult *_ts_provision_result_new (const TsProvisionRequest *request,
                                             const char               *port);
gboolean           _ts_firmware_can_keygen  (const TsModemIdentity    *identity);
gboolean           _ts_firmware_lists_sha   (const TsModemIdentity    *identity);
const TsCredential *_ts_find_credential   (GArray                   *listing,
                                             guint32                   sec_tag,
                                             guint                     type);
gboolean           _ts_failure_is_definite  (const GError             *failure);
gboolean           _ts_slot_sha256          (TsModem                  *modem,
                                             GArray                   *listing,
                                             guint32                   sec_tag,
                                             guint                     type,
                                             char                      out[65],
                                             GCancellable             *cancellable,
                                             GError                  **error);

/* The valid certificates of @installs' verified client certificates at @sec_tag:
 * what a re-key there revokes. (element-type CaCertificate) */
GPtrArray         *_ts_rekey_replaced       (CaLedger                 *ledger,
                                             GPtrArray                *installs,
                                             guint32                   sec_tag);
/* Signs @authority's CRL and writes it as AUTHORITY.crl.pem in @crl_dir (NULL
 * for the crl folder beside the ledger); returns the path. */
char              *_ts_crl_publish          (CaLedger                 *ledger,
                                             const char               *authority,
                                             const char               *crl_dir,
                                             GError                  **error);

G_END_DECLS
