/* fw-csr.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

GByteArray *fw_csr_build (EVP_PKEY   *key,
                          const char *subject,
                          const char *key_usage,
                          gboolean    legacy_null);
GByteArray *fw_spki_der  (EVP_PKEY   *key);

G_END_DECLS
