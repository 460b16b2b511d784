/* fw-device.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fw-device"

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <string.h>

#include "fw-device.h"

#define GROUP_DEVICE "Device"

EVP_PKEY *
fw_p256_generate (void)
{
  return EVP_EC_gen ("P-256");
}

/* The DER of a private key, as d2i_AutoPrivateKey() reads it; free it with
 * fw_byte_array_wipe(): it is a secret. */
GByteArray *
fw_private_key_der (EVP_PKEY *key)
{
  unsigned char *der = NULL;
  int len = i2d_PrivateKey (key, &der);
  GByteArray *result;

  if (len <= 0)
    return NULL;
  result = g_byte_array_new ();
  g_byte_array_append (result, der, len);
  OPENSSL_clear_free (der, len);
  return result;
}

void
fw_byte_array_wipe (GByteArray *bytes)
{
  if (bytes != NULL)
    {
      OPENSSL_cleanse (bytes->data, bytes->len);
      g_byte_array_unref (bytes);
    }
}

/* Base64 text of a secret; the caller wipes and frees it. */
static char *
key_to_base64 (EVP_PKEY *key)
{
  GByteArray *der = fw_private_key_der (key);
  char *text;

  if (der == NULL)
    return NULL;
  text = g_base64_encode (der->data, der->len);
  fw_byte_array_wipe (der);
  return text;
}

static EVP_PKEY *
key_from_base64 (const char *text)
{
  gsize len = 0;
  guchar *der = g_base64_decode (text, &len);
  const unsigned char *p = der;
  EVP_PKEY *key = d2i_AutoPrivateKey (NULL, &p, len);

  OPENSSL_cleanse (der, len);
  g_free (der);
  return key;
}

static void
wipe_string (char *text)
{
  if (text != NULL)
    {
      OPENSSL_cleanse (text, strlen (text));
      g_free (text);
    }
}

static const char *
origin_name (FwOrigin origin)
{
  return origin == FW_ORIGIN_KEYGEN ? "keygen" : "host";
}

static gboolean
load_credentials (FwDevice  *device,
                  GKeyFile  *file,
                  GError   **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups (file, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *origin = NULL;
      char *content;
      guint64 tag, type;
      guchar *bytes;
      gsize len = 0;

      if (!g_str_has_prefix (groups[i], "Credential "))
        continue;
      tag = g_key_file_get_uint64 (file, groups[i], "Tag", NULL);
      type = g_key_file_get_uint64 (file, groups[i], "Type", NULL);
      origin = g_key_file_get_string (file, groups[i], "Origin", NULL);
      content = g_key_file_get_string (file, groups[i], "Content", NULL);
      if (content == NULL || origin == NULL || tag > G_MAXUINT32 || type > 255)
        {
          wipe_string (content);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "The state file %s has a damaged entry [%s]. Remove that group or the "
                       "file to start with an empty credential store.",
                       device->state_path, groups[i]);
          return FALSE;
        }
      bytes = g_base64_decode (content, &len);
      fw_store_put (device->store, tag, type,
                    g_str_equal (origin, "keygen") ? FW_ORIGIN_KEYGEN : FW_ORIGIN_HOST,
                    bytes, len);
      OPENSSL_cleanse (bytes, len);
      g_free (bytes);
      wipe_string (content);
    }
  return TRUE;
}

static gboolean
load_state (FwDevice    *device,
            const char  *imei,
            GError     **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *saved_imei = NULL;
  g_autofree char *uuid = NULL;
  char *key;

  if (!g_key_file_load_from_file (file, device->state_path, G_KEY_FILE_NONE, error))
    {
      g_prefix_error (error, "Could not read the state file %s: ", device->state_path);
      return FALSE;
    }
  saved_imei = g_key_file_get_string (file, GROUP_DEVICE, "Imei", NULL);
  uuid = g_key_file_get_string (file, GROUP_DEVICE, "Uuid", NULL);
  key = g_key_file_get_string (file, GROUP_DEVICE, "IdentityKey", NULL);
  if (saved_imei == NULL || !fw_imei_is_valid (saved_imei) || uuid == NULL
      || !fw_uuid_parse (uuid, device->uuid) || key == NULL
      || (device->identity = key_from_base64 (key)) == NULL)
    {
      wipe_string (key);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The state file %s is not an emulator state file or is damaged. Give "
                   "another --state path, or delete the file to start a fresh device.",
                   device->state_path);
      return FALSE;
    }
  wipe_string (key);
  if (imei != NULL && !g_str_equal (imei, saved_imei))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The state file %s belongs to the device with IMEI %s, not %s. Leave out "
                   "--imei to resume that device, or use another --state path.",
                   device->state_path, saved_imei, imei);
      return FALSE;
    }
  device->imei = g_steal_pointer (&saved_imei);
  return load_credentials (device, file, error);
}

/**
 * fw_device_open:
 * @state_path: (nullable): the state file; loaded if it exists, created otherwise
 * @imei: (nullable): the IMEI to use for a new device, already validated
 *
 * Returns: (transfer full) (nullable): the device
 */
FwDevice *
fw_device_open (const char       *state_path,
                const FwProfile  *profile,
                const char       *imei,
                GError          **error)
{
  g_autoptr(FwDevice) device = g_new0 (FwDevice, 1);

  g_return_val_if_fail (profile != NULL, NULL);

  device->store = fw_store_new ();
  device->state_path = g_strdup (state_path);
  if (state_path != NULL && g_file_test (state_path, G_FILE_TEST_EXISTS))
    {
      if (!load_state (device, imei, error))
        return NULL;
      return g_steal_pointer (&device);
    }

  device->imei = imei ? g_strdup (imei) : fw_imei_generate (profile);
  fw_uuid_derive ("tagsmith-emulator device uuid", device->imei, device->uuid);
  device->identity = fw_p256_generate ();
  if (device->identity == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Could not generate the device identity key (OpenSSL failed).");
      return NULL;
    }
  if (state_path != NULL && !fw_device_save (device, error))
    return NULL;
  return g_steal_pointer (&device);
}

/* Written to a temporary file and renamed over the old one, mode 0600: it holds keys. */
gboolean
fw_device_save (FwDevice  *device,
                GError   **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *uuid = fw_uuid_format (device->uuid);
  GPtrArray *entries = fw_store_entries (device->store);
  char *key;
  char *data;
  gsize len;
  gboolean ok;

  g_return_val_if_fail (device != NULL, FALSE);

  if (device->state_path == NULL)
    return TRUE;

  g_key_file_set_comment (file, NULL, NULL,
                          " tagsmith-emulator state: the emulated modem's flash. It holds "
                          "private keys; keep it private.", NULL);
  g_key_file_set_string (file, GROUP_DEVICE, "Imei", device->imei);
  g_key_file_set_string (file, GROUP_DEVICE, "Uuid", uuid);
  key = key_to_base64 (device->identity);
  g_key_file_set_string (file, GROUP_DEVICE, "IdentityKey", key);
  wipe_string (key);

  for (guint i = 0; i < entries->len; i++)
    {
      FwCredential *credential = g_ptr_array_index (entries, i);
      g_autofree char *group = NULL;
      char *content;

      if (credential->origin == FW_ORIGIN_MODEM)
        continue;
      group = g_strdup_printf ("Credential %u %u", credential->tag, credential->type);
      g_key_file_set_uint64 (file, group, "Tag", credential->tag);
      g_key_file_set_uint64 (file, group, "Type", credential->type);
      g_key_file_set_string (file, group, "Origin", origin_name (credential->origin));
      content = g_base64_encode (credential->content, credential->len);
      g_key_file_set_string (file, group, "Content", content);
      wipe_string (content);
    }

  data = g_key_file_to_data (file, &len, NULL);
  ok = g_file_set_contents_full (device->state_path, data, len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
  OPENSSL_cleanse (data, len);
  g_free (data);
  if (!ok)
    g_prefix_error (error, "Could not save the state file: ");
  return ok;
}

void
fw_device_free (FwDevice *device)
{
  if (device == NULL)
    return;
  g_free (device->imei);
  EVP_PKEY_free (device->identity);
  fw_store_free (device->store);
  g_free (device->state_path);
  g_free (device);
}
