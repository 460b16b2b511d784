/* ts-cli-provision.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-cli-provision"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib-unix.h>

#include <ca.h>
#include "ts-cli.h"
#include "ts-cli-ca.h"
#include "ts-cli-link.h"
#include "ts-cli-station.h"
#include "ts-cli-verbs.h"
#include "ts-line.h"
#include "ts-provision.h"
#include "ts-workspace-modem.h"

/* --parallel without --jobs: as many kits at once as a bench usually has hubs for. */
#define DEFAULT_PARALLEL 8

/* `line` ran, and the lot has units whose latest attempt failed: told apart
 * from 1, the bench itself failing, so a script can tell the two. */
#define LINE_EXIT_UNITS_FAILED 3

/* The options `provision`, `rekey` and `line` share. */
typedef struct
{
  TsCliLinkOptions  link;
  char             *port;
  char             *authority;
  char             *station;
  char             *sec_tag;
  char             *server_ca;
  char             *server_ca_system;
  char             *profile;
  char             *line_endings;
  char             *reason;
  char             *crl_dir;
  char             *lot;
  char             *report;
  gboolean          host_key;
  gboolean          force;
  gboolean          parallel;
  int               jobs;
  int               units;
  int               days;
} ProvisionOptions;

static void
provision_options_clear (ProvisionOptions *o)
{
  g_free (o->port);
  g_free (o->authority);
  g_free (o->station);
  g_free (o->sec_tag);
  g_free (o->server_ca);
  g_free (o->server_ca_system);
  g_free (o->profile);
  g_free (o->line_endings);
  g_free (o->reason);
  g_free (o->crl_dir);
  g_free (o->lot);
  g_free (o->report);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ProvisionOptions, provision_options_clear)

#define COMMON_ENTRIES(o) \
  { "ca", 0, 0, G_OPTION_ARG_STRING, &(o).authority, N_("The issuing CA"), N_("NAME") }, \
  TS_CLI_STATION_OPTION_ENTRY ((o).station), \
  { "sec-tag", 0, 0, G_OPTION_ARG_STRING, &(o).sec_tag, N_("Where the credentials go"), N_("N") }, \
  { "server-ca", 0, 0, G_OPTION_ARG_FILENAME, &(o).server_ca, \
    N_("Also write this PEM file as the sec_tag's CA certificate"), N_("FILE") }, \
  { "server-ca-system", 0, 0, G_OPTION_ARG_STRING, &(o).server_ca_system, \
    N_("Also write this certificate of the system trust store (/etc/ssl/certs), e.g. ISRG_Root_X1"), \
    N_("NAME") }, \
  { "host-key", 0, 0, G_OPTION_ARG_NONE, &(o).host_key, \
    N_("Generate the key on this computer (for firmware without %KEYGEN); it is wiped after writing"), \
    NULL }, \
  { "profile", 0, 0, G_OPTION_ARG_STRING, &(o).profile, \
    N_("Naming profile: generic, lwm2m, nrfcloud, nrfcloud-uuid, azure or aws"), N_("NAME") }, \
  { "line-endings", 0, 0, G_OPTION_ARG_STRING, &(o).line_endings, \
    N_("Line endings of the certificates written: lf (default), crlf or keep"), N_("STYLE") }, \
  { "days", 0, 0, G_OPTION_ARG_INT, &(o).days, N_("Certificate validity in days"), N_("N") }, \
  TS_CLI_LINK_OPTION_ENTRIES ((o).link)

/* Provisioning needs a CA, so a missing ledger is an error, never created here. */
static gboolean
open_unlocked_workspace (TsCli   *cli,
                         GError **error)
{
  if (!ts_workspace_ledger_may_exist (cli->db_path))
    {
      g_set_error (error, CA_ERROR, CA_ERROR_NOT_FOUND,
                   _("There is no ledger at %s. Create a CA first with `tagsmith ca init`, "
                     "or point --db at your ledger."), cli->db_path);
      return FALSE;
    }

  /* A station is read before the request is built, so this may be the second call. */
  return ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_WRITE, error) &&
         (ts_workspace_is_unlocked (cli->workspace) || ts_cli_unlock_workspace (cli, error));
}

/* Makes the shared options the workspace's provisioning defaults and builds the
 * request from them; prints advice and returns FALSE when one is wrong. */
static gboolean
build_request (TsCli               *cli,
               const char          *verb,
               ProvisionOptions    *o,
               gboolean             needs_port,
               TsProvisionRequest **out,
               int                 *exit_code)
{
  g_autoptr(TsProvisionRequest) request = NULL;
  g_autoptr(TsProvisionDefaults) defaults = NULL;
  g_autoptr(GError) error = NULL;
  guint32 sec_tag = 0;
  const char *station;

  if (needs_port && o->port == NULL)
    {
      *exit_code = ts_cli_usage_error (verb, _("Say which modem with --port PATH "
                                               "(`tagsmith devices` lists them)."));
      return FALSE;
    }
  station = ts_cli_station_name (o->station);
  if (o->authority == NULL && station == NULL)
    {
      *exit_code = ts_cli_usage_error (verb, _("Say which CA signs with --ca NAME "
                                               "(`tagsmith ca list` lists them), or which station "
                                               "this is with --station NAME."));
      return FALSE;
    }
  if (o->sec_tag == NULL)
    {
      *exit_code = ts_cli_usage_error (verb, _("Say where the credentials go with --sec-tag N."));
      return FALSE;
    }
  if (!ts_sec_tag_parse (o->sec_tag, &sec_tag, &error) ||
      !ts_sec_tag_check_writable (sec_tag, &error))
    {
      *exit_code = ts_cli_usage_error (verb, "%s", error->message);
      return FALSE;
    }
  if (o->server_ca != NULL && o->server_ca_system != NULL)
    {
      *exit_code = ts_cli_usage_error (verb, _("Give the server CA either as --server-ca FILE "
                                               "or as --server-ca-system NAME, not both."));
      return FALSE;
    }
  if (o->days < 0)
    {
      *exit_code = ts_cli_usage_error (verb, _("--days must be a positive number of days."));
      return FALSE;
    }
  if (!ts_cli_link_apply (cli, verb, &o->link, exit_code))
    return FALSE;
  /* The station's CA issues unless another was given, so the ledger is read now. */
  if (station != NULL &&
      (!open_unlocked_workspace (cli, &error) || !ts_cli_use_station (cli, station, &o->authority, &error)))
    {
      *exit_code = ts_cli_fail (error);
      return FALSE;
    }

  defaults = ts_workspace_dup_provision_defaults (cli->workspace);
  g_free (defaults->authority);
  defaults->authority = g_strdup (o->authority);
  g_free (defaults->profile);
  defaults->profile = g_strdup (o->profile);
  defaults->sec_tag = sec_tag;
  defaults->host_key = o->host_key;
  defaults->days = o->days;
  g_free (defaults->server_ca);
  defaults->server_ca = g_strdup (o->server_ca != NULL ? o->server_ca : o->server_ca_system);
  defaults->server_ca_system = o->server_ca_system != NULL;
  if (o->line_endings != NULL && !ts_line_endings_parse (o->line_endings, &defaults->endings, &error))
    {
      *exit_code = ts_cli_usage_error (verb, "%s", error->message);
      return FALSE;
    }
  ts_workspace_set_provision_defaults (cli->workspace, defaults);

  request = ts_workspace_new_provision_request (cli->workspace, NULL, &error);
  if (request == NULL)
    {
      *exit_code = ts_cli_fail (error);
      return FALSE;
    }
  request->force = o->force;
  request->crl_dir = g_strdup (o->crl_dir);
  if (o->reason != NULL && !ca_revoke_reason_from_string (o->reason, &request->reason))
    {
      *exit_code = ts_cli_usage_error (verb, _("Unknown reason “%s”. Use superseded, "
                                               "keyCompromise, affiliationChanged, "
                                               "cessationOfOperation or unspecified."),
                                       o->reason);
      return FALSE;
    }

  *out = g_steal_pointer (&request);
  return TRUE;
}


static void
print_progress (const char *step,
                double      fraction,
                const char *message,
                gpointer    user_data)
{
  if (fraction < 0)
    fprintf (stderr, "  ! %s\n", message);
  else
    fprintf (stderr, "%3.0f%%  %s\n", fraction * 100, message);
}

static void
add_strings_member (JsonBuilder *builder,
                    const char  *name,
                    GPtrArray   *values)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < values->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (values, i));
  json_builder_end_array (builder);
}

static void
print_result_json (const TsProvisionResult *r)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, r->error == NULL);
  ts_json_add_string (builder, "outcome",
                      r->error == NULL ? ts_provision_outcome_to_string (r->outcome) : "failed");
  ts_json_add_string (builder, "error", r->error != NULL ? r->error->message : NULL);
  ts_json_add_string (builder, "port", r->port);
  ts_json_add_string (builder, "imei", r->imei);
  ts_json_add_string (builder, "uuid", r->device_uuid);
  ts_json_add_string (builder, "model", r->model);
  ts_json_add_string (builder, "firmware", r->firmware);
  ts_json_add_string (builder, "ca", r->authority);
  ts_json_add_string (builder, "profile", r->profile);
  json_builder_set_member_name (builder, "sec_tag");
  json_builder_add_int_value (builder, r->sec_tag);
  ts_json_add_string (builder, "serial", r->serial);
  ts_json_add_string (builder, "sha256", r->sha256);
  ts_json_add_string (builder, "subject", r->subject);
  ts_json_add_time (builder, "not_after", r->not_after);
  json_builder_set_member_name (builder, "host_key");
  json_builder_add_boolean_value (builder, r->host_key);
  json_builder_set_member_name (builder, "verified_by_readback");
  json_builder_add_boolean_value (builder, r->verified_by_readback);
  json_builder_set_member_name (builder, "duration_ms");
  json_builder_add_double_value (builder, r->duration_us / 1000.0);
  json_builder_set_member_name (builder, "bytes_written");
  json_builder_add_int_value (builder, (gint64) r->bytes_written);
  json_builder_set_member_name (builder, "bytes_read");
  json_builder_add_int_value (builder, (gint64) r->bytes_read);

  json_builder_set_member_name (builder, "steps");
  json_builder_begin_array (builder);
  for (guint i = 0; i < r->steps->len; i++)
    {
      const TsProvisionStep *step = g_ptr_array_index (r->steps, i);

      json_builder_begin_object (builder);
      ts_json_add_string (builder, "name", step->name);
      json_builder_set_member_name (builder, "duration_ms");
      json_builder_add_double_value (builder, step->duration_us / 1000.0);
      json_builder_set_member_name (builder, "bytes_written");
      json_builder_add_int_value (builder, (gint64) step->bytes_written);
      json_builder_set_member_name (builder, "bytes_read");
      json_builder_add_int_value (builder, (gint64) step->bytes_read);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  add_strings_member (builder, "notices", r->notices);
  add_strings_member (builder, "revoked", r->revoked);
  add_strings_member (builder, "crl_paths", r->crl_paths);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  ts_cli_print_json (root);
}

static void
print_result_text (const TsProvisionResult *r)
{
  if (r->outcome == TS_PROVISION_ALREADY_PROVISIONED)
    {
      printf (_("IMEI %s is already provisioned: sec_tag %u holds certificate %s. "
                "Nothing was changed.\n"), r->imei, r->sec_tag, r->serial);
      return;
    }

  printf (_("Provisioned IMEI %s, sec_tag %u: certificate %s (%s), SHA-256 %s, verified by %s.\n"),
          r->imei, r->sec_tag, r->serial, r->subject, r->sha256,
          r->verified_by_readback ? _("reading it back") : _("listing the modem"));
  for (guint i = 0; i < r->revoked->len; i++)
    printf (_("Revoked the previous certificate %s.\n"),
            (const char *) g_ptr_array_index (r->revoked, i));
  for (guint i = 0; i < r->crl_paths->len; i++)
    printf (_("Published the CRL in %s.\n"), (const char *) g_ptr_array_index (r->crl_paths, i));
  printf (_("%.1f s, %" G_GUINT64_FORMAT " bytes sent and %" G_GUINT64_FORMAT " received.\n"),
          r->duration_us / 1e6, r->bytes_written, r->bytes_read);
}

/* Ctrl-C: the first one asks to stop cleanly, the second one cancels. */
typedef struct
{
  GMainLoop    *loop;
  GCancellable *cancellable;
  TsLine       *line;
  gboolean      interrupted;
  gpointer      result;
  GError       *error;
} RunState;

static gboolean
on_interrupt (gpointer user_data)
{
  RunState *state = user_data;

  if (state->line != NULL && !state->interrupted)
    {
      fprintf (stderr, _("Stopping: finishing the units in flight and writing the report "
                         "(Ctrl-C again to interrupt them).\n"));
      ts_line_stop (state->line);
    }
  else
    {
      fprintf (stderr, _("Interrupting; the modem is put back in its previous mode.\n"));
      g_cancellable_cancel (state->cancellable);
    }
  state->interrupted = TRUE;

  return G_SOURCE_CONTINUE;
}

static void
run_with_signals (RunState *state,
                  void    (*start) (RunState *state))
{
  guint sigint, sigterm;

  state->loop = g_main_loop_new (NULL, FALSE);
  state->cancellable = g_cancellable_new ();
  sigint = g_unix_signal_add (SIGINT, on_interrupt, state);
  sigterm = g_unix_signal_add (SIGTERM, on_interrupt, state);

  start (state);
  g_main_loop_run (state->loop);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_clear_object (&state->cancellable);
  g_clear_pointer (&state->loop, g_main_loop_unref);
}

typedef struct
{
  RunState            state;
  TsWorkspace        *workspace;
  TsDeviceLink       *modem;
  TsProvisionRequest *request;
  gboolean            quiet;
} ProvisionRun;

static void
provision_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ProvisionRun *run = user_data;

  run->state.result = ts_workspace_provision_finish (run->workspace, result, &run->state.error);
  g_main_loop_quit (run->state.loop);
}

static void
provision_start (RunState *state)
{
  ProvisionRun *run = (ProvisionRun *) state;

  ts_workspace_provision_async (run->workspace, run->modem, run->request,
                                run->quiet ? NULL : print_progress, NULL, NULL,
                                state->cancellable, provision_done_cb, run);
}

static int
run_provision (TsCli      *cli,
               const char *verb,
               int         argc,
               char      **argv,
               gboolean    rekey)
{
  g_auto(ProvisionOptions) o = { 0 };
  GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_FILENAME, &o.port, N_("The modem's serial port"), N_("PATH") },
    COMMON_ENTRIES (o),
    { "force", 0, 0, G_OPTION_ARG_NONE, &o.force,
      N_("Provision again even when the sec_tag holds the current certificate"), NULL },
    { NULL },
    { NULL },
    { NULL },
  };
  g_autoptr(TsProvisionRequest) request = NULL;
  g_autoptr(TsDeviceLink) modem = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TsProvisionResult) result = NULL;
  ProvisionRun run = { 0 };
  int exit_code;

  if (rekey)
    {
      GOptionEntry *tail = &entries[G_N_ELEMENTS (entries) - 3];

      tail[0] = (GOptionEntry) { "reason", 0, 0, G_OPTION_ARG_STRING, &o.reason,
                                 N_("Why the old certificates are revoked: superseded (default), "
                                    "keyCompromise, affiliationChanged, cessationOfOperation"),
                                 N_("REASON") };
      tail[1] = (GOptionEntry) { "crl-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.crl_dir,
                                 N_("Where to publish the refreshed CRL (default: crl/ beside "
                                    "the ledger)"), N_("DIR") };
    }

  if (!ts_cli_parse_options (cli, verb, "",
                             rekey ? _("Re-key a returned device: show its history, provision a "
                                       "new key and certificate, revoke the old ones and publish "
                                       "the CRL.")
                                   : _("Provision one modem: key, certificate and server CA "
                                       "written, verified and recorded."),
                             entries, &argc, &argv, &exit_code))
    return exit_code;
  if (argc > 1)
    return ts_cli_usage_error (verb, _("Unexpected argument “%s”."), argv[1]);
  if (!build_request (cli, verb, &o, TRUE, &request, &exit_code))
    return exit_code;
  request->rekey = rekey;

  if (!open_unlocked_workspace (cli, &error))
    return ts_cli_fail (error);

  modem = ts_cli_link_open (cli, verb, o.port, &o.link, &exit_code);
  if (modem == NULL)
    return exit_code;

  run.workspace = cli->workspace;
  run.modem = modem;
  run.request = request;
  run.quiet = cli->json;
  run_with_signals (&run.state, provision_start);
  result = run.state.result;
  error = run.state.error;
  g_clear_pointer (&modem, ts_device_link_unref);

  if (cli->json)
    print_result_json (result);
  else if (error == NULL)
    print_result_text (result);

  if (error != NULL)
    return ts_cli_fail (error);

  return TS_CLI_EXIT_OK;
}

static int
cmd_provision (TsCli  *cli,
               int     argc,
               char  **argv)
{
  return run_provision (cli, "provision", argc, argv, FALSE);
}

static int
cmd_rekey (TsCli  *cli,
           int     argc,
           char  **argv)
{
  return run_provision (cli, "rekey", argc, argv, TRUE);
}

/* One line per unit, with the running count, for the operator. */
static void
print_line_event (const TsLineEvent *event,
                  gpointer           user_data)
{
  g_autofree char *message = NULL;
  const char *label;

  switch (event->kind)
    {
    case TS_LINE_EVENT_STARTED:
      label = "....";
      break;
    case TS_LINE_EVENT_PASS:
      label = "PASS";
      break;
    case TS_LINE_EVENT_FAIL:
      label = "FAIL";
      break;
    case TS_LINE_EVENT_SKIPPED:
    default:
      label = "SKIP";
      break;
    }

  /* One line per event, for scripts: the command-line hint joins the advice. */
  message = g_strdelimit (g_strdup (event->message), "\n", ' ');
  printf ("%s  %-15s  %s  %s  [%u passed, %u failed]\n", label,
          event->imei != NULL ? event->imei : "?", event->port, message,
          event->passed, event->failed);
  fflush (stdout);
}

typedef struct
{
  RunState  state;
  TsLine   *line;
} LineRun;

static void
line_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LineRun *run = user_data;

  ts_line_run_finish (run->line, result, &run->state.error);
  g_main_loop_quit (run->state.loop);
}

static void
line_start (RunState *state)
{
  LineRun *run = (LineRun *) state;

  ts_line_run_async (run->line, state->cancellable, line_done_cb, run);
}

static void
print_line_summary_json (TsLine *line)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  ts_json_add_string (builder, "lot", ts_line_get_lot (line));
  json_builder_set_member_name (builder, "passed");
  json_builder_add_int_value (builder, ts_line_get_passed (line));
  json_builder_set_member_name (builder, "failed");
  json_builder_add_int_value (builder, ts_line_get_failed (line));
  ts_json_add_string (builder, "report_csv", ts_line_get_csv_path (line));
  ts_json_add_string (builder, "report_json", ts_line_get_json_path (line));
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  ts_cli_print_json (root);
}

static int
cmd_line (TsCli  *cli,
          int     argc,
          char  **argv)
{
  g_auto(ProvisionOptions) o = { 0 };
  GOptionEntry entries[] = {
    COMMON_ENTRIES (o),
    { "lot", 0, 0, G_OPTION_ARG_STRING, &o.lot,
      N_("The production lot (default: today's date); the same lot again continues it"),
      N_("NAME") },
    { "report", 0, 0, G_OPTION_ARG_FILENAME, &o.report,
      N_("The lot report; FILE.csv and FILE.json are written (default: lot-NAME)"), N_("FILE") },
    { "parallel", 0, 0, G_OPTION_ARG_NONE, &o.parallel,
      N_("Provision several kits at once"), NULL },
    { "jobs", 0, 0, G_OPTION_ARG_INT, &o.jobs,
      N_("How many kits at once with --parallel (default 8)"), N_("N") },
    { "units", 0, 0, G_OPTION_ARG_INT, &o.units,
      N_("Stop after this many units passed or failed"), N_("N") },
    { NULL },
  };
  g_autoptr(TsProvisionRequest) request = NULL;
  g_autoptr(TsLine) line = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *lot = NULL;
  g_autofree char *report = NULL;
  LineRun run = { 0 };
  int exit_code;

  if (!ts_cli_parse_options (cli, "line", "",
                             _("The production bench: provision every kit that is plugged in, "
                               "once per lot, with a PASS/FAIL line each and a lot report. "
                               "A kit that fails before it tells its IMEI is a FAIL too, "
                               "reported with its port. Ctrl-C finishes the units in flight and "
                               "writes the report.\n\n"
                               "Exit status: 0 when every unit of the lot passed, 3 when the lot "
                               "has units whose latest attempt failed (the report lists them), "
                               "1 when the bench itself failed, 2 for a usage error."),
                             entries, &argc, &argv, &exit_code))
    return exit_code;
  if (argc > 1)
    return ts_cli_usage_error ("line", _("Unexpected argument “%s”."), argv[1]);
  if (o.jobs < 0 || o.units < 0)
    return ts_cli_usage_error ("line", _("--jobs and --units must be positive numbers."));
  if (!build_request (cli, "line", &o, FALSE, &request, &exit_code))
    return exit_code;

  if (o.lot != NULL)
    lot = g_strdup (o.lot);
  else
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

      lot = g_date_time_format (now, "%Y-%m-%d");
    }
  if (o.report != NULL)
    report = g_strdup (o.report);
  else
    {
      g_autofree char *safe = g_strdelimit (g_strdup (lot), G_DIR_SEPARATOR_S, '_');

      report = g_strdup_printf ("lot-%s", safe);
    }

  if (!open_unlocked_workspace (cli, &error))
    return ts_cli_fail (error);

  line = ts_line_new (cli->workspace, request, lot, report, &error);
  if (line == NULL)
    return ts_cli_fail (error);
  ts_line_set_parallel (line, o.parallel ? (o.jobs > 0 ? (guint) o.jobs : DEFAULT_PARALLEL) : 1);
  ts_line_set_max_units (line, (guint) o.units);
  if (!cli->json)
    {
      ts_line_set_observer (line, print_line_event, NULL, NULL);
      fprintf (stderr, _("Lot %s: %u passed, %u failed so far. Waiting for kits; Ctrl-C to "
                         "finish.\n"), lot, ts_line_get_passed (line), ts_line_get_failed (line));
    }

  run.line = line;
  run.state.line = line;
  run_with_signals (&run.state, line_start);
  error = run.state.error;

  if (cli->json)
    print_line_summary_json (line);
  else
    printf (_("Lot %s: %u passed, %u failed. Report: %s and %s\n"), lot,
            ts_line_get_passed (line), ts_line_get_failed (line),
            ts_line_get_csv_path (line), ts_line_get_json_path (line));

  if (error != NULL)
    return ts_cli_fail (error);

  return ts_line_get_failed (line) > 0 ? LINE_EXIT_UNITS_FAILED : TS_CLI_EXIT_OK;
}

const TsCliVerb ts_cli_provision_verbs[] = {
  { "provision", N_("Provision a modem: key, certificate, verify, record"), cmd_provision },
  { "rekey", N_("Re-key a returned device and revoke its old certificate"), cmd_rekey },
  { "line", N_("Production bench: provision every kit plugged in, with a lot report"), cmd_line },
  { NULL },
};
