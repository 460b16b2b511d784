/* ts-cli-station.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-cli-station"

#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "ts-cli-ca.h"
#include "ts-cli-station.h"
#include "ts-cli-verbs.h"

const char *
ts_cli_station_name (const char *option)
{
  const char *name = option != NULL ? option : g_getenv ("TAGSMITH_STATION");

  return name != NULL && *name != '\0' ? name : NULL;
}

gboolean
ts_cli_use_station (TsCli       *cli,
                    const char  *name,
                    char       **inout_ca,
                    GError     **error)
{
  g_autoptr(CaStation) station = NULL;

  if (name == NULL)
    return TRUE;
  station = ts_workspace_use_station (cli->workspace, name, error);
  if (station == NULL)
    return FALSE;
  if (*inout_ca == NULL)
    *inout_ca = g_strdup (station->authority_name);

  return TRUE;
}

/* One station of `station list --json` and of enroll and revoke. */
static void
add_station (JsonBuilder   *builder,
             gconstpointer  item)
{
  const CaStation *station = item;

  json_builder_begin_object (builder);
  ts_json_add_string (builder, "name", station->name);
  ts_json_add_string (builder, "ca", station->authority_name);
  ts_json_add_string (builder, "parent", station->parent_name);
  ts_json_add_string (builder, "status", ca_cert_status_to_string (station->status));
  ts_json_add_string (builder, "revoke_reason", station->status == CA_CERT_STATUS_REVOKED
                                                ? ca_revoke_reason_to_string (station->revoke_reason) : NULL);
  ts_json_add_time (builder, "revoked_at", station->revoked_at);
  ts_json_add_time (builder, "enrolled_at", station->created_at);
  ts_json_add_int (builder, "devices", station->device_count);
  json_builder_end_object (builder);
}

static void
print_station_json (const CaStation *station)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  add_station (builder, station);
  ts_cli_ca_print_builder (builder);
}

static int
run_enroll (TsCli  *cli,
            int     argc,
            char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaStation) station = NULL;
  g_autofree char *parent = NULL;
  int exit_code;
  GOptionEntry entries[] = {
    { "parent", 0, 0, G_OPTION_ARG_STRING, &parent, N_("The CA that signs the station's intermediate"), "CA" },
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "station enroll", "NAME",
                             _("Enroll a bench as a station of this ledger: it gets its own intermediate "
                               "CA below --parent, so it can be revoked on its own."),
                             entries, &argc, &argv, &exit_code))
    return exit_code;
  if (argc != 2 || parent == NULL)
    return ts_cli_usage_error ("station enroll", _("Name one station and give its --parent CA."));

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_WRITE, &error) ||
      !ts_cli_unlock_workspace (cli, &error) ||
      (station = ts_workspace_enroll_station (cli->workspace, argv[1], parent, &error)) == NULL)
    return ts_cli_fail (error);

  if (cli->json)
    print_station_json (station);
  else
    printf (_("Enrolled the station “%s”: its CA “%s” is signed by “%s”. On that bench, give "
              "--station %s or set TAGSMITH_STATION=%s.\n"), station->name, station->authority_name,
            station->parent_name, station->name, station->name);

  return TS_CLI_EXIT_OK;
}

static int
run_list (TsCli  *cli,
          int     argc,
          char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) stations = NULL;
  int exit_code;
  GOptionEntry entries[] = { { NULL } };

  if (!ts_cli_parse_options (cli, "station list", NULL, _("List the stations enrolled in the ledger."), entries,
                             &argc, &argv, &exit_code))
    return exit_code;

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_ONLY, &error) ||
      (stations = ts_workspace_list_stations (cli->workspace, &error)) == NULL)
    return ts_cli_fail (error);

  if (cli->json)
    {
      ts_cli_ca_print_array (stations, add_station);
      return TS_CLI_EXIT_OK;
    }
  if (stations->len == 0)
    {
      printf (_("No stations yet. Enroll a bench with `tagsmith station enroll NAME --parent CA`.\n"));
      return TS_CLI_EXIT_OK;
    }

  printf ("%-20s %-28s %-24s %-8s %s\n", _("NAME"), _("CA"), _("PARENT"), _("DEVICES"), _("STATUS"));
  for (guint i = 0; i < stations->len; i++)
    {
      CaStation *station = stations->pdata[i];
      gboolean revoked = station->status == CA_CERT_STATUS_REVOKED;

      printf ("%-20s %-28s %-24s %-8" G_GINT64_FORMAT " %s%s%s%s\n", station->name, station->authority_name,
              station->parent_name, station->device_count, ca_cert_status_to_string (station->status),
              revoked ? " (" : "", revoked ? ca_revoke_reason_to_string (station->revoke_reason) : "",
              revoked ? ")" : "");
    }

  return TS_CLI_EXIT_OK;
}

static int
run_revoke (TsCli  *cli,
            int     argc,
            char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaStation) station = NULL;
  g_autoptr(GBytes) crl = NULL;
  g_autofree char *reason_text = NULL;
  g_autofree char *crl_path = NULL;
  CaRevokeReason reason = CA_REVOKE_CA_COMPROMISE;
  int exit_code;
  GOptionEntry entries[] = {
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason_text,
      N_("cACompromise (default), cessationOfOperation, affiliationChanged or superseded"), "REASON" },
    { "crl", 0, 0, G_OPTION_ARG_FILENAME, &crl_path, N_("Write the parent's new CRL (PEM) to this new file"),
      "FILE" },
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "station revoke", "NAME",
                             _("Revoke a station: its intermediate CA is revoked by its parent, which signs a "
                               "new CRL, and the station can no longer issue or provision."),
                             entries, &argc, &argv, &exit_code))
    return exit_code;
  if (argc != 2)
    return ts_cli_usage_error ("station revoke", _("Name one station."));
  if (reason_text != NULL && !ca_revoke_reason_from_string (reason_text, &reason))
    return ts_cli_usage_error ("station revoke", _("Unknown reason “%s”. Use cACompromise, cessationOfOperation, "
                                                   "affiliationChanged or superseded."), reason_text);

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_WRITE, &error) ||
      !ts_cli_unlock_workspace (cli, &error) ||
      (station = ts_workspace_revoke_station (cli->workspace, argv[1], reason, &crl, &error)) == NULL)
    return ts_cli_fail (error);
  if (crl_path != NULL &&
      !ts_output_write_new_file (crl_path, g_bytes_get_data (crl, NULL), g_bytes_get_size (crl), 0644, FALSE,
                                 &error))
    return ts_cli_fail (error);

  if (cli->json)
    print_station_json (station);
  else
    printf (_("Revoked the station “%s” (%s): its CA “%s” is on the new CRL of “%s”%s%s. Publish that CRL "
              "where devices and servers fetch it.\n"), station->name, ca_revoke_reason_to_string (reason),
            station->authority_name, station->parent_name, crl_path != NULL ? ", written to " : "",
            crl_path != NULL ? crl_path : "");

  return TS_CLI_EXIT_OK;
}

static int
run_station (TsCli  *cli,
             int     argc,
             char  **argv)
{
  static const TsCliSubverb subverbs[] = {
    { "enroll", run_enroll },
    { "list", run_list },
    { "revoke", run_revoke },
    { NULL, NULL },
  };

  return ts_cli_ca_dispatch (cli, "station", subverbs, argc, argv);
}

const TsCliVerb ts_cli_station_verbs[] = {
  { "station", N_("Enroll, list and revoke the benches that share this ledger"), run_station },
  { NULL, NULL, NULL },
};
