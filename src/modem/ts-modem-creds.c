/* ts-modem-creds.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-modem-creds"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ts-at-elide.h"
#include "ts-modem-private.h"
#include "ts-modem-secret.h"

static GArray *
list_locked (TsModem       *self,
             gint64         sec_tag,
             int            type,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autofree char *command = NULL;
  g_autoptr(GPtrArray) info = NULL;
  GArray *credentials;

  if (sec_tag < 0)
    command = g_strdup ("AT%CMNG=1");
  else if (type < 0)
    command = g_strdup_printf ("AT%%CMNG=1,%" G_GINT64_FORMAT, sec_tag);
  else
    command = g_strdup_printf ("AT%%CMNG=1,%" G_GINT64_FORMAT ",%d", sec_tag, type);

  info = _ts_modem_exchange (self, command, NULL, _("Listing the credentials"),
                             ts_modem_get_timeout (self), 0, cancellable, error);
  if (info == NULL)
    return NULL;

  credentials = g_array_new (FALSE, TRUE, sizeof (TsCredential));
  for (guint i = 0; i < info->len; i++)
    {
      TsCredential credential;

      /* Tolerant: a line that does not parse is skipped, not fatal (§3.2). */
      if (ts_nrf91_parse_cmng_entry (info->pdata[i], &credential))
        g_array_append_val (credentials, credential);
      else
        g_debug ("skipping list line “%s”", (const char *) info->pdata[i]);
    }

  return credentials;
}

/**
 * ts_modem_list_credentials:
 * @sec_tag: a sec_tag, or -1 for all
 * @type: a type within @sec_tag, or -1 for all; ignored when @sec_tag is -1
 *
 * Returns: (transfer full) (element-type TsCredential): the entries; empty when none
 */
GArray *
ts_modem_list_credentials (TsModem       *self,
                           gint64         sec_tag,
                           int            type,
                           GCancellable  *cancellable,
                           GError       **error)
{
  GArray *credentials;

  g_return_val_if_fail (TS_IS_MODEM (self), NULL);
  g_return_val_if_fail (sec_tag <= G_MAXUINT32, NULL);

  _ts_modem_lock (self);
  credentials = list_locked (self, sec_tag, type, cancellable, error);
  _ts_modem_unlock (self);

  return credentials;
}

/**
 * ts_modem_read_credential:
 * @sha256: (out) (optional) (transfer full): the SHA-256 the modem reports
 *
 * Reads a stored certificate or PSK identity back (§6.1). Keys and PSKs are not
 * readable; the modem answers +CME ERROR: 514.
 *
 * Returns: (transfer full) (nullable): the content, verbatim
 */
GBytes *
ts_modem_read_credential (TsModem       *self,
                          guint32        sec_tag,
                          guint          type,
                          char         **sha256,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autofree char *command = NULL;
  g_autofree char *what = NULL;
  g_autoptr(GPtrArray) info = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) content = NULL;
  TsCredential credential;
  char actual[65];

  g_return_val_if_fail (TS_IS_MODEM (self), NULL);

  command = g_strdup_printf ("AT%%CMNG=2,%u,%u", sec_tag, type);
  what = g_strdup_printf (_("Reading the %s in sec_tag %u"), ts_cred_type_describe (type), sec_tag);

  _ts_modem_lock (self);
  info = _ts_modem_exchange (self, command, NULL, what, ts_modem_get_timeout (self), 0,
                             cancellable, &local_error);
  _ts_modem_unlock (self);

  if (info == NULL)
    {
      /* The bridge shares one 4 KB buffer for the answer, so a large entry comes
       * back cut off and without OK (§15.2): that is not a dead modem. */
      if (g_error_matches (local_error, TS_MODEM_ERROR, TS_MODEM_ERROR_TIMEOUT))
        g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_TIMEOUT,
                     _("%s: the answer never finished. Entries near 4 KB do not fit the "
                       "bridge's buffer and cannot be read back; compare the SHA-256 from "
                       "`tagsmith creds list` instead."), what);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (info->len == 0)
    {
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL,
                   _("%s: the modem answered OK without the content."), what);
      return NULL;
    }

  if (!ts_nrf91_parse_cmng_read (info->pdata[0], &credential, &content, error))
    return NULL;

  /* The content must hash to what the modem lists; else it was garbled on the way. */
  ts_nrf91_sha256_hex (g_bytes_get_data (content, NULL), g_bytes_get_size (content), actual);
  if (credential.sha256[0] != '\0' && strcmp (actual, credential.sha256) != 0)
    {
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL,
                   _("%s: the content read back does not match the modem's SHA-256; it was "
                     "garbled on the line. Try again."), what);
      return NULL;
    }

  if (sha256 != NULL)
    *sha256 = g_strdup (credential.sha256[0] != '\0' ? credential.sha256 : actual);

  return g_steal_pointer (&content);
}

static gboolean
check_writable (guint32   sec_tag,
                guint     type,
                GError  **error)
{
  if (!ts_sec_tag_check_writable (sec_tag, error))
    return FALSE;

  if (!ts_cred_type_is_writable (type))
    {
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                   _("Type %u (%s) is managed by the modem and cannot be written. Use ca, "
                     "cert, key, psk or psk-identity."), type, ts_cred_type_describe (type));
      return FALSE;
    }

  return TRUE;
}

/* Writes, then lists the entry and compares its SHA-256 with the bytes sent. */
static gboolean
write_and_verify (TsModem       *self,
                  guint32        sec_tag,
                  guint          type,
                  GBytes        *sent,
                  const char    *command,
                  char         **sha256,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autofree char *label = NULL;
  g_autofree char *what = NULL;
  g_autoptr(GPtrArray) info = NULL;
  g_autoptr(GArray) listed = NULL;
  char expected[65];
  const char *actual = NULL;

  label = ts_at_elide (command);
  what = g_strdup_printf (_("Writing the %s to sec_tag %u"), ts_cred_type_describe (type), sec_tag);

  info = _ts_modem_exchange (self, command, label, what, ts_modem_get_timeout (self),
                             TS_EXCHANGE_QUOTED_WRITE, cancellable, error);
  if (info == NULL)
    return FALSE;

  listed = list_locked (self, sec_tag, (int) type, cancellable, error);
  if (listed == NULL)
    return FALSE;

  ts_nrf91_sha256_hex (g_bytes_get_data (sent, NULL), g_bytes_get_size (sent), expected);
  for (guint i = 0; i < listed->len; i++)
    {
      const TsCredential *c = &g_array_index (listed, TsCredential, i);

      if (c->sec_tag == sec_tag && c->type == type)
        actual = c->sha256;
    }

  if (actual == NULL)
    {
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_VERIFY_FAILED,
                   _("%s: the modem answered OK but does not list the entry. It was not "
                     "stored; try again."), what);
      return FALSE;
    }
  if (strcmp (actual, expected) != 0)
    {
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_VERIFY_FAILED,
                   _("%s: the modem stored something else than was sent (its SHA-256 is %s, "
                     "the content's is %s). The line may be noisy, or the bridge changed the "
                     "bytes; write it again and do not rely on this entry."),
                   what, actual[0] != '\0' ? actual : _("missing"), expected);
      return FALSE;
    }

  if (sha256 != NULL)
    *sha256 = g_strdup (expected);
  return TRUE;
}

/**
 * ts_modem_write_credential:
 * @content: the credential as read from its file
 * @key_password: (nullable): the PKCS#8 password of an encrypted private key
 * @endings: how line breaks are normalised; in shell mode the AT shell turns every
 *   line break into CR LF, so CR LF is what is sent and hashed there
 * @sha256: (out) (optional) (transfer full): the verified SHA-256
 *
 * Writes one credential (§6.5), switching the modem offline around it (§5), and
 * succeeds only when the modem lists the SHA-256 of exactly the bytes sent (§6.4).
 * Content the bridge cannot carry, or a command over its 4,095-byte buffer, is
 * refused before anything is sent (§15.1).
 */
gboolean
ts_modem_write_credential (TsModem            *self,
                           guint32             sec_tag,
                           guint               type,
                           GBytes             *content,
                           const char         *key_password,
                           TsLineEndings       endings,
                           TsModemWriteFlags   flags,
                           char              **sha256,
                           GCancellable       *cancellable,
                           GError            **error)
{
  g_autoptr(GBytes) sent = NULL;
  char *command = NULL;
  gsize stored;
  int previous = 4;
  gboolean ok = FALSE;

  g_return_val_if_fail (TS_IS_MODEM (self), FALSE);
  g_return_val_if_fail (content != NULL, FALSE);

  if (!check_writable (sec_tag, type, error) ||
      !ts_nrf91_check_key_password (key_password, error))
    return FALSE;

  if (ts_modem_get_mode (self) == TS_AT_MODE_SHELL)
    endings = TS_LINE_ENDINGS_CRLF;
  sent = ts_nrf91_normalise_content (content, endings);
  if (!ts_nrf91_check_content (sent, error))
    return FALSE;

  command = ts_nrf91_build_write (sec_tag, type, sent, key_password);

  _ts_modem_lock (self);

  stored = _ts_modem_stored_length (self, command);
  if (stored > TS_NRF91_MAX_COMMAND_BYTES)
    {
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                   _("The write command would be %" G_GSIZE_FORMAT " bytes, but the modem's AT "
                     "bridge keeps at most %d and would silently cut it. Write a shorter "
                     "credential (one certificate instead of a bundle, or LF line endings), or "
                     "use an AT client built with a larger CONFIG_AT_HOST_CMD_MAX_LEN."),
                   stored, TS_NRF91_MAX_COMMAND_BYTES);
      goto out;
    }

  if (!_ts_modem_go_offline (self, &previous, cancellable, error))
    goto out;

  ok = write_and_verify (self, sec_tag, type, sent, command, sha256, cancellable, error);
  ok = _ts_modem_restore_mode (self, previous, flags, ok, ok ? error : NULL) && ok;

out:
  _ts_modem_unlock (self);
  ts_modem_secret_free (command);

  return ok;
}

static gboolean
delete_one (TsModem       *self,
            guint32        sec_tag,
            guint          type,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autofree char *command = g_strdup_printf ("AT%%CMNG=3,%u,%u", sec_tag, type);
  g_autofree char *what = g_strdup_printf (_("Deleting the %s in sec_tag %u"),
                                           ts_cred_type_describe (type), sec_tag);
  g_autoptr(GPtrArray) info = NULL;

  info = _ts_modem_exchange (self, command, NULL, what, ts_modem_get_timeout (self), 0,
                             cancellable, error);

  return info != NULL;
}

/**
 * ts_modem_delete_credentials:
 * @type: the type to delete, or -1 for every type the sec_tag holds
 * @n_deleted: (out) (optional): how many entries went
 *
 * Deletes with the modem offline and restores its mode afterwards (§5).
 */
gboolean
ts_modem_delete_credentials (TsModem            *self,
                             guint32             sec_tag,
                             int                 type,
                             TsModemWriteFlags   flags,
                             guint              *n_deleted,
                             GCancellable       *cancellable,
                             GError            **error)
{
  g_autoptr(GArray) listed = NULL;
  int previous = 4;
  guint deleted = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (TS_IS_MODEM (self), FALSE);
  g_return_val_if_fail (type >= -1 && type <= TS_CRED_TYPE_MAX, FALSE);

  if (!ts_sec_tag_check_writable (sec_tag, error))
    return FALSE;

  _ts_modem_lock (self);

  if (type < 0 && !(listed = list_locked (self, sec_tag, -1, cancellable, error)))
    goto out;

  if (!_ts_modem_go_offline (self, &previous, cancellable, error))
    goto out;

  ok = TRUE;
  if (type >= 0)
    ok = delete_one (self, sec_tag, (guint) type, cancellable, error);
  else
    for (guint i = 0; ok && i < listed->len; i++)
      ok = delete_one (self, sec_tag, g_array_index (listed, TsCredential, i).type,
                       cancellable, error);
  if (ok)
    deleted = type >= 0 ? 1 : listed->len;

  ok = _ts_modem_restore_mode (self, previous, flags, ok, ok ? error : NULL) && ok;

out:
  _ts_modem_unlock (self);
  if (n_deleted != NULL)
    *n_deleted = deleted;

  return ok;
}

static gboolean
check_attributes (const char  *attributes,
                  GError     **error)
{
  if (attributes == NULL)
    return TRUE;

  for (const char *p = attributes; *p != '\0'; p++)
    if (*p == '"' || (guint8) *p < 0x20 || *p == 0x7f)
      {
        g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                             _("The CSR attributes contain a double quote or a control "
                               "character. Give them as O=…,CN=… in plain text."));
        return FALSE;
      }

  if (attributes[0] == '\0' || strchr (attributes, '=') == NULL)
    {
      g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                           _("The CSR attributes must look like O=Company,CN=device-name."));
      return FALSE;
    }

  return TRUE;
}

/**
 * ts_modem_keygen:
 * @attributes: (nullable): CSR subject as `O=…,CN=…`; %NULL lets the modem use its UUID
 *
 * Generates a P-256 key in @sec_tag (type 2) and returns its CSR (§7). The
 * answer is refused unless the COSE digest equals the CSR's SHA-256, the
 * sec_tag matches and the UUID is this modem's.
 *
 * Returns: (transfer full) (nullable): the verified result
 */
TsKeygenResult *
ts_modem_keygen (TsModem            *self,
                 guint32             sec_tag,
                 const char         *attributes,
                 TsModemWriteFlags   flags,
                 GCancellable       *cancellable,
                 GError            **error)
{
  g_autoptr(TsKeygenResult) result = NULL;
  g_autoptr(GPtrArray) info = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *command = NULL;
  g_autofree char *what = NULL;
  int previous = 4;
  gboolean ok = FALSE;

  g_return_val_if_fail (TS_IS_MODEM (self), NULL);

  if (!ts_sec_tag_check_writable (sec_tag, error) || !check_attributes (attributes, error))
    return NULL;

  if (attributes != NULL)
    command = g_strdup_printf ("AT%%KEYGEN=%u,2,0,\"%s\"", sec_tag, attributes);
  else
    command = g_strdup_printf ("AT%%KEYGEN=%u,2,0", sec_tag);
  what = g_strdup_printf (_("Generating a key in sec_tag %u"), sec_tag);

  _ts_modem_lock (self);

  if (!(uuid = ts_modem_dup_device_uuid (self, cancellable, error)))
    goto out;

  if (!_ts_modem_go_offline (self, &previous, cancellable, error))
    goto out;

  info = _ts_modem_exchange (self, command, NULL, what, ts_modem_get_timeout (self) * 2, 0,
                             cancellable, error);
  if (info != NULL)
    {
      if (info->len == 0)
        g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL,
                     _("%s: the modem answered OK without a %%KEYGEN line."), what);
      else if ((result = ts_keygen_result_parse (info->pdata[0], error)))
        ok = ts_keygen_result_verify (result, sec_tag, uuid, error);
    }

  ok = _ts_modem_restore_mode (self, previous, flags, ok, ok ? error : NULL) && ok;

out:
  _ts_modem_unlock (self);

  return ok ? g_steal_pointer (&result) : NULL;
}

/**
 * ts_modem_attest:
 * @challenge_hex: (nullable): 32 hex digits that replace the modem's nonce (§8.1)
 *
 * Returns: (transfer full) (nullable): the decoded attestation token
 */
TsAttestation *
ts_modem_attest (TsModem       *self,
                 const char    *challenge_hex,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(GPtrArray) info = NULL;
  g_autofree char *command = NULL;

  g_return_val_if_fail (TS_IS_MODEM (self), NULL);

  if (challenge_hex != NULL &&
      (strlen (challenge_hex) != 32 || strspn (challenge_hex, "0123456789abcdefABCDEF") != 32))
    {
      g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                           _("The challenge must be 32 hexadecimal digits (16 bytes)."));
      return NULL;
    }

  command = challenge_hex != NULL ? g_strdup_printf ("AT%%ATTESTTOKEN=\"%s\"", challenge_hex)
                                  : g_strdup ("AT%ATTESTTOKEN");

  _ts_modem_lock (self);
  info = _ts_modem_exchange (self, command, NULL, _("Reading the attestation token"),
                             ts_modem_get_timeout (self), 0, cancellable, error);
  _ts_modem_unlock (self);

  if (info == NULL)
    return NULL;
  if (info->len == 0)
    {
      g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL,
                           _("The modem answered OK without an attestation token."));
      return NULL;
    }

  return ts_attestation_parse (info->pdata[0], error);
}
