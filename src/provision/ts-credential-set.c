/* ts-credential-set.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-credential-set"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ts-credential-set.h"
#include "ts-modem-error.h"
#include "ts-modem-secret.h"
#include "ts-store.h"

/* The sec_tags each service's firmware reads unless configured otherwise: the defaults of
 * the nRF Connect SDK's Kconfig options, named in each hint so that people can match the
 * preset to their firmware's configuration. nRF Cloud's is also PROTOCOL.md §6.3. */
static const TsCredentialPreset presets[] = {
  { N_("nRF Cloud"),         16842753, FALSE,
    N_("CONFIG_NRF_CLOUD_SEC_TAG, the nRF Cloud libraries' default (0x01010001)") },
  { N_("AWS IoT"),           201,      FALSE,
    N_("CONFIG_MQTT_HELPER_SEC_TAG, the AWS IoT library's default") },
  { N_("Azure IoT Hub"),     10,       FALSE,
    N_("CONFIG_AZURE_IOT_HUB_SEC_TAG, the Azure IoT Hub library's default") },
  { N_("LwM2M server"),      35724861, TRUE,
    N_("CONFIG_LWM2M_CLIENT_UTILS_SERVER_TLS_TAG, the LwM2M client utilities' server default") },
  { N_("LwM2M bootstrap"),   35724862, TRUE,
    N_("CONFIG_LWM2M_CLIENT_UTILS_BOOTSTRAP_TLS_TAG, the LwM2M client utilities' bootstrap "
       "server default") },
};

const TsCredentialPreset *
ts_credential_presets (guint *n_presets)
{
  g_return_val_if_fail (n_presets != NULL, NULL);

  *n_presets = G_N_ELEMENTS (presets);
  return presets;
}

const TsCredentialPreset *
ts_credential_preset_for_tag (guint32 sec_tag)
{
  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    if (presets[i].sec_tag == sec_tag)
      return &presets[i];

  return NULL;
}

TsCredentialSet *
ts_credential_set_new (void)
{
  return g_new0 (TsCredentialSet, 1);
}

void
ts_credential_set_free (TsCredentialSet *set)
{
  if (set == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (set->parts); i++)
    g_clear_pointer (&set->parts[i], g_bytes_unref);
  ts_modem_secret_free (set->key_password);
  g_free (set);
}

static int
password_cb (char *buf,
             int   size,
             int   rwflag,
             void *user_data)
{
  const char *password = user_data;
  int len = password != NULL ? (int) strlen (password) : 0;

  if (len == 0 || len > size)
    return 0;
  memcpy (buf, password, len);
  return len;
}

/* The client certificate must belong to the key it is written with: the modem would
 * hold a pair no server can complete a handshake with. */
static gboolean
check_pair (GBytes      *cert_pem,
            GBytes      *key_pem,
            const char  *password,
            GError     **error)
{
  gsize cert_len, key_len;
  const void *cert_data = g_bytes_get_data (cert_pem, &cert_len);
  const void *key_data = g_bytes_get_data (key_pem, &key_len);
  BIO *cert_bio = BIO_new_mem_buf (cert_data, (int) cert_len);
  BIO *key_bio = BIO_new_mem_buf (key_data, (int) key_len);
  X509 *cert = PEM_read_bio_X509 (cert_bio, NULL, NULL, NULL);
  EVP_PKEY *key = PEM_read_bio_PrivateKey (key_bio, NULL, password_cb, (void *) password);
  gboolean ok = FALSE;

  if (cert == NULL)
    g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                         _("The client certificate could not be read. Give the PEM text of one certificate."));
  else if (key == NULL)
    g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                         password != NULL && password[0] != '\0'
                         ? _("The private key could not be read with that password. Check the password, or give the key unencrypted.")
                         : _("The private key could not be read. If it is encrypted, give its password."));
  else if (X509_check_private_key (cert, key) != 1)
    g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                         _("The client certificate does not belong to this private key: a server "
                           "would refuse the pair. Give the certificate issued for this key."));
  else
    ok = TRUE;

  X509_free (cert);
  EVP_PKEY_free (key);
  BIO_free (cert_bio);
  BIO_free (key_bio);
  return ok;
}

gboolean
ts_credential_set_check (const TsCredentialSet *set,
                         GError               **error)
{
  gboolean any = FALSE;

  g_return_val_if_fail (set != NULL, FALSE);

  for (guint type = 0; type < G_N_ELEMENTS (set->parts); type++)
    {
      g_autoptr(GError) local_error = NULL;

      if (set->parts[type] == NULL)
        continue;
      any = TRUE;
      if (!ts_store_check_credential (type, set->parts[type], &local_error))
        {
          /* Say which part: several are checked at once. */
          g_set_error (error, local_error->domain, local_error->code, _("%s: %s"),
                       ts_cred_type_describe (type), local_error->message);
          return FALSE;
        }
    }

  if (!any)
    {
      g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                           _("Nothing to write: give at least one certificate, key or PSK."));
      return FALSE;
    }

  if ((set->parts[TS_CRED_PSK] == NULL) != (set->parts[TS_CRED_PSK_IDENTITY] == NULL))
    {
      g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                           _("A PSK is used with its identity: give both, or neither."));
      return FALSE;
    }

  if (set->parts[TS_CRED_CLIENT_CERT] != NULL && set->parts[TS_CRED_PRIVATE_KEY] != NULL &&
      !check_pair (set->parts[TS_CRED_CLIENT_CERT], set->parts[TS_CRED_PRIVATE_KEY],
                   set->key_password, error))
    return FALSE;

  return TRUE;
}

gboolean
ts_workspace_write_credential_set (TsWorkspace             *self,
                                   TsDeviceLink            *link,
                                   guint32                  sec_tag,
                                   const TsCredentialSet   *set,
                                   TsModemWriteFlags        flags,
                                   TsCredentialSetProgress  progress,
                                   gpointer                 progress_data,
                                   guint                   *written,
                                   char                    *sha256[5],
                                   GPtrArray               *notices,
                                   GCancellable            *cancellable,
                                   GError                 **error)
{
  guint n_parts = 0, index = 0, last = 0;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), FALSE);
  g_return_val_if_fail (link != NULL, FALSE);
  g_return_val_if_fail (set != NULL, FALSE);

  if (written != NULL)
    *written = 0;
  if (!ts_credential_set_check (set, error) || !ts_workspace_check_writable (self, error))
    return FALSE;

  for (guint type = 0; type < G_N_ELEMENTS (set->parts); type++)
    if (set->parts[type] != NULL)
      {
        n_parts++;
        last = type;
      }

  for (guint type = 0; type < G_N_ELEMENTS (set->parts); type++)
    {
      /* The modem stays offline between the parts, and is restored after the last. */
      TsModemWriteFlags part_flags = type == last ? flags : flags | TS_MODEM_WRITE_STAY_OFFLINE;

      if (set->parts[type] == NULL)
        continue;
      if (progress != NULL)
        progress (type, index++, n_parts, progress_data);
      if (!ts_workspace_write_credential (self, link, sec_tag, type, set->parts[type],
                                          type == TS_CRED_PRIVATE_KEY ? set->key_password : NULL,
                                          part_flags, sha256 != NULL ? &sha256[type] : NULL,
                                          notices, cancellable, error))
        return FALSE;
      if (written != NULL)
        *written |= 1u << type;
    }

  return TRUE;
}
