/* test-provision-report.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ts-lot-report.h"
#include "ts-provision-error.h"
#include "ts-server-ca.h"

#define FIXTURES TEST_DATA_DIR "/provision"

static TsLotEntry *
entry_new (const char *imei,
           gboolean    passed,
           const char *reason)
{
  TsLotEntry *entry = g_new0 (TsLotEntry, 1);

  entry->imei = g_strdup (imei);
  entry->uuid = g_strdup ("504d5632-3739-42fb-80c8-1411df972166");
  entry->serial = passed ? g_strdup ("1A2B3C") : NULL;
  entry->sha256 = passed ? g_strdup ("E3C1FDED22009845E3E8E01CE56C9CAF7D5F23877364CF0A27A4E55DD36C7D61")
                         : NULL;
  entry->authority = g_strdup ("Issuing");
  entry->sec_tag = 16842753;
  entry->time = 1795000000;
  entry->passed = passed;
  entry->reason = g_strdup (reason);
  entry->port = g_strdup ("/dev/ttyACM0");

  return entry;
}

static char *
scratch_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("ts-lot-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_scratch (const char *dir,
                TsLotReport *report)
{
  g_unlink (ts_lot_report_get_csv_path (report));
  g_unlink (ts_lot_report_get_json_path (report));
  g_rmdir (dir);
}

/* Saved after each unit; reopening the same lot resumes it, and the latest
 * attempt of a unit replaces its row. */
static void
test_report_resume (void)
{
  g_autofree char *dir = scratch_dir ();
  g_autofree char *path = g_build_filename (dir, "lot-7.csv", NULL);
  g_autoptr(TsLotReport) report = NULL;
  g_autoptr(TsLotReport) again = NULL;
  g_autoptr(GError) error = NULL;

  report = ts_lot_report_open ("lot 7", path, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (ts_lot_report_get_json_path (report), "lot-7.json"));

  ts_lot_report_add (report, entry_new ("352656100123457", TRUE, "provisioned in 3.1 s"));
  ts_lot_report_add (report, entry_new ("490154203237518", FALSE, "The modem rejected it"));
  g_assert_true (ts_lot_report_save (report, &error));
  g_assert_no_error (error);

  again = ts_lot_report_open ("lot 7", path, &error);
  g_assert_no_error (error);
  g_assert_true (ts_lot_report_is_done (again, "352656100123457"));
  g_assert_false (ts_lot_report_is_done (again, "490154203237518"));
  g_assert_false (ts_lot_report_is_done (again, "352656100367872"));
  g_assert_cmpuint (ts_lot_report_count (again, TRUE), ==, 1);
  g_assert_cmpuint (ts_lot_report_count (again, FALSE), ==, 1);

  ts_lot_report_add (again, entry_new ("490154203237518", TRUE, "provisioned in 2.9 s"));
  g_assert_cmpuint (ts_lot_report_count (again, TRUE), ==, 2);
  g_assert_cmpuint (ts_lot_report_count (again, FALSE), ==, 0);

  remove_scratch (dir, again);
}

/* CSV fields with commas, quotes or line breaks are quoted (RFC 4180); the JSON
 * has every column. */
static void
test_report_formats (void)
{
  g_autofree char *dir = scratch_dir ();
  g_autofree char *path = g_build_filename (dir, "bench", NULL);
  g_autoptr(TsLotReport) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *csv = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root, *unit;
  g_auto(GStrv) lines = NULL;

  report = ts_lot_report_open ("A", path, &error);
  g_assert_no_error (error);
  ts_lot_report_add (report, entry_new ("352656100123457", FALSE,
                                        "Refused, said \"no\"\nat step 3"));
  g_assert_true (ts_lot_report_save (report, &error));

  g_assert_true (g_file_get_contents (ts_lot_report_get_csv_path (report), &csv, NULL, NULL));
  lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpstr (lines[0], ==, "lot,imei,uuid,serial,sha256,ca,sec_tag,time,result,reason,port");
  g_assert_cmpstr (lines[1], ==,
                   "A,352656100123457,504d5632-3739-42fb-80c8-1411df972166,,,Issuing,16842753,"
                   "2026-11-18T11:06:40Z,FAIL,\"Refused, said \"\"no\"\"\nat step 3\",/dev/ttyACM0");

  g_assert_true (json_parser_load_from_file (parser, ts_lot_report_get_json_path (report), &error));
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "lot"), ==, "A");
  g_assert_cmpint (json_object_get_int_member (root, "failed"), ==, 1);
  unit = json_array_get_object_element (json_object_get_array_member (root, "units"), 0);
  g_assert_cmpstr (json_object_get_string_member (unit, "result"), ==, "FAIL");
  g_assert_true (json_object_get_null_member (unit, "serial"));
  g_assert_cmpint (json_object_get_int_member (unit, "sec_tag"), ==, 16842753);

  remove_scratch (dir, report);
}

/* A unit that failed before it told its IMEI has a FAIL row of its own, with
 * its port and reason, in both files and after the lot is resumed; two such
 * units cannot be told apart, so neither replaces the other. */
static void
test_report_unknown_units (void)
{
  g_autofree char *dir = scratch_dir ();
  g_autofree char *path = g_build_filename (dir, "lot-8", NULL);
  g_autoptr(TsLotReport) report = NULL;
  g_autoptr(TsLotReport) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *csv = NULL;
  g_auto(GStrv) lines = NULL;
  TsLotEntry *silent = entry_new (NULL, FALSE, "Nothing on /dev/ttyACM1 answers AT commands.");
  TsLotEntry *wrong = entry_new (NULL, FALSE, "Reading the IMEI: no answer within 2 s.");
  JsonArray *units;
  JsonObject *unit;

  g_clear_pointer (&silent->uuid, g_free);
  g_free (silent->port);
  silent->port = g_strdup ("/dev/ttyACM1");
  g_clear_pointer (&wrong->uuid, g_free);

  report = ts_lot_report_open ("lot 8", path, &error);
  g_assert_no_error (error);
  ts_lot_report_add (report, entry_new ("352656100123457", TRUE, "provisioned in 3.1 s"));
  ts_lot_report_add (report, silent);
  ts_lot_report_add (report, wrong);
  g_assert_cmpuint (ts_lot_report_count (report, TRUE), ==, 1);
  g_assert_cmpuint (ts_lot_report_count (report, FALSE), ==, 2);
  g_assert_true (ts_lot_report_save (report, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (ts_lot_report_get_csv_path (report), &csv, NULL, NULL));
  lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpstr (lines[2], ==, "lot 8,,,,,Issuing,16842753,2026-11-18T11:06:40Z,FAIL,"
                                 "Nothing on /dev/ttyACM1 answers AT commands.,/dev/ttyACM1");

  g_assert_true (json_parser_load_from_file (parser, ts_lot_report_get_json_path (report), &error));
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (json_parser_get_root (parser)),
                                               "failed"), ==, 2);
  units = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "units");
  g_assert_cmpuint (json_array_get_length (units), ==, 3);
  unit = json_array_get_object_element (units, 2);
  g_assert_true (json_object_get_null_member (unit, "imei"));
  g_assert_cmpstr (json_object_get_string_member (unit, "result"), ==, "FAIL");
  g_assert_cmpstr (json_object_get_string_member (unit, "port"), ==, "/dev/ttyACM0");
  g_assert_cmpstr (json_object_get_string_member (unit, "reason"), ==,
                   "Reading the IMEI: no answer within 2 s.");

  /* Resumed, the lot still counts them, and a later unit adds a row. */
  again = ts_lot_report_open ("lot 8", path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ts_lot_report_count (again, FALSE), ==, 2);
  g_assert_false (ts_lot_report_is_done (again, NULL));
  ts_lot_report_add (again, entry_new (NULL, FALSE, "Nothing answers."));
  g_assert_cmpuint (ts_lot_report_count (again, FALSE), ==, 3);
  g_assert_cmpuint (ts_lot_report_count (again, TRUE), ==, 1);

  remove_scratch (dir, again);
}

/* A report of another lot, or a damaged one, is refused with advice. */
static void
test_report_refuses_other_lot (void)
{
  g_autofree char *dir = scratch_dir ();
  g_autofree char *path = g_build_filename (dir, "r.json", NULL);
  g_autoptr(TsLotReport) report = NULL;
  g_autoptr(TsLotReport) other = NULL;
  g_autoptr(TsLotReport) damaged = NULL;
  g_autoptr(GError) error = NULL;

  report = ts_lot_report_open ("A", path, &error);
  g_assert_true (ts_lot_report_save (report, &error));

  other = ts_lot_report_open ("B", path, &error);
  g_assert_null (other);
  g_assert_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_REPORT);
  g_assert_nonnull (strstr (error->message, "--lot A"));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (ts_lot_report_get_json_path (report), "{\"lot\": [", -1, NULL));
  damaged = ts_lot_report_open ("A", path, &error);
  g_assert_null (damaged);
  g_assert_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_REPORT);
  g_clear_error (&error);

  remove_scratch (dir, report);
}

static void
test_server_ca_file (void)
{
  g_autoptr(GBytes) pem = NULL;
  g_autoptr(GBytes) none = NULL;
  g_autoptr(GBytes) missing = NULL;
  g_autoptr(GError) error = NULL;

  pem = ts_server_ca_load_file (FIXTURES "/server-root.pem", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (g_bytes_get_data (pem, NULL), "-----BEGIN CERTIFICATE-----"));

  none = ts_server_ca_load_file (FIXTURES "/not-a-cert.pem", &error);
  g_assert_null (none);
  g_assert_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "BEGIN CERTIFICATE"));
  g_clear_error (&error);

  missing = ts_server_ca_load_file (FIXTURES "/no-such-file.pem", &error);
  g_assert_null (missing);
  g_assert_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT);
}

/* Picked from a trust store by name, forgiving case, spaces and the suffix. */
static void
test_server_ca_system (void)
{
  const char *names[] = { "Test_Server_Root", "test server root", "Test_Server_Root.pem" };
  g_autoptr(GBytes) wrong = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GBytes) pem = NULL;
      g_autofree char *path = NULL;

      pem = ts_server_ca_load_system (FIXTURES "/trust", names[i], &path, &error);
      g_assert_no_error (error);
      g_assert_nonnull (pem);
      g_assert_true (g_str_has_suffix (path, "Test_Server_Root.pem"));
    }

  wrong = ts_server_ca_load_system (FIXTURES "/trust", "Server", NULL, &error);
  g_assert_null (wrong);
  g_assert_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "Did you mean one of: Test_Server_Root.pem"));
}

/* The real store, when this machine has one, has the roots nRF Cloud and AWS use. */
static void
test_server_ca_real_store (void)
{
  g_autoptr(GBytes) pem = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_file_test (TS_SYSTEM_TRUST_DIR "/Amazon_Root_CA_1.pem", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no ca-certificates trust store on this machine");
      return;
    }

  pem = ts_server_ca_load_system (NULL, "Amazon Root CA 1", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (pem), >, 1000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/provision/report/resume", test_report_resume);
  g_test_add_func ("/provision/report/formats", test_report_formats);
  g_test_add_func ("/provision/report/unknown-units", test_report_unknown_units);
  g_test_add_func ("/provision/report/refuses-other-lot", test_report_refuses_other_lot);
  g_test_add_func ("/provision/server-ca/file", test_server_ca_file);
  g_test_add_func ("/provision/server-ca/system", test_server_ca_system);
  g_test_add_func ("/provision/server-ca/real-store", test_server_ca_real_store);

  return g_test_run ();
}
