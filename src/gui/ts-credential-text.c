/* ts-credential-text.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-credential-text"

#include "config.h"

#include <glib/gi18n.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ts-credential-text.h"
#include "ts-text.h"

char *
ts_credential_describe (const TsCredential *credential,
                        const CaShaMatch   *match,
                        const char         *subject_cn)
{
  g_autofree char *expires = NULL;

  g_return_val_if_fail (credential != NULL, NULL);

  if (match != NULL && match->kind == CA_SHA_DEVICE_CERTIFICATE)
    {
      expires = ts_format_date (match->not_after);
      return g_strdup_printf (_("Client certificate for %s, issued by %s, expires %s"),
                              match->imei != NULL ? match->imei : "?",
                              match->authority_name != NULL ? match->authority_name : "?",
                              expires);
    }

  if (match != NULL && match->kind == CA_SHA_CA_CERTIFICATE)
    return g_strdup_printf (_("CA certificate: %s (from this ledger)"), match->authority_name);

  if (subject_cn != NULL)
    {
      switch (credential->type)
        {
        case TS_CRED_CA_CERT:
          return g_strdup_printf (_("Server CA: %s"), subject_cn);
        case TS_CRED_CLIENT_CERT:
          return g_strdup_printf (_("Client certificate for %s, not issued here"), subject_cn);
        default:
          break;
        }
    }

  switch (credential->type)
    {
    case TS_CRED_PRIVATE_KEY:
      return g_strdup (_("Private key (the modem never shows it)"));
    case TS_CRED_PSK:
      return g_strdup (_("Pre-shared key"));
    case TS_CRED_PSK_IDENTITY:
      return g_strdup (_("PSK identity"));
    default:
      if (!ts_cred_type_is_writable (credential->type))
        return g_strdup_printf (_("Managed by the modem: %s"),
                                ts_cred_type_describe (credential->type));
      return g_strdup (_("Unknown: not in this ledger"));
    }
}

char *
ts_pem_subject_cn (GBytes *pem)
{
  g_autofree char *cn = NULL;
  const guint8 *data;
  gsize len;
  BIO *bio;
  X509 *cert;

  g_return_val_if_fail (pem != NULL, NULL);

  data = g_bytes_get_data (pem, &len);
  if (len == 0 || len > G_MAXINT)
    return NULL;

  bio = BIO_new_mem_buf (data, (int) len);
  cert = bio != NULL ? PEM_read_bio_X509 (bio, NULL, NULL, NULL) : NULL;
  if (cert != NULL)
    {
      X509_NAME *subject = X509_get_subject_name (cert);
      int index = X509_NAME_get_index_by_NID (subject, NID_commonName, -1);

      if (index >= 0)
        {
          ASN1_STRING *value = X509_NAME_ENTRY_get_data (X509_NAME_get_entry (subject, index));
          unsigned char *utf8 = NULL;
          int n = ASN1_STRING_to_UTF8 (&utf8, value);

          if (n >= 0 && g_utf8_validate ((const char *) utf8, n, NULL))
            cn = g_strndup ((const char *) utf8, n);
          OPENSSL_free (utf8);
        }
      X509_free (cert);
    }
  BIO_free (bio);

  return g_steal_pointer (&cn);
}

static gboolean
is_certificate_pem (GBytes *content)
{
  const guint8 *data;
  gsize len;
  BIO *bio;
  X509 *cert;
  gboolean ok;

  data = g_bytes_get_data (content, &len);
  if (len > G_MAXINT)
    return FALSE;

  bio = BIO_new_mem_buf (data, (int) len);
  cert = bio != NULL ? PEM_read_bio_X509 (bio, NULL, NULL, NULL) : NULL;
  ok = cert != NULL;
  X509_free (cert);
  BIO_free (bio);

  return ok;
}

gboolean
ts_credential_check_input (guint    type,
                           GBytes  *content,
                           GError **error)
{
  g_auto(CaSecret) text = NULL;

  g_return_val_if_fail (content != NULL, FALSE);

  if (!ts_cred_type_is_writable (type))
    {
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                   _("The modem manages %s itself; it cannot be written."),
                   ts_cred_type_describe (type));
      return FALSE;
    }

  if (!ts_nrf91_check_content (content, error))
    return FALSE;

  /* The size limit of one %CMNG line (PROTOCOL.md §6.5 item 4) is checked by
   * ts_modem_write_credential(), which knows the framing in use. */
  text = ca_secret_dup_text (content);

  switch (type)
    {
    case TS_CRED_CA_CERT:
    case TS_CRED_CLIENT_CERT:
      if (!is_certificate_pem (content))
        {
          g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                               _("This is not a PEM certificate. Paste the text from "
                                 "“-----BEGIN CERTIFICATE-----” to "
                                 "“-----END CERTIFICATE-----”."));
          return FALSE;
        }
      return TRUE;

    case TS_CRED_PRIVATE_KEY:
      if (strstr (text, "-----BEGIN ") == NULL || strstr (text, "PRIVATE KEY-----") == NULL)
        {
          g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                               _("This is not a PEM private key. Paste the text from "
                                 "“-----BEGIN PRIVATE KEY-----” to its END line."));
          return FALSE;
        }
      return TRUE;

    case TS_CRED_PSK:
      g_strstrip (text);
      for (const char *p = text; *p != '\0'; p++)
        if (!g_ascii_isxdigit (*p))
          {
            g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                                 _("A pre-shared key is written as hexadecimal digits "
                                   "(0–9, A–F), e.g. 000102030405060708090A0B0C0D0E0F."));
            return FALSE;
          }
      if (*text == '\0' || strlen (text) % 2 != 0)
        {
          g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                               _("A pre-shared key needs an even number of hex digits: two "
                                 "per byte."));
          return FALSE;
        }
      return TRUE;

    case TS_CRED_PSK_IDENTITY:
      for (const char *p = text; *p != '\0'; p++)
        if (!g_ascii_isprint (*p))
          {
            g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                                 _("A PSK identity is one line of printable text."));
            return FALSE;
          }
      return TRUE;

    default:
      return TRUE;
    }
}
