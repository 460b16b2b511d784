/* fw-cose.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

GByteArray *fw_cose_sign1 (EVP_PKEY     *key,
                           const guint8 *payload,
                           gsize         len,
                           gboolean      detached);

G_END_DECLS
