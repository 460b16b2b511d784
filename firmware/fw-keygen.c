/* fw-keygen.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fw-keygen"

#include "config.h"

#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <string.h>

#include "fw-base64url.h"
#include "fw-cbor.h"
#include "fw-cose.h"
#include "fw-csr.h"
#include "fw-modem-private.h"

#define SELF_DESCRIBED_CBOR_TAG 55799
#define PAYLOAD_ID_PUBLIC_KEY   8     /* §7.3 */
#define PAYLOAD_ID_CSR          9
#define MESSAGE_DEVICE_IDENTITY 1     /* §8.1 */
#define KEY_TYPE_CLIENT_KEY     2
#define KEY_TYPE_ENDORSEMENT    8

static void
random_bytes (guint8 *out,
              gsize   len)
{
  for (gsize i = 0; i < len; i++)
    out[i] = g_random_int_range (0, 256);
}

/* "<b64url(part1)>.<b64url(COSE_Sign1)>" */
static char *
two_part_token (const GByteArray *body,
                const GByteArray *cose)
{
  g_autofree char *first = fw_base64url_encode (body->data, body->len);
  g_autofree char *second = fw_base64url_encode (cose->data, cose->len);

  return g_strdup_printf ("%s.%s", first, second);
}

/* COSE payload: 55799([payload_id, uuid, bstr(sec_tag), SHA-256(body), nonce]) (§7.3). */
static GByteArray *
keygen_cose (FwModem          *self,
             guint32           tag,
             int               payload_id,
             const GByteArray *body)
{
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GByteArray) tag_cbor = g_byte_array_new ();
  guint8 digest[32];
  guint8 nonce[16];
  gsize digest_len = sizeof digest;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  g_checksum_update (sum, body->data, body->len);
  g_checksum_get_digest (sum, digest, &digest_len);
  random_bytes (nonce, sizeof nonce);
  /* The modem treats sec_tag as int32 here, so tags >= 2^31 come out negative (§6.3). */
  fw_cbor_int (tag_cbor, (gint32) tag);

  fw_cbor_tag (payload, SELF_DESCRIBED_CBOR_TAG);
  fw_cbor_array (payload, 5);
  fw_cbor_uint (payload, payload_id);
  fw_cbor_bytes (payload, self->device->uuid, 16);
  fw_cbor_bytes (payload, tag_cbor->data, tag_cbor->len);
  fw_cbor_bytes (payload, digest, sizeof digest);
  fw_cbor_bytes (payload, nonce, sizeof nonce);
  return fw_cose_sign1 (self->device->identity, payload->data, payload->len, FALSE);
}



/* Generates and stores a new key at (tag, type), or loads the one there (endorsement key). */
static EVP_PKEY *
obtain_key (FwModem  *self,
            guint32   tag,
            guint     type,
            int      *status)
{
  const FwCredential *existing = fw_store_lookup (self->device->store, tag, type);
  GByteArray *der;
  EVP_PKEY *key;

  if (existing != NULL)
    {
      const unsigned char *p = existing->content;

      if (type == KEY_TYPE_ENDORSEMENT && existing->origin == FW_ORIGIN_KEYGEN
          && (key = d2i_AutoPrivateKey (NULL, &p, existing->len)) != NULL)
        return key;
      *status = FW_CME_ALREADY_EXISTS;
      return NULL;
    }
  key = fw_p256_generate ();
  der = key ? fw_private_key_der (key) : NULL;
  if (der == NULL)
    {
      EVP_PKEY_free (key);
      *status = FW_CME_KEYGEN_FAILED;
      return NULL;
    }
  if (fw_store_user_bytes (self->device->store) + der->len > self->config.store_bytes)
    {
      fw_byte_array_wipe (der);
      EVP_PKEY_free (key);
      *status = FW_CME_MEMORY_FULL;
      return NULL;
    }
  fw_store_put (self->device->store, tag, type, FW_ORIGIN_KEYGEN, der->data, der->len);
  fw_byte_array_wipe (der);
  if (!fw_modem_commit (self))
    {
      EVP_PKEY_free (key);
      *status = FW_CME_MEMORY_FAILURE;
      return NULL;
    }
  return key;
}

static guint
keygen_latency (FwModem *self)
{
  guint lo = self->config.keygen_ms_min, hi = self->config.keygen_ms_max;

  return hi > lo ? lo + g_random_int_range (0, hi - lo + 1) : lo;
}

/* AT%KEYGEN=<sec_tag>,<key_type>[,<response_content>][,<attributes>][,<key_usage>] (§7). */
int
fw_keygen_handle (FwModem           *self,
                  const FwAtCommand *command,
                  GString           *lines,
                  guint             *busy_ms)
{
  const char *attributes = fw_at_param_string (command, 3);
  const char *key_usage = fw_at_param_string (command, 4);
  g_autoptr(GByteArray) body = NULL;
  g_autoptr(GByteArray) cose = NULL;
  g_autofree char *token = NULL;
  g_autofree char *subject = NULL;
  guint64 tag, type, content = 0;
  EVP_PKEY *key;
  int status = FW_STATUS_OK;

  /* mfw < 1.3.0 has no KEYGEN and fails with error 0 (§7.1). */
  if (!self->config.profile->has_keygen)
    return FW_CME_PHONE_FAILURE;
  if (command->kind != FW_AT_SET || fw_at_n_params (command) < 2 || fw_at_n_params (command) > 5
      || !fw_at_param_uint (command, 0, G_MAXUINT32, &tag)
      || !fw_at_param_uint (command, 1, 255, &type)
      || (fw_at_param_present (command, 2) && !fw_at_param_uint (command, 2, 1, &content))
      || (fw_at_param_present (command, 3) && attributes == NULL)
      || (fw_at_param_present (command, 4) && key_usage == NULL)
      || (type != KEY_TYPE_CLIENT_KEY && type != KEY_TYPE_ENDORSEMENT))
    return FW_STATUS_SYNTAX;
  if (tag > FW_SEC_TAG_USER_MAX)
    return FW_CME_NO_ACCESS;
  if (self->lte_active)
    return FW_CME_ACTIVE_STATE;

  if (type == KEY_TYPE_CLIENT_KEY && content == 0)
    {
      g_autofree char *uuid = fw_uuid_format (self->device->uuid);

      subject = attributes && *attributes ? g_strdup (attributes) : g_strdup_printf ("CN=%s", uuid);
    }

  key = obtain_key (self, tag, type, &status);
  if (key == NULL)
    return status;
  if (subject != NULL)
    body = fw_csr_build (key, subject, key_usage, self->config.csr_null);
  else
    body = fw_spki_der (key);
  if (body == NULL)
    {
      /* A malformed subject or key usage: the key must not stay behind. */
      EVP_PKEY_free (key);
      if (type == KEY_TYPE_CLIENT_KEY)
        {
          fw_store_remove (self->device->store, tag, type);
          fw_modem_commit (self);
        }
      return FW_STATUS_SYNTAX;
    }
  cose = keygen_cose (self, tag, subject ? PAYLOAD_ID_CSR : PAYLOAD_ID_PUBLIC_KEY, body);
  EVP_PKEY_free (key);
  if (cose == NULL)
    return FW_CME_KEYGEN_FAILED;

  token = two_part_token (body, cose);
  g_string_append_printf (lines, "%%KEYGEN: \"%s\"\r\n", token);
  *busy_ms += keygen_latency (self) + self->config.flash_ms;
  return FW_STATUS_OK;
}

/* AT%ATTESTTOKEN[="<32 hex challenge>"] (§8.1). */
int
fw_attesttoken_handle (FwModem           *self,
                       const FwAtCommand *command,
                       GString           *lines,
                       guint             *busy_ms)
{
  g_autoptr(GByteArray) message = g_byte_array_new ();
  g_autoptr(GByteArray) cose = NULL;
  g_autofree char *token = NULL;
  guint8 nonce[16];
  guint8 fw_uuid[16];

  if (command->kind == FW_AT_ACTION)
    random_bytes (nonce, sizeof nonce);
  else if (command->kind == FW_AT_SET && fw_at_n_params (command) == 1)
    {
      const char *challenge = fw_at_param_string (command, 0);

      if (challenge == NULL || strlen (challenge) != 32 || strspn (challenge,
                                                                   "0123456789abcdefABCDEF") != 32)
        return FW_STATUS_SYNTAX;
      for (int i = 0; i < 16; i++)
        nonce[i] = g_ascii_xdigit_value (challenge[2 * i]) << 4
                   | g_ascii_xdigit_value (challenge[2 * i + 1]);
    }
  else
    return FW_STATUS_SYNTAX;

  fw_modem_firmware_uuid (self, fw_uuid);
  fw_cbor_tag (message, SELF_DESCRIBED_CBOR_TAG);
  fw_cbor_array (message, 5);
  fw_cbor_uint (message, MESSAGE_DEVICE_IDENTITY);
  fw_cbor_bytes (message, self->device->uuid, 16);
  fw_cbor_uint (message, self->config.profile->device_type);
  fw_cbor_bytes (message, fw_uuid, 16);
  fw_cbor_bytes (message, nonce, sizeof nonce);
  cose = fw_cose_sign1 (self->device->identity, message->data, message->len, TRUE);
  if (cose == NULL)
    return FW_STATUS_ERROR;

  token = two_part_token (message, cose);
  g_string_append_printf (lines, "%%ATTESTTOKEN: \"%s\"\r\n", token);
  return FW_STATUS_OK;
}
