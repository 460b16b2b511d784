/* fw-cose.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fw-cose"

#include "config.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "fw-cbor.h"
#include "fw-cose.h"

#define COSE_SIGN1_TAG 18

/* Protected header {1: -7} (alg ES256); unprotected {4: h'21'}: kid = CBOR -2, "identity_key". */
static const guint8 protected_header[] = { 0xa1, 0x01, 0x26 };
static const guint8 identity_kid[] = { 0x21 };

/* ES256 as COSE wants it: raw r || s, 32 bytes each. */
static gboolean
sign_es256 (EVP_PKEY     *key,
            const guint8 *data,
            gsize         len,
            guint8        signature[64])
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  unsigned char der[80];
  size_t der_len = sizeof der;
  const unsigned char *p = der;
  ECDSA_SIG *sig = NULL;
  gboolean ok = FALSE;

  if (EVP_DigestSignInit (ctx, NULL, EVP_sha256 (), NULL, key) == 1
      && EVP_DigestSign (ctx, der, &der_len, data, len) == 1
      && (sig = d2i_ECDSA_SIG (NULL, &p, der_len)) != NULL)
    ok = BN_bn2binpad (ECDSA_SIG_get0_r (sig), signature, 32) == 32
         && BN_bn2binpad (ECDSA_SIG_get0_s (sig), signature + 32, 32) == 32;
  ECDSA_SIG_free (sig);
  EVP_MD_CTX_free (ctx);
  ERR_clear_error ();
  return ok;
}

/**
 * fw_cose_sign1:
 * @detached: leave the payload out (nil), as %ATTESTTOKEN does (§8.1)
 *
 * Returns: (transfer full) (nullable): tag 18 + [protected, unprotected,
 *   payload, signature] (RFC 8152 §4.2), as §7.3 describes.
 */
GByteArray *
fw_cose_sign1 (EVP_PKEY     *key,
               const guint8 *payload,
               gsize         len,
               gboolean      detached)
{
  g_autoptr(GByteArray) to_sign = g_byte_array_new ();
  GByteArray *out;
  guint8 signature[64];

  /* Sig_structure = ["Signature1", protected, external_aad, payload] */
  fw_cbor_array (to_sign, 4);
  fw_cbor_text (to_sign, "Signature1");
  fw_cbor_bytes (to_sign, protected_header, sizeof protected_header);
  fw_cbor_bytes (to_sign, NULL, 0);
  fw_cbor_bytes (to_sign, payload, len);
  if (!sign_es256 (key, to_sign->data, to_sign->len, signature))
    return NULL;

  out = g_byte_array_new ();
  fw_cbor_tag (out, COSE_SIGN1_TAG);
  fw_cbor_array (out, 4);
  fw_cbor_bytes (out, protected_header, sizeof protected_header);
  fw_cbor_map (out, 1);
  fw_cbor_int (out, 4);
  fw_cbor_bytes (out, identity_kid, sizeof identity_kid);
  if (detached)
    fw_cbor_null (out);
  else
    fw_cbor_bytes (out, payload, len);
  fw_cbor_bytes (out, signature, sizeof signature);
  return out;
}
