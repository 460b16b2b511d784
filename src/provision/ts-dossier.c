/* ts-dossier.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-dossier"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ts-dossier.h"
#include "ts-dossier-private.h"
#include "ts-modem.h"
#include "ts-nrf91.h"
#include "ts-provision-error.h"
#include "ts-provision-private.h"

#define CRED_CA_CERT     0
#define CRED_CLIENT_CERT 1
#define CRED_PRIVATE_KEY 2

typedef struct
{
  CaLedger         *ledger;
  const char       *lot;
  char             *signer_ca;
  char             *dir;          /* the folder being written, renamed into place at the end */
  GPtrArray        *histories;    /* (element-type CaDeviceHistory) the lot's units, by IMEI */
  GPtrArray        *files;        /* (element-type utf8) relative paths written so far */
  GPtrArray        *chain;        /* (element-type CaAuthority) issuing CA first, root last */
} Dossier;

static void
dossier_clear (Dossier *d)
{
  g_clear_pointer (&d->signer_ca, g_free);
  g_clear_pointer (&d->dir, g_free);
  g_clear_pointer (&d->histories, g_ptr_array_unref);
  g_clear_pointer (&d->files, g_ptr_array_unref);
  g_clear_pointer (&d->chain, g_ptr_array_unref);
}

static void
add_string (JsonBuilder *builder,
            const char  *member,
            const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_int (JsonBuilder *builder,
         const char  *member,
         gint64       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

static void
add_time (JsonBuilder *builder,
          const char  *member,
          gint64       unix_time)
{
  g_autofree char *text = unix_time > 0 ? ca_time_to_iso8601 (unix_time) : NULL;

  add_string (builder, member, text);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* A name that is safe as one path component. */
static char *
file_component (const char *name)
{
  char *safe = g_strdup (name);

  for (char *p = safe; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      *p = '_';
  if (safe[0] == '.')
    safe[0] = '_';

  return safe;
}

static gboolean
write_file (Dossier     *d,
            const char  *relative,
            const void  *data,
            gsize        length,
            GError     **error)
{
  g_autofree char *path = g_build_filename (d->dir, relative, NULL);
  g_autofree char *parent = g_path_get_dirname (path);

  if (g_mkdir_with_parents (parent, 0755) != 0 ||
      !g_file_set_contents_full (path, data, (gssize) length, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                     _("Could not create the folder %s: %s."), parent, g_strerror (errno));
      return FALSE;
    }

  g_ptr_array_add (d->files, g_strdup (relative));

  return TRUE;
}

static char *
hex_upper (const guint8 *data,
           gsize         length)
{
  GString *hex = g_string_sized_new (length * 2);

  for (gsize i = 0; i < length; i++)
    g_string_append_printf (hex, "%02X", data[i]);

  return g_string_free (hex, FALSE);
}

/* The SHA-256 fingerprint of the certificate (its DER, as `openssl x509
 * -fingerprint -sha256` shows it) and of its SubjectPublicKeyInfo. */
static gboolean
certificate_digests (const char  *pem,
                     char       **out_fingerprint,
                     char       **out_spki)
{
  BIO *bio = BIO_new_mem_buf (pem, -1);
  X509 *cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  unsigned char *der = NULL;
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  int length;

  BIO_free (bio);
  if (cert == NULL)
    return FALSE;

  X509_digest (cert, EVP_sha256 (), digest, &digest_length);
  *out_fingerprint = hex_upper (digest, digest_length);
  length = i2d_X509_PUBKEY (X509_get_X509_PUBKEY (cert), &der);
  EVP_Digest (der, (size_t) MAX (length, 0), digest, &digest_length, EVP_sha256 (), NULL);
  *out_spki = hex_upper (digest, digest_length);
  OPENSSL_free (der);
  X509_free (cert);

  return TRUE;
}

static const char *
credential_name (int cred_type)
{
  switch (cred_type)
    {
    case CRED_CA_CERT:
      return "ca-certificate";
    case CRED_CLIENT_CERT:
      return "client-certificate";
    case CRED_PRIVATE_KEY:
      return "private-key";
    default:
      return "other";
    }
}

/* How provisioning confirmed a verified install, by the rules it follows for
 * the unit's firmware: modems that list SHA-256 digests are compared by
 * digest, older nRF9160 firmware by reading the certificate back, and a key,
 * which no modem lets anyone read, by being listed in its sec_tag. */
static const char *
verification_method (const CaDevice  *device,
                     const CaInstall *install)
{
  TsModemIdentity identity = { .model = device->model, .firmware = device->firmware };

  if (install->state != CA_INSTALL_VERIFIED)
    return NULL;

  identity.firmware_version_known = device->firmware != NULL &&
                                    ts_nrf91_parse_firmware (device->firmware, &identity.firmware_version);
  if (install->cred_type == CRED_PRIVATE_KEY && (install->sha256 == NULL || !_ts_firmware_lists_sha (&identity)))
    return "cmng-listed";

  return _ts_firmware_lists_sha (&identity) ? "cmng-sha256" : "cmng-readback";
}

static const CaCertificate *
current_certificate (const CaDeviceHistory *history)
{
  for (guint i = history->certificates->len; i > 0; i--)
    {
      const CaCertificate *c = g_ptr_array_index (history->certificates, i - 1);

      if (c->superseded_by_id == 0)
        return c;
    }

  return NULL;
}

static const CaInstall *
client_install (const CaDeviceHistory *history,
                gint64                 certificate_id)
{
  const CaInstall *found = NULL;

  for (guint i = 0; i < history->installs->len; i++)
    {
      const CaInstall *install = g_ptr_array_index (history->installs, i);

      if (install->cred_type == CRED_CLIENT_CERT && install->certificate_id == certificate_id)
        found = install;
    }

  return found;
}

/* The %KEYGEN evidence recorded for @serial, parsed; NULL when none was. */
static JsonNode *
key_evidence (const CaDeviceHistory *history,
              const CaCertificate   *certificate)
{
  for (guint i = 0; i < history->events->len; i++)
    {
      const CaAuditEvent *event = g_ptr_array_index (history->events, i);
      g_autoptr(JsonParser) parser = NULL;
      JsonObject *details;

      if (g_strcmp0 (event->action, "key.evidence") != 0)
        continue;
      parser = json_parser_new ();
      if (!json_parser_load_from_data (parser, event->details, -1, NULL) ||
          !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        continue;
      details = json_node_get_object (json_parser_get_root (parser));
      if (g_strcmp0 (json_object_get_string_member_with_default (details, "serial", ""), certificate->serial) == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (details, "ca", ""), certificate->authority_name) == 0 &&
          json_object_has_member (details, "evidence"))
        {
          JsonNode *evidence = json_node_copy (json_object_get_member (details, "evidence"));

          /* The event's own place in the chain, so the claim can be found again. */
          if (JSON_NODE_HOLDS_OBJECT (evidence))
            {
              json_object_set_int_member (json_node_get_object (evidence), "audit_sequence", event->id);
              json_object_set_string_member (json_node_get_object (evidence), "audit_hash", event->hash);
            }
          return evidence;
        }
    }

  return NULL;
}

/* The unit's result: passed when its newest certificate is valid and its
 * install was verified; otherwise why not, from the ledger's own records. */
static gboolean
unit_passed (const CaDeviceHistory  *history,
             char                  **out_reason)
{
  const CaCertificate *current = current_certificate (history);
  const CaInstall *install = current != NULL ? client_install (history, current->id) : NULL;
  const CaInstall *last_failed = NULL;

  for (guint i = 0; i < history->installs->len; i++)
    {
      const CaInstall *candidate = g_ptr_array_index (history->installs, i);

      if (candidate->state == CA_INSTALL_FAILED || candidate->state == CA_INSTALL_ABANDONED)
        last_failed = candidate;
    }

  if (current != NULL && current->status == CA_CERT_STATUS_VALID && install != NULL &&
      install->state == CA_INSTALL_VERIFIED)
    {
      *out_reason = g_strdup (_("Certificate written and verified."));
      return TRUE;
    }
  if (current != NULL && current->status == CA_CERT_STATUS_REVOKED)
    *out_reason = g_strdup_printf (_("The certificate was revoked (%s)."),
                                   ca_revoke_reason_to_string (current->revoke_reason));
  else if (current != NULL && current->status == CA_CERT_STATUS_EXPIRED)
    *out_reason = g_strdup (_("The certificate has expired."));
  else if (last_failed != NULL && last_failed->detail != NULL)
    *out_reason = g_strdup (last_failed->detail);
  else if (install != NULL)
    *out_reason = g_strdup_printf (_("The install was not confirmed by the modem (%s)."),
                                   ca_install_state_to_string (install->state));
  else
    *out_reason = g_strdup (_("Stopped before a certificate was issued; the ledger holds no credential "
                              "for this unit. The lot report names the reason."));

  return FALSE;
}

/* The install of the key beside @client: the last private-key install
 * between the previous client-certificate install and the next one (a
 * %KEYGEN key is recorded before its certificate, a host key after). */
static const CaInstall *
key_install (const CaDeviceHistory *history,
             const CaInstall       *client)
{
  const CaInstall *found = NULL;
  gint64 previous = 0;
  gint64 next = G_MAXINT64;

  for (guint i = 0; client != NULL && i < history->installs->len; i++)
    {
      const CaInstall *install = g_ptr_array_index (history->installs, i);

      if (install->cred_type != CRED_CLIENT_CERT)
        continue;
      if (install->id < client->id)
        previous = install->id;
      else if (install->id > client->id && next == G_MAXINT64)
        next = install->id;
    }

  for (guint i = 0; client != NULL && i < history->installs->len; i++)
    {
      const CaInstall *install = g_ptr_array_index (history->installs, i);

      if (install->cred_type == CRED_PRIVATE_KEY && install->id > previous && install->id < next)
        found = install;
    }

  return found;
}

static void
add_install_summary (JsonBuilder     *builder,
                     const char      *member_name,
                     const CaDevice  *device,
                     const CaInstall *install)
{
  json_builder_set_member_name (builder, member_name);
  if (install == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }
  json_builder_begin_object (builder);
  add_string (builder, "state", ca_install_state_to_string (install->state));
  add_string (builder, "verification", verification_method (device, install));
  add_time (builder, "at", install->updated_at);
  json_builder_end_object (builder);
}

static void
add_certificate (Dossier               *d,
                 JsonBuilder           *builder,
                 const CaDeviceHistory *history,
                 const CaCertificate   *certificate,
                 const char            *file)
{
  g_autofree char *fingerprint = NULL;
  g_autofree char *spki = NULL;
  JsonNode *evidence = key_evidence (history, certificate);
  const CaInstall *install = client_install (history, certificate->id);

  certificate_digests (certificate->pem, &fingerprint, &spki);

  json_builder_begin_object (builder);
  add_string (builder, "serial", certificate->serial);
  add_string (builder, "ca", certificate->authority_name);
  add_string (builder, "subject", certificate->subject);
  add_string (builder, "profile", certificate->profile);
  add_string (builder, "sha256_fingerprint", fingerprint);
  add_string (builder, "spki_sha256", spki);
  add_time (builder, "issued_at", certificate->issued_at);
  add_time (builder, "not_before", certificate->not_before);
  add_time (builder, "not_after", certificate->not_after);
  add_string (builder, "status", ca_cert_status_to_string (certificate->status));
  if (certificate->status == CA_CERT_STATUS_REVOKED)
    {
      add_string (builder, "revoke_reason", ca_revoke_reason_to_string (certificate->revoke_reason));
      add_time (builder, "revoked_at", certificate->revoked_at);
    }
  json_builder_set_member_name (builder, "current");
  json_builder_add_boolean_value (builder, certificate->superseded_by_id == 0);
  json_builder_set_member_name (builder, "sec_tag");
  if (install != NULL)
    json_builder_add_int_value (builder, install->sec_tag);
  else
    json_builder_add_null_value (builder);
  add_install_summary (builder, "certificate_install", history->device, install);
  add_install_summary (builder, "key_install", history->device, key_install (history, install));
  add_string (builder, "key_origin", certificate->host_key ? "host" : "modem");
  json_builder_set_member_name (builder, "key_evidence");
  if (evidence != NULL)
    json_builder_add_value (builder, evidence);
  else
    json_builder_add_null_value (builder);
  add_string (builder, "file", file);
  json_builder_end_object (builder);
}

static void
add_installs (JsonBuilder           *builder,
              const CaDeviceHistory *history)
{
  json_builder_set_member_name (builder, "installs");
  json_builder_begin_array (builder);
  for (guint i = 0; i < history->installs->len; i++)
    {
      const CaInstall *install = g_ptr_array_index (history->installs, i);
      const CaCertificate *certificate = NULL;

      for (guint j = 0; j < history->certificates->len; j++)
        {
          const CaCertificate *c = g_ptr_array_index (history->certificates, j);

          if (c->id == install->certificate_id)
            certificate = c;
        }

      json_builder_begin_object (builder);
      add_string (builder, "credential", credential_name (install->cred_type));
      add_int (builder, "sec_tag", install->sec_tag);
      add_string (builder, "certificate_serial", certificate != NULL ? certificate->serial : NULL);
      add_string (builder, "sha256", install->sha256);
      add_string (builder, "state", ca_install_state_to_string (install->state));
      add_string (builder, "verification", verification_method (history->device, install));
      add_string (builder, "detail", install->detail);
      add_string (builder, "port", install->port);
      json_builder_set_member_name (builder, "host_key");
      json_builder_add_boolean_value (builder, install->host_key);
      add_time (builder, "at", install->updated_at);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static gboolean
add_units (Dossier      *d,
           JsonBuilder  *builder,
           GError      **error)
{
  json_builder_set_member_name (builder, "units");
  json_builder_begin_array (builder);
  for (guint i = 0; i < d->histories->len; i++)
    {
      const CaDeviceHistory *history = g_ptr_array_index (d->histories, i);
      const CaDevice *device = history->device;
      g_autofree char *reason = NULL;
      gboolean passed = unit_passed (history, &reason);

      json_builder_begin_object (builder);
      add_string (builder, "imei", device->imei);
      add_string (builder, "device_uuid", device->uuid);
      add_string (builder, "model", device->model);
      add_string (builder, "modem_firmware", device->firmware);
      add_string (builder, "result", passed ? "pass" : "fail");
      add_string (builder, "reason", reason);
      json_builder_set_member_name (builder, "certificates");
      json_builder_begin_array (builder);
      for (guint j = 0; j < history->certificates->len; j++)
        {
          const CaCertificate *certificate = g_ptr_array_index (history->certificates, j);
          g_autofree char *serial = file_component (certificate->serial);
          g_autofree char *file = g_strdup_printf ("certs/%s-%s.pem", device->imei, serial);

          if (!write_file (d, file, certificate->pem, strlen (certificate->pem), error))
            return FALSE;
          add_certificate (d, builder, history, certificate, file);
        }
      json_builder_end_array (builder);
      add_installs (builder, history);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  return TRUE;
}

/* Who ran the lot and where: the actors ("user@host") and serial ports of
 * the lot's audit events, and the span of their times. */
static void
add_lot (Dossier     *d,
         JsonBuilder *builder)
{
  g_autoptr(GHashTable) operators = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) stations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) ports = g_hash_table_new (g_str_hash, g_str_equal);
  gint64 first = 0;
  gint64 last = 0;
  GHashTable *sets[] = { operators, stations, ports };
  const char *names[] = { "operators", "stations", "ports" };

  for (guint i = 0; i < d->histories->len; i++)
    {
      const CaDeviceHistory *history = g_ptr_array_index (d->histories, i);

      for (guint j = 0; j < history->events->len; j++)
        {
          const CaAuditEvent *event = g_ptr_array_index (history->events, j);
          const char *at = strrchr (event->actor, '@');

          first = first == 0 ? event->at : MIN (first, event->at);
          last = MAX (last, event->at);
          g_hash_table_add (operators, event->actor);
          if (at != NULL)
            g_hash_table_add (stations, g_strdup (at + 1));
        }
      for (guint j = 0; j < history->installs->len; j++)
        {
          const CaInstall *install = g_ptr_array_index (history->installs, j);

          if (install->port != NULL)
            g_hash_table_add (ports, install->port);
        }
    }

  json_builder_set_member_name (builder, "lot");
  json_builder_begin_object (builder);
  add_string (builder, "name", d->lot);
  add_time (builder, "first_event", first);
  add_time (builder, "last_event", last);
  for (guint s = 0; s < G_N_ELEMENTS (sets); s++)
    {
      g_autofree const char **keys = (const char **) g_hash_table_get_keys_as_array (sets[s], NULL);
      guint n = g_hash_table_size (sets[s]);

      qsort (keys, n, sizeof (char *), compare_strings);
      json_builder_set_member_name (builder, names[s]);
      json_builder_begin_array (builder);
      for (guint k = 0; k < n; k++)
        json_builder_add_string_value (builder, keys[k]);
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
}

/* The server CA certificates written to the lot's units, by the SHA-256 of
 * exactly the bytes written. */
static void
add_server_ca (Dossier     *d,
               JsonBuilder *builder)
{
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree const char **keys = NULL;
  guint n;

  for (guint i = 0; i < d->histories->len; i++)
    {
      const CaDeviceHistory *history = g_ptr_array_index (d->histories, i);

      for (guint j = 0; j < history->installs->len; j++)
        {
          const CaInstall *install = g_ptr_array_index (history->installs, j);

          if (install->cred_type == CRED_CA_CERT && install->sha256 != NULL &&
              install->state == CA_INSTALL_VERIFIED)
            g_hash_table_insert (counts, install->sha256,
                                 GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, install->sha256)) + 1));
        }
    }

  keys = (const char **) g_hash_table_get_keys_as_array (counts, &n);
  qsort (keys, n, sizeof (char *), compare_strings);
  json_builder_set_member_name (builder, "server_ca");
  json_builder_begin_array (builder);
  for (guint k = 0; k < n; k++)
    {
      json_builder_begin_object (builder);
      add_string (builder, "sha256", keys[k]);
      add_int (builder, "units", GPOINTER_TO_UINT (g_hash_table_lookup (counts, keys[k])));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/* The signing CA and its issuers up to the root, each written out, with a
 * CRL signed now. */
static gboolean
add_chain (Dossier      *d,
           JsonBuilder  *builder,
           GError      **error)
{
  g_autoptr(GString) chain_pem = g_string_new (NULL);
  g_autofree char *current = g_strdup (d->signer_ca);

  d->chain = g_ptr_array_new_with_free_func ((GDestroyNotify) ca_authority_free);
  for (guint depth = 0; current != NULL && depth < 16; depth++)
    {
      CaAuthority *authority = ca_ledger_get_authority (d->ledger, current, error);

      if (authority == NULL)
        return FALSE;
      g_ptr_array_add (d->chain, authority);
      g_string_append (chain_pem, authority->cert_pem);
      g_free (current);
      current = g_strdup (authority->parent_name);
    }

  json_builder_set_member_name (builder, "ca_chain");
  json_builder_begin_array (builder);
  for (guint i = 0; i < d->chain->len; i++)
    {
      const CaAuthority *authority = g_ptr_array_index (d->chain, i);
      g_autofree char *name = file_component (authority->name);
      g_autofree char *crl_file = g_strdup_printf ("crl/%s.crl.pem", name);
      g_autofree char *fingerprint = NULL;
      g_autofree char *spki = NULL;
      g_autoptr(GBytes) crl = ca_ledger_generate_crl (d->ledger, authority->name, 0, FALSE, error);

      if (crl == NULL ||
          !write_file (d, crl_file, g_bytes_get_data (crl, NULL), g_bytes_get_size (crl), error))
        return FALSE;
      certificate_digests (authority->cert_pem, &fingerprint, &spki);

      json_builder_begin_object (builder);
      add_string (builder, "name", authority->name);
      add_string (builder, "role", authority->parent_id == 0 ? "root" : "intermediate");
      add_string (builder, "subject", authority->subject);
      add_string (builder, "serial", authority->serial);
      add_string (builder, "sha256_fingerprint", fingerprint);
      add_time (builder, "not_before", authority->not_before);
      add_time (builder, "not_after", authority->not_after);
      add_string (builder, "status", ca_cert_status_to_string (authority->status));
      add_string (builder, "crl", crl_file);
      json_builder_end_object (builder);

      if (authority->parent_id == 0 &&
          !write_file (d, "root.pem", authority->cert_pem, strlen (authority->cert_pem), error))
        return FALSE;
    }
  json_builder_end_array (builder);

  return write_file (d, "chain.pem", chain_pem->str, chain_pem->len, error);
}

/* Revocations that touch the lot: its units' revoked certificates and any
 * revoked CA of the chain. */
static void
add_revocations (Dossier     *d,
                 JsonBuilder *builder)
{
  json_builder_set_member_name (builder, "revocations");
  json_builder_begin_array (builder);
  for (guint i = 0; i < d->histories->len; i++)
    {
      const CaDeviceHistory *history = g_ptr_array_index (d->histories, i);

      for (guint j = 0; j < history->certificates->len; j++)
        {
          const CaCertificate *c = g_ptr_array_index (history->certificates, j);

          if (c->status != CA_CERT_STATUS_REVOKED)
            continue;
          json_builder_begin_object (builder);
          add_string (builder, "imei", c->imei);
          add_string (builder, "ca", c->authority_name);
          add_string (builder, "serial", c->serial);
          add_string (builder, "reason", ca_revoke_reason_to_string (c->revoke_reason));
          add_time (builder, "revoked_at", c->revoked_at);
          json_builder_end_object (builder);
        }
    }
  for (guint i = 0; i < d->chain->len; i++)
    {
      const CaAuthority *a = g_ptr_array_index (d->chain, i);

      if (a->status != CA_CERT_STATUS_REVOKED)
        continue;
      json_builder_begin_object (builder);
      add_string (builder, "imei", NULL);
      add_string (builder, "ca", a->parent_name);
      add_string (builder, "serial", a->serial);
      add_string (builder, "reason", ca_revoke_reason_to_string (a->revoke_reason));
      add_time (builder, "revoked_at", a->revoked_at);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/* Every failed or abandoned install, and what became of the unit after it. */
static void
add_failures (Dossier     *d,
              JsonBuilder *builder)
{
  json_builder_set_member_name (builder, "failures");
  json_builder_begin_array (builder);
  for (guint i = 0; i < d->histories->len; i++)
    {
      const CaDeviceHistory *history = g_ptr_array_index (d->histories, i);
      g_autofree char *reason = NULL;
      gboolean passed = unit_passed (history, &reason);
      gboolean listed = FALSE;

      for (guint j = 0; j < history->installs->len; j++)
        {
          const CaInstall *install = g_ptr_array_index (history->installs, j);

          if (install->state != CA_INSTALL_FAILED && install->state != CA_INSTALL_ABANDONED)
            continue;
          json_builder_begin_object (builder);
          add_string (builder, "imei", history->device->imei);
          add_string (builder, "credential", credential_name (install->cred_type));
          add_string (builder, "state", ca_install_state_to_string (install->state));
          add_string (builder, "detail", install->detail);
          add_time (builder, "at", install->updated_at);
          add_string (builder, "outcome", passed ? "provisioned-later" : "not-provisioned");
          json_builder_end_object (builder);
          listed = TRUE;
        }
      if (!passed && !listed)
        {
          json_builder_begin_object (builder);
          add_string (builder, "imei", history->device->imei);
          add_string (builder, "credential", NULL);
          add_string (builder, "state", "failed");
          add_string (builder, "detail", reason);
          add_time (builder, "at", history->device->last_seen);
          add_string (builder, "outcome", "not-provisioned");
          json_builder_end_object (builder);
        }
    }
  json_builder_end_array (builder);
}

static gboolean
load_histories (Dossier  *d,
                GError  **error)
{
  g_autofree char *after = NULL;

  d->histories = g_ptr_array_new_with_free_func ((GDestroyNotify) ca_device_history_free);
  for (;;)
    {
      CaFleetQuery query = { .filter = CA_FLEET_ALL, .lot = d->lot, .after_imei = after, .limit = 100 };
      g_autoptr(GPtrArray) rows = ca_ledger_list_fleet (d->ledger, &query, error);

      if (rows == NULL)
        return FALSE;
      for (guint i = 0; i < rows->len; i++)
        {
          const CaFleetRow *row = g_ptr_array_index (rows, i);
          CaDeviceHistory *history = ca_ledger_get_history (d->ledger, row->imei, error);

          if (history == NULL)
            return FALSE;
          g_ptr_array_add (d->histories, history);
        }
      if (rows->len < query.limit)
        break;
      g_free (after);
      after = g_strdup (((const CaFleetRow *) g_ptr_array_index (rows, rows->len - 1))->imei);
    }

  if (d->histories->len == 0)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("The ledger holds no devices of lot “%s”. Check the lot's name in the "
                     "fleet."), d->lot);
      ca_error_add_cli_hint (error, _("`tagsmith fleet list --lot NAME` lists a lot's devices."));
      return FALSE;
    }

  return TRUE;
}

/* The CA that issued the lot's newest certificate. */
static gboolean
choose_signer (Dossier     *d,
               const char  *requested,
               GError     **error)
{
  gint64 newest = 0;

  if (requested != NULL)
    {
      d->signer_ca = g_strdup (requested);
      return TRUE;
    }

  for (guint i = 0; i < d->histories->len; i++)
    {
      const CaDeviceHistory *history = g_ptr_array_index (d->histories, i);

      for (guint j = 0; j < history->certificates->len; j++)
        {
          const CaCertificate *c = g_ptr_array_index (history->certificates, j);

          if (c->issued_at >= newest)
            {
              newest = c->issued_at;
              g_free (d->signer_ca);
              d->signer_ca = g_strdup (c->authority_name);
            }
        }
    }

  if (d->signer_ca == NULL)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("No certificate was issued in lot “%s”, so no CA is known to sign its "
                     "dossier. Choose the CA that signs it."), d->lot);
      ca_error_add_cli_hint (error, _("name it with --ca."));
      return FALSE;
    }

  return TRUE;
}

static gboolean
add_audit_head (Dossier      *d,
                JsonBuilder  *builder,
                GError      **error)
{
  g_autofree char *hash = NULL;
  gint64 sequence = 0;

  if (!ca_ledger_audit_head (d->ledger, &sequence, &hash, error))
    return FALSE;

  json_builder_set_member_name (builder, "audit_head");
  json_builder_begin_object (builder);
  add_int (builder, "sequence", sequence);
  add_string (builder, "hash", hash);
  json_builder_end_object (builder);

  return TRUE;
}

static JsonNode *
compose (Dossier  *d,
         GError  **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *generator = g_strdup_printf ("Tagsmith %s", PACKAGE_VERSION);

  json_builder_begin_object (builder);
  add_string (builder, "format", "tagsmith-lot-dossier");
  add_int (builder, "schema_version", TS_DOSSIER_SCHEMA_VERSION);
  add_string (builder, "generator", generator);
  add_time (builder, "generated_at", g_get_real_time () / G_USEC_PER_SEC);
  add_lot (d, builder);
  add_string (builder, "signer_ca", d->signer_ca);
  if (!add_chain (d, builder, error))
    return NULL;
  add_server_ca (d, builder);
  if (!add_units (d, builder, error))
    return NULL;
  add_failures (d, builder);
  add_revocations (d, builder);
  /* Read last, after the CRLs were signed, so the head covers every event
   * the folder speaks of; only the folder's own signature comes after it. */
  if (!add_audit_head (d, builder, error))
    return NULL;
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static char *
verify_text (void)
{
  return g_strdup_printf (_("How to check this folder\n"
                            "========================\n"
                            "\n"
                            "Every file here is listed with its SHA-256 in SHA256SUMS, and\n"
                            "SHA256SUMS.p7s is a detached CMS signature over SHA256SUMS, made by a\n"
                            "certificate issued by the CA that signed the lot's certificates. Two\n"
                            "standard commands check the whole folder, without Tagsmith:\n"
                            "\n"
                            "  sha256sum -c SHA256SUMS\n"
                            "  openssl cms -verify -binary -content SHA256SUMS -in SHA256SUMS.p7s \\\n"
                            "      -inform DER -CAfile root.pem -out /dev/null\n"
                            "\n"
                            "The first must print OK for every file, the second “Verification\n"
                            "successful”. Compare root.pem's fingerprint with the one you keep\n"
                            "elsewhere (openssl x509 -in root.pem -noout -fingerprint -sha256):\n"
                            "the signature proves the folder came from the holder of that root.\n"
                            "Once the certificates have expired, add -attime with a Unix time within\n"
                            "their validity, such as the day the folder was made.\n"
                            "\n"
                            "dossier.json holds the same facts as dossier.pdf (its schema_version\n"
                            "says which layout); audit_head names the ledger's audit event that was\n"
                            "newest when the folder was made, so the ledger can later be shown to\n"
                            "still contain it (its audit log lists every event).\n"));
}

static gboolean
write_sums (Dossier  *d,
            GError  **error)
{
  g_autoptr(GString) sums = g_string_new (NULL);
  g_autoptr(GBytes) content = NULL;
  g_autoptr(GBytes) signature = NULL;

  g_ptr_array_sort (d->files, compare_strings);
  for (guint i = 0; i < d->files->len; i++)
    {
      const char *relative = g_ptr_array_index (d->files, i);
      g_autofree char *path = g_build_filename (d->dir, relative, NULL);
      g_autofree char *data = NULL;
      g_autofree char *digest = NULL;
      gsize length = 0;

      if (!g_file_get_contents (path, &data, &length, error))
        return FALSE;
      digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, length);
      g_string_append_printf (sums, "%s  %s\n", digest, relative);
    }

  content = g_bytes_new (sums->str, sums->len);
  signature = ca_ledger_sign_detached (d->ledger, d->signer_ca, _("Tagsmith lot dossier signer"),
                                       content, error);

  return signature != NULL &&
         write_file (d, "SHA256SUMS", sums->str, sums->len, error) &&
         write_file (d, "SHA256SUMS.p7s", g_bytes_get_data (signature, NULL),
                     g_bytes_get_size (signature), error);
}

static gboolean
make_folder (Dossier     *d,
             const char  *out_dir,
             GError     **error)
{
  g_autoptr(GDir) existing = g_dir_open (out_dir, 0, NULL);
  g_autofree char *parent = g_path_get_dirname (out_dir);
  g_autofree char *base = g_path_get_basename (out_dir);
  g_autofree char *template = NULL;

  if (existing != NULL && g_dir_read_name (existing) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("The folder %s is not empty. Choose a new folder for the dossier, so no "
                     "earlier file is mixed into it."), out_dir);
      return FALSE;
    }
  if (g_mkdir_with_parents (parent, 0755) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   _("Could not create the folder %s: %s."), parent, g_strerror (errno));
      return FALSE;
    }

  /* Written beside the destination and renamed into place, so an
   * interrupted run leaves no half-made dossier under the right name. */
  template = g_strdup_printf ("%s/.%s-XXXXXX", parent, base);
  d->dir = g_mkdtemp_full (template, 0755);
  if (d->dir == NULL)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   _("Could not create a folder in %s: %s."), parent, g_strerror (errno));
      return FALSE;
    }
  g_steal_pointer (&template);

  return TRUE;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

gboolean
ts_dossier_write (CaLedger                *ledger,
                  const TsDossierRequest  *request,
                  GError                 **error)
{
  Dossier d = { .ledger = ledger, .lot = request->lot };
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *json = NULL;
  g_autofree char *verify = verify_text ();
  g_autofree char *pdf = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (CA_IS_LEDGER (ledger), FALSE);
  g_return_val_if_fail (request != NULL && request->lot != NULL && request->out_dir != NULL, FALSE);

  d.files = g_ptr_array_new_with_free_func (g_free);
  if (!load_histories (&d, error) || !choose_signer (&d, request->signer_ca, error) ||
      !make_folder (&d, request->out_dir, error))
    goto out;

  root = compose (&d, error);
  if (root == NULL)
    goto out;
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json = json_generator_to_data (generator, NULL);
  pdf = g_build_filename (d.dir, "dossier.pdf", NULL);

  if (!write_file (&d, "dossier.json", json, strlen (json), error) ||
      !write_file (&d, "VERIFY.txt", verify, strlen (verify), error) ||
      !_ts_dossier_render_pdf (json_node_get_object (root), pdf, error))
    goto out;
  g_ptr_array_add (d.files, g_strdup ("dossier.pdf"));

  if (!write_sums (&d, error))
    goto out;

  g_rmdir (request->out_dir);
  if (g_rename (d.dir, request->out_dir) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   _("Could not move the dossier into %s: %s."), request->out_dir, g_strerror (errno));
      goto out;
    }
  ok = TRUE;

out:
  if (!ok && d.dir != NULL)
    remove_tree (d.dir);
  dossier_clear (&d);

  return ok;
}
