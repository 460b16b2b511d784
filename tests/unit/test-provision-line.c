/* test-provision-line.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "test-ca-util.h"
#include "ts-line.h"
#include "ts-workspace-modem.h"

#define SEC_TAG   42
#define EVENT_WAIT_US (60 * G_USEC_PER_SEC)

/* A bench over a scratch ledger, with emulators registered in the scratch
 * folder so discovery sees them and nothing else. */
typedef struct
{
  Fixture      ca;
  TsWorkspace *workspace;  /* on the fixture's ledger, unlocked */
  char        *report;
  GAsyncQueue *events;     /* (element-type utf8) "PASS <imei>", "FAIL <imei>", ... */
  GHashTable  *emulators;  /* imei → GSubprocess */
} LineFixture;

static void
line_set_up (LineFixture   *fixture,
             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture_set_up (&fixture->ca, NULL);
  make_cas (&fixture->ca);
  fixture->workspace = ts_workspace_new (fixture->ca.path);
  g_assert_true (ts_workspace_open (fixture->workspace, TS_WORKSPACE_OPEN_READ_WRITE, &error));
  g_assert_true (ts_workspace_unlock (fixture->workspace, PASS, NULL, &error));
  g_assert_no_error (error);
  fixture->report = g_build_filename (fixture->ca.dir, "lot-report", NULL);
  fixture->events = g_async_queue_new_full (g_free);
  fixture->emulators = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

static void
stop_emulator (LineFixture *fixture,
               const char  *imei)
{
  GSubprocess *emulator = g_hash_table_lookup (fixture->emulators, imei);

  g_assert_nonnull (emulator);
  g_subprocess_send_signal (emulator, SIGTERM);
  g_subprocess_wait (emulator, NULL, NULL);
  g_hash_table_remove (fixture->emulators, imei);
}

static void
line_tear_down (LineFixture   *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GList) imeis = g_hash_table_get_keys (fixture->emulators);

  for (GList *l = imeis; l != NULL; l = l->next)
    {
      GSubprocess *emulator = g_hash_table_lookup (fixture->emulators, l->data);

      g_subprocess_force_exit (emulator);
      g_subprocess_wait (emulator, NULL, NULL);
    }
  g_hash_table_unref (fixture->emulators);
  g_async_queue_unref (fixture->events);
  g_free (fixture->report);
  /* The workspace's signals wait on the main context: let them go first. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&fixture->workspace);
  fixture_tear_down (&fixture->ca, NULL);
}

/* A failed assertion aborts the test before tear-down: take the emulators along. */
static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* Returns the emulator's port; @fault (nullable) is one of its --fault specs.
 * With @traffic, the AT traffic it logs (--verbose) can be read there. */
static char *
start_emulator_with_fault (LineFixture       *fixture,
                           const char        *profile,
                           const char        *imei,
                           const char        *fault,
                           GDataInputStream **traffic)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  char *port;
  GSubprocess *emulator;

  g_ptr_array_add (argv, (char *) g_getenv ("TAGSMITH_EMULATOR"));
  g_ptr_array_add (argv, "--no-pacing");
  g_ptr_array_add (argv, "--profile");
  g_ptr_array_add (argv, (char *) profile);
  g_ptr_array_add (argv, "--imei");
  g_ptr_array_add (argv, (char *) imei);
  if (fault != NULL)
    {
      g_ptr_array_add (argv, "--fault");
      g_ptr_array_add (argv, (char *) fault);
    }
  if (traffic != NULL)
    g_ptr_array_add (argv, "--verbose");
  g_ptr_array_add (argv, NULL);

  /* ts_modem_discover() and the emulators meet in the (isolated) runtime folder. */
  g_mkdir_with_parents (g_get_user_runtime_dir (), 0700);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        (traffic != NULL ? G_SUBPROCESS_FLAGS_STDERR_PIPE : 0));
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", g_get_user_runtime_dir (), TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  emulator = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  if (traffic != NULL)
    *traffic = g_data_input_stream_new (g_subprocess_get_stderr_pipe (emulator));

  /* The first line (the pty) comes once the emulator is registered. */
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (emulator));
  port = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (port);

  g_hash_table_insert (fixture->emulators, g_strdup (imei), emulator);
  return port;
}

static void
start_emulator (LineFixture *fixture,
                const char  *profile,
                const char  *imei)
{
  g_free (start_emulator_with_fault (fixture, profile, imei, NULL, NULL));
}

static void
observe (const TsLineEvent *event,
         gpointer           user_data)
{
  static const char *const labels[] = { "STARTED", "PASS", "FAIL", "SKIPPED" };
  LineFixture *fixture = user_data;

  g_test_message ("%s %s %s: %s", labels[event->kind], event->port, event->imei, event->message);
  if (event->kind != TS_LINE_EVENT_STARTED)
    g_async_queue_push (fixture->events,
                        g_strdup_printf ("%s %s", labels[event->kind],
                                         event->imei != NULL ? event->imei : "?"));
}

static void
expect_event (LineFixture *fixture,
              const char  *expected)
{
  g_autofree char *event = g_async_queue_timeout_pop (fixture->events, EVENT_WAIT_US);

  g_assert_cmpstr (event, ==, expected);
}

static TsLine *
line_new (LineFixture *fixture)
{
  g_autoptr(TsProvisionRequest) request = ts_provision_request_new ("Issuing", SEC_TAG);
  g_autoptr(GError) error = NULL;
  TsLine *line;

  line = ts_line_new (fixture->workspace, request, "L1", fixture->report, &error);
  g_assert_no_error (error);
  ts_line_set_parallel (line, 3);
  ts_line_set_poll_interval (line, 50);
  ts_line_set_observer (line, observe, fixture, NULL);

  return line;
}

static void
run_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Stops the bench and waits for its run to end, as the GUI would. */
static void
finish_line (TsLine        *line,
             GAsyncResult **result)
{
  g_autoptr(GError) error = NULL;

  ts_line_stop (line);
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (ts_line_run_finish (line, *result, &error));
  g_assert_no_error (error);
}

/* Three kits come and go, one of them (old firmware, no --host-key) fails; the
 * lot report has them all, and a second session of the lot skips the done unit. */
static void
test_line_three_kits (LineFixture   *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(TsLine) line = line_new (fixture);
  g_autoptr(TsLine) resumed = NULL;
  g_autoptr(GAsyncResult) first_result = NULL;
  g_autoptr(GAsyncResult) second_result = NULL;
  g_autoptr(TsLotReport) report = NULL;
  g_autoptr(GError) error = NULL;

  ts_line_run_async (line, NULL, run_cb, &first_result);

  start_emulator (fixture, "nrf9161", "352656100123457");
  expect_event (fixture, "PASS 352656100123457");
  start_emulator (fixture, "nrf9160-legacy", "352656100367872");
  expect_event (fixture, "FAIL 352656100367872");
  stop_emulator (fixture, "352656100123457");
  start_emulator (fixture, "nrf9151", "490154203237518");
  expect_event (fixture, "PASS 490154203237518");

  g_assert_cmpuint (ts_line_get_passed (line), ==, 2);
  g_assert_cmpuint (ts_line_get_failed (line), ==, 1);

  finish_line (line, &first_result);

  report = ts_lot_report_open ("L1", fixture->report, &error);
  g_assert_no_error (error);
  g_assert_true (ts_lot_report_is_done (report, "352656100123457"));

  /* The report carries the ledger's audit head, to catch a rollback later. */
  {
    g_autofree char *json = NULL;
    g_autofree char *hash = NULL;
    g_autofree char *head = NULL;
    gint64 seq = 0;

    g_assert_true (ca_ledger_audit_head (fixture->ca.ledger, &seq, &hash, &error));
    g_assert_cmpint (seq, >, 0);
    head = ca_audit_head_to_string (seq, hash);
    g_assert_true (g_file_get_contents (ts_lot_report_get_json_path (report), &json, NULL, NULL));
    g_assert_nonnull (strstr (json, "\"audit_head\""));
    g_assert_nonnull (strstr (json, head));
  }
  g_assert_true (ts_lot_report_is_done (report, "490154203237518"));
  g_assert_false (ts_lot_report_is_done (report, "352656100367872"));

  /* The same lot again: the kits still plugged in are looked at once more;
   * the done one is skipped, the failed one is tried (and fails) again. */
  resumed = line_new (fixture);
  g_assert_cmpuint (ts_line_get_passed (resumed), ==, 2);
  ts_line_set_parallel (resumed, 1);
  ts_line_run_async (resumed, NULL, run_cb, &second_result);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *event = g_async_queue_timeout_pop (fixture->events, EVENT_WAIT_US);

      g_assert_true (g_strcmp0 (event, "SKIPPED 490154203237518") == 0 ||
                     g_strcmp0 (event, "FAIL 352656100367872") == 0);
    }
  start_emulator (fixture, "nrf9161", "352656100123457");
  expect_event (fixture, "SKIPPED 352656100123457");
  finish_line (resumed, &second_result);
  g_assert_cmpuint (ts_line_get_passed (resumed), ==, 2);
  g_assert_cmpuint (ts_line_get_failed (resumed), ==, 1);
}

/* Stopping while units are in flight lets them finish and saves the report. */
static void
test_line_stop_finishes_units (LineFixture   *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(TsLine) line = line_new (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(TsLotReport) report = NULL;

  start_emulator (fixture, "nrf9161", "352656100123457");
  start_emulator (fixture, "nrf9151", "490154203237518");
  ts_line_set_max_units (line, 2);
  g_assert_true (ts_line_run (line, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ts_line_get_passed (line), ==, 2);

  report = ts_lot_report_open ("L1", fixture->report, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ts_lot_report_count (report, TRUE), ==, 2);
}

/* Every port the workspace opens waits @timeout_ms for each answer. */
static void
set_timeout (LineFixture *fixture,
             guint        timeout_ms)
{
  g_autoptr(TsProvisionDefaults) defaults = ts_workspace_dup_provision_defaults (fixture->workspace);

  defaults->timeout_ms = timeout_ms;
  ts_workspace_set_provision_defaults (fixture->workspace, defaults);
}

/* Units that fail before they tell their IMEI, behind a bridge that never
 * answers and on a modem that does not answer AT+CGSN within the bench's
 * timeout, are FAILs: counted, and in the report with their port and reason. */
static void
test_line_unknown_units (LineFixture   *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(TsLine) line = line_new (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(TsLotReport) report = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *silent = NULL;
  g_autofree char *mute = NULL;
  JsonArray *units;

  silent = start_emulator_with_fault (fixture, "nrf9161", "352656100123457", "drop-final=AT",
                                      NULL);
  mute = start_emulator_with_fault (fixture, "nrf9151", "490154203237518", "drop-final=+CGSN",
                                    NULL);
  set_timeout (fixture, 1000);
  ts_line_set_max_units (line, 2);
  g_assert_true (ts_line_run (line, NULL, &error));
  g_assert_no_error (error);
  expect_event (fixture, "FAIL ?");
  expect_event (fixture, "FAIL ?");
  g_assert_cmpuint (ts_line_get_failed (line), ==, 2);
  g_assert_cmpuint (ts_line_get_passed (line), ==, 0);

  g_assert_true (json_parser_load_from_file (parser, ts_line_get_json_path (line), &error));
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (json_parser_get_root (parser)),
                                               "failed"), ==, 2);
  units = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "units");
  g_assert_cmpuint (json_array_get_length (units), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *unit = json_array_get_object_element (units, i);
      const char *port = json_object_get_string_member (unit, "port");
      const char *reason = json_object_get_string_member (unit, "reason");

      g_assert_true (json_object_get_null_member (unit, "imei"));
      g_assert_cmpstr (json_object_get_string_member (unit, "result"), ==, "FAIL");
      g_assert_cmpstr (json_object_get_string_member (unit, "ca"), ==, "Issuing");
      if (g_strcmp0 (port, silent) == 0)
        g_assert_nonnull (strstr (reason, "answers AT commands"));
      else
        {
          /* The bench's own timeout, not the modem's default of 15 s. */
          g_assert_cmpstr (port, ==, mute);
          g_assert_nonnull (strstr (reason, "within 1 s"));
        }
    }

  report = ts_lot_report_open ("L1", fixture->report, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ts_lot_report_count (report, FALSE), ==, 2);
}

/* A unit interrupted before it told its IMEI did not fail: it has no row. */
static void
test_line_interrupted_unknown_unit (LineFixture   *fixture,
                                    gconstpointer  user_data)
{
  g_autoptr(TsLine) line = line_new (fixture);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GDataInputStream) traffic = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *port = NULL;
  g_autofree char *event = NULL;

  port = start_emulator_with_fault (fixture, "nrf9161", "352656100123457", "drop-final=AT",
                                    &traffic);
  ts_line_run_async (line, cancellable, run_cb, &result);

  /* "<<" starts each line the emulator received: the bench is probing it. */
  while (TRUE)
    {
      g_autofree char *logged = g_data_input_stream_read_line (traffic, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (logged);
      if (g_str_has_prefix (logged, "<<"))
        break;
    }
  g_cancellable_cancel (cancellable);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (ts_line_run_finish (line, result, &error));
  g_assert_no_error (error);

  event = g_async_queue_try_pop (fixture->events);
  g_assert_null (event);
  g_assert_cmpuint (ts_line_get_failed (line), ==, 0);
}

/* A kit open in a device window (which holds its port) fails at once, saying
 * where it is open; its port is then still the window's, and free once the
 * window lets it go. */
static void
test_line_held_port (LineFixture   *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(TsLine) line = line_new (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *port = NULL;
  g_autofree char *holder = NULL;
  TsPortLease *window;
  JsonArray *units;
  const char *reason;

  port = start_emulator_with_fault (fixture, "nrf9161", "352656100123457", NULL, NULL);
  window = ts_workspace_lease_port (fixture->workspace, port, "a device window",
                                    TS_PORT_LEASE_HELD, NULL, &error);
  g_assert_no_error (error);

  ts_line_set_max_units (line, 1);
  g_assert_true (ts_line_run (line, NULL, &error));
  g_assert_no_error (error);
  expect_event (fixture, "FAIL ?");

  g_assert_true (json_parser_load_from_file (parser, ts_line_get_json_path (line), &error));
  g_assert_no_error (error);
  units = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "units");
  g_assert_cmpuint (json_array_get_length (units), ==, 1);
  reason = json_object_get_string_member (json_array_get_object_element (units, 0), "reason");
  g_assert_nonnull (strstr (reason, "a device window"));
  g_assert_null (strstr (reason, "another program"));

  holder = ts_workspace_dup_port_holder (fixture->workspace, port);
  g_assert_cmpstr (holder, ==, "a device window");
  ts_port_lease_release (window);
  g_clear_pointer (&holder, g_free);
  holder = ts_workspace_dup_port_holder (fixture->workspace, port);
  g_assert_null (holder);
}

/* A unit holds its port while it is provisioned, and gives it back before it
 * is reported. */
static void
observe_holder (const TsLineEvent *event,
                gpointer           user_data)
{
  LineFixture *fixture = user_data;
  g_autofree char *holder = ts_workspace_dup_port_holder (fixture->workspace, event->port);

  g_async_queue_push (fixture->events,
                      g_strdup_printf ("%u %s", event->kind, holder != NULL ? holder : "free"));
}

static void
test_line_unit_holds_port (LineFixture   *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(TsLine) line = line_new (fixture);
  g_autoptr(GError) error = NULL;

  start_emulator (fixture, "nrf9161", "352656100123457");
  ts_line_set_observer (line, observe_holder, fixture, NULL);
  ts_line_set_max_units (line, 1);
  g_assert_true (ts_line_run (line, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ts_line_get_passed (line), ==, 1);

  expect_event (fixture, "0 the production line");
  expect_event (fixture, "1 free");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/provision/line/three-kits", LineFixture, NULL,
              line_set_up, test_line_three_kits, line_tear_down);
  g_test_add ("/provision/line/unknown-units", LineFixture, NULL,
              line_set_up, test_line_unknown_units, line_tear_down);
  g_test_add ("/provision/line/interrupted-unknown-unit", LineFixture, NULL,
              line_set_up, test_line_interrupted_unknown_unit, line_tear_down);
  g_test_add ("/provision/line/stop-finishes-units", LineFixture, NULL,
              line_set_up, test_line_stop_finishes_units, line_tear_down);
  g_test_add ("/provision/line/held-port", LineFixture, NULL,
              line_set_up, test_line_held_port, line_tear_down);
  g_test_add ("/provision/line/unit-holds-port", LineFixture, NULL,
              line_set_up, test_line_unit_holds_port, line_tear_down);

  return g_test_run ();
}
