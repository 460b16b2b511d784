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
#include "ts-fleet-export.h"

static void
add_fleet_row (JsonBuilder      *builder,
               const CaFleetRow *row)
{
  json_builder_begin_object (builder);
  ts_json_add_string (builder, "imei", row->imei);
  ts_json_add_string (builder, "uuid", row->uuid);
  ts_json_add_string (builder, "model", row->model);
  ts_json_add_string (builder, "lot", row->lot);
  ts_json_add_time (builder, "last_seen", row->last_seen);
  ts_json_add_string (builder, "serial", row->serial);
  ts_json_add_string (builder, "ca", row->authority_name);
  ts_json_add_string (builder, "profile", row->profile);
  ts_json_add_time (builder, "not_after", row->not_after);
  ts_json_add_string (builder, "status", row->serial != NULL ? ca_cert_status_to_string (row->status) : "none");
  ts_json_add_int (builder, "certificates", row->certificate_count);
  json_builder_end_object (builder);
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
  g_autofree char *sort = NULL;
  CaFleetQuery query = { 0 };
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
    { "sort", 0, 0, G_OPTION_ARG_STRING, &sort, N_("Order by imei (the default), last-seen, expiry or status; "
                                                   "add :desc to reverse"), "COLUMN[:desc]" },
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "fleet list", NULL, _("List the devices with their current certificate."),
                             entries, &argc, &argv, &exit_code))
    return exit_code;
  if (g_strcmp0 (status, "valid") == 0)
    query.filter = CA_FLEET_VALID;
  else if (g_strcmp0 (status, "revoked") == 0)
    query.filter = CA_FLEET_REVOKED;
  else if (g_strcmp0 (status, "expiring") == 0)
    query.filter = CA_FLEET_EXPIRING;
  else if (status != NULL)
    return ts_cli_usage_error ("fleet list", _("--status is valid, revoked or expiring."));
  if (sort != NULL && !ca_fleet_order_from_string (sort, &query.sort, &query.descending))
    return ts_cli_usage_error ("fleet list", _("--sort is imei, last-seen, expiry or status, "
                                               "each optionally followed by :asc or :desc."));
  query.expiring_days = expiring_days;
  query.search = search;
  query.lot = lot;

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

  if (!ts_workspace_for_each_fleet_row (cli->workspace, &query, list_row, &state, &error))
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
  ts_json_add_int (builder, "id", event->id);
  ts_json_add_time (builder, "at", event->at);
  ts_json_add_string (builder, "actor", event->actor);
  ts_json_add_string (builder, "action", event->action);
  ts_json_add_string (builder, "imei", event->imei);
  json_builder_set_member_name (builder, "details");
  if (details != NULL)
    json_builder_add_value (builder, g_steal_pointer (&details));
  else
    json_builder_add_string_value (builder, event->details);
  ts_json_add_string (builder, "hash", event->hash);
  ts_json_add_boolean (builder, "verified", event->verified);
  json_builder_end_object (builder);
}

static void
add_install (JsonBuilder   *builder,
             gconstpointer  item)
{
  const CaInstall *install = item;

  json_builder_begin_object (builder);
  ts_json_add_int (builder, "id", install->id);
  ts_json_add_int (builder, "sec_tag", install->sec_tag);
  ts_json_add_int (builder, "type", install->cred_type);
  ts_json_add_int (builder, "certificate_id", install->certificate_id);
  ts_json_add_string (builder, "sha256", install->sha256);
  ts_json_add_string (builder, "port", install->port);
  ts_json_add_string (builder, "state", ca_install_state_to_string (install->state));
  ts_json_add_boolean (builder, "host_key", install->host_key);
  ts_json_add_string (builder, "detail", install->detail);
  ts_json_add_time (builder, "created_at", install->created_at);
  ts_json_add_time (builder, "updated_at", install->updated_at);
  ts_json_add_string (builder, "station", install->station);
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
      ts_json_add_string (builder, "imei", device->imei);
      ts_json_add_string (builder, "uuid", device->uuid);
      ts_json_add_string (builder, "model", device->model);
      ts_json_add_string (builder, "firmware", device->firmware);
      ts_json_add_string (builder, "lot", device->lot);
      ts_json_add_string (builder, "lot_station", device->lot_station);
      ts_json_add_string (builder, "notes", device->notes);
      ts_json_add_time (builder, "first_seen", device->first_seen);
      ts_json_add_time (builder, "last_seen", device->last_seen);
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

/* What the command line tells after a cloud export: the files, then what to
 * register with the cloud. */
static void
print_cloud_export (const TsFleetExport *export,
                    gboolean             azure,
                    const char          *out_dir)
{
  printf (_("Wrote %u device certificate chains and manifest.csv to %s.\n"), export->devices, out_dir);
  for (guint i = 0; i < export->cas->len; i++)
    {
      const TsFleetExportCa *ca = export->cas->pdata[i];

      if (azure)
        printf (_("Upload %s to the IoT Hub or DPS as the CA of %s. Azure then asks for proof that you hold "
                  "its key: run `tagsmith ca proof %s --code CODE` with the verification code it shows, and "
                  "upload the certificate that prints.\n"), ca->name, ca->authority, ca->authority);
      else
        printf (_("Register %s with AWS IoT as the CA of %s (with JITP/JITR enabled); devices present their "
                  "device-IMEI.pem chain.\n"), ca->name, ca->authority);
    }
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
  g_autoptr(TsFleetExport) export = NULL;
  TsFleetExportRequest request = { 0 };
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
  request.authority = ca;
  request.folder = out_dir;

  if (!ts_fleet_export_format_from_string (format, &request.format))
    return ts_cli_usage_error ("fleet export",
                               _("Give --format nrfcloud-csv, json, aws (AWS IoT JITP/JITR) or azure (Azure IoT Hub/DPS)."));
  if (request.format == TS_FLEET_EXPORT_JSON)
    request.folder = NULL;  /* JSON goes to standard output */
  if ((request.format == TS_FLEET_EXPORT_AWS || request.format == TS_FLEET_EXPORT_AZURE) && out_dir == NULL)
    return ts_cli_usage_error ("fleet export", _("--format %s writes one file per device; give --out-dir DIR."),
                               format);
  if (request.format == TS_FLEET_EXPORT_NRFCLOUD_CSV || request.format == TS_FLEET_EXPORT_JSON)
    request.authority = NULL;  /* --ca narrows the cloud exports only */

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_ONLY, &error) ||
      (export = ts_workspace_export_fleet (cli->workspace, &request, &error)) == NULL)
    return ts_cli_fail (error);

  if (export->text != NULL)
    fputs (export->text, stdout);
  else if (request.format == TS_FLEET_EXPORT_NRFCLOUD_CSV)
    for (guint i = 0; i < export->files->len; i++)
      printf (_("Wrote %s.\n"), (const char *) export->files->pdata[i]);
  else
    print_cloud_export (export, request.format == TS_FLEET_EXPORT_AZURE, out_dir);

  return TS_CLI_EXIT_OK;
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
      ts_json_add_boolean (builder, "ok", ok);
      ts_json_add_int (builder, "verified", checked);
      ts_json_add_int (builder, "first_broken", broken);
      ts_json_add_string (builder, "head", head);
      ts_json_add_string (builder, "message", error != NULL ? error->message : NULL);
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
