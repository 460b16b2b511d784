/* ts-store.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-store"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ts-store.h"
#include "ts-provision-private.h"

static void
add_notice (GPtrArray  *notices,
            const char *format,
            ...) G_GNUC_PRINTF (2, 3);

static void
add_notice (GPtrArray  *notices,
            const char *format,
            ...)
{
  char *message;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_debug ("%s", message);
  if (notices != NULL)
    g_ptr_array_add (notices, message);
  else
    g_free (message);
}

/* The states in which the ledger says, or may soon say, the modem holds an install. */
static gboolean
is_claimed (CaInstallState state)
{
  return state == CA_INSTALL_INTENT || state == CA_INSTALL_WRITTEN ||
         state == CA_INSTALL_VERIFIED || state == CA_INSTALL_REMOVING;
}

/* Whether the modem holds exactly what @install recorded. */
static gboolean
install_held (TsModem          *modem,
              GArray           *listing,
              const CaInstall  *install,
              gboolean         *held,
              GCancellable     *cancellable,
              GError          **error)
{
  const TsCredential *c = _ts_find_credential (listing, install->sec_tag, install->cred_type);
  char sha[65];

  *held = FALSE;
  if (c == NULL)
    return TRUE;

  /* A %KEYGEN key has no recorded hash, and keys and PSKs are never readable:
   * where the modem lists no digest, being listed is all that can be known. */
  if (install->sha256 == NULL ||
      (c->sha256[0] == '\0' && install->cred_type != TS_CRED_CA_CERT &&
       install->cred_type != TS_CRED_CLIENT_CERT))
    {
      *held = TRUE;
      return TRUE;
    }

  if (!_ts_slot_sha256 (modem, listing, install->sec_tag, install->cred_type, sha, cancellable, error))
    return FALSE;
  *held = g_ascii_strcasecmp (sha, install->sha256) == 0;

  return TRUE;
}

static gboolean
settle_one (CaLedger         *ledger,
            const CaInstall  *install,
            gboolean          held,
            GPtrArray        *notices,
            GError          **error)
{
  const char *what = ts_cred_type_describe (install->cred_type);
  CaInstallState state;
  const char *detail;

  if (install->state == CA_INSTALL_VERIFIED && held)
    return TRUE;

  /* Every record is keyed with the workspace passphrase: a locked ledger is
   * only compared, and the operator hears what unlocking would settle. */
  if (!ca_ledger_is_unlocked (ledger))
    {
      if (held)
        add_notice (notices, _("The ledger does not yet record the %s in sec_tag %u (install %"
                               G_GINT64_FORMAT ") as verified, though the modem holds it. Give the "
                               "workspace passphrase to record it." CA_ERROR_CLI_HINT
                               "give it with --pass."),
                    what, install->sec_tag, install->id);
      else
        add_notice (notices, _("The ledger records the %s in sec_tag %u (install %"
                               G_GINT64_FORMAT ") as on the modem, which does not hold it. Give the "
                               "workspace passphrase to record it as gone." CA_ERROR_CLI_HINT
                               "give it with --pass."),
                    what, install->sec_tag, install->id);
      return TRUE;
    }

  if (install->state == CA_INSTALL_VERIFIED)
    {
      state = CA_INSTALL_REMOVED;
      detail = _("no longer on the modem when it was next seen");
      add_notice (notices, _("The %s recorded in sec_tag %u (install %" G_GINT64_FORMAT ") is "
                             "no longer on the modem, so it is now recorded as removed."),
                  what, install->sec_tag, install->id);
    }
  else if (install->state == CA_INSTALL_REMOVING)
    {
      state = held ? CA_INSTALL_VERIFIED : CA_INSTALL_REMOVED;
      detail = held ? _("still on the modem when it was next seen: the deletion did not happen")
                    : _("gone from the modem when it was next seen");
      add_notice (notices, held ? _("An earlier session was interrupted while deleting the %s "
                                    "in sec_tag %u (install %" G_GINT64_FORMAT "). The modem "
                                    "still holds it, so it is recorded as verified again.")
                                : _("An earlier session was interrupted while deleting the %s "
                                    "in sec_tag %u (install %" G_GINT64_FORMAT "). The modem "
                                    "no longer holds it, so it is now recorded as removed."),
                  what, install->sec_tag, install->id);
    }
  else
    {
      state = held ? CA_INSTALL_VERIFIED : CA_INSTALL_ABANDONED;
      detail = held ? _("found on the modem when it was next seen")
                    : _("not on the modem when it was next seen");
      add_notice (notices, held ? _("An earlier session was interrupted after writing the %s to "
                                    "sec_tag %u (install %" G_GINT64_FORMAT "). The modem holds "
                                    "it, so it is now recorded as verified.")
                                : _("An earlier session was interrupted before the %s reached "
                                    "sec_tag %u (install %" G_GINT64_FORMAT "). The modem does "
                                    "not hold it, so it is now recorded as abandoned."),
                  what, install->sec_tag, install->id);
    }

  return ca_ledger_install_mark (ledger, install->id, state, detail, error);
}

/**
 * ts_store_retire_keyless:
 *
 * A certificate that a newer one of the same IMEI supersedes, that was once
 * written to the modem and of which no install is left there, lost its key
 * with it (a re-key deletes both, and a key is never written twice): it is
 * revoked as superseded, linked to its successor by the successor's
 * supersedes_id. Revoking needs no CA key.
 */
gboolean
ts_store_retire_keyless (CaLedger    *ledger,
                         const char  *imei,
                         GPtrArray   *notices,
                         GError     **error)
{
  g_autoptr(GPtrArray) certificates = NULL;
  g_autoptr(GPtrArray) installs = NULL;

  g_return_val_if_fail (CA_IS_LEDGER (ledger), FALSE);

  certificates = ca_ledger_list_certificates (ledger, imei, FALSE, error);
  if (certificates == NULL)
    return FALSE;
  installs = ca_ledger_list_installs (ledger, imei, FALSE, error);
  if (installs == NULL)
    return FALSE;

  for (guint i = 0; i < certificates->len; i++)
    {
      const CaCertificate *old = g_ptr_array_index (certificates, i);
      const CaCertificate *successor = NULL;
      gboolean written = FALSE, claimed = FALSE;
      g_autoptr(GPtrArray) revoked = NULL;
      CaRevokeRequest revoke = {
        .authority = old->authority_name,
        .serial = old->serial,
        .sec_tag = -1,
        .reason = CA_REVOKE_SUPERSEDED,
      };

      if (old->status != CA_CERT_STATUS_VALID)
        continue;
      for (guint j = 0; j < certificates->len; j++)
        {
          const CaCertificate *cert = g_ptr_array_index (certificates, j);

          if (cert->supersedes_id == old->id)
            successor = cert;
        }
      for (guint j = 0; j < installs->len; j++)
        {
          const CaInstall *install = g_ptr_array_index (installs, j);

          if (install->certificate_id != old->id)
            continue;
          written = TRUE;
          claimed |= is_claimed (install->state);
        }
      if (successor == NULL || !written || claimed)
        continue;

      revoked = ca_ledger_revoke (ledger, &revoke, error);
      if (revoked == NULL)
        return FALSE;
      add_notice (notices, _("Certificate %s of IMEI %s is no longer on the modem and its key "
                             "is gone; it is revoked as superseded by certificate %s. Publish "
                             "the CRL of “%s” again, so that it lists the revocation."),
                  old->serial, imei, successor->serial, old->authority_name);
    }

  return TRUE;
}

gboolean
ts_store_settle (CaLedger      *ledger,
                 TsModem       *modem,
                 const char    *imei,
                 GArray        *listing,
                 GPtrArray     *notices,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(GPtrArray) installs = NULL;
  g_autoptr(GArray) listed = NULL;
  gboolean any = FALSE;

  g_return_val_if_fail (CA_IS_LEDGER (ledger), FALSE);
  g_return_val_if_fail (TS_IS_MODEM (modem), FALSE);

  installs = ca_ledger_list_installs (ledger, imei, FALSE, error);
  if (installs == NULL)
    return FALSE;
  for (guint i = 0; i < installs->len; i++)
    any |= is_claimed (((CaInstall *) g_ptr_array_index (installs, i))->state);

  if (any && listing == NULL)
    {
      listing = listed = ts_modem_list_credentials (modem, -1, -1, cancellable, error);
      if (listing == NULL)
        return FALSE;
    }

  for (guint i = 0; any && i < installs->len; i++)
    {
      const CaInstall *install = g_ptr_array_index (installs, i);
      gboolean held;

      if (!is_claimed (install->state))
        continue;
      if (!install_held (modem, listing, install, &held, cancellable, error) ||
          !settle_one (ledger, install, held, notices, error))
        return FALSE;
    }

  return !ca_ledger_is_unlocked (ledger) || ts_store_retire_keyless (ledger, imei, notices, error);
}

TsModemIdentity *
ts_store_identify (CaLedger      *ledger,
                   TsModem       *modem,
                   GArray        *listing,
                   GPtrArray     *notices,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(TsModemIdentity) identity = NULL;
  CaDevice device = { 0 };

  g_return_val_if_fail (CA_IS_LEDGER (ledger), NULL);
  g_return_val_if_fail (TS_IS_MODEM (modem), NULL);

  identity = ts_modem_query_identity (modem, cancellable, error);
  if (identity == NULL)
    return NULL;

  device.imei = identity->imei;
  device.uuid = identity->device_uuid;
  device.model = identity->model;
  device.firmware = identity->firmware;
  if ((ca_ledger_is_unlocked (ledger) && !ca_ledger_device_seen (ledger, &device, error)) ||
      !ts_store_settle (ledger, modem, identity->imei, listing, notices, cancellable, error))
    return NULL;

  return g_steal_pointer (&identity);
}

/* The certificate of @imei whose PEM hashes to @sha256, 0 when there is none. */
static gint64
certificate_for (CaLedger    *ledger,
                 const char  *imei,
                 const char  *sha256,
                 GError     **error)
{
  g_autoptr(GPtrArray) certificates = ca_ledger_list_certificates (ledger, imei, FALSE, error);

  for (guint i = 0; certificates != NULL && i < certificates->len; i++)
    {
      const CaCertificate *cert = g_ptr_array_index (certificates, i);

      if (g_ascii_strcasecmp (cert->sha256_lf, sha256) == 0 ||
          g_ascii_strcasecmp (cert->sha256_crlf, sha256) == 0)
        return cert->id;
    }

  return 0;
}

/* The modem answered a deletion: what it lists now says which of @removing
 * went (with every type, some may have gone before it refused one). */
static gboolean
finish_removals (CaLedger      *ledger,
                 TsModem       *modem,
                 guint32        sec_tag,
                 GPtrArray     *removing,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(GArray) listing = NULL;

  if (removing->len == 0)
    return TRUE;
  listing = ts_modem_list_credentials (modem, sec_tag, -1, cancellable, error);
  if (listing == NULL)
    return FALSE;

  for (guint i = 0; i < removing->len; i++)
    {
      const CaInstall *install = g_ptr_array_index (removing, i);
      gboolean held;

      if (!install_held (modem, listing, install, &held, cancellable, error) ||
          !ca_ledger_install_mark (ledger, install->id,
                                   held ? CA_INSTALL_VERIFIED : CA_INSTALL_REMOVED,
                                   held ? _("the modem refused to delete it")
                                        : _("deleted from the modem"), error))
        return FALSE;
    }

  return TRUE;
}

/**
 * ts_store_mark_removing:
 * @type: the %CMNG type, or -1 for all
 *
 * Records the intent to delete (@sec_tag, @type): its verified installs become
 * "removing" before the modem is touched.
 *
 * Returns: (transfer full) (element-type CaInstall): the installs marked
 */
GPtrArray *
ts_store_mark_removing (CaLedger    *ledger,
                        const char  *imei,
                        guint32      sec_tag,
                        int          type,
                        GError     **error)
{
  g_autoptr(GPtrArray) installs = ca_ledger_list_installs (ledger, imei, FALSE, error);
  GPtrArray *marked;

  if (installs == NULL)
    return NULL;

  marked = g_ptr_array_new_with_free_func ((GDestroyNotify) ca_install_free);
  for (guint i = 0; i < installs->len; i++)
    {
      CaInstall *install = g_ptr_array_index (installs, i);

      if (install->state != CA_INSTALL_VERIFIED || install->sec_tag != sec_tag ||
          (type >= 0 && install->cred_type != type))
        continue;
      if (!ca_ledger_install_mark (ledger, install->id, CA_INSTALL_REMOVING, NULL, error))
        {
          g_ptr_array_unref (marked);
          return NULL;
        }
      install->state = CA_INSTALL_REMOVING;
      g_ptr_array_add (marked, g_ptr_array_steal_index (installs, i--));
    }

  return marked;
}

/* Marks @removing (from ts_store_mark_removing()) removed: the modem confirmed the deletion. */
gboolean
ts_store_mark_removed (CaLedger   *ledger,
                       GPtrArray  *removing,
                       GError    **error)
{
  for (guint i = 0; i < removing->len; i++)
    {
      const CaInstall *install = g_ptr_array_index (removing, i);

      if (!ca_ledger_install_mark (ledger, install->id, CA_INSTALL_REMOVED,
                                   _("deleted from the modem"), error))
        return FALSE;
    }

  return TRUE;
}

gboolean
ts_store_write (CaLedger           *ledger,
                TsModem            *modem,
                guint32             sec_tag,
                guint               type,
                GBytes             *content,
                const char         *key_password,
                TsLineEndings       endings,
                TsModemWriteFlags   flags,
                char              **sha256,
                GPtrArray          *notices,
                GCancellable       *cancellable,
                GError            **error)
{
  g_autoptr(TsModemIdentity) identity = NULL;
  const char *imei;
  g_autofree char *confirmed = NULL;
  g_autoptr(GBytes) sent = NULL;
  g_autoptr(GError) failure = NULL;
  g_autoptr(GPtrArray) replaced = NULL;
  char sha[65];
  gint64 install_id;

  g_return_val_if_fail (CA_IS_LEDGER (ledger), FALSE);
  g_return_val_if_fail (TS_IS_MODEM (modem), FALSE);
  g_return_val_if_fail (content != NULL, FALSE);

  identity = ts_store_identify (ledger, modem, NULL, notices, cancellable, error);
  if (identity == NULL)
    return FALSE;
  imei = identity->imei;

  /* The intent carries the hash of exactly the bytes that will be sent: in
   * shell mode the AT shell turns every line break into CR LF. */
  if (ts_modem_get_mode (modem) == TS_AT_MODE_SHELL)
    endings = TS_LINE_ENDINGS_CRLF;
  sent = ts_nrf91_normalise_content (content, endings);
  ts_nrf91_sha256_hex (g_bytes_get_data (sent, NULL), g_bytes_get_size (sent), sha);
  g_clear_pointer (&sent, g_bytes_unref);

  install_id = ca_ledger_install_begin (ledger, &(CaInstall) {
                                          .imei = identity->imei,
                                          .sec_tag = sec_tag,
                                          .cred_type = type,
                                          .certificate_id = type == TS_CRED_CLIENT_CERT
                                                              ? certificate_for (ledger, imei, sha, NULL)
                                                              : 0,
                                          .sha256 = sha,
                                          .port = (char *) ts_modem_get_path (modem),
                                          .host_key = type == TS_CRED_PRIVATE_KEY,
                                        }, error);
  if (install_id == 0)
    return FALSE;

  /* What the slot held goes as this is written over it. */
  replaced = ts_store_mark_removing (ledger, imei, sec_tag, type, error);
  if (replaced == NULL)
    return FALSE;

  if (!ts_modem_write_credential (modem, sec_tag, type, content, key_password, endings, flags,
                                  &confirmed, cancellable, &failure))
    {
      g_autoptr(GError) settle_error = NULL;

      if (!_ts_failure_is_definite (failure))
        add_notice (notices, _("The session ended before the modem confirmed the write. It "
                               "stays open in the ledger and is settled by listing the modem "
                               "the next time it is seen."));
      else if (!ca_ledger_install_mark (ledger, install_id, CA_INSTALL_FAILED, failure->message,
                                        &settle_error) ||
               !finish_removals (ledger, modem, sec_tag, replaced, cancellable, &settle_error))
        add_notice (notices, "%s", settle_error->message);
      g_propagate_error (error, g_steal_pointer (&failure));
      return FALSE;
    }

  /* ts_modem_write_credential() listed the entry with the hash of what was sent. */
  if (!ca_ledger_install_mark (ledger, install_id, CA_INSTALL_VERIFIED,
                               _("listed by the modem with the SHA-256 of what was sent"), error) ||
      !ts_store_mark_removed (ledger, replaced, error) ||
      !ts_store_retire_keyless (ledger, imei, notices, error))
    return FALSE;

  if (sha256 != NULL)
    *sha256 = g_steal_pointer (&confirmed);

  return TRUE;
}

gboolean
ts_store_delete (CaLedger           *ledger,
                 TsModem            *modem,
                 guint32             sec_tag,
                 int                 type,
                 TsModemWriteFlags   flags,
                 guint              *n_deleted,
                 GPtrArray          *notices,
                 GCancellable       *cancellable,
                 GError            **error)
{
  g_autoptr(TsModemIdentity) identity = NULL;
  g_autoptr(GPtrArray) installs = NULL;
  g_autoptr(GError) failure = NULL;
  const char *imei;
  const char *port;
  gboolean ok;

  g_return_val_if_fail (CA_IS_LEDGER (ledger), FALSE);
  g_return_val_if_fail (TS_IS_MODEM (modem), FALSE);

  identity = ts_store_identify (ledger, modem, NULL, notices, cancellable, error);
  if (identity == NULL)
    return FALSE;
  imei = identity->imei;
  port = ts_modem_get_path (modem);

  /* The intent: every install the deletion takes away, and the deletion itself
   * (which may concern credentials the ledger never saw written). */
  installs = ts_store_mark_removing (ledger, imei, sec_tag, type, error);
  if (installs == NULL)
    return FALSE;
  if (!ca_ledger_audit_store_change (ledger, "store.delete", imei, sec_tag, type, port, NULL, error))
    return FALSE;

  ok = ts_modem_delete_credentials (modem, sec_tag, type, flags, n_deleted, cancellable, &failure);

  /* Nobody knows what went when the link broke: the next listing settles it. */
  if (!ok && !_ts_failure_is_definite (failure))
    {
      add_notice (notices, _("The session ended before the modem confirmed the deletion. It "
                             "stays open in the ledger and is settled by listing the modem the "
                             "next time it is seen."));
      g_propagate_error (error, g_steal_pointer (&failure));
      return FALSE;
    }

  if (!ca_ledger_audit_store_change (ledger, ok ? "store.deleted" : "store.delete-failed", imei,
                                     sec_tag, type, port, ok ? NULL : failure->message, error) ||
      !finish_removals (ledger, modem, sec_tag, installs, cancellable, error) ||
      !ts_store_retire_keyless (ledger, imei, notices, error))
    return FALSE;

  if (!ok)
    g_propagate_error (error, g_steal_pointer (&failure));

  return ok;
}

#define MAX_CREDENTIAL_FILE (64 * 1024)

GBytes *
ts_store_read_credential_file (const char  *path,
                               GError     **error)
{
  gsize len = 0;
  char *data = ca_file_read_bounded (path, MAX_CREDENTIAL_FILE, &len, error);
  g_autoptr(GBytes) bytes = NULL;

  if (data == NULL)
    return NULL;
  bytes = ca_secret_bytes_new_take (data, len);
  if (memchr (data, '\0', len) != NULL || !g_utf8_validate (data, len, NULL))
    {
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                   _("%s is not a text file (it holds NUL bytes or binary data). The modem takes PEM text; convert DER with "
                     "`openssl x509 -inform der -in FILE -out FILE.pem`."), path);
      return NULL;
    }

  return g_steal_pointer (&bytes);
}

/* The subject common name of the first certificate in @pem, or NULL. */
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

/**
 * ts_store_check_credential:
 *
 * The one check of what is about to be written, typed in the window or read
 * from a file by the command line. The size limit of one %CMNG line
 * (PROTOCOL.md §6.5 item 4) is checked by ts_modem_write_credential(), which
 * knows the framing in use.
 */
gboolean
ts_store_check_credential (guint    type,
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

  text = ca_secret_dup_text (content);

  switch (type)
    {
    case TS_CRED_CA_CERT:
    case TS_CRED_CLIENT_CERT:
      if (!is_certificate_pem (content))
        {
          g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                               _("This is not a PEM certificate. Give the text from "
                                 "“-----BEGIN CERTIFICATE-----” to "
                                 "“-----END CERTIFICATE-----”."));
          return FALSE;
        }
      break;

    case TS_CRED_PRIVATE_KEY:
      if (strstr (text, "-----BEGIN ") == NULL || strstr (text, "PRIVATE KEY-----") == NULL)
        {
          g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                               _("This is not a PEM private key. Give the text from "
                                 "“-----BEGIN PRIVATE KEY-----” to its END line."));
          return FALSE;
        }
      break;

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
      break;

    case TS_CRED_PSK_IDENTITY:
      /* A file ends its one line with a line break. */
      for (gsize len = strlen (text); len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'); )
        text[--len] = '\0';
      for (const char *p = text; *p != '\0'; p++)
        if (!g_ascii_isprint (*p))
          {
            g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                                 _("A PSK identity is one line of printable text."));
            return FALSE;
          }
      break;

    default:
      break;
    }

  return TRUE;
}
