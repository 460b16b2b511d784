/* ca-csr.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-csr"

#include "config.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <string.h>

#include "ca-private.h"

/* Anything longer is not a device CSR; refusing early keeps hostile input cheap. */
#define MAX_CSR_LENGTH (64 * 1024)

struct _CaCsr
{
  gint      ref_count;
  X509_REQ    *req;
  X509_PUBKEY *spki;     /* the request's key, an EC point always uncompressed */
  CaKeyType    key_type;
};

CaCsr *
ca_csr_ref (CaCsr *csr)
{
  g_return_val_if_fail (csr != NULL, NULL);

  g_atomic_int_inc (&csr->ref_count);

  return csr;
}

void
ca_csr_unref (CaCsr *csr)
{
  if (csr != NULL && g_atomic_int_dec_and_test (&csr->ref_count))
    {
      X509_REQ_free (csr->req);
      X509_PUBKEY_free (csr->spki);
      g_free (csr);
    }
}

X509_REQ *
ca_csr_get_req (CaCsr *csr)
{
  return csr->req;
}

EVP_PKEY *
ca_csr_get_pubkey (CaCsr *csr)
{
  return X509_PUBKEY_get0 (csr->spki);
}

const X509_PUBKEY *
ca_csr_get_spki (CaCsr *csr)
{
  return csr->spki;
}

/* A copy that encodes to the same DER. X509_PUBKEY_dup() of OpenSSL 3.0 loses
 * the BIT STRING's count of unused bits, so a key whose last byte is even
 * re-encodes with its trailing zero bits dropped: another SHA-256 than the
 * certificate issued for it records. */
static X509_PUBKEY *
copy_spki (const X509_PUBKEY *spki)
{
  unsigned char *der = NULL;
  const unsigned char *p;
  X509_PUBKEY *copy = NULL;
  int length = i2d_X509_PUBKEY (spki, &der);

  if (length > 0)
    {
      p = der;
      copy = d2i_X509_PUBKEY (NULL, &p, length);
    }
  OPENSSL_free (der);

  return copy;
}

/* The request's key as certificates carry it. An EC point sent compressed is
 * re-encoded uncompressed: the same key for every verifier (mbedTLS, in the
 * modem's own TLS stack, cannot parse compressed points), and one form to
 * compare when a key is offered for a second device. */
static X509_PUBKEY *
canonical_spki (X509_REQ  *req,
                GError   **error)
{
  X509_PUBKEY *spki = copy_spki (X509_REQ_get_X509_PUBKEY (req));
  g_autoptr(EVP_PKEY) key = NULL;
  const unsigned char *bits = NULL;
  int length = 0;

  if (spki == NULL || !X509_PUBKEY_get0_param (NULL, &bits, &length, NULL, spki))
    goto fail;
  if (EVP_PKEY_get_base_id (X509_PUBKEY_get0 (spki)) != EVP_PKEY_EC || length < 1 || bits[0] == 0x04)
    return spki;

  key = EVP_PKEY_dup (X509_PUBKEY_get0 (spki));
  if (key == NULL ||
      !EVP_PKEY_set_utf8_string_param (key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                       OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) ||
      !X509_PUBKEY_set (&spki, key))
    goto fail;

  return spki;

fail:
  X509_PUBKEY_free (spki);
  ca_set_openssl_error (error, CA_ERROR_INVALID_CSR, "The certificate request's public key cannot be read.");
  return NULL;
}

static gboolean
is_base64url (const char *text,
              gsize       length)
{
  if (length == 0)
    return FALSE;

  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '-' && text[i] != '_')
      return FALSE;

  return TRUE;
}

/* The modem's %KEYGEN answer (PROTOCOL.md §7.3): optional `%KEYGEN: `
 * prefix and quotes, then base64url(CSR DER) "." base64url(COSE). Only the CSR
 * matters here; the COSE part belongs to the modem layer. */
static GBytes *
decode_keygen (const char  *text,
               gsize        length,
               GError     **error)
{
  g_autofree char *copy = g_strndup (text, length);
  g_autoptr(GString) b64 = NULL;
  char *start = g_strstrip (copy);
  char *dot;
  guchar *der;
  gsize der_length = 0;

  if (g_ascii_strncasecmp (start, "%KEYGEN:", 8) == 0)
    start = g_strstrip (start + 8);
  if (start[0] == '"')
    {
      char *close = strchr (start + 1, '"');

      start++;
      if (close != NULL)
        *close = '\0';
    }

  dot = strchr (start, '.');
  if (dot != NULL)
    *dot = '\0';

  if (!is_base64url (start, strlen (start)))
    {
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_CSR,
                   "The request is neither PEM, DER nor a %%KEYGEN answer. Give the CSR file, or "
                   "paste the modem's whole %%KEYGEN: \"…\" line.");
      return NULL;
    }

  /* base64url without padding → standard base64 with padding */
  b64 = g_string_new (start);
  g_strdelimit (b64->str, "-", '+');
  g_strdelimit (b64->str, "_", '/');
  if (b64->len % 4 == 1)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_CSR,
                   "The %%KEYGEN text is cut short (its length is impossible for base64url). "
                   "Copy the whole line again.");
      return NULL;
    }
  while (b64->len % 4 != 0)
    g_string_append_c (b64, '=');

  der = g_base64_decode (b64->str, &der_length);

  return g_bytes_new_take (der, der_length);
}

static X509_REQ *
decode_request (const guint8  *data,
                gsize          length,
                GError       **error)
{
  g_autoptr(GBytes) keygen = NULL;
  const unsigned char *p;
  X509_REQ *req = NULL;

  if (g_strstr_len ((const char *) data, length, "-----BEGIN") != NULL)
    {
      BIO *bio = BIO_new_mem_buf (data, length);

      req = PEM_read_bio_X509_REQ (bio, NULL, NULL, NULL);
      BIO_free (bio);
      if (req == NULL)
        ca_set_openssl_error (error, CA_ERROR_INVALID_CSR,
                              "The PEM text does not hold a readable certificate request; it may be "
                              "truncated or another kind of file. Export the CSR again.");
      return req;
    }

  if (data[0] != 0x30)
    {
      gsize der_length;

      keygen = decode_keygen ((const char *) data, length, error);
      if (keygen == NULL)
        return NULL;
      data = g_bytes_get_data (keygen, &der_length);
      length = der_length;
    }

  p = data;
  req = d2i_X509_REQ (NULL, &p, length);
  if (req == NULL || p != data + length)
    {
      X509_REQ_free (req);
      ca_set_openssl_error (error, CA_ERROR_INVALID_CSR,
                            "The certificate request is damaged or truncated (its DER does not "
                            "parse). Generate or copy it again.");
      return NULL;
    }

  return req;
}

/* Older nRF9160 firmware writes the signature AlgorithmIdentifier as
 * { ecdsa-with-SHA256, NULL } (PROTOCOL.md §7.3). The signature covers
 * only certificationRequestInfo, so dropping the NULL keeps it valid. */
static void
drop_null_signature_parameter (X509_REQ *req)
{
  const X509_ALGOR *algorithm = NULL;
  const ASN1_OBJECT *oid = NULL;
  int parameter_type = V_ASN1_UNDEF;

  X509_REQ_get0_signature (req, NULL, &algorithm);
  X509_ALGOR_get0 (&oid, &parameter_type, NULL, algorithm);

  if (parameter_type == V_ASN1_NULL && OBJ_obj2nid (oid) != NID_undef)
    {
      int nid = OBJ_obj2nid (oid);

      if (nid == NID_ecdsa_with_SHA256 || nid == NID_ecdsa_with_SHA384)
        X509_ALGOR_set0 ((X509_ALGOR *) algorithm, OBJ_nid2obj (nid), V_ASN1_UNDEF, NULL);
    }
}

/**
 * ca_csr_parse:
 * @data: PEM, DER, or a pasted %KEYGEN answer
 *
 * Parses a certificate request and verifies its signature, so that a returned
 * CaCsr always proves possession of its key. The key's type is checked here
 * against what any profile accepts (EC P-256/P-384 on a named curve, RSA ≥ 2048).
 *
 * Returns: (transfer full): the request
 */
CaCsr *
ca_csr_parse (const void  *data,
              gsize        length,
              GError     **error)
{
  g_autoptr(CaCsr) csr = NULL;
  EVP_PKEY *key;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length == 0)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_CSR,
                   "The certificate request is empty. Check the file name, or paste the modem's "
                   "%%KEYGEN line.");
      return NULL;
    }
  if (length > MAX_CSR_LENGTH)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_CSR,
                   "The certificate request is %zu bytes long; device CSRs are well under 4 KB. "
                   "Check that this is the right file.", length);
      return NULL;
    }

  csr = g_new0 (CaCsr, 1);
  csr->ref_count = 1;
  csr->req = decode_request (data, length, error);
  if (csr->req == NULL)
    return NULL;

  key = X509_REQ_get0_pubkey (csr->req);
  if (key == NULL)
    {
      ca_set_openssl_error (error, CA_ERROR_INVALID_CSR,
                            "The certificate request's public key cannot be read.");
      return NULL;
    }
  if (!ca_key_describe (key, &csr->key_type, error))
    return NULL;

  drop_null_signature_parameter (csr->req);
  if (X509_REQ_verify (csr->req, key) != 1)
    {
      ca_set_openssl_error (error, CA_ERROR_INVALID_CSR,
                            "The certificate request's signature does not verify, so it does not "
                            "prove possession of its key. It was altered or damaged; generate it again.");
      return NULL;
    }
  ERR_clear_error ();

  csr->spki = canonical_spki (csr->req, error);
  if (csr->spki == NULL)
    return NULL;

  return g_steal_pointer (&csr);
}

CaCsr *
ca_csr_load (const char  *path,
             GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, NULL);

  contents = ca_file_read_bounded (path, MAX_CSR_LENGTH, &length, &local_error);
  if (contents == NULL)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_CSR,
                   "The certificate request cannot be read: %s", local_error->message);
      return NULL;
    }

  return ca_csr_parse (contents, length, error);
}

char *
ca_csr_get_subject (CaCsr *csr)
{
  g_return_val_if_fail (csr != NULL, NULL);

  return ca_name_to_string (X509_REQ_get_subject_name (csr->req));
}

char *
ca_csr_get_key_description (CaCsr *csr)
{
  g_return_val_if_fail (csr != NULL, NULL);

  return g_strdup (ca_key_type_to_string (csr->key_type));
}

char *
ca_csr_get_public_key_sha256 (CaCsr *csr)
{
  g_return_val_if_fail (csr != NULL, NULL);

  return ca_x509_pubkey_sha256 (csr->spki);
}

CaKeyType
ca_csr_get_key_type (CaCsr *csr)
{
  return csr->key_type;
}
