/* ts-cli-ca-fleet.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-cli-ca-fleet"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ts-audit-text.h"
#include "ts-badge.h"
#include "ts-cli-ca.h"

#define PAGE_SIZE 1000

static void
add_fleet_row (JsonBuilder      *builder,
               const CaFleetRow *row)
{
  json_builder_begin_object (builder);
  ts_cli_ca_add_string (builder, "imei", row->imei);
  ts_cli_ca_add_string (builder, "uuid", row->uuid);
  ts_cli_ca_add_string (builder, "model", row->model);
  ts_cli_ca_add_string (builder, "lot", row->lot);
  ts_cli_ca_add_time (builder, "last_seen", row->last_seen);
  ts_cli_ca_add_string (builder, "serial", row->serial);
  ts_cli_ca_add_string (builder, "ca", row->authority_name);
  ts_cli_ca_add_string (builder, "profile", row->profile);
  ts_cli_ca_add_time (builder, "not_after", row->not_after);
  ts_cli_ca_add_string (builder, "status", row->serial != NULL ? ca_cert_status_to_string (row->status) : "none");
  ts_cli_ca_add_int (builder, "certificates", row->certificate_count);
  json_builder_end_object (builder);
}

typedef gboolean (*FleetVisitFunc) (CaFleetRow  *row,
                                    gpointer     user_data,
                                    GError     **error);

/* Calls @visit on every device @filter selects (narrowed by @search and @lot,
 * both nullable), a page at a time, so a fleet of a million devices never sits
 * in memory at once. */
static gboolean
for_each_fleet_row (TsWorkspace     *workspace,
                    CaFleetFilter    filter,
                    int              expiring_days,
                    const char      *search,
                    const char      *lot,
                    FleetVisitFunc   visit,
                    gpointer         user_data,
                    GError         **error)
{
  g_autofree char *after = NULL;

  for (;;)
    {
      g_autoptr(GPtrArray) page = ts_workspace_list_fleet (workspace,
                                                              &(CaFleetQuery) { filter, expiring_days, after,
                                                                                PAGE_SIZE, search, lot }, error);

      if (page == NULL)
        return FALSE;
      for (guint i = 0; i < page->len; i++)
        if (!visit (page->pdata[i], user_data, error))
          return FALSE;
      if (page->len < PAGE_SIZE)
        return TRUE;
      g_free (after);
      after = g_strdup (((CaFleetRow *) page->pdata[page->len - 1])->imei);
    }
}

typedef struct
{
  JsonBuilder *builder;  /* (nullable) for text output */
  guint        total;
} ListState;

static gboolean
list_row (CaFleetRow  *row,
          gpointer     user_data,
          GError     **error)
{
  ListState *state = user_data;
  g_autofree char *until = NULL;

  state->total++;
  if (state->builder != NULL)
    {
      add_fleet_row (state->builder, row);
      return TRUE;
    }

  until = ts_cli_ca_date (row->not_after);
  printf ("%-15s %-32s %-16s %-8s %-10s %u\n", row->imei, row->serial != NULL ? row->serial : "-",
          row->authority_name != NULL ? row->authority_name : "-",
          row->serial != NULL ? ts_badge_for_certificate (row->status, row->not_after).name : "none", until,
          row->certificate_count);

  return TRUE;
}

static int
run_list (TsCli  *cli,
          int     argc,
          char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *status = NULL;
  g_autofree char *search = NULL;
  g_autofree char *lot = NULL;
  CaFleetFilter filter = CA_FLEET_ALL;
  ListState state = { NULL, 0 };
  int expiring_days = CA_EXPIRING_DAYS;
  int exit_code;
  GOptionEntry entries[] = {
    { "status", 0, 0, G_OPTION_ARG_STRING, &status, N_("Only devices whose current certificate is valid, "
                                                       "revoked or expiring"), "STATUS" },
    { "days", 0, 0, G_OPTION_ARG_INT, &expiring_days, N_("With --status expiring: within N days (default 30)"), "N" },
    { "search", 0, 0, G_OPTION_ARG_STRING, &search, N_("Only devices whose IMEI starts with these digits, "
                                                       "with this UUID, or with a certificate of this serial"),
      "TEXT" },
    { "lot", 0, 0, G_OPTION_ARG_STRING, &lot, N_("Only devices of this production lot"), "LOT" },
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "fleet list", NULL, _("List the devices with their current certificate."),
                             entries, &argc, &argv, &exit_code))
    return exit_code;
  if (g_strcmp0 (status, "valid") == 0)
    filter = CA_FLEET_VALID;
  else if (g_strcmp0 (status, "revoked") == 0)
    filter = CA_FLEET_REVOKED;
  else if (g_strcmp0 (status, "expiring") == 0)
    filter = CA_FLEET_EXPIRING;
  else if (status != NULL)
    return ts_cli_usage_error ("fleet list", _("--status is valid, revoked or expiring."));

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_ONLY, &error))
    return ts_cli_fail (error);

  if (cli->json)
    {
      state.builder = builder;
      json_builder_begin_array (builder);
    }
  else
    printf ("%-15s %-32s %-16s %-8s %-10s %s\n", _("IMEI"), _("SERIAL"), _("CA"), _("STATUS"), _("EXPIRES"),
            _("CERTS"));

  if (!for_each_fleet_row (cli->workspace, filter, expiring_days, search, lot, list_row, &state, &error))
    return ts_cli_fail (error);

  if (cli->json)
    {
      json_builder_end_array (builder);
      ts_cli_ca_print_builder (builder);
    }
  else if (state.total == 0)
    printf (_("No devices%s.\n"), status != NULL || search != NULL || lot != NULL ? _(" match") : _(" yet"));

  return TS_CLI_EXIT_OK;
}

static void
add_event (JsonBuilder   *builder,
           gconstpointer  item)
{
  const CaAuditEvent *event = item;
  g_autoptr(JsonNode) details = json_from_string (event->details, NULL);

  json_builder_begin_object (builder);
  ts_cli_ca_add_int (builder, "id", event->id);
  ts_cli_ca_add_time (builder, "at", event->at);
  ts_cli_ca_add_string (builder, "actor", event->actor);
  ts_cli_ca_add_string (builder, "action", event->action);
  ts_cli_ca_add_string (builder, "imei", event->imei);
  json_builder_set_member_name (builder, "details");
  if (details != NULL)
    json_builder_add_value (builder, g_steal_pointer (&details));
  else
    json_builder_add_string_value (builder, event->details);
  ts_cli_ca_add_string (builder, "hash", event->hash);
  ts_cli_ca_add_boolean (builder, "verified", event->verified);
  json_builder_end_object (builder);
}

static void
add_install (JsonBuilder   *builder,
             gconstpointer  item)
{
  const CaInstall *install = item;

  json_builder_begin_object (builder);
  ts_cli_ca_add_int (builder, "id", install->id);
  ts_cli_ca_add_int (builder, "sec_tag", install->sec_tag);
  ts_cli_ca_add_int (builder, "type", install->cred_type);
  ts_cli_ca_add_int (builder, "certificate_id", install->certificate_id);
  ts_cli_ca_add_string (builder, "sha256", install->sha256);
  ts_cli_ca_add_string (builder, "port", install->port);
  ts_cli_ca_add_string (builder, "state", ca_install_state_to_string (install->state));
  ts_cli_ca_add_boolean (builder, "host_key", install->host_key);
  ts_cli_ca_add_string (builder, "detail", install->detail);
  ts_cli_ca_add_time (builder, "created_at", install->created_at);
  ts_cli_ca_add_time (builder, "updated_at", install->updated_at);
  ts_cli_ca_add_string (builder, "station", install->station);
  json_builder_end_object (builder);
}

static void
print_event (const CaAuditEvent *event)
{
  g_autofree char *at = ca_time_to_iso8601 (event->at);
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  const char *icon_name;

  ts_audit_event_describe (event, &title, &subtitle, &icon_name);
  printf ("%6" G_GINT64_FORMAT " %s %-18s %-15s %s%s%s\n", event->id, at, event->action,
          event->imei != NULL ? event->imei : "-", title, *subtitle != '\0' ? ": " : "", subtitle);
}

/* Where a step happened, for the text of `fleet show`: nothing before stations. */
static char *
at_station (const char *station)
{
  return station != NULL ? g_strdup_printf (_(" at station %s"), station) : g_strdup ("");
}

static int
run_show (TsCli  *cli,
          int     argc,
          char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaDeviceHistory) history = NULL;
  g_autofree char *lot_where = NULL;
  CaDevice *device;
  int exit_code;
  GOptionEntry entries[] = { { NULL } };

  if (!ts_cli_parse_options (cli, "fleet show", "IMEI",
                             _("Show a device's whole history: certificates, installs and events."), entries,
                             &argc, &argv, &exit_code))
    return exit_code;
  if (argc != 2)
    return ts_cli_usage_error ("fleet show", _("Give one IMEI."));

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_ONLY, &error) ||
      (history = ts_workspace_get_history (cli->workspace, argv[1], &error)) == NULL)
    return ts_cli_fail (error);
  device = history->device;

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      ts_cli_ca_add_string (builder, "imei", device->imei);
      ts_cli_ca_add_string (builder, "uuid", device->uuid);
      ts_cli_ca_add_string (builder, "model", device->model);
      ts_cli_ca_add_string (builder, "firmware", device->firmware);
      ts_cli_ca_add_string (builder, "lot", device->lot);
      ts_cli_ca_add_string (builder, "lot_station", device->lot_station);
      ts_cli_ca_add_string (builder, "notes", device->notes);
      ts_cli_ca_add_time (builder, "first_seen", device->first_seen);
      ts_cli_ca_add_time (builder, "last_seen", device->last_seen);
      ts_cli_ca_add_array (builder, "certificates", history->certificates,
                           ts_cli_ca_add_certificate_item_with_pem);
      ts_cli_ca_add_array (builder, "installs", history->installs, add_install);
      ts_cli_ca_add_array (builder, "events", history->events, add_event);
      json_builder_end_object (builder);
      ts_cli_ca_print_builder (builder);
      return TS_CLI_EXIT_OK;
    }

  lot_where = at_station (device->lot_station);
  printf (_("Device %s\n  UUID %s, model %s, firmware %s, lot %s%s\n"), device->imei,
          device->uuid ? device->uuid : "-", device->model ? device->model : "-",
          device->firmware ? device->firmware : "-", device->lot ? device->lot : "-", lot_where);
  printf (_("\nCertificates:\n"));
  for (guint i = 0; i < history->certificates->len; i++)
    {
      CaCertificate *cert = history->certificates->pdata[i];
      g_autofree char *until = ts_cli_ca_date (cert->not_after);
      g_autofree char *where = at_station (cert->station);

      printf ("  %s  %-8s %-16s %s until %s%s%s%s\n", cert->serial,
              ts_badge_for_certificate (cert->status, cert->not_after).name,
              cert->authority_name, cert->subject, until,
              cert->status == CA_CERT_STATUS_REVOKED ? ", " : "",
              cert->status == CA_CERT_STATUS_REVOKED ? ca_revoke_reason_to_string (cert->revoke_reason) : "",
              where);
      if (cert->supersedes_id != 0)
        printf (_("      supersedes certificate #%" G_GINT64_FORMAT "\n"), cert->supersedes_id);
    }
  printf (_("\nInstalls:\n"));
  for (guint i = 0; i < history->installs->len; i++)
    {
      CaInstall *install = history->installs->pdata[i];
      g_autofree char *where = at_station (install->station);

      printf ("  #%" G_GINT64_FORMAT " sec_tag %u type %d %s %s%s\n", install->id, install->sec_tag,
              install->cred_type, ca_install_state_to_string (install->state),
              install->sha256 != NULL ? install->sha256 : _("(generated in the modem)"), where);
    }
  printf (_("\nEvents:\n"));
  for (guint i = 0; i < history->events->len; i++)
    print_event (history->events->pdata[i]);

  return TS_CLI_EXIT_OK;
}

typedef struct
{
  TsWorkspace *workspace;
  JsonBuilder *builder;
} ExportState;

/* A device's newest valid certificate, with its PEM, for `fleet export --format json`. */
static gboolean
export_row (CaFleetRow  *row,
            gpointer     user_data,
            GError     **error)
{
  ExportState *state = user_data;
  g_autoptr(GPtrArray) certs = ts_workspace_list_certificates (state->workspace, row->imei, TRUE, error);

  if (certs == NULL)
    return FALSE;
  if (certs->len > 0)
    ts_cli_ca_add_certificate (state->builder, certs->pdata[certs->len - 1], TRUE);

  return TRUE;
}

/* The CN of an RFC 2253 subject string ("CN=x,O=y"), unescaped; NULL when none. */
static char *
subject_cn (const char *subject)
{
  for (const char *p = subject; p != NULL && *p != '\0'; )
    {
      gboolean is_cn = g_str_has_prefix (p, "CN=");
      g_autoptr(GString) value = g_string_new (NULL);

      p = strchr (p, '=');
      if (p == NULL)
        return NULL;
      for (p++; *p != '\0' && *p != ','; p++)
        {
          if (*p == '\\' && p[1] != '\0')
            p++;
          g_string_append_c (value, *p);
        }
      if (is_cn)
        return g_string_free (g_steal_pointer (&value), FALSE);
      if (*p == ',')
        p++;
    }

  return NULL;
}

/* Azure IoT device IDs: at most 128 of [a-z0-9] and -.%_*?!(),:=@$' ; Tagsmith
 * also asks for lower case, which Azure X.509 CA attestation matches against. */
static gboolean
azure_device_id_is_valid (const char *cn)
{
  if (strlen (cn) == 0 || strlen (cn) > 128)
    return FALSE;
  for (const char *p = cn; *p != '\0'; p++)
    if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || strchr ("-.%_*?!(),:=@$'", *p) != NULL))
      return FALSE;

  return TRUE;
}

/* An authority name as a file name part: anything but [A-Za-z0-9._-] becomes '_'. */
static char *
file_safe (const char *name)
{
  char *safe = g_strdup (name);

  g_strcanon (safe, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", '_');
  if (safe[0] == '.')
    safe[0] = '_';

  return safe;
}

typedef struct
{
  TsWorkspace *workspace;
  gboolean    azure;        /* else AWS */
  const char *ca;           /* (nullable) only this CA's devices */
  const char *out_dir;
  GHashTable *ca_chains;    /* authority name -> its PEM chain up to the root */
  GString    *manifest;
  guint       devices;
} CloudExport;

/* The authority's chain, root last, fetched once per authority. */
static const char *
cloud_ca_chain (CloudExport  *export,
                const char   *authority,
                GError      **error)
{
  char *chain = g_hash_table_lookup (export->ca_chains, authority);

  if (chain == NULL)
    {
      chain = ts_workspace_export_authority (export->workspace, authority, TRUE, error);
      if (chain == NULL)
        return NULL;
      g_hash_table_insert (export->ca_chains, g_strdup (authority), chain);
    }

  return chain;
}

/* The chain without its root (the last certificate): the clouds register the
 * root on its own and expect devices to present the intermediates. */
static char *
chain_without_root (const char *chain)
{
  const char *last = g_strrstr (chain, "-----BEGIN CERTIFICATE-----");

  return g_strndup (chain, last != NULL ? (gsize) (last - chain) : 0);
}

static gboolean
cloud_write (CloudExport  *export,
             const char   *name,
             const char   *text,
             GError      **error)
{
  g_autofree char *path = g_build_filename (export->out_dir, name, NULL);

  return ts_cli_ca_write_new_file (path, text, strlen (text), 0644, FALSE, error);
}

/* One device: its newest valid certificate followed by its issuing intermediates. */
static gboolean
cloud_export_row (CaFleetRow  *row,
                  gpointer     user_data,
                  GError     **error)
{
  CloudExport *export = user_data;
  g_autoptr(GPtrArray) certs = NULL;
  g_autofree char *cn = NULL;
  g_autofree char *intermediates = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *name = NULL;
  CaCertificate *cert;
  const char *chain;

  if (export->ca != NULL && g_strcmp0 (row->authority_name, export->ca) != 0)
    return TRUE;
  certs = ts_workspace_list_certificates (export->workspace, row->imei, TRUE, error);
  if (certs == NULL)
    return FALSE;
  if (certs->len == 0)
    return TRUE;
  cert = certs->pdata[certs->len - 1];

  cn = subject_cn (cert->subject);
  if (cn == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The certificate %s of device %s has no common name, which the cloud needs as the device's "
                     "name. Issue a new one with a profile (tagsmith rekey or tagsmith issue --profile %s)."),
                   cert->serial, row->imei, export->azure ? "azure" : "aws");
      return FALSE;
    }
  if (export->azure && !azure_device_id_is_valid (cn))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("Device %s has the CN \"%s\", which cannot be an Azure IoT device ID: Azure matches the device "
                     "ID to the lower-case CN (letters a-z, digits and -.%%_*?!(),:=@$'). Issue it a new "
                     "certificate with --profile azure, or leave it out with --ca."), row->imei, cn);
      return FALSE;
    }

  chain = cloud_ca_chain (export, cert->authority_name, error);
  if (chain == NULL)
    return FALSE;
  intermediates = chain_without_root (chain);
  pem = g_strconcat (cert->pem, intermediates, NULL);
  name = g_strdup_printf ("device-%s.pem", row->imei);
  if (!cloud_write (export, name, pem, error))
    return FALSE;

  /* IMEIs, serials and file names need no quoting; a CN might. */
  {
    g_autoptr(GString) quoted = g_string_new (cn);

    g_string_replace (quoted, "\"", "\"\"", 0);
    g_string_append_printf (export->manifest, "%s,\"%s\",%s,%s,%s\n", row->imei, quoted->str, cert->serial,
                            name, cert->authority_name);
  }
  export->devices++;

  return TRUE;
}

/* `fleet export --format aws|azure --out-dir DIR [--ca NAME]`. */
static int
export_cloud (TsWorkspace *workspace,
              gboolean    azure,
              const char *ca,
              const char *out_dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) ca_chains = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GString) manifest = g_string_new (azure ? "imei,device_id,serial,file,ca\n"
                                                    : "imei,thing_name,serial,file,ca\n");
  CloudExport export = { workspace, azure, ca, out_dir, ca_chains, manifest, 0 };
  GHashTableIter iter;
  gpointer authority, chain;

  if (ca != NULL)
    {
      g_autoptr(CaAuthority) authority_record = ts_workspace_get_authority (workspace, ca, &error);

      if (authority_record == NULL)
        return ts_cli_fail (error);
    }
  if (g_mkdir_with_parents (out_dir, 0700) != 0)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The folder %s cannot be created."), out_dir);
      return ts_cli_fail (error);
    }
  if (!for_each_fleet_row (workspace, CA_FLEET_VALID, 0, NULL, NULL, cloud_export_row, &export, &error))
    return ts_cli_fail (error);
  if (export.devices == 0)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("No device%s%s has a valid certificate, so there is nothing to export."),
                   ca != NULL ? _(" of ") : "", ca != NULL ? ca : "");
      return ts_cli_fail (error);
    }
  if (!cloud_write (&export, "manifest.csv", manifest->str, &error))
    return ts_cli_fail (error);

  printf (_("Wrote %u device certificate chains and manifest.csv to %s.\n"), export.devices, out_dir);
  g_hash_table_iter_init (&iter, ca_chains);
  while (g_hash_table_iter_next (&iter, &authority, &chain))
    {
      g_autofree char *safe = file_safe (authority);
      g_autofree char *name = g_strdup_printf (azure ? "ca-%s-chain.pem" : "ca-%s.pem", safe);
      g_autofree char *issuing = NULL;

      if (!azure)
        {
          /* AWS registers the CA that signed the devices; its chain is the first certificate. */
          const char *end = strstr (chain, "-----END CERTIFICATE-----");

          issuing = end != NULL ? g_strndup (chain, end - (const char *) chain + strlen ("-----END CERTIFICATE-----\n"))
                                : g_strdup (chain);
        }
      if (!cloud_write (&export, name, azure ? chain : issuing, &error))
        return ts_cli_fail (error);
      if (azure)
        printf (_("Upload %s to the IoT Hub or DPS as the CA of %s. Azure then asks for proof that you hold "
                  "its key: run `tagsmith ca proof %s --code CODE` with the verification code it shows, and "
                  "upload the certificate that prints.\n"), name, (char *) authority, (char *) authority);
      else
        printf (_("Register %s with AWS IoT as the CA of %s (with JITP/JITR enabled); devices present their "
                  "device-IMEI.pem chain.\n"), name, (char *) authority);
    }

  return TS_CLI_EXIT_OK;
}

static int
run_export (TsCli  *cli,
            int     argc,
            char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *format = NULL;
  g_autofree char *out_dir = NULL;
  g_autofree char *ca = NULL;
  int exit_code;
  GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, N_("nrfcloud-csv, json, aws or azure"), "FORMAT" },
    { "out-dir", 0, 0, G_OPTION_ARG_FILENAME, &out_dir,
      N_("Where to write the files (aws, azure; nrfcloud-csv writes nrfcloud-NNN.csv here instead of stdout)"),
      "DIR" },
    { "ca", 0, 0, G_OPTION_ARG_STRING, &ca, N_("Only the devices of this CA (aws, azure)"), "NAME" },
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "fleet export", NULL,
                             _("Export the devices with a valid certificate for a cloud service."), entries,
                             &argc, &argv, &exit_code))
    return exit_code;

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_ONLY, &error))
    return ts_cli_fail (error);

  if (g_strcmp0 (format, "nrfcloud-csv") == 0)
    {
      g_autoptr(GPtrArray) files = ts_workspace_export_nrfcloud_csv (cli->workspace, &error);

      if (files == NULL)
        return ts_cli_fail (error);
      if (out_dir == NULL && files->len > 1)
        {
          g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("nRF Cloud takes at most 1000 devices per file and there are more; give --out-dir DIR "
                         "to write %u files."), files->len);
          return ts_cli_fail (error);
        }
      if (out_dir != NULL && g_mkdir_with_parents (out_dir, 0700) != 0)
        {
          g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The folder %s cannot be created."), out_dir);
          return ts_cli_fail (error);
        }
      for (guint i = 0; i < files->len; i++)
        {
          g_autofree char *name = g_strdup_printf ("nrfcloud-%03u.csv", i + 1);
          g_autofree char *path = out_dir != NULL ? g_build_filename (out_dir, name, NULL) : NULL;
          const char *text = files->pdata[i];

          if (path == NULL)
            fputs (text, stdout);
          else if (!ts_cli_ca_write_new_file (path, text, strlen (text), 0644, FALSE, &error))
            return ts_cli_fail (error);
          else
            printf (_("Wrote %s.\n"), path);
        }
      return TS_CLI_EXIT_OK;
    }

  if (g_strcmp0 (format, "json") == 0)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      ExportState state = { cli->workspace, builder };

      json_builder_begin_array (builder);
      if (!for_each_fleet_row (cli->workspace, CA_FLEET_VALID, 0, NULL, NULL, export_row, &state, &error))
        return ts_cli_fail (error);
      json_builder_end_array (builder);
      ts_cli_ca_print_builder (builder);
      return TS_CLI_EXIT_OK;
    }

  if (g_strcmp0 (format, "aws") == 0 || g_strcmp0 (format, "azure") == 0)
    {
      if (out_dir == NULL)
        return ts_cli_usage_error ("fleet export", _("--format %s writes one file per device; give --out-dir DIR."),
                                   format);
      return export_cloud (cli->workspace, g_str_equal (format, "azure"), ca, out_dir);
    }

  return ts_cli_usage_error ("fleet export",
                             _("Give --format nrfcloud-csv, json, aws (AWS IoT JITP/JITR) or azure (Azure IoT Hub/DPS)."));
}

int
ts_cli_ca_run_fleet (TsCli  *cli,
                     int     argc,
                     char  **argv)
{
  static const TsCliSubverb subverbs[] = {
    { "list", run_list },
    { "show", run_show },
    { "export", run_export },
    { NULL, NULL },
  };

  return ts_cli_ca_dispatch (cli, "fleet", subverbs, argc, argv);
}

static int
run_audit_list (TsCli  *cli,
                int     argc,
                char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = NULL;
  gint64 after = 0;
  int limit = 0;
  int exit_code;
  GOptionEntry entries[] = {
    { "after", 0, 0, G_OPTION_ARG_INT64, &after, N_("Only events after this id"), "ID" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("At most N events"), "N" },
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "audit list", NULL,
                             _("List the audit log, oldest first. With --pass each event's link is checked "
                               "(\"verified\"); without, none is."), entries, &argc, &argv, &exit_code))
    return exit_code;

  /* Links are keyed with the passphrase: checked only when it is given. */
  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_ONLY, &error) ||
      (cli->pass_spec != NULL && !ts_cli_unlock_workspace (cli, &error)) ||
      (events = ts_workspace_list_audit (cli->workspace, after, MAX (limit, 0), &error)) == NULL)
    return ts_cli_fail (error);

  if (cli->json)
    ts_cli_ca_print_array (events, add_event);
  else
    for (guint i = 0; i < events->len; i++)
      print_event (events->pdata[i]);

  return TS_CLI_EXIT_OK;
}

/* A lot report of a large lot is a few megabytes; a head file is one line. */
#define MAX_HEAD_FILE (64 * 1024 * 1024)

/* --expect takes SEQ:HASH, or a file holding one (a saved head, or a lot report's JSON). */
static gboolean
read_expected_head (const char  *expect,
                    gint64      *out_seq,
                    char       **out_hash,
                    GError     **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *head = NULL;
  const char *found;
  GStatBuf st;

  if (strchr (expect, ':') != NULL && !g_file_test (expect, G_FILE_TEST_EXISTS))
    return ca_audit_head_parse (expect, out_seq, out_hash, error);
  if (g_stat (expect, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size > MAX_HEAD_FILE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("--expect %s is neither SEQ:HASH nor a readable file of at most 64 MB holding one."), expect);
      return FALSE;
    }
  if (!g_file_get_contents (expect, &contents, NULL, error))
    return FALSE;

  /* A lot report's JSON names it "audit_head"; a .head file is just the line. */
  found = strstr (contents, "\"audit_head\"");
  if (found != NULL && (found = strchr (found + strlen ("\"audit_head\""), '"')) != NULL)
    head = g_strndup (found + 1, strcspn (found + 1, "\""));
  else
    head = g_strndup (contents, strcspn (contents, "\n"));

  if (!ca_audit_head_parse (head, out_seq, out_hash, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("%s holds no audit head. Give a lot report, the .head file of a backup, or SEQ:HASH "
                     "as `tagsmith audit verify` printed it."), expect);
      return FALSE;
    }

  return TRUE;
}

static int
run_audit_verify (TsCli  *cli,
                  int     argc,
                  char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *expect = NULL;
  g_autofree char *expected_hash = NULL;
  g_autofree char *head = NULL;
  gint64 expected_seq = 0;
  gint64 checked = 0;
  gint64 broken = 0;
  gboolean ok;
  int exit_code;
  GOptionEntry entries[] = {
    { "expect", 0, 0, G_OPTION_ARG_FILENAME, &expect,
      N_("Also check that the ledger still holds this audit head (SEQ:HASH, or a file with one, such as a "
         "lot report or the .head file of a backup)"), "HEAD" },
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "audit verify", NULL,
                             _("Check the audit log's keyed chain and replay it against the ledger's certificates, "
                               "CAs and installs; exits non-zero at the first difference. Needs the passphrase."),
                             entries, &argc, &argv, &exit_code))
    return exit_code;
  if (expect != NULL && !read_expected_head (expect, &expected_seq, &expected_hash, &error))
    return ts_cli_fail (error);

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_ONLY, &error) ||
      !ts_cli_unlock_workspace (cli, &error))
    return ts_cli_fail (error);
  ok = ts_workspace_verify_audit (cli->workspace, &checked, &broken, &error) &&
       (expect == NULL || ts_workspace_audit_contains (cli->workspace, expected_seq, expected_hash, &error)) &&
       (head = ts_workspace_dup_audit_head (cli->workspace, &error)) != NULL;

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      ts_cli_ca_add_boolean (builder, "ok", ok);
      ts_cli_ca_add_int (builder, "verified", checked);
      ts_cli_ca_add_int (builder, "first_broken", broken);
      ts_cli_ca_add_string (builder, "head", head);
      ts_cli_ca_add_string (builder, "message", error != NULL ? error->message : NULL);
      json_builder_end_object (builder);
      ts_cli_ca_print_builder (builder);
    }

  if (!ok)
    return ts_cli_fail (error);
  if (!cli->json)
    {
      printf (_("The audit log verifies: %" G_GINT64_FORMAT " events, chain intact, and the ledger matches "
                "them.\n"), checked);
      if (expect != NULL)
        printf (_("It still contains the expected head %" G_GINT64_FORMAT ":%s.\n"), expected_seq, expected_hash);
      printf (_("Audit head: %s\n"), head);
    }

  return TS_CLI_EXIT_OK;
}

int
ts_cli_ca_run_audit (TsCli  *cli,
                     int     argc,
                     char  **argv)
{
  static const TsCliSubverb subverbs[] = {
    { "list", run_audit_list },
    { "verify", run_audit_verify },
    { NULL, NULL },
  };

  return ts_cli_ca_dispatch (cli, "audit", subverbs, argc, argv);
}
