/* ts-cli-ca.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-cli-ca"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "ts-badge.h"
#include "ts-cli-ca.h"
#include "ts-cli-verbs.h"
#include "ts-output.h"

const TsCliVerb ts_cli_ca_verbs[] = {
  { "ca",          N_("Create, list, export and import certificate authorities"), ts_cli_ca_run_ca },
  { "issue",       N_("Issue a device certificate from a CSR or a new host key"), ts_cli_ca_run_issue },
  { "issue-batch", N_("Issue certificates for a CSV of IMEIs and CSRs"), ts_cli_ca_run_issue_batch },
  { "revoke",      N_("Revoke a device certificate"), ts_cli_ca_run_revoke },
  { "crl",         N_("Sign a certificate revocation list"), ts_cli_ca_run_crl },
  { "fleet",       N_("List, show and export the devices in the ledger"), ts_cli_ca_run_fleet },
  { "audit",       N_("List or verify the ledger's audit log"), ts_cli_ca_run_audit },
  { "backup",      N_("Copy the ledger to a file while it is in use"), ts_cli_ca_run_backup },
  { NULL, NULL, NULL },
};

int
ts_cli_ca_dispatch (TsCli               *cli,
                    const char          *verb,
                    const TsCliSubverb  *subverbs,
                    int                  argc,
                    char               **argv)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (const TsCliSubverb *sub = subverbs; sub->name != NULL; sub++)
    {
      if (argc >= 2 && g_str_equal (argv[1], sub->name))
        return sub->run (cli, argc - 1, argv + 1);
      g_string_append_printf (names, "%s%s", names->len > 0 ? ", " : "", sub->name);
    }

  if (argc >= 2 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")))
    {
      printf (_("Usage: tagsmith %s SUBVERB [OPTIONS]\nSubverbs: %s\n"
                "Run `tagsmith %s SUBVERB --help` for a subverb's options.\n"), verb, names->str, verb);
      return TS_CLI_EXIT_OK;
    }

  return ts_cli_usage_error (verb, argc < 2 ? _("Say what to do: %s.") : _("Unknown subverb. Choose one of: %s."),
                             names->str);
}

/* YYYY-MM-DD or a full ISO 8601 time, taken as UTC. */
gboolean
ts_cli_ca_parse_date (const char  *text,
                      gint64      *out_time,
                      GError     **error)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *full = NULL;

  if (strlen (text) == 10)
    text = full = g_strconcat (text, "T00:00:00Z", NULL);
  time = g_date_time_new_from_iso8601 (text, utc);
  if (time == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a date. Write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ."), text);
      return FALSE;
    }
  *out_time = g_date_time_to_unix (time);

  return TRUE;
}

char *
ts_cli_ca_date (gint64 unix_time)
{
  g_autoptr(GDateTime) time = unix_time != 0 ? g_date_time_new_from_unix_utc (unix_time) : NULL;

  return time != NULL ? g_date_time_format (time, "%Y-%m-%d") : g_strdup ("-");
}

void
ts_cli_ca_add_array (JsonBuilder    *builder,
                     const char     *member,
                     GPtrArray      *items,
                     TsCliCaAddFunc  add)
{
  if (member != NULL)
    json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; i < items->len; i++)
    add (builder, g_ptr_array_index (items, i));
  json_builder_end_array (builder);
}

void
ts_cli_ca_print_builder (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  ts_cli_print_json (root);
}

void
ts_cli_ca_print_array (GPtrArray      *items,
                       TsCliCaAddFunc  add)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  ts_cli_ca_add_array (builder, NULL, items, add);
  ts_cli_ca_print_builder (builder);
}

void
ts_cli_ca_add_certificate_item (JsonBuilder   *builder,
                                gconstpointer  certificate)
{
  ts_json_add_certificate (builder, certificate, FALSE);
}

void
ts_cli_ca_add_certificate_item_with_pem (JsonBuilder   *builder,
                                         gconstpointer  certificate)
{
  ts_json_add_certificate (builder, certificate, TRUE);
}

/* One CA of `ca list --json`. */
static void
add_authority (JsonBuilder   *builder,
               gconstpointer  item)
{
  const CaAuthority *authority = item;

  json_builder_begin_object (builder);
  ts_json_add_string (builder, "name", authority->name);
  ts_json_add_string (builder, "parent", authority->parent_name);
  ts_json_add_string (builder, "subject", authority->subject);
  ts_json_add_string (builder, "key", ca_key_type_to_string (authority->key_type));
  ts_json_add_int (builder, "path_len", authority->path_len);
  ts_json_add_time (builder, "not_before", authority->not_before);
  ts_json_add_time (builder, "not_after", authority->not_after);
  ts_json_add_string (builder, "serial", authority->serial);
  ts_json_add_string (builder, "sha256", authority->sha256);
  ts_json_add_int (builder, "issued", authority->issued_count);
  ts_json_add_revocation (builder, authority->status, authority->revoke_reason, authority->revoked_at,
                          authority->invalidity_date);
  json_builder_end_object (builder);
}

static gboolean
parse_key_type (const char  *verb,
                const char  *text,
                CaKeyType   *out_type,
                int         *exit_code)
{
  if (text == NULL || ca_key_type_from_string (text, out_type))
    return TRUE;

  *exit_code = ts_cli_usage_error (verb, _("--key %s is not a key type. Use ec-p256, ec-p384, rsa-2048, "
                                           "rsa-3072 or rsa-4096."), text);
  return FALSE;
}

static int
create_authority (TsCli                     *cli,
                  const CaAuthorityRequest  *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaAuthority) authority = NULL;
  g_autofree char *until = NULL;

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_WRITE, &error) ||
      !ts_cli_unlock_workspace (cli, &error) ||
      (authority = ts_workspace_create_authority (cli->workspace, request, &error)) == NULL)
    return ts_cli_fail (error);

  until = ts_cli_ca_date (authority->not_after);
  printf (_("Created the %s CA “%s” (%s, valid until %s).\n"), request->parent != NULL ? "intermediate" : "root",
          authority->name, ca_key_type_to_string (authority->key_type), until);
  if (request->parent != NULL && request->path_len < 0 && authority->path_len >= 0)
    printf (_("Its path length is %d: no more CA levels below it than the CAs above allow.\n"),
            authority->path_len);

  return TS_CLI_EXIT_OK;
}

static int
run_init (TsCli  *cli,
          int     argc,
          char  **argv)
{
  g_autofree char *name = NULL;
  g_autofree char *key = NULL;
  int days = 0;
  int exit_code;
  CaKeyType key_type = CA_KEY_EC_P256;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("The CA's name, also its common name"), "NAME" },
    { "key", 0, 0, G_OPTION_ARG_STRING, &key, N_("ec-p256 (default), ec-p384, rsa-2048, rsa-3072 or rsa-4096"), "TYPE" },
    { "days", 0, 0, G_OPTION_ARG_INT, &days, N_("Validity in days (default 7300)"), "N" },
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "ca init", NULL, _("Create a self-signed root CA."), entries, &argc, &argv,
                             &exit_code) ||
      !parse_key_type ("ca init", key, &key_type, &exit_code))
    return exit_code;
  if (name == NULL)
    return ts_cli_usage_error ("ca init", _("Give the new CA a --name."));

  return create_authority (cli, &(CaAuthorityRequest) { name, NULL, key_type, days, -1 });
}

static int
run_intermediate (TsCli  *cli,
                  int     argc,
                  char  **argv)
{
  g_autofree char *name = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *key = NULL;
  int days = 0;
  int path_len = -1;
  int exit_code;
  CaKeyType key_type = CA_KEY_EC_P256;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("The CA's name, also its common name"), "NAME" },
    { "parent", 0, 0, G_OPTION_ARG_STRING, &parent, N_("The CA that signs it"), "NAME" },
    { "key", 0, 0, G_OPTION_ARG_STRING, &key, N_("ec-p256 (default), ec-p384, rsa-2048, rsa-3072 or rsa-4096"), "TYPE" },
    { "days", 0, 0, G_OPTION_ARG_INT, &days, N_("Validity in days (default 3650, never past the parent)"), "N" },
    { "path-len", 0, 0, G_OPTION_ARG_INT, &path_len, N_("How many CAs may follow below it (default: as many as the CAs above allow)"), "N" },
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "ca intermediate", NULL, _("Create an intermediate CA signed by another CA."),
                             entries, &argc, &argv, &exit_code) ||
      !parse_key_type ("ca intermediate", key, &key_type, &exit_code))
    return exit_code;
  if (name == NULL || parent == NULL)
    return ts_cli_usage_error ("ca intermediate", _("Give the new CA a --name and its --parent."));
  if (path_len < -1)
    return ts_cli_usage_error ("ca intermediate", _("--path-len must be 0 or more."));

  return create_authority (cli, &(CaAuthorityRequest) { name, parent, key_type, days, path_len });
}

static int
run_list (TsCli  *cli,
          int     argc,
          char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) authorities = NULL;
  int exit_code;
  GOptionEntry entries[] = { { NULL } };

  if (!ts_cli_parse_options (cli, "ca list", NULL, _("List the ledger's CAs."), entries, &argc, &argv, &exit_code))
    return exit_code;

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_ONLY, &error) ||
      (authorities = ts_workspace_list_authorities (cli->workspace, &error)) == NULL)
    return ts_cli_fail (error);

  if (cli->json)
    {
      ts_cli_ca_print_array (authorities, add_authority);
      return TS_CLI_EXIT_OK;
    }

  if (authorities->len == 0)
    {
      printf (_("No CAs yet. Create one with `tagsmith ca init --name NAME`.\n"));
      return TS_CLI_EXIT_OK;
    }

  printf ("%-24s %-24s %-9s %-10s %-7s %s\n", _("NAME"), _("PARENT"), _("KEY"), _("EXPIRES"), _("ISSUED"),
          _("STATUS"));
  for (guint i = 0; i < authorities->len; i++)
    {
      CaAuthority *authority = authorities->pdata[i];
      g_autofree char *until = ts_cli_ca_date (authority->not_after);

      printf ("%-24s %-24s %-9s %-10s %-7" G_GINT64_FORMAT " %s%s%s%s\n", authority->name,
              authority->parent_name != NULL ? authority->parent_name : "-",
              ca_key_type_to_string (authority->key_type), until, authority->issued_count,
              ts_badge_for_certificate (authority->status, authority->not_after).name,
              authority->status == CA_CERT_STATUS_REVOKED ? " (" : "",
              authority->status == CA_CERT_STATUS_REVOKED ? ca_revoke_reason_to_string (authority->revoke_reason) : "",
              authority->status == CA_CERT_STATUS_REVOKED ? ")" : "");
    }

  return TS_CLI_EXIT_OK;
}

static int
run_export (TsCli  *cli,
            int     argc,
            char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = NULL;
  gboolean chain = FALSE;
  int exit_code;
  GOptionEntry entries[] = {
    { "chain", 0, 0, G_OPTION_ARG_NONE, &chain, N_("Add the issuing CAs up to the root"), NULL },
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "ca export", "NAME", _("Print a CA certificate as PEM."), entries,
                             &argc, &argv, &exit_code))
    return exit_code;
  if (argc != 2)
    return ts_cli_usage_error ("ca export", _("Name one CA."));

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_ONLY, &error) ||
      (pem = ts_workspace_export_authority (cli->workspace, argv[1], chain, &error)) == NULL)
    return ts_cli_fail (error);

  fputs (pem, stdout);

  return TS_CLI_EXIT_OK;
}

static int
run_proof (TsCli  *cli,
           int     argc,
           char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *pem = NULL;
  int exit_code;
  GOptionEntry entries[] = {
    { "code", 0, 0, G_OPTION_ARG_STRING, &code, N_("The verification code the cloud service shows"), "CODE" },
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "ca proof", "NAME",
                             _("Print a proof-of-possession certificate (CN=CODE) for registering a CA with "
                               "Azure IoT Hub/DPS or AWS IoT."), entries, &argc, &argv, &exit_code))
    return exit_code;
  if (argc != 2 || code == NULL)
    return ts_cli_usage_error ("ca proof", _("Name one CA and give the --code."));

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_WRITE, &error) ||
      !ts_cli_unlock_workspace (cli, &error) ||
      (pem = ts_workspace_issue_proof (cli->workspace, argv[1], code, &error)) == NULL)
    return ts_cli_fail (error);

  fputs (pem, stdout);

  return TS_CLI_EXIT_OK;
}

static int
run_import_openssl (TsCli  *cli,
                    int     argc,
                    char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) imported = NULL;
  g_auto(GStrv) notes = NULL;
  g_autofree char *key_pass_spec = NULL;
  g_auto(CaSecret) key_pass = NULL;
  int exit_code;
  GOptionEntry entries[] = {
    { "key-pass", 0, 0, G_OPTION_ARG_STRING, &key_pass_spec,
      N_("Passphrase of the folder's encrypted keys (env:VAR, file:PATH, fd:N, pass:TEXT, stdin)"), "SPEC" },
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "ca import-openssl", "DIR",
                             _("Import an OpenSSL-recipe CA folder (rootca/ and subca/, or a single CA) with "
                               "its index of issued certificates."), entries, &argc, &argv, &exit_code))
    return exit_code;
  if (argc != 2)
    return ts_cli_usage_error ("ca import-openssl", _("Name the folder to import."));

  if (key_pass_spec != NULL)
    {
      TsCli key_cli = *cli;

      key_cli.pass_spec = key_pass_spec;
      key_pass = ts_cli_read_passphrase (&key_cli, "", FALSE, &error);
      if (key_pass == NULL)
        return ts_cli_fail (error);
    }

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_WRITE, &error) ||
      !ts_cli_unlock_workspace (cli, &error) ||
      (imported = ts_workspace_import_openssl (cli->workspace, argv[1], key_pass, &notes, &error)) == NULL)
    return ts_cli_fail (error);

  for (guint i = 0; notes[i] != NULL; i++)
    fprintf (stderr, "tagsmith: %s\n", notes[i]);

  for (guint i = 0; i < imported->len; i++)
    {
      CaAuthority *authority = imported->pdata[i];

      printf (_("Imported the CA “%s” with %" G_GINT64_FORMAT " issued certificates.\n"), authority->name,
              authority->issued_count);
    }

  return TS_CLI_EXIT_OK;
}

int
ts_cli_ca_run_ca (TsCli  *cli,
                  int     argc,
                  char  **argv)
{
  static const TsCliSubverb subverbs[] = {
    { "init", run_init },
    { "intermediate", run_intermediate },
    { "list", run_list },
    { "export", run_export },
    { "import-openssl", run_import_openssl },
    { "proof", run_proof },
    { NULL, NULL },
  };

  return ts_cli_ca_dispatch (cli, "ca", subverbs, argc, argv);
}

int
ts_cli_ca_run_backup (TsCli  *cli,
                      int     argc,
                      char  **argv)
{
  g_autoptr(GError) error = NULL;
  int exit_code;
  g_autofree char *head = NULL;
  g_autofree char *head_path = NULL;
  g_autofree char *line = NULL;
  GOptionEntry entries[] = { { NULL } };

  if (!ts_cli_parse_options (cli, "backup", "FILE",
                             _("Copy the whole ledger (CAs, encrypted keys, devices, audit log) to FILE."),
                             entries, &argc, &argv, &exit_code))
    return exit_code;
  if (argc != 2)
    return ts_cli_usage_error ("backup", _("Name the backup file."));

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_ONLY, &error) ||
      (head = ts_workspace_backup (cli->workspace, argv[1], &error)) == NULL)
    return ts_cli_fail (error);

  /* The head of the copy, kept beside it: `audit verify --expect FILE.head` later
   * tells whether the ledger was rolled back past this backup. */
  head_path = g_strconcat (argv[1], ".head", NULL);
  line = g_strconcat (head, "\n", NULL);
  if (!ts_output_write_new_file (head_path, line, strlen (line), 0600, TRUE, &error))
    return ts_cli_fail (error);

  printf (_("Backed up the ledger to %s.\n"), argv[1]);
  printf (_("Audit head: %s (also in %s)\n"), head, head_path);

  return TS_CLI_EXIT_OK;
}
