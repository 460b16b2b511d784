/* ts-provision.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-provision"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "ts-key-evidence.h"
#include "ts-provision.h"
#include "ts-provision-error.h"
#include "ts-provision-private.h"
#include "ts-provision-steps.h"
#include "ts-store.h"

/* One credential this run writes, and the install row recorded for it. */
typedef struct
{
  guint    type;
  GBytes  *content;      /* exactly the bytes sent; wiped on free for keys */
  char     sha256[65];
  gint64   install_id;
  gboolean written;
  gboolean confirmed;    /* the modem listed it with this SHA-256: verified */
} PendingWrite;

typedef struct
{
  CaLedger                 *ledger;
  TsModem                  *modem;
  const TsProvisionRequest *request;
  TsProvisionProgress       progress;
  gpointer                  progress_data;
  GCancellable             *cancellable;
  TsProvisionResult        *result;

  /* The step in flight */
  const char               *step;
  gint64                    step_start;
  guint64                   step_written;
  guint64                   step_read;

  TsModemIdentity          *identity;
  GArray                   *slot;          /* (element-type TsCredential) the sec_tag before writing */
  GPtrArray                *installs;      /* (element-type CaInstall) the IMEI's, all states */
  GPtrArray                *previous;      /* (element-type CaCertificate) what a re-key replaces */
  gboolean                  readback;      /* firmware lists no SHA-256: verify by reading back */
  gboolean                  key_present;
  int                       previous_mode;
  gboolean                  mode_changed;
  char                     *common_name;
  CaCertificate            *certificate;
  GBytes                   *host_key;      /* --host-key: the key PEM, wiped when freed */
  gint64                    key_install_id; /* the intent for the %KEYGEN key, 0 for a host key */
  gboolean                  key_made;      /* %KEYGEN answered with a key */
  GArray                   *writes;        /* (element-type PendingWrite) */
} Flow;

static void
pending_write_clear (PendingWrite *write)
{
  g_clear_pointer (&write->content, g_bytes_unref);
}

/* Closes the step in flight, adding its time and bytes to the result. */
static void
step_end (Flow *f)
{
  TsProvisionStep *step;

  if (f->step == NULL)
    return;

  step = g_new0 (TsProvisionStep, 1);
  step->name = g_strdup (f->step);
  step->duration_us = g_get_monotonic_time () - f->step_start;
  step->bytes_written = ts_modem_get_bytes_written (f->modem) - f->step_written;
  step->bytes_read = ts_modem_get_bytes_read (f->modem) - f->step_read;
  g_ptr_array_add (f->result->steps, step);
  f->step = NULL;
}

static void
step_begin (Flow              *f,
            TsProvisionStepId  id,
            const char        *format,
            ...) G_GNUC_PRINTF (3, 4);

static void
step_begin (Flow              *f,
            TsProvisionStepId  id,
            const char        *format,
            ...)
{
  const char *name = ts_provision_step_name (id);
  g_autofree char *message = NULL;
  double fraction = ts_provision_step_fraction (id);
  va_list args;

  step_end (f);
  f->step = name;
  f->step_start = g_get_monotonic_time ();
  f->step_written = ts_modem_get_bytes_written (f->modem);
  f->step_read = ts_modem_get_bytes_read (f->modem);

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_debug ("%s: %s", name, message);
  if (f->progress != NULL)
    f->progress (name, fraction, message, f->progress_data);
}

/* Tells the operator something worth knowing, through the result and progress. */
static void
notice (Flow       *f,
        const char *format,
        ...) G_GNUC_PRINTF (2, 3);

static void
notice (Flow       *f,
        const char *format,
        ...)
{
  char *message;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_ptr_array_add (f->result->notices, message);
  if (f->progress != NULL)
    f->progress (f->step != NULL ? f->step : "notice", -1, message, f->progress_data);
}

static gboolean
is_nrf9160 (const TsModemIdentity *identity)
{
  return identity->model != NULL && g_ascii_strncasecmp (identity->model, "nRF9160", 7) == 0;
}

/* nRF91x1 firmware is 2.x and can do everything; nRF9160 gained %KEYGEN in
 * 1.3.0 and SHA-256 digests in the %CMNG list in 1.3.2 (§7.1, §9.2). */
static gboolean
firmware_at_least (const TsModemIdentity *identity,
                   guint                  minor,
                   guint                  patch)
{
  const TsFirmwareVersion *v = &identity->firmware_version;

  if (!is_nrf9160 (identity) || !identity->firmware_version_known || v->ntn)
    return TRUE;
  if (v->major != 1)
    return v->major > 1;
  if (v->minor != minor)
    return v->minor > minor;
  return v->patch >= patch;
}

gboolean
_ts_firmware_can_keygen (const TsModemIdentity *identity)
{
  return firmware_at_least (identity, 3, 0);
}

gboolean
_ts_firmware_lists_sha (const TsModemIdentity *identity)
{
  return firmware_at_least (identity, 3, 2);
}

const TsCredential *
_ts_find_credential (GArray  *listing,
                     guint32  sec_tag,
                     guint    type)
{
  for (guint i = 0; listing != NULL && i < listing->len; i++)
    {
      const TsCredential *c = &g_array_index (listing, TsCredential, i);

      if (c->sec_tag == sec_tag && c->type == type)
        return c;
    }
  return NULL;
}

/**
 * _ts_slot_sha256:
 * @out: (out): 64 upper-case hex digits, or "" when the slot is empty
 *
 * What the modem holds at (@sec_tag, @type): the listed digest, or, on firmware
 * that lists none, the digest of the content read back (types 0 and 1 only;
 * keys are never readable, so for them presence is all that can be known).
 */
gboolean
_ts_slot_sha256 (TsModem       *modem,
                 GArray        *listing,
                 guint32        sec_tag,
                 guint          type,
                 char           out[65],
                 GCancellable  *cancellable,
                 GError       **error)
{
  const TsCredential *c = _ts_find_credential (listing, sec_tag, type);
  g_autoptr(GBytes) content = NULL;
  gsize len = 0;
  const guint8 *data;

  out[0] = '\0';
  if (c == NULL)
    return TRUE;
  if (c->sha256[0] != '\0')
    {
      g_strlcpy (out, c->sha256, 65);
      return TRUE;
    }
  if (type != TS_CRED_CA_CERT && type != TS_CRED_CLIENT_CERT)
    return TRUE;

  content = ts_modem_read_credential (modem, sec_tag, type, NULL, cancellable, error);
  if (content == NULL)
    return FALSE;
  data = g_bytes_get_data (content, &len);
  ts_nrf91_sha256_hex (data, len, out);

  return TRUE;
}

static gboolean
identify (Flow    *f,
          GError **error)
{
  TsProvisionResult *r = f->result;
  CaDevice device = { 0 };

  step_begin (f, TS_PROVISION_STEP_IDENTIFY, _("Identifying the modem on %s"), ts_modem_get_path (f->modem));

  f->identity = ts_modem_query_identity (f->modem, f->cancellable, error);
  if (f->identity == NULL)
    return FALSE;

  r->imei = g_strdup (f->identity->imei);
  r->device_uuid = g_strdup (f->identity->device_uuid);
  r->model = g_strdup (f->identity->model);
  r->firmware = g_strdup (f->identity->firmware);

  device.imei = f->identity->imei;
  device.uuid = f->identity->device_uuid;
  device.model = f->identity->model;
  device.firmware = f->identity->firmware;
  device.lot = f->request->lot;

  return ca_ledger_device_seen (f->ledger, &device, error);
}

/* Whatever the ledger claims about this unit (an install left open by a cut
 * session, one verified earlier, a deletion under way) is settled by what the
 * modem holds now. */
static gboolean
reconcile (Flow    *f,
           GError **error)
{
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);

  step_begin (f, TS_PROVISION_STEP_RECONCILE, _("Comparing the ledger with what the modem holds"));

  if (!ts_store_settle (f->ledger, f->modem, f->identity->imei, NULL, notices, f->cancellable,
                        error))
    return FALSE;
  for (guint i = 0; i < notices->len; i++)
    notice (f, "%s", (const char *) g_ptr_array_index (notices, i));

  return TRUE;
}

GPtrArray *
_ts_rekey_replaced (CaLedger  *ledger,
                    GPtrArray *installs,
                    guint32    sec_tag)
{
  GPtrArray *previous = g_ptr_array_new_with_free_func ((GDestroyNotify) ca_certificate_free);

  for (guint i = 0; i < installs->len; i++)
    {
      const CaInstall *install = g_ptr_array_index (installs, i);
      CaCertificate *cert;
      gboolean seen = FALSE;

      if (install->state != CA_INSTALL_VERIFIED || install->certificate_id == 0 ||
          install->sec_tag != sec_tag || install->cred_type != TS_CRED_CLIENT_CERT)
        continue;

      for (guint j = 0; j < previous->len; j++)
        seen |= ((CaCertificate *) g_ptr_array_index (previous, j))->id == install->certificate_id;
      if (seen)
        continue;

      cert = ca_ledger_get_certificate (ledger, install->certificate_id, NULL);
      if (cert != NULL && cert->status == CA_CERT_STATUS_VALID)
        g_ptr_array_add (previous, cert);
      else
        g_clear_pointer (&cert, ca_certificate_free);
    }

  return previous;
}

static gboolean
show_history (Flow    *f,
              GError **error)
{
  g_autoptr(CaDeviceHistory) history = NULL;

  step_begin (f, TS_PROVISION_STEP_HISTORY, _("History of IMEI %s"), f->identity->imei);

  history = ca_ledger_get_history (f->ledger, f->identity->imei, error);
  if (history == NULL)
    return FALSE;

  if (history->certificates->len == 0)
    notice (f, _("IMEI %s has no certificates yet."), f->identity->imei);

  for (guint i = 0; i < history->certificates->len; i++)
    {
      const CaCertificate *cert = g_ptr_array_index (history->certificates, i);
      g_autofree char *issued = ca_time_to_iso8601 (cert->issued_at);

      notice (f, _("Certificate %s from %s (%s), issued %s: %s%s"),
              cert->serial, cert->authority_name, cert->profile, issued,
              ca_cert_status_to_string (cert->status),
              cert->status == CA_CERT_STATUS_REVOKED
                ? ca_revoke_reason_to_string (cert->revoke_reason) : "");
    }

  return TRUE;
}

/* The SHA-256 of @content as this request would send it. */
static void
request_sha256 (GBytes        *content,
                TsLineEndings  endings,
                char           out[65])
{
  g_autoptr(GBytes) sent = ts_nrf91_normalise_content (content, endings);
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (sent, &len);

  ts_nrf91_sha256_hex (data, len, out);
}

/* The sec_tag already holds the certificate the ledger says is current for it.
 * When it holds it but not as this request would write it (another server CA,
 * other line endings), @error says what differs and what rewrites just that:
 * a re-key would revoke a good certificate. */
static gboolean
already_provisioned (Flow       *f,
                     const char *cert_sha,
                     GError    **error)
{
  const TsProvisionRequest *req = f->request;
  g_autoptr(GPtrArray) valid = NULL;
  g_autoptr(GString) differs = g_string_new (NULL);
  g_autoptr(GString) cli_hint = g_string_new (NULL);
  const char *port = ts_modem_get_path (f->modem);
  CaCertificate *current = NULL;
  char held[65];

  if (cert_sha[0] == '\0' || !f->key_present)
    return FALSE;

  valid = ca_ledger_list_certificates (f->ledger, f->identity->imei, TRUE, error);
  if (valid == NULL)
    return FALSE;

  for (guint i = 0; current == NULL && i < valid->len; i++)
    {
      CaCertificate *cert = g_ptr_array_index (valid, i);

      if (g_ascii_strcasecmp (cert_sha, cert->sha256_lf) != 0 &&
          g_ascii_strcasecmp (cert_sha, cert->sha256_crlf) != 0)
        continue;
      if (cert->status != CA_CERT_STATUS_VALID ||
          g_strcmp0 (cert->authority_name, req->authority) != 0 ||
          g_strcmp0 (cert->profile, req->profile) != 0)
        continue;

      for (guint j = 0; j < f->installs->len; j++)
        {
          const CaInstall *install = g_ptr_array_index (f->installs, j);

          if (install->certificate_id == cert->id && install->state == CA_INSTALL_VERIFIED &&
              install->sec_tag == req->sec_tag)
            current = cert;
        }
    }
  if (current == NULL)
    return FALSE;

  if (req->server_ca != NULL)
    {
      char want[65];

      request_sha256 (req->server_ca, req->endings, want);
      if (!_ts_slot_sha256 (f->modem, f->slot, req->sec_tag, TS_CRED_CA_CERT, held,
                            f->cancellable, error))
        return FALSE;
      if (g_ascii_strcasecmp (held, want) != 0)
        {
          g_string_append_printf (differs,
                                  _("\n- The server CA certificate differs: sec_tag %u holds %s, "
                                    "%s hashes to %.16s… as sent. Rewrite just it."),
                                  req->sec_tag, held[0] != '\0' ? held : _("none"),
                                  req->server_ca_label != NULL ? req->server_ca_label
                                                               : _("the server CA"),
                                  want);
          g_string_append_printf (cli_hint,
                                  _("\n`tagsmith creds write --port %s --sec-tag %u --type ca "
                                    "--file FILE --line-endings %s` rewrites the server CA."),
                                  port, req->sec_tag, ts_line_endings_to_string (req->endings));
        }
    }

  if (req->endings != TS_LINE_ENDINGS_KEEP)
    {
      const char *want = req->endings == TS_LINE_ENDINGS_CRLF ? current->sha256_crlf
                                                               : current->sha256_lf;

      if (g_ascii_strcasecmp (cert_sha, want) != 0)
        {
          g_string_append_printf (differs,
                                  _("\n- The client certificate was written with other line "
                                    "endings (%s wanted). Rewrite just it."),
                                  ts_line_endings_to_string (req->endings));
          g_string_append_printf (cli_hint,
                                  _("\n`tagsmith creds read --port %s --sec-tag %u --type cert "
                                    "--out cert.pem` and `tagsmith creds write --port %s --sec-tag %u "
                                    "--type cert --file cert.pem --line-endings %s` rewrite the "
                                    "client certificate."),
                                  port, req->sec_tag, port, req->sec_tag,
                                  ts_line_endings_to_string (req->endings));
        }
    }

  if (differs->len > 0)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_OCCUPIED,
                   _("sec_tag %u already holds certificate %s, the current one for IMEI %s, "
                     "with its key, but not as this run would write it:%s\nThe certificate "
                     "itself is good: no re-key is needed, and none should revoke it."),
                   req->sec_tag, current->serial, f->identity->imei, differs->str);
      ca_error_add_cli_hint (error, _("these commands rewrite just what differs:%s"), cli_hint->str);
      return FALSE;
    }

  f->result->outcome = TS_PROVISION_ALREADY_PROVISIONED;
  f->result->serial = g_strdup (current->serial);
  f->result->sha256 = g_ascii_strup (cert_sha, -1);
  f->result->subject = g_strdup (current->subject);
  f->result->not_after = current->not_after;
  f->result->host_key = current->host_key;
  return TRUE;
}

static gboolean
check (Flow    *f,
       GError **error)
{
  const TsProvisionRequest *req = f->request;
  g_autoptr(CaAuthority) authority = NULL;
  const CaProfile *profile;
  char cert_sha[65];

  step_begin (f, TS_PROVISION_STEP_CHECK, _("Checking the modem, the CA and sec_tag %u"), req->sec_tag);

  if (!ts_sec_tag_check_writable (req->sec_tag, error))
    return FALSE;

  authority = ca_ledger_get_authority (f->ledger, req->authority, error);
  if (authority == NULL)
    return FALSE;
  if (!ca_ledger_is_unlocked (f->ledger))
    {
      g_set_error (error, CA_ERROR, CA_ERROR_LOCKED,
                   _("The CA keys are locked. Unlock them with the workspace passphrase first."));
      return FALSE;
    }

  profile = ca_profile_lookup (req->profile);
  if (profile == NULL)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("There is no profile named “%s”. Use generic, lwm2m, nrfcloud, "
                     "nrfcloud-uuid, azure or aws."), req->profile);
      return FALSE;
    }
  /* Naming rules (length, case, UUID present) are checked before the modem is touched. */
  f->common_name = ca_profile_render_cn (profile, f->identity->imei, f->identity->device_uuid,
                                         error);
  if (f->common_name == NULL)
    return FALSE;

  if (!req->host_key && !_ts_firmware_can_keygen (f->identity))
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_NOT_SUPPORTED,
                   _("The modem firmware (%s) is older than 1.3.0 and cannot generate a key. "
                     "Update the modem firmware, or provision again with the key generated on "
                     "this computer and written to the modem."),
                   f->identity->firmware);
      ca_error_add_cli_hint (error, _("--host-key generates the key on this computer."));
      return FALSE;
    }
  f->readback = !_ts_firmware_lists_sha (f->identity);
  if (f->readback)
    notice (f, _("The modem firmware (%s) lists no SHA-256 digests before 1.3.2, so the "
                 "certificates will be verified by reading them back."),
            f->identity->firmware);

  f->installs = ca_ledger_list_installs (f->ledger, f->identity->imei, FALSE, error);
  if (f->installs == NULL)
    return FALSE;

  f->slot = ts_modem_list_credentials (f->modem, req->sec_tag, -1, f->cancellable, error);
  if (f->slot == NULL)
    return FALSE;

  f->key_present = _ts_find_credential (f->slot, req->sec_tag, TS_CRED_PRIVATE_KEY) != NULL;
  if (!_ts_slot_sha256 (f->modem, f->slot, req->sec_tag, TS_CRED_CLIENT_CERT, cert_sha,
                        f->cancellable, error))
    return FALSE;

  if (req->rekey)
    {
      f->previous = _ts_rekey_replaced (f->ledger, f->installs, req->sec_tag);
      return TRUE;
    }

  if (!req->force)
    {
      g_autoptr(GError) local_error = NULL;

      if (already_provisioned (f, cert_sha, &local_error))
        return TRUE;
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }

      /* A key with no certificate beside it is what an interrupted run leaves
       * behind; a key with a certificate is someone's working credential. */
      if (f->key_present && cert_sha[0] != '\0')
        {
          g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_OCCUPIED,
                       _("sec_tag %u already holds a private key and a client certificate "
                         "(SHA-256 %.16s…) that are not this CA's current certificate for "
                         "IMEI %s. Re-key the device to replace and revoke them, overwrite them, "
                         "or choose another sec_tag."),
                       req->sec_tag, cert_sha, f->identity->imei);
          ca_error_add_cli_hint (error, _("`tagsmith rekey` replaces them, --force overwrites "
                                          "them and --sec-tag chooses another."));
          return FALSE;
        }
      if (f->key_present)
        notice (f, _("sec_tag %u holds a private key without a certificate, left by an "
                     "interrupted session; it will be replaced."), req->sec_tag);
    }

  return TRUE;
}

static gboolean
go_offline (Flow    *f,
            GError **error)
{
  step_begin (f, TS_PROVISION_STEP_OFFLINE, _("Switching the modem offline (+CFUN=4)"));

  if (!ts_modem_get_functional_mode (f->modem, &f->previous_mode, f->cancellable, error))
    return FALSE;
  if (!ts_nrf91_cfun_is_lte_active (f->previous_mode))
    return TRUE;
  if (!ts_modem_set_functional_mode (f->modem, 4, f->cancellable, error))
    return FALSE;
  f->mode_changed = TRUE;

  return TRUE;
}

static void
add_write (Flow    *f,
           guint    type,
           GBytes  *content)
{
  PendingWrite write = { 0 };
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (content, &len);

  write.type = type;
  write.content = content;
  ts_nrf91_sha256_hex (data, len, write.sha256);
  g_array_append_val (f->writes, write);
}

/* The old client certificate goes with the old key: if the session ends before
 * the new certificate is written, the sec_tag must not pair a new key with a
 * certificate the ledger still calls current (the next run would take it for
 * "already provisioned"). A lone key is what the next run knows to replace. */
static gboolean
delete_old_key (Flow    *f,
                GError **error)
{
  guint32 sec_tag = f->request->sec_tag;
  g_autoptr(GPtrArray) removing = NULL;

  if (_ts_find_credential (f->slot, sec_tag, TS_CRED_CLIENT_CERT) != NULL)
    {
      removing = ts_store_mark_removing (f->ledger, f->identity->imei, sec_tag,
                                         TS_CRED_CLIENT_CERT, error);
      if (removing == NULL ||
          !ts_modem_delete_credentials (f->modem, sec_tag, TS_CRED_CLIENT_CERT,
                                        TS_MODEM_WRITE_STAY_OFFLINE, NULL, f->cancellable, error) ||
          !ts_store_mark_removed (f->ledger, removing, error))
        return FALSE;
      g_clear_pointer (&removing, g_ptr_array_unref);
    }

  if (!f->key_present)
    return TRUE;

  removing = ts_store_mark_removing (f->ledger, f->identity->imei, sec_tag, TS_CRED_PRIVATE_KEY,
                                     error);

  return removing != NULL &&
         ts_modem_delete_credentials (f->modem, sec_tag, TS_CRED_PRIVATE_KEY,
                                      TS_MODEM_WRITE_STAY_OFFLINE, NULL, f->cancellable, error) &&
         ts_store_mark_removed (f->ledger, removing, error);
}

static gboolean record_intents (Flow    *f,
                                GError **error);

/* The certificate for the key @keygen made on the modem, or (both NULL) for a
 * key made here. */
typedef struct
{
  Flow           *f;
  TsKeygenResult *keygen;
  CaCsr          *csr;
} Issuing;

static gboolean
issue_and_record_intents (CaLedger  *ledger,
                          gpointer   data,
                          GError   **error)
{
  Issuing *issuing = data;
  Flow *f = issuing->f;
  const TsProvisionRequest *req = f->request;
  CaIssueRequest issue = {
    .authority = req->authority,
    .imei = f->identity->imei,
    .profile = req->profile,
    .uuid = f->identity->device_uuid,
    .days = req->days,
  };

  if (issuing->csr != NULL)
    {
      f->certificate = ca_ledger_issue (ledger, &issue, issuing->csr, error);
      if (f->certificate == NULL || !ts_key_evidence_record (ledger, f->certificate, issuing->keygen, error))
        return FALSE;
    }
  else
    {
      char *key_pem = NULL;

      f->certificate = ca_ledger_issue_with_new_key (ledger, &issue, CA_KEY_EC_P256, &key_pem, error);
      if (f->certificate == NULL)
        return FALSE;
      /* The key is written exactly as generated (LF endings), so the only copies
       * are this buffer, which wipes itself when dropped, and the modem's. */
      f->host_key = ca_secret_bytes_new_take (key_pem, strlen (key_pem));
    }

  return record_intents (f, error);
}

/* The certificate (with its key evidence) and the intent for every credential
 * commit together, before the first write: a failure or a crash leaves none of
 * them, and the key's install open for the next session to settle. */
static gboolean
issue_in_one_transaction (Flow     *f,
                          Issuing  *issuing,
                          GError  **error)
{
  step_begin (f, TS_PROVISION_STEP_ISSUE, _("Signing the certificate for %s with %s"),
              f->common_name, f->request->authority);

  if (ca_ledger_run_in_transaction (f->ledger, issue_and_record_intents, issuing, error))
    return TRUE;
  g_clear_pointer (&f->certificate, ca_certificate_free);
  g_clear_pointer (&f->host_key, g_bytes_unref);
  g_array_set_size (f->writes, 0);

  return FALSE;
}

/* %KEYGEN, the CSR checks, and the certificate. */
static gboolean
keygen_and_issue (Flow    *f,
                  GError **error)
{
  const TsProvisionRequest *req = f->request;
  g_autoptr(TsKeygenResult) keygen = NULL;
  g_autoptr(CaCsr) csr = NULL;
  g_autofree char *attributes = NULL;
  gsize len = 0;
  const guint8 *der;

  step_begin (f, TS_PROVISION_STEP_KEYGEN, _("Generating the key on the modem in sec_tag %u"), req->sec_tag);

  /* Recorded before the old key is deleted and a new one made: from here on
   * the modem may change, and its hash cannot be known until it exists. */
  f->key_install_id = ca_ledger_install_begin (f->ledger, &(CaInstall) {
                                                 .imei = f->identity->imei,
                                                 .sec_tag = req->sec_tag,
                                                 .cred_type = TS_CRED_PRIVATE_KEY,
                                                 .port = (char *) ts_modem_get_path (f->modem),
                                               }, error);
  if (f->key_install_id == 0 || !delete_old_key (f, error))
    return FALSE;

  attributes = g_strdup_printf ("CN=%s", f->common_name);
  keygen = ts_modem_keygen (f->modem, req->sec_tag, attributes, TS_MODEM_WRITE_STAY_OFFLINE,
                            f->cancellable, error);
  if (keygen == NULL)
    return FALSE;
  f->key_made = TRUE;
  if (!ca_ledger_install_mark (f->ledger, f->key_install_id, CA_INSTALL_WRITTEN,
                               _("modem-generated key"), error))
    return FALSE;

  /* ts_modem_keygen() checked the COSE digest, sec_tag and UUID; ca_csr_parse()
   * checks the CSR's signature and key type. */
  if (keygen->payload_id != TS_KEYGEN_PAYLOAD_CSR)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_VERIFY_FAILED,
                   _("The modem answered %%KEYGEN with a public key instead of a CSR. "
                     "Check the modem firmware."));
      return FALSE;
    }
  der = g_bytes_get_data (keygen->body, &len);
  csr = ca_csr_parse (der, len, error);

  return csr != NULL && issue_in_one_transaction (f, &(Issuing) { f, keygen, csr }, error);
}

/* --host-key: the key is made here, issued for, written as type 2 and wiped. */
static gboolean
issue_host_key (Flow    *f,
                GError **error)
{
  step_begin (f, TS_PROVISION_STEP_HOST_KEY, _("Generating the key on this computer"));

  return delete_old_key (f, error) && issue_in_one_transaction (f, &(Issuing) { f }, error);
}

/* The intent for every credential goes into the ledger before the first write. */
static gboolean
record_intents (Flow    *f,
                GError **error)
{
  const TsProvisionRequest *req = f->request;
  g_autoptr(GBytes) pem = NULL;

  /* The order on the wire is server CA, client certificate, key (§9.2). */
  if (req->server_ca != NULL)
    add_write (f, TS_CRED_CA_CERT, ts_nrf91_normalise_content (req->server_ca, req->endings));

  pem = g_bytes_new (f->certificate->pem, strlen (f->certificate->pem));
  add_write (f, TS_CRED_CLIENT_CERT, ts_nrf91_normalise_content (pem, req->endings));

  if (f->host_key != NULL)
    add_write (f, TS_CRED_PRIVATE_KEY, g_steal_pointer (&f->host_key));

  for (guint i = 0; i < f->writes->len; i++)
    {
      PendingWrite *write = &g_array_index (f->writes, PendingWrite, i);
      CaInstall install = {
        .imei = f->identity->imei,
        .sec_tag = req->sec_tag,
        .cred_type = write->type,
        .certificate_id = write->type == TS_CRED_CA_CERT ? 0 : f->certificate->id,
        .sha256 = write->sha256,
        .port = (char *) ts_modem_get_path (f->modem),
        .host_key = req->host_key,
      };

      write->install_id = ca_ledger_install_begin (f->ledger, &install, error);
      if (write->install_id == 0)
        return FALSE;
    }

  return TRUE;
}

static gboolean
write_credentials (Flow    *f,
                   GError **error)
{
  for (guint i = 0; i < f->writes->len; i++)
    {
      PendingWrite *write = &g_array_index (f->writes, PendingWrite, i);
      g_autofree char *sent_sha = NULL;

      g_autoptr(GPtrArray) replaced = NULL;

      step_begin (f, ts_provision_step_for_credential (write->type), _("Writing the %s to sec_tag %u"),
                  ts_cred_type_describe (write->type), f->request->sec_tag);

      /* What the slot held goes as this is written over it. */
      replaced = ts_store_mark_removing (f->ledger, f->identity->imei, f->request->sec_tag,
                                         write->type, error);
      if (replaced == NULL ||
          !ts_modem_write_credential (f->modem, f->request->sec_tag, write->type, write->content,
                                      NULL, TS_LINE_ENDINGS_KEEP, TS_MODEM_WRITE_STAY_OFFLINE,
                                      &sent_sha, f->cancellable, error))
        return FALSE;
      write->written = TRUE;
      if (!ts_store_mark_removed (f->ledger, replaced, error))
        return FALSE;

      /* A key is in the modem now; this was the last copy outside it. */
      if (write->type == TS_CRED_PRIVATE_KEY)
        g_clear_pointer (&write->content, g_bytes_unref);

      if (sent_sha != NULL && g_ascii_strcasecmp (sent_sha, write->sha256) != 0)
        {
          g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_VERIFY_FAILED,
                       _("The %s sent to the modem hashes to %s, not the %s recorded "
                         "in the ledger. Nothing was marked as installed; run provision again."),
                       ts_cred_type_describe (write->type), sent_sha, write->sha256);
          return FALSE;
        }

      /* Where the modem lists digests, ts_modem_write_credential() saw this
       * one listed with the hash of what was sent: it is verified now, and
       * stays so whatever happens to the writes after it. */
      write->confirmed = !f->readback && sent_sha != NULL;
      if (!ca_ledger_install_mark (f->ledger, write->install_id,
                                   write->confirmed ? CA_INSTALL_VERIFIED : CA_INSTALL_WRITTEN,
                                   write->confirmed ? _("listed by the modem with the SHA-256 of "
                                                        "what was sent") : NULL,
                                   error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
verify (Flow    *f,
        GError **error)
{
  guint32 sec_tag = f->request->sec_tag;
  g_autoptr(GArray) listing = NULL;
  guint read_back = 0;

  step_begin (f, TS_PROVISION_STEP_VERIFY,
              f->readback ? _("Reading sec_tag %u back to compare it with what was sent")
                          : _("Listing sec_tag %u to compare SHA-256 with what was sent"),
              sec_tag);

  listing = ts_modem_list_credentials (f->modem, sec_tag, -1, f->cancellable, error);
  if (listing == NULL)
    return FALSE;

  if (_ts_find_credential (listing, sec_tag, TS_CRED_PRIVATE_KEY) == NULL)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_VERIFY_FAILED,
                   _("sec_tag %u lists no private key after provisioning. The modem may have "
                     "rebooted or refused the key; run provision again."), sec_tag);
      return FALSE;
    }

  for (guint i = 0; i < f->writes->len; i++)
    {
      const PendingWrite *write = &g_array_index (f->writes, PendingWrite, i);
      char held[65];

      /* Keys are never readable; a host key on old firmware is checked for presence. */
      if (write->type == TS_CRED_PRIVATE_KEY && f->readback)
        continue;

      /* Firmware before 1.3.2 gives no digest to trust: the certificate is read
       * back and its bytes hashed, whatever the listing shows. */
      if (f->readback)
        {
          g_autoptr(GBytes) content = ts_modem_read_credential (f->modem, sec_tag, write->type, NULL,
                                                                f->cancellable, error);
          gsize len = 0;
          const guint8 *data;

          if (content == NULL)
            return FALSE;
          data = g_bytes_get_data (content, &len);
          ts_nrf91_sha256_hex (data, len, held);
          read_back++;
        }
      else if (!_ts_slot_sha256 (f->modem, listing, sec_tag, write->type, held, f->cancellable, error))
        return FALSE;

      if (g_ascii_strcasecmp (held, write->sha256) != 0)
        {
          g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_VERIFY_FAILED,
                       _("The modem holds %s for the %s in sec_tag %u, but Tagsmith sent %s. "
                         "Another program may be writing to the modem at the same time; close "
                         "it and provision the device again, overwriting what it holds."),
                       held[0] != '\0' ? held : _("nothing"), ts_cred_type_describe (write->type),
                       sec_tag, write->sha256);
          ca_error_add_cli_hint (error, _("run provision again with --force."));
          return FALSE;
        }
    }

  /* Claimed only for what was really read back. */
  f->result->verified_by_readback = read_back > 0;

  return TRUE;
}

static gboolean
restore_mode (Flow    *f,
              GError **error)
{
  if (!f->mode_changed)
    return TRUE;

  step_begin (f, TS_PROVISION_STEP_RESTORE, _("Switching the modem back to +CFUN=%d"), f->previous_mode);
  f->mode_changed = FALSE;

  /* Not cancellable: a cancelled run must still leave the modem as it was. The
   * mode is read back because after an interrupted command a late final result
   * can answer the switch while the modem, still busy, ignored it (§2.1). */
  for (guint attempt = 0; attempt < 3; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      int mode = -1;

      if (ts_modem_set_functional_mode (f->modem, f->previous_mode, NULL, &local_error) &&
          ts_modem_get_functional_mode (f->modem, &mode, NULL, &local_error) &&
          mode == f->previous_mode)
        return TRUE;

      /* A link that is gone stays gone; anything else is worth another try. */
      if (g_error_matches (local_error, TS_MODEM_ERROR, TS_MODEM_ERROR_DISCONNECTED))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      _("The modem may be left offline (+CFUN=4): "));
          return FALSE;
        }
    }

  g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_VERIFY_FAILED,
               _("The modem stays offline (+CFUN=4) although it was switched back to +CFUN=%d "
                 "three times. Send AT+CFUN=%d from a terminal, or power-cycle the kit."),
               f->previous_mode, f->previous_mode);
  return FALSE;
}

static gboolean
record_verified (Flow    *f,
                 GError **error)
{
  TsProvisionResult *r = f->result;

  step_begin (f, TS_PROVISION_STEP_RECORD, _("Recording the verified install"));

  /* verify() saw the key listed in the sec_tag. */
  if (f->key_install_id != 0 &&
      !ca_ledger_install_mark (f->ledger, f->key_install_id, CA_INSTALL_VERIFIED, NULL, error))
    return FALSE;

  for (guint i = 0; i < f->writes->len; i++)
    {
      const PendingWrite *write = &g_array_index (f->writes, PendingWrite, i);

      if (!write->confirmed &&
          !ca_ledger_install_mark (f->ledger, write->install_id, CA_INSTALL_VERIFIED, NULL, error))
        return FALSE;
      if (write->type == TS_CRED_CLIENT_CERT)
        r->sha256 = g_strdup (write->sha256);
    }

  r->outcome = TS_PROVISION_PROVISIONED;
  r->serial = g_strdup (f->certificate->serial);
  r->subject = g_strdup (f->certificate->subject);
  r->not_after = f->certificate->not_after;
  r->host_key = f->request->host_key;

  return TRUE;
}

/* `crl/` beside a ledger file; a server ledger has no folder, so its CRLs go
 * where a ledger file lives by default, in this user's data folder. */
static char *
default_crl_dir (CaLedger *ledger)
{
  const char *location = ca_ledger_get_path (ledger);
  g_autofree char *dir = NULL;

  if (ca_ledger_location_is_server (location))
    return g_build_filename (g_get_user_data_dir (), "tagsmith", "crl", NULL);
  dir = g_path_get_dirname (location);

  return g_build_filename (dir, "crl", NULL);
}

char *
_ts_crl_publish (CaLedger    *ledger,
                 const char  *authority,
                 const char  *crl_dir,
                 GError     **error)
{
  g_autofree char *dir = crl_dir != NULL ? g_strdup (crl_dir) : default_crl_dir (ledger);
  g_autofree char *file = g_strdup_printf ("%s.crl.pem", authority);
  g_autofree char *path = NULL;
  g_autoptr(GBytes) crl = NULL;
  gsize len = 0;
  const char *data;

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create the CRL folder %s: %s"), dir, g_strerror (saved));
      return NULL;
    }

  g_strdelimit (file, G_DIR_SEPARATOR_S, '_');
  path = g_build_filename (dir, file, NULL);
  crl = ca_ledger_generate_crl (ledger, authority, 0, FALSE, error);
  if (crl == NULL)
    return NULL;
  data = g_bytes_get_data (crl, &len);
  if (!g_file_set_contents (path, data, len, error))
    return NULL;

  return g_steal_pointer (&path);
}

/* Re-key: the certificates the new one replaces are revoked, then each
 * affected CA's CRL is published again. */
static gboolean
revoke_previous (Flow    *f,
                 GError **error)
{
  const TsProvisionRequest *req = f->request;
  g_autoptr(GPtrArray) authorities = g_ptr_array_new_with_free_func (g_free);

  step_begin (f, TS_PROVISION_STEP_REVOKE,
              ngettext ("Revoking %u previous certificate (%s)",
                        "Revoking %u previous certificates (%s)", f->previous->len),
              f->previous->len, ca_revoke_reason_to_string (req->reason));

  for (guint i = 0; i < f->previous->len; i++)
    {
      const CaCertificate *old = g_ptr_array_index (f->previous, i);
      g_autoptr(GPtrArray) revoked = NULL;
      g_autoptr(GError) local_error = NULL;
      CaRevokeRequest revoke = {
        .authority = old->authority_name,
        .serial = old->serial,
        .sec_tag = -1,
        .reason = req->reason,
      };

      if (old->id == f->certificate->id)
        continue;

      revoked = ca_ledger_revoke (f->ledger, &revoke, &local_error);
      if (revoked == NULL && !g_error_matches (local_error, CA_ERROR, CA_ERROR_ALREADY_REVOKED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (revoked != NULL)
        g_ptr_array_add (f->result->revoked, g_strdup (old->serial));
      if (!g_ptr_array_find_with_equal_func (authorities, old->authority_name, g_str_equal, NULL))
        g_ptr_array_add (authorities, g_strdup (old->authority_name));
    }

  if (!g_ptr_array_find_with_equal_func (authorities, req->authority, g_str_equal, NULL))
    g_ptr_array_add (authorities, g_strdup (req->authority));

  step_begin (f, TS_PROVISION_STEP_CRL, _("Publishing the CRL"));

  for (guint i = 0; i < authorities->len; i++)
    {
      g_autoptr(GError) local_error = NULL;
      char *path = _ts_crl_publish (f->ledger, g_ptr_array_index (authorities, i), req->crl_dir, &local_error);

      if (path == NULL)
        {
          /* The revocations are in the ledger already: a failed write says how to finish. */
          if (local_error->domain == G_FILE_ERROR)
            {
              g_prefix_error (&local_error, _("The certificates are revoked, but the CRL could not "
                                              "be saved; publish it again once the folder is "
                                              "writable: "));
              ca_error_add_cli_hint (&local_error, _("`tagsmith crl` publishes it."));
            }
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_ptr_array_add (f->result->crl_paths, path);
    }

  return TRUE;
}

gboolean
_ts_failure_is_definite (const GError *failure)
{
  return failure->domain == TS_CME_ERROR ||
         g_error_matches (failure, TS_MODEM_ERROR, TS_MODEM_ERROR_AT_ERROR) ||
         g_error_matches (failure, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT) ||
         g_error_matches (failure, TS_MODEM_ERROR, TS_MODEM_ERROR_VERIFY_FAILED) ||
         failure->domain == TS_PROVISION_ERROR;
}

/* After a failure. When the link broke (cable, reboot, cancel, timeout) nobody
 * knows what the modem got, so the installs stay open and the next session
 * settles them. When the modem answered (a refusal, a failed check), what it
 * never got ends as failed (a refused %KEYGEN too), what it confirmed stays
 * verified, and the rest is settled by listing it now. */
static void
settle_failed (Flow         *f,
               const GError *failure)
{
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  if (f->identity == NULL)
    return;

  if (!_ts_failure_is_definite (failure))
    {
      if (f->key_install_id != 0 || f->writes->len > 0)
        notice (f, _("The session ended before the modem confirmed the credentials. The "
                     "install stays open in the ledger and is settled by listing the modem "
                     "the next time IMEI %s is seen."), f->result->imei);
      return;
    }

  if (f->key_install_id != 0 && !f->key_made)
    ok = ca_ledger_install_mark (f->ledger, f->key_install_id, CA_INSTALL_FAILED,
                                 failure->message, &error);

  for (guint i = 0; ok && i < f->writes->len; i++)
    {
      const PendingWrite *write = &g_array_index (f->writes, PendingWrite, i);

      if (write->install_id != 0 && !write->written)
        ok = ca_ledger_install_mark (f->ledger, write->install_id, CA_INSTALL_FAILED,
                                     failure->message, &error);
    }

  if (ok)
    ok = ts_store_settle (f->ledger, f->modem, f->identity->imei, NULL, notices, NULL, &error);
  for (guint i = 0; i < notices->len; i++)
    notice (f, "%s", (const char *) g_ptr_array_index (notices, i));
  if (!ok)
    notice (f, _("The ledger could not be brought in line with the modem (%s); it is settled "
                 "the next time IMEI %s is seen."), error->message, f->result->imei);
}

/* A certificate whose key this run took off the modem is superseded by the new one. */
static gboolean
retire_keyless (Flow    *f,
                GError **error)
{
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);

  if (!ts_store_retire_keyless (f->ledger, f->identity->imei, notices, error))
    return FALSE;
  for (guint i = 0; i < notices->len; i++)
    notice (f, "%s", (const char *) g_ptr_array_index (notices, i));

  return TRUE;
}

static gboolean
run_flow (Flow    *f,
          GError **error)
{
  const TsProvisionRequest *req = f->request;

  if (!identify (f, error) || !reconcile (f, error))
    return FALSE;
  if (req->rekey && !show_history (f, error))
    return FALSE;
  if (!check (f, error))
    return FALSE;
  if (f->result->outcome == TS_PROVISION_ALREADY_PROVISIONED)
    {
      notice (f, _("sec_tag %u already holds certificate %s, the current one for IMEI %s. "
                   "Nothing was changed; pass --force to provision again."),
              req->sec_tag, f->result->serial, f->identity->imei);
      return TRUE;
    }

  if (!go_offline (f, error))
    return FALSE;
  if (req->host_key ? !issue_host_key (f, error) : !keygen_and_issue (f, error))
    return FALSE;
  if (!write_credentials (f, error) || !verify (f, error))
    return FALSE;
  if (!restore_mode (f, error) || !record_verified (f, error))
    return FALSE;
  if (req->rekey && !revoke_previous (f, error))
    return FALSE;

  return retire_keyless (f, error);
}

/**
 * ts_provision_run:
 * @ledger: an unlocked ledger
 * @modem: an open modem
 * @progress: (nullable) (scope call): told about each step, on this thread
 * @error: set when the flow failed
 *
 * Provisions (or re-keys) the sec_tag of @request on @modem. The modem is put
 * back in its previous functional mode whatever happens.
 *
 * Returns: (transfer full): the result, also when the flow failed: its steps
 *   and notices say how far it got, and its @error field repeats @error.
 */
TsProvisionResult *
ts_provision_run (CaLedger                  *ledger,
                  TsModem                   *modem,
                  const TsProvisionRequest  *request,
                  TsProvisionProgress        progress,
                  gpointer                   user_data,
                  GCancellable              *cancellable,
                  GError                   **error)
{
  g_autoptr(GError) local_error = NULL;
  Flow f = {
    .ledger = ledger,
    .modem = modem,
    .request = request,
    .progress = progress,
    .progress_data = user_data,
    .cancellable = cancellable,
  };
  gint64 start = g_get_monotonic_time ();
  guint64 written = ts_modem_get_bytes_written (modem);
  guint64 read = ts_modem_get_bytes_read (modem);
  gboolean ok;

  g_return_val_if_fail (CA_IS_LEDGER (ledger), NULL);
  g_return_val_if_fail (TS_IS_MODEM (modem), NULL);
  g_return_val_if_fail (request != NULL && request->authority != NULL, NULL);

  f.result = _ts_provision_result_new (request, ts_modem_get_path (modem));
  f.writes = g_array_new (FALSE, TRUE, sizeof (PendingWrite));
  g_array_set_clear_func (f.writes, (GDestroyNotify) pending_write_clear);

  ok = run_flow (&f, &local_error);

  if (!ok)
    {
      g_autoptr(GError) restore_error = NULL;

      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_clear_error (&local_error);
          g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                       _("Provisioning was interrupted during “%s”. Nothing was recorded as "
                         "installed; run it again to finish, and an install in flight is "
                         "settled then."), f.step != NULL ? f.step : ts_provision_step_name (TS_PROVISION_STEP_IDENTIFY));
        }
      g_debug ("failed: %s", local_error->message);
      settle_failed (&f, local_error);
      /* The first error is what the operator must act on. */
      if (!restore_mode (&f, &restore_error))
        notice (&f, "%s", restore_error->message);
    }
  step_end (&f);

  f.result->duration_us = g_get_monotonic_time () - start;
  f.result->bytes_written = ts_modem_get_bytes_written (modem) - written;
  f.result->bytes_read = ts_modem_get_bytes_read (modem) - read;

  g_clear_pointer (&f.identity, ts_modem_identity_free);
  g_clear_pointer (&f.slot, g_array_unref);
  g_clear_pointer (&f.installs, g_ptr_array_unref);
  g_clear_pointer (&f.previous, g_ptr_array_unref);
  g_clear_pointer (&f.common_name, g_free);
  g_clear_pointer (&f.certificate, ca_certificate_free);
  g_clear_pointer (&f.host_key, g_bytes_unref);
  g_clear_pointer (&f.writes, g_array_unref);

  if (!ok)
    {
      f.result->error = g_error_copy (local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
    }

  return f.result;
}
