/* test-ca-ledger-copy.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Copying a ledger between files and a PostgreSQL server, and a server
 * connection that breaks under a ledger in use. The server cases run when
 * TAGSMITH_TEST_PG_URI names a database (tests/pg-server.sh). */

#include "config.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "test-ca-util.h"

#define IMEI3 "353918053624587"

/* The tables of schema 5, each row as text in key order: read here with the
 * engines' own clients, so the copy is checked by code other than its own. */
static const char *const tables[] = { "meta", "authorities", "devices", "certificates", "installs", "audit_log" };

static char *
dump_file (const char *path)
{
  GString *out = g_string_new (NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  for (gsize t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT * FROM %s ORDER BY 1", tables[t]);
      sqlite3_stmt *stmt = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
      g_string_append_printf (out, "[%s]\n", tables[t]);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          for (int c = 0; c < sqlite3_column_count (stmt); c++)
            {
              const char *value = (const char *) sqlite3_column_text (stmt, c);

              g_string_append_printf (out, "%s|", value != NULL ? value : "NULL");
            }
          g_string_append_c (out, '\n');
        }
      sqlite3_finalize (stmt);
    }
  sqlite3_close (db);

  return g_string_free (out, FALSE);
}

static PGconn *
server_connect (const char *uri)
{
  PGconn *conn = PQconnectdb (uri);

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("The test server %s cannot be reached: %s", uri, PQerrorMessage (conn));

  return conn;
}

static PGresult *
server_query (PGconn     *conn,
              const char *sql)
{
  PGresult *result = PQexec (conn, sql);

  if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK)
    g_error ("%s failed on the test server: %s", sql, PQresultErrorMessage (result));

  return result;
}

/* The schema version is a row of meta on a server only. */
static char *
dump_server (const char *uri)
{
  GString *out = g_string_new (NULL);
  PGconn *conn = server_connect (uri);

  for (gsize t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT * FROM %s%s ORDER BY 1", tables[t],
                                              g_str_equal (tables[t], "meta") ? " WHERE key <> 'schema_version'" : "");
      PGresult *result = server_query (conn, sql);

      g_string_append_printf (out, "[%s]\n", tables[t]);
      for (int r = 0; r < PQntuples (result); r++)
        {
          for (int c = 0; c < PQnfields (result); c++)
            g_string_append_printf (out, "%s|", PQgetisnull (result, r, c) ? "NULL" : PQgetvalue (result, r, c));
          g_string_append_c (out, '\n');
        }
      PQclear (result);
    }
  PQfinish (conn);

  return g_string_free (out, FALSE);
}

static char *
dump (const char *location)
{
  return ca_ledger_location_is_server (location) ? dump_server (location) : dump_file (location);
}

/* CAs, issued and revoked certificates, a CRL, devices, a verified install and
 * an open intent, and their audit events. */
static void
fill (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) first = NULL;
  g_autoptr(CaCertificate) second = NULL;
  g_autoptr(CaCertificate) third = NULL;
  g_autoptr(GPtrArray) revoked = NULL;
  g_autoptr(GBytes) crl = NULL;
  CaDevice device = { IMEI1, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "nRF9160 DK", "mfw_nrf9160_1.3.5", "LOT-1" };
  CaInstall install = { 0 };
  gint64 verified;

  make_cas (fixture);
  g_assert_true (ca_ledger_device_seen (fixture->ledger, &device, &error));
  g_assert_no_error (error);
  first = issue_new_key (fixture->ledger, "Issuing", IMEI1, &error);
  g_assert_no_error (error);
  second = issue_new_key (fixture->ledger, "Issuing", IMEI2, &error);
  g_assert_no_error (error);
  third = issue_new_key (fixture->ledger, "Issuing", IMEI1, &error);
  g_assert_no_error (error);
  revoked = ca_ledger_revoke (fixture->ledger,
                              &(CaRevokeRequest) { "Issuing", second->serial, NULL, -1, CA_REVOKE_KEY_COMPROMISE },
                              &error);
  g_assert_no_error (error);
  crl = ca_ledger_generate_crl (fixture->ledger, "Issuing", 0, FALSE, &error);
  g_assert_no_error (error);

  install = (CaInstall) { .imei = IMEI1, .sec_tag = 16842753, .cred_type = 1, .certificate_id = third->id,
                          .sha256 = third->sha256_lf, .port = "/dev/ttyACM0" };
  verified = ca_ledger_install_begin (fixture->ledger, &install, &error);
  g_assert_no_error (error);
  g_assert_true (ca_ledger_install_mark (fixture->ledger, verified, CA_INSTALL_VERIFIED, NULL, &error));
  g_assert_no_error (error);
  install.sec_tag = 16842754;
  g_assert_cmpint (ca_ledger_install_begin (fixture->ledger, &install, &error), >, verified);
  g_assert_no_error (error);
}

static gsize
copy_rows (const char *source,
           const char *destination)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) counts = ca_ledger_copy (source, destination, &error);
  gsize total = 0;

  g_assert_no_error (error);
  g_assert_nonnull (counts);
  for (guint i = 0; i < counts->len; i++)
    total += ((CaLedgerCopyCount *) counts->pdata[i])->rows;

  return total;
}

/* The copy verifies and goes on: a new certificate gets the next id. */
static void
check_copy_works (const char *location)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) ledger = ca_ledger_open (location, &error);
  g_autoptr(CaCertificate) next = NULL;
  g_autoptr(GPtrArray) certificates = NULL;
  gint64 checked = 0;
  gint64 broken = 0;

  g_assert_no_error (error);
  g_assert_true (ca_ledger_unlock (ledger, PASS, &error));
  g_assert_no_error (error);
  g_assert_true (ca_ledger_verify_audit (ledger, &checked, &broken, &error));
  g_assert_no_error (error);
  g_assert_cmpint (checked, >, 8);
  next = issue_new_key (ledger, "Issuing", IMEI3, &error);
  g_assert_no_error (error);
  g_assert_cmpint (next->id, ==, 4);
  g_assert_true (ca_ledger_verify_audit (ledger, &checked, &broken, &error));
  g_assert_no_error (error);
}

static void
test_file_to_file (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *copy = g_build_filename (fixture->dir, "copy.db", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  fill (fixture);
  g_clear_object (&fixture->ledger);
  g_assert_cmpuint (copy_rows (fixture->path, copy), >, 20);
  before = dump (fixture->path);
  after = dump (copy);
  g_assert_cmpstr (before, ==, after);
  g_assert_nonnull (strstr (before, "BEGIN ENCRYPTED PRIVATE KEY"));
  check_copy_works (copy);
}

/* A file, onto a server, and back into a file: every row the same each time. */
static void
test_server_round_trip (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autofree char *back = g_build_filename (fixture->dir, "back.db", NULL);
  g_autofree char *from_file = NULL;
  g_autofree char *on_server = NULL;
  g_autofree char *from_server = NULL;
  Fixture server = { 0 };

  fill (fixture);
  g_clear_object (&fixture->ledger);
  fixture_set_up (&server, test_pg_uri ());
  g_clear_object (&server.ledger);

  copy_rows (fixture->path, server.path);
  copy_rows (server.path, back);
  from_file = dump (fixture->path);
  on_server = dump (server.path);
  from_server = dump (back);
  g_assert_cmpstr (from_file, ==, on_server);
  g_assert_cmpstr (from_file, ==, from_server);
  check_copy_works (server.path);
  check_copy_works (back);

  fixture_tear_down (&server, test_pg_uri ());
}

/* A large ledger copied onto a server is counted there, so that its first
 * users are not planned as on the empty tables the copy began with. */
static void
test_server_counts_copy (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autofree char *known = NULL;
  Fixture server = { 0 };

  make_cas (fixture);
  run_sql (fixture, "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) "
                    "INSERT INTO devices (imei, first_seen, last_seen) SELECT printf ('%015d', i), 0, 0 FROM n");
  g_clear_object (&fixture->ledger);
  fixture_set_up (&server, test_pg_uri ());
  g_clear_object (&server.ledger);

  copy_rows (fixture->path, server.path);
  known = server_value (&server, "SELECT reltuples::bigint FROM pg_class WHERE oid = 'devices'::regclass");
  g_test_message ("devices the server's planner knows of: %s", known);
  g_assert_cmpint (g_ascii_strtoll (known, NULL, 10), ==, 1500);

  fixture_tear_down (&server, test_pg_uri ());
}

/* A copy never mixes two ledgers, and leaves the destination as it was. */
static void
test_refuses_non_empty (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *copy = g_build_filename (fixture->dir, "copy.db", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  GPtrArray *counts;

  make_cas (fixture);
  g_clear_object (&fixture->ledger);
  copy_rows (fixture->path, copy);
  before = dump (copy);

  counts = ca_ledger_copy (fixture->path, copy, &error);
  g_assert_null (counts);
  g_assert_error (error, CA_ERROR, CA_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "is not empty"));
  after = dump (copy);
  g_assert_cmpstr (before, ==, after);

  /* Into the source itself, too. */
  g_clear_error (&error);
  counts = ca_ledger_copy (fixture->path, fixture->path, &error);
  g_assert_null (counts);
  g_assert_error (error, CA_ERROR, CA_ERROR_EXISTS);
}

/* A source of another schema version is refused with advice, and no file is left. */
static void
test_refuses_other_version (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *copy = g_build_filename (fixture->dir, "copy.db", NULL);
  GPtrArray *counts;

  make_cas (fixture);
  g_clear_object (&fixture->ledger);
  /* What schema version 6 wrote: before the fleet's sort keys. */
  undo_schema_7 (fixture);
  run_sql (fixture, "PRAGMA user_version = 6");

  counts = ca_ledger_copy (fixture->path, copy, &error);
  g_assert_null (counts);
  g_assert_error (error, CA_ERROR, CA_ERROR_DATABASE);
  g_assert_nonnull (strstr (error->message, "schema version 6"));
  g_assert_nonnull (strstr (error->message, "Open it once with this Tagsmith"));
  g_assert_false (g_file_test (copy, G_FILE_TEST_EXISTS));
}

/* The ledger's own connection, named so the test can find it on the server. */
static char *
named_uri (Fixture *fixture)
{
  return g_strdup_printf ("%s&application_name=tsledger%d", fixture->path, (int) getpid ());
}

/* Ends the ledger's connection from the server's side, as a restart or a
 * network fault does, and waits until it is gone. */
static void
drop_connection (void)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count (pg_terminate_backend (pid, 60000)) FROM pg_stat_activity "
                                          "WHERE application_name = 'tsledger%d'", (int) getpid ());
  PGconn *conn = server_connect (test_pg_uri ());
  PGresult *result = server_query (conn, sql);

  g_assert_cmpstr (PQgetvalue (result, 0, 0), ==, "1");
  PQclear (result);
  PQfinish (conn);
}

static gpointer
issue_in_thread (gpointer data)
{
  g_autoptr(GError) error = NULL;
  CaCertificate *cert = issue_new_key (data, "Issuing", IMEI3, &error);

  g_assert_no_error (error);

  return cert;
}

/* Records a device, has the connection cut, then records another. */
static gboolean
write_then_drop (CaLedger  *ledger,
                 gpointer   data,
                 GError   **error)
{
  if (!ca_ledger_device_seen (ledger, &(CaDevice) { "352656100123465" }, error))
    return FALSE;
  drop_connection ();

  return ca_ledger_device_seen (ledger, &(CaDevice) { "352656100123473" }, error);
}

/* Blocks until the ledger's connection waits for a lock @holder has. */
static void
wait_until_blocked (PGconn *holder)
{
  g_autofree char *waiting = g_strdup_printf ("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                                              "'tsledger%d' AND wait_event_type = 'Lock'", (int) getpid ());

  for (;;)
    {
      PGresult *result = server_query (holder, waiting);
      gboolean blocked = g_str_equal (PQgetvalue (result, 0, 0), "1");

      PQclear (result);
      if (blocked)
        return;
    }
}

/* A broken connection is made again for the next transaction, and for a write
 * transaction waiting for its lock, before anything is written; one that
 * breaks after a write fails with advice, and nothing half-done remains. */
static void
test_reconnects (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) first = NULL;
  g_autoptr(CaCertificate) second = NULL;
  g_autoptr(CaCertificate) third = NULL;
  g_autofree char *uri = named_uri (fixture);
  g_autoptr(GError) lost = NULL;
  GThread *thread;
  PGconn *holder;
  gint64 checked = 0;
  gint64 broken = 0;

  g_clear_object (&fixture->ledger);
  fixture->ledger = ca_ledger_open (uri, &error);
  g_assert_no_error (error);
  make_cas (fixture);
  first = issue_new_key (fixture->ledger, "Issuing", IMEI1, &error);
  g_assert_no_error (error);

  /* Dropped between transactions: the next one simply works. */
  drop_connection ();
  second = issue_new_key (fixture->ledger, "Issuing", IMEI2, &error);
  g_assert_no_error (error);

  /* Dropped while waiting for the write lock, which is held elsewhere: the
   * ledger connects again and waits on, and issues once the lock is free. */
  holder = server_connect (fixture->path);
  PQclear (server_query (holder, "SELECT pg_advisory_lock (7461677370)"));
  thread = g_thread_new ("issue", issue_in_thread, fixture->ledger);
  wait_until_blocked (holder);
  drop_connection ();
  wait_until_blocked (holder);
  PQfinish (holder);
  third = g_thread_join (thread);
  g_assert_nonnull (third);
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, 3);

  /* Dropped after a write: the change fails with advice, and its first write
   * is not there either. */
  g_assert_false (ca_ledger_run_in_transaction (fixture->ledger, write_then_drop, NULL, &lost));
  g_assert_error (lost, CA_ERROR, CA_ERROR_DATABASE);
  g_assert_nonnull (strstr (lost->message, "connection to the ledger server"));
  g_assert_nonnull (strstr (lost->message, "was lost"));
  g_assert_nonnull (strstr (lost->message, "try again"));
  g_assert_cmpint (count_rows (fixture, "devices WHERE imei IN ('352656100123465', '352656100123473')"), ==, 0);
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, 3);
  g_assert_true (ca_ledger_verify_audit (fixture->ledger, &checked, &broken, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/ca/ledger-copy/file-to-file", Fixture, NULL, fixture_set_up, test_file_to_file, fixture_tear_down);
  g_test_add ("/ca/ledger-copy/refuses-non-empty", Fixture, NULL, fixture_set_up, test_refuses_non_empty,
              fixture_tear_down);
  g_test_add ("/ca/ledger-copy/refuses-other-version", Fixture, NULL, fixture_set_up, test_refuses_other_version,
              fixture_tear_down);
  if (test_pg_uri () != NULL)
    {
      g_test_add ("/pg/ca/ledger-copy/server-round-trip", Fixture, NULL, fixture_set_up, test_server_round_trip,
                  fixture_tear_down);
      g_test_add ("/pg/ca/ledger-copy/server-counts-copy", Fixture, NULL, fixture_set_up, test_server_counts_copy,
                  fixture_tear_down);
      g_test_add ("/pg/ca/ledger/reconnects", Fixture, test_pg_uri (), fixture_set_up, test_reconnects,
                  fixture_tear_down);
    }

  return g_test_run ();
}
