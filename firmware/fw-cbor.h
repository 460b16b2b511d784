/* fw-cbor.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A minimal CBOR (RFC 8949) encoder: just what the COSE messages of §7.3 and §8.1 need. */
void fw_cbor_uint  (GByteArray   *out,
                    guint64       value);
void fw_cbor_int   (GByteArray   *out,
                    gint64        value);
void fw_cbor_bytes (GByteArray   *out,
                    const guint8 *data,
                    gsize         len);
void fw_cbor_text  (GByteArray   *out,
                    const char   *text);
void fw_cbor_array (GByteArray   *out,
                    gsize         n_items);
void fw_cbor_map   (GByteArray   *out,
                    gsize         n_pairs);
void fw_cbor_tag   (GByteArray   *out,
                    guint64       tag);
void fw_cbor_null  (GByteArray   *out);

G_END_DECLS
