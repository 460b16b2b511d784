/* ts-nrf91-token.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-nrf91-token"

#include "config.h"

#include <glib/gi18n.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <string.h>

#include "ts-modem-error.h"
#include "ts-nrf91.h"
#include "ts-nrf91-token.h"

/* CBOR tags used by the modem's tokens (§7.3, §8.1). */
#define CBOR_TAG_COSE_SIGN1    18
#define CBOR_TAG_SELF_DESCRIBE 55799

/* A minimal CBOR walker (§11): definite lengths only, which is all the modem emits. */
typedef struct
{
  const guint8 *p;
  const guint8 *end;
} Cbor;

enum { CBOR_UINT, CBOR_NEGINT, CBOR_BYTES, CBOR_TEXT, CBOR_ARRAY, CBOR_MAP, CBOR_TAG, CBOR_SIMPLE };

static gboolean
cbor_head (Cbor    *c,
           guint   *major,
           guint64 *value)
{
  guint info, n;

  if (c->p >= c->end)
    return FALSE;

  *major = *c->p >> 5;
  info = *c->p & 0x1f;
  c->p++;

  if (info < 24)
    {
      *value = info;
      return TRUE;
    }
  if (info > 27)
    return FALSE;

  n = 1u << (info - 24);
  if ((gsize) (c->end - c->p) < n)
    return FALSE;

  *value = 0;
  for (guint i = 0; i < n; i++)
    *value = (*value << 8) | *c->p++;

  return TRUE;
}

static gboolean
cbor_skip (Cbor *c,
           guint depth)
{
  guint major;
  guint64 value;

  if (depth > 16 || !cbor_head (c, &major, &value))
    return FALSE;

  switch (major)
    {
    case CBOR_BYTES:
    case CBOR_TEXT:
      if (value > (guint64) (c->end - c->p))
        return FALSE;
      c->p += value;
      return TRUE;
    case CBOR_ARRAY:
    case CBOR_MAP:
      if (value > (guint64) (c->end - c->p))
        return FALSE;
      for (guint64 i = 0; i < value * (major == CBOR_MAP ? 2 : 1); i++)
        if (!cbor_skip (c, depth + 1))
          return FALSE;
      return TRUE;
    case CBOR_TAG:
      return cbor_skip (c, depth + 1);
    default:
      return TRUE;
    }
}

static gboolean
cbor_expect (Cbor    *c,
             guint    want,
             guint64 *value)
{
  guint major;

  return cbor_head (c, &major, value) && major == want;
}

static gboolean
cbor_bytes (Cbor          *c,
            const guint8 **data,
            gsize         *len)
{
  guint64 n;

  if (!cbor_expect (c, CBOR_BYTES, &n) || n > (guint64) (c->end - c->p))
    return FALSE;

  *data = c->p;
  *len = n;
  c->p += n;
  return TRUE;
}

static gboolean
cbor_int (Cbor   *c,
          gint64 *out)
{
  guint major;
  guint64 value;

  if (!cbor_head (c, &major, &value) || value > G_MAXINT64)
    return FALSE;

  if (major == CBOR_UINT)
    *out = (gint64) value;
  else if (major == CBOR_NEGINT)
    *out = -1 - (gint64) value;
  else
    return FALSE;

  return TRUE;
}

/* Skips one optional tag with number @tag. */
static void
cbor_skip_tag (Cbor    *c,
               guint64  tag)
{
  Cbor peek = *c;
  guint major;
  guint64 value;

  if (cbor_head (&peek, &major, &value) && major == CBOR_TAG && value == tag)
    *c = peek;
}

static gboolean
cbor_uuid (Cbor  *c,
           char **uuid)
{
  const guint8 *data;
  gsize len;

  if (!cbor_bytes (c, &data, &len) || len != 16)
    return FALSE;

  *uuid = ts_format_uuid (data);
  return TRUE;
}

char *
ts_format_uuid (const guint8 bytes[16])
{
  GString *out = g_string_sized_new (36);

  for (guint i = 0; i < 16; i++)
    {
      if (i == 4 || i == 6 || i == 8 || i == 10)
        g_string_append_c (out, '-');
      g_string_append_printf (out, "%02x", bytes[i]);
    }

  return g_string_free (out, FALSE);
}

/**
 * ts_base64url_decode:
 * @len: length of @text, or -1 when NUL-terminated
 *
 * Decodes base64url with or without `=` padding (§7.3): the modem leaves it out.
 *
 * Returns: (transfer full) (nullable): the bytes, or %NULL with @error set
 */
GBytes *
ts_base64url_decode (const char  *text,
                     gssize       len,
                     GError     **error)
{
  g_autoptr(GString) std = NULL;
  guchar *data;
  gsize out_len = 0;

  g_return_val_if_fail (text != NULL, NULL);

  if (len < 0)
    len = strlen (text);
  while (len > 0 && text[len - 1] == '=')
    len--;

  std = g_string_sized_new (len + 4);
  for (gssize i = 0; i < len; i++)
    {
      char ch = text[i];

      if (ch == '-')
        ch = '+';
      else if (ch == '_')
        ch = '/';
      else if (!g_ascii_isalnum (ch))
        goto bad;
      g_string_append_c (std, ch);
    }

  if (len == 0 || len % 4 == 1)
    goto bad;
  while (std->len % 4 != 0)
    g_string_append_c (std, '=');

  data = g_base64_decode (std->str, &out_len);
  return g_bytes_new_take (data, out_len);

bad:
  g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL,
                       _("The modem's token is not valid base64url; the answer was probably "
                         "garbled on the line. Try again."));
  return NULL;
}

static gboolean
protocol_error (GError     **error,
                const char  *what)
{
  g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL,
               _("The modem's %s is malformed; the answer was probably garbled on the line. "
                 "Try again."), what);
  return FALSE;
}

/* Splits `<prefix>: "<part1>.<part2>"` and decodes both halves. */
static char *
split_token (const char  *line,
             const char  *prefix,
             GBytes     **part1,
             GBytes     **part2,
             GError     **error)
{
  g_autofree char *token = ts_nrf91_parse_quoted (line, prefix);
  const char *dot;

  if (token == NULL || (dot = strchr (token, '.')) == NULL || strchr (dot + 1, '.') != NULL)
    {
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL,
                   _("The modem's %s answer is not two base64url parts joined by a dot."),
                   prefix);
      return NULL;
    }

  if (!(*part1 = ts_base64url_decode (token, dot - token, error)))
    return NULL;
  if (!(*part2 = ts_base64url_decode (dot + 1, -1, error)))
    {
      g_clear_pointer (part1, g_bytes_unref);
      return NULL;
    }

  return g_steal_pointer (&token);
}

/* Walks COSE_Sign1 = [protected, unprotected, payload, signature] (§7.3) and
 * leaves @c at the payload. */
static gboolean
cose_enter_payload (Cbor *c)
{
  guint64 n;

  cbor_skip_tag (c, CBOR_TAG_COSE_SIGN1);
  if (!cbor_expect (c, CBOR_ARRAY, &n) || n != 4)
    return FALSE;

  return cbor_skip (c, 0) && cbor_skip (c, 0);
}

static gboolean
parse_keygen_cose (GBytes          *cose,
                   TsKeygenResult  *result)
{
  Cbor c = { 0 }, payload, tag_cbor;
  const guint8 *data, *inner, *digest;
  gsize len, inner_len, digest_len;
  gint64 payload_id, sec_tag;
  guint64 n;

  data = g_bytes_get_data (cose, &len);
  c.p = data;
  c.end = data + len;

  if (!cose_enter_payload (&c) || !cbor_bytes (&c, &inner, &inner_len))
    return FALSE;

  payload.p = inner;
  payload.end = inner + inner_len;
  cbor_skip_tag (&payload, CBOR_TAG_SELF_DESCRIBE);
  if (!cbor_expect (&payload, CBOR_ARRAY, &n) || n != 5 ||
      !cbor_int (&payload, &payload_id) ||
      !cbor_uuid (&payload, &result->device_uuid) ||
      !cbor_bytes (&payload, &tag_cbor.p, &len))
    return FALSE;

  /* The sec_tag is a CBOR int inside a bstr; tags >= 2^31 come out negative
   * because the modem treats it as int32 (§6.3). */
  tag_cbor.end = tag_cbor.p + len;
  if (!cbor_int (&tag_cbor, &sec_tag) || sec_tag < G_MININT32 || sec_tag > G_MAXUINT32)
    return FALSE;

  if (!cbor_bytes (&payload, &digest, &digest_len) || digest_len != 32)
    return FALSE;

  result->payload_id = (int) payload_id;
  result->sec_tag = (guint32) sec_tag;
  memcpy (result->digest, digest, 32);
  return TRUE;
}

static char *
name_to_string (const X509_NAME *name)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long len;
  char *out;

  X509_NAME_print_ex (bio, name, 0, XN_FLAG_RFC2253);
  len = BIO_get_mem_data (bio, &data);
  out = g_strndup (data, len);
  BIO_free (bio);

  return out;
}

/* The CSR must be DER PKCS#10 with a P-256 key that signed it (§7.3). Old
 * firmware's NULL parameter in the signature algorithm is accepted. */
static gboolean
check_csr (TsKeygenResult  *result,
           GError         **error)
{
  const guint8 *der;
  const unsigned char *p;
  gsize len;
  X509_REQ *req;
  EVP_PKEY *key;
  gboolean ok = FALSE;
  char group[32] = "";

  der = g_bytes_get_data (result->body, &len);
  p = der;
  req = d2i_X509_REQ (NULL, &p, (long) len);
  if (req == NULL || p != der + len)
    {
      X509_REQ_free (req);
      return protocol_error (error, _("certificate signing request"));
    }

  key = X509_REQ_get0_pubkey (req);
  if (key == NULL || !EVP_PKEY_is_a (key, "EC") ||
      !EVP_PKEY_get_utf8_string_param (key, "group", group, sizeof group, NULL) ||
      !g_str_equal (group, "prime256v1"))
    g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_VERIFY_FAILED,
                 _("The modem's certificate signing request does not hold a P-256 key (%s). "
                   "Do not use it."), group[0] != '\0' ? group : _("unknown key type"));
  else if (X509_REQ_verify (req, key) != 1)
    g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_VERIFY_FAILED,
                         _("The modem's certificate signing request has a bad signature. "
                           "Generate the key again."));
  else
    {
      result->subject = name_to_string (X509_REQ_get_subject_name (req));
      ok = TRUE;
    }

  X509_REQ_free (req);
  return ok;
}

/**
 * ts_keygen_result_parse:
 * @line: the `%KEYGEN: "..."` line
 *
 * Decodes both parts and checks the CSR itself (DER, P-256, self-signature).
 * The cross-checks against the modem are in ts_keygen_result_verify().
 *
 * Returns: (transfer full) (nullable): the result
 */
TsKeygenResult *
ts_keygen_result_parse (const char  *line,
                        GError     **error)
{
  g_autoptr(TsKeygenResult) result = g_new0 (TsKeygenResult, 1);

  g_return_val_if_fail (line != NULL, NULL);

  result->token = split_token (line, "%KEYGEN", &result->body, &result->cose, error);
  if (result->token == NULL)
    return NULL;

  if (!parse_keygen_cose (result->cose, result))
    {
      protocol_error (error, _("COSE signature block"));
      return NULL;
    }

  if (result->payload_id == TS_KEYGEN_PAYLOAD_CSR && !check_csr (result, error))
    return NULL;
  if (result->payload_id != TS_KEYGEN_PAYLOAD_CSR &&
      result->payload_id != TS_KEYGEN_PAYLOAD_PUBLIC_KEY)
    {
      protocol_error (error, _("key generation answer (unknown payload type)"));
      return NULL;
    }

  return g_steal_pointer (&result);
}

/**
 * ts_keygen_result_verify:
 * @device_uuid: (nullable): the modem's UUID; %NULL skips that check
 *
 * The COSE payload must name the SHA-256 of the CSR it came with, the sec_tag
 * asked for and the modem's own UUID (§7.3); anything else is refused.
 */
gboolean
ts_keygen_result_verify (const TsKeygenResult  *result,
                         guint32                sec_tag,
                         const char            *device_uuid,
                         GError               **error)
{
  guint8 digest[32];
  const guint8 *body;
  gsize len;

  g_return_val_if_fail (result != NULL, FALSE);

  body = g_bytes_get_data (result->body, &len);
  EVP_Digest (body, len, digest, NULL, EVP_sha256 (), NULL);

  if (memcmp (digest, result->digest, 32) != 0)
    {
      g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_VERIFY_FAILED,
                           _("The COSE digest does not match the certificate signing request: "
                             "the answer was altered on the way. Do not sign it; generate the key "
                             "again."));
      return FALSE;
    }

  if (result->sec_tag != sec_tag)
    {
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_VERIFY_FAILED,
                   _("The modem generated the key for sec_tag %u, not %u as asked. Do not sign "
                     "it; generate the key again."), result->sec_tag, sec_tag);
      return FALSE;
    }

  if (device_uuid != NULL && g_ascii_strcasecmp (device_uuid, result->device_uuid) != 0)
    {
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_VERIFY_FAILED,
                   _("The key was generated by device %s, but this modem is %s. Do not sign "
                     "it; check which device is connected."), result->device_uuid, device_uuid);
      return FALSE;
    }

  return TRUE;
}

static char *
der_to_pem (GBytes     *der,
            const char *label)
{
  g_autofree char *b64 = NULL;
  GString *pem;
  gsize len;

  b64 = g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  len = strlen (b64);
  pem = g_string_new (NULL);
  g_string_append_printf (pem, "-----BEGIN %s-----\n", label);
  for (gsize i = 0; i < len; i += 64)
    {
      g_string_append_len (pem, b64 + i, MIN (64, len - i));
      g_string_append_c (pem, '\n');
    }
  g_string_append_printf (pem, "-----END %s-----\n", label);

  return g_string_free (pem, FALSE);
}

/* Returns: (transfer full): the CSR (or public key) as PEM text. */
char *
ts_keygen_result_dup_pem (const TsKeygenResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);

  return der_to_pem (result->body,
                     result->payload_id == TS_KEYGEN_PAYLOAD_CSR ? "CERTIFICATE REQUEST"
                                                                 : "PUBLIC KEY");
}

void
ts_keygen_result_free (TsKeygenResult *result)
{
  if (result == NULL)
    return;

  g_free (result->token);
  g_clear_pointer (&result->body, g_bytes_unref);
  g_clear_pointer (&result->cose, g_bytes_unref);
  g_free (result->device_uuid);
  g_free (result->subject);
  g_free (result);
}

/**
 * ts_attestation_parse:
 * @line: the `%ATTESTTOKEN: "..."` line
 *
 * Decodes the device identity message of §8.1:
 * `55799([msg_type, device_uuid, device_type, fw_uuid, nonce])`.
 *
 * Returns: (transfer full) (nullable): the attestation
 */
TsAttestation *
ts_attestation_parse (const char  *line,
                      GError     **error)
{
  g_autoptr(TsAttestation) attestation = g_new0 (TsAttestation, 1);
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GBytes) cose = NULL;
  Cbor c = { 0 }, sign = { 0 };
  const guint8 *data, *nonce;
  gsize len, nonce_len;
  gint64 msg_type;
  guint64 n;

  g_return_val_if_fail (line != NULL, NULL);

  attestation->token = split_token (line, "%ATTESTTOKEN", &message, &cose, error);
  if (attestation->token == NULL)
    return NULL;

  data = g_bytes_get_data (message, &len);
  c.p = data;
  c.end = data + len;
  cbor_skip_tag (&c, CBOR_TAG_SELF_DESCRIBE);

  data = g_bytes_get_data (cose, &len);
  sign.p = data;
  sign.end = data + len;

  if (!cbor_expect (&c, CBOR_ARRAY, &n) || n != 5 ||
      !cbor_int (&c, &msg_type) ||
      !cbor_uuid (&c, &attestation->device_uuid) ||
      !cbor_int (&c, &attestation->device_type) ||
      !cbor_uuid (&c, &attestation->firmware_uuid) ||
      !cbor_bytes (&c, &nonce, &nonce_len) || nonce_len != 16 ||
      !cose_enter_payload (&sign))
    {
      protocol_error (error, _("attestation token"));
      return NULL;
    }

  attestation->message_type = (int) msg_type;
  attestation->nonce_hex = g_malloc (33);
  for (guint i = 0; i < 16; i++)
    g_snprintf (attestation->nonce_hex + 2 * i, 3, "%02x", nonce[i]);

  return g_steal_pointer (&attestation);
}

void
ts_attestation_free (TsAttestation *attestation)
{
  if (attestation == NULL)
    return;

  g_free (attestation->token);
  g_free (attestation->device_uuid);
  g_free (attestation->firmware_uuid);
  g_free (attestation->nonce_hex);
  g_free (attestation);
}
