/* fw-csr.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fw-csr"

#include "config.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "fw-csr.h"

#define KEY_USAGE_DEFAULT "111010000"   /* §7.2, inferred from the test vectors */

/* SEQUENCE { OID ecdsa-with-SHA256, NULL }, as older nRF9160 firmware writes it (§7.3). */
static const guint8 ecdsa_sha256_with_null[] = {
  0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x05, 0x00
};

/* "O=Nordic Semiconductor,L=Trondheim,C=no,CN=mydevice" (§7.2). */
static X509_NAME *
parse_subject (const char *subject)
{
  static const char *const known[] = { "C", "ST", "L", "O", "OU", "CN" };
  g_auto(GStrv) parts = g_strsplit (subject, ",", -1);
  X509_NAME *name = X509_NAME_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *eq = strchr (parts[i], '=');
      gboolean ok = FALSE;

      if (eq == NULL || eq == parts[i] || eq[1] == '\0')
        goto fail;
      *eq = '\0';
      for (guint k = 0; k < G_N_ELEMENTS (known); k++)
        ok |= g_str_equal (parts[i], known[k]);
      if (!ok || !X509_NAME_add_entry_by_txt (name, parts[i], MBSTRING_UTF8,
                                              (const unsigned char *) eq + 1, -1, -1, 0))
        goto fail;
    }
  if (X509_NAME_entry_count (name) > 0)
    return name;

fail:
  ERR_clear_error ();
  X509_NAME_free (name);
  return NULL;
}

/* KeyUsage from nine binary digits in X.509 bit order (§7.2). */
static X509_EXTENSION *
key_usage_extension (const char *bits)
{
  ASN1_BIT_STRING *usage;
  X509_EXTENSION *extension;

  if (strlen (bits) != 9 || strspn (bits, "01") != 9 || strchr (bits, '1') == NULL)
    return NULL;
  usage = ASN1_BIT_STRING_new ();
  for (int i = 0; i < 9; i++)
    if (bits[i] == '1')
      ASN1_BIT_STRING_set_bit (usage, i, 1);
  extension = X509V3_EXT_i2d (NID_key_usage, 0, usage);
  ASN1_BIT_STRING_free (usage);
  return extension;
}

/* Reads one DER header; returns the total length of the element or 0. */
static gsize
der_element (const guint8 *p,
             gsize         avail,
             gsize        *header)
{
  gsize len, n;

  if (avail < 2)
    return 0;
  if (p[1] < 0x80)
    {
      *header = 2;
      len = p[1];
    }
  else
    {
      n = p[1] & 0x7f;
      if (n == 0 || n > 3 || avail < 2 + n)
        return 0;
      len = 0;
      for (gsize i = 0; i < n; i++)
        len = len << 8 | p[2 + i];
      *header = 2 + n;
    }
  return *header + len <= avail ? *header + len : 0;
}

static void
der_put_header (GByteArray *out,
                guint8      tag,
                gsize       len)
{
  guint8 header[4] = { tag };

  if (len < 0x80)
    {
      header[1] = len;
      g_byte_array_append (out, header, 2);
    }
  else if (len <= 0xff)
    {
      header[1] = 0x81;
      header[2] = len;
      g_byte_array_append (out, header, 3);
    }
  else
    {
      header[1] = 0x82;
      header[2] = len >> 8;
      header[3] = len & 0xff;
      g_byte_array_append (out, header, 4);
    }
}

/* Re-encodes CertificationRequest with the NULL parameter in its signature algorithm.
 * The signature covers only certificationRequestInfo, so it stays valid. */
static GByteArray *
add_legacy_null (const guint8 *der,
                 gsize         len)
{
  gsize header, outer, info, alg, sig, offset;
  GByteArray *out;

  outer = der_element (der, len, &header);
  if (outer != len)
    return NULL;
  offset = header;
  info = der_element (der + offset, len - offset, &header);
  if (info == 0)
    return NULL;
  alg = der_element (der + offset + info, len - offset - info, &header);
  if (alg == 0)
    return NULL;
  sig = der_element (der + offset + info + alg, len - offset - info - alg, &header);
  if (sig == 0 || offset + info + alg + sig != len)
    return NULL;

  out = g_byte_array_new ();
  der_put_header (out, 0x30, info + sizeof ecdsa_sha256_with_null + sig);
  g_byte_array_append (out, der + offset, info);
  g_byte_array_append (out, ecdsa_sha256_with_null, sizeof ecdsa_sha256_with_null);
  g_byte_array_append (out, der + offset + info + alg, sig);
  return out;
}

/**
 * fw_csr_build:
 * @subject: the %KEYGEN attributes, e.g. "CN=nrf-352656100367872"
 * @key_usage: (nullable): nine binary digits, %NULL for the default
 *
 * Returns: (transfer full) (nullable): PKCS#10 DER signed by @key, or %NULL if
 *   @subject or @key_usage is malformed.
 */
GByteArray *
fw_csr_build (EVP_PKEY   *key,
              const char *subject,
              const char *key_usage,
              gboolean    legacy_null)
{
  X509_REQ *request = NULL;
  X509_NAME *name = NULL;
  X509_EXTENSION *extension = NULL;
  STACK_OF (X509_EXTENSION) *extensions = NULL;
  unsigned char *der = NULL;
  GByteArray *result = NULL;
  int len;

  name = parse_subject (subject);
  extension = key_usage_extension (key_usage ? key_usage : KEY_USAGE_DEFAULT);
  if (name == NULL || extension == NULL)
    goto out;

  request = X509_REQ_new ();
  extensions = sk_X509_EXTENSION_new_null ();
  sk_X509_EXTENSION_push (extensions, extension);
  if (!X509_REQ_set_version (request, X509_REQ_VERSION_1)
      || !X509_REQ_set_subject_name (request, name)
      || !X509_REQ_set_pubkey (request, key)
      || !X509_REQ_add_extensions (request, extensions)
      || X509_REQ_sign (request, key, EVP_sha256 ()) <= 0
      || (len = i2d_X509_REQ (request, &der)) <= 0)
    goto out;

  if (legacy_null)
    result = add_legacy_null (der, len);
  else
    result = g_byte_array_new_take (g_memdup2 (der, len), len);

out:
  ERR_clear_error ();
  OPENSSL_free (der);
  sk_X509_EXTENSION_pop_free (extensions, X509_EXTENSION_free);
  if (extensions == NULL)
    X509_EXTENSION_free (extension);
  X509_NAME_free (name);
  X509_REQ_free (request);
  return result;
}

/* SubjectPublicKeyInfo DER, 91 bytes for P-256 (§7.3). */
GByteArray *
fw_spki_der (EVP_PKEY *key)
{
  unsigned char *der = NULL;
  int len = i2d_PUBKEY (key, &der);
  GByteArray *result;

  if (len <= 0)
    return NULL;
  result = g_byte_array_new_take (g_memdup2 (der, len), len);
  OPENSSL_free (der);
  return result;
}
