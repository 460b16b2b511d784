/* test-workspace-ca.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The workspace's CA and ledger operations: what they do with the workspace's
 * state (not open, failed, locked, read-only), and that changes, and only
 * changes, tell the pages. */

#include "config.h"

#include <glib/gstdio.h>

#include "test-ca-util.h"
#include "ts-workspace-ca.h"

#define CSR_PATH TEST_DATA_DIR "/ca/p256.csr.pem"

/* Every signal the workspace queued has been delivered. */
static void
drain_main_context (void)
{
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

static void
count_cb (TsWorkspace *workspace,
          guint       *count)
{
  (*count)++;
}

/* The fixture's scratch folder, with no ledger opened in it yet. */
static void
set_up (Fixture       *fixture,
        gconstpointer  user_data)
{
  fixture_set_up (fixture, user_data);
  g_clear_object (&fixture->ledger);
  g_unlink (fixture->path);
}

static TsWorkspace *
open_workspace (Fixture             *fixture,
                TsWorkspaceOpenMode  mode)
{
  g_autoptr(GError) error = NULL;
  TsWorkspace *workspace = ts_workspace_new (fixture->path);

  g_assert_true (ts_workspace_open (workspace, mode, &error));
  g_assert_no_error (error);

  return workspace;
}

static void
unlock (TsWorkspace *workspace)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ts_workspace_unlock (workspace, PASS, NULL, &error));
  g_assert_no_error (error);
}

/* A ledger with the CA "Root" and one device certificate; returns its serial. */
static char *
make_ledger (Fixture *fixture)
{
  g_autoptr(TsWorkspace) workspace = open_workspace (fixture, TS_WORKSPACE_OPEN_READ_WRITE);
  g_autoptr(GError) error = NULL;
  g_autoptr(CaAuthority) root = NULL;
  g_autoptr(CaCertificate) cert = NULL;
  g_autoptr(CaCsr) csr = NULL;

  unlock (workspace);
  root = ts_workspace_create_authority (workspace, &(CaAuthorityRequest) { "Root", NULL, CA_KEY_EC_P256, 0, -1 },
                                        &error);
  g_assert_no_error (error);
  csr = ts_csr_read (CSR_PATH, &error);
  g_assert_no_error (error);
  cert = ts_workspace_issue (workspace, &(CaIssueRequest) { "Root", IMEI1 }, csr, &error);
  g_assert_no_error (error);
  ts_workspace_lock (workspace);

  return g_strdup (cert->serial);
}

static void
test_not_open (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(TsWorkspace) workspace = ts_workspace_new (fixture->path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) authorities = NULL;
  g_autoptr(CaAuthority) created = NULL;
  g_autofree char *head = NULL;

  authorities = ts_workspace_list_authorities (workspace, &error);
  g_assert_null (authorities);
  g_assert_error (error, TS_WORKSPACE_ERROR, TS_WORKSPACE_ERROR_NO_LEDGER);
  g_assert_nonnull (strstr (error->message, fixture->path));
  g_clear_error (&error);

  created = ts_workspace_create_authority (workspace, &(CaAuthorityRequest) { "Root", NULL, CA_KEY_EC_P256, 0, -1 },
                                           &error);
  g_assert_null (created);
  g_assert_error (error, TS_WORKSPACE_ERROR, TS_WORKSPACE_ERROR_NO_LEDGER);
  g_clear_error (&error);

  head = ts_workspace_backup (workspace, "unused.db", &error);
  g_assert_null (head);
  g_assert_error (error, TS_WORKSPACE_ERROR, TS_WORKSPACE_ERROR_NO_LEDGER);
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
}

/* A ledger that could not be opened: every operation says why, not "not open". */
static void
test_failed_open (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(TsWorkspace) workspace = ts_workspace_new (fixture->path);
  g_autoptr(GError) open_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) fleet = NULL;

  g_assert_false (ts_workspace_open (workspace, TS_WORKSPACE_OPEN_READ_ONLY, &open_error));
  g_assert_nonnull (open_error);
  g_assert_cmpint (ts_workspace_get_state (workspace), ==, TS_WORKSPACE_FAILED);

  fleet = ts_workspace_list_fleet (workspace, &(CaFleetQuery) { CA_FLEET_ALL }, &error);
  g_assert_null (fleet);
  g_assert_error (error, TS_WORKSPACE_ERROR, TS_WORKSPACE_ERROR_NO_LEDGER);
  g_assert_nonnull (strstr (error->message, open_error->message));
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
}

static void
assert_locked (GError     *error,
               const char *advice)
{
  g_assert_error (error, TS_WORKSPACE_ERROR, TS_WORKSPACE_ERROR_LOCKED);
  g_assert_cmpstr (error->message, ==, advice);
}

/* Every change refuses a locked workspace with the one advice text, changes
 * nothing and tells no page; reading goes on. */
static void
test_locked_refusal (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autofree char *serial = make_ledger (fixture);
  g_autoptr(TsWorkspace) workspace = open_workspace (fixture, TS_WORKSPACE_OPEN_READ_WRITE);
  g_autoptr(GError) advice = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) csr = ts_csr_read (CSR_PATH, NULL);
  g_auto(TsIssueBatch) batch = { 0 };
  CaIssueRequest request = { "Root", IMEI2 };
  g_autofree char *key_pem = NULL;
  g_autoptr(GPtrArray) authorities = NULL;
  gint64 events = 0;
  guint changed = 0;

  g_signal_connect (workspace, "changed", G_CALLBACK (count_cb), &changed);
  g_assert_false (ts_workspace_check_writable (workspace, &advice));
  events = count_rows (fixture, "audit_log");

  g_assert_null (ts_workspace_create_authority (workspace, &(CaAuthorityRequest) { "Other", NULL, CA_KEY_EC_P256,
                                                                                    0, -1 }, &error));
  assert_locked (error, advice->message);
  g_clear_error (&error);
  g_assert_null (ts_workspace_issue (workspace, &request, csr, &error));
  assert_locked (error, advice->message);
  g_clear_error (&error);
  g_assert_null (ts_workspace_issue_with_new_key (workspace, &request, CA_KEY_EC_P256, &key_pem, &error));
  g_assert_null (key_pem);
  assert_locked (error, advice->message);
  g_clear_error (&error);
  g_assert_null (ts_workspace_issue_proof (workspace, "Root", "ABC123", &error));
  assert_locked (error, advice->message);
  g_clear_error (&error);
  g_assert_null (ts_workspace_revoke (workspace, &(CaRevokeRequest) { "Root", serial, NULL, -1,
                                                                      CA_REVOKE_KEY_COMPROMISE }, &error));
  assert_locked (error, advice->message);
  g_clear_error (&error);
  g_assert_null (ts_workspace_generate_crl (workspace, "Root", 0, FALSE, &error));
  assert_locked (error, advice->message);
  g_clear_error (&error);
  g_assert_null (ts_workspace_import_openssl (workspace, fixture->dir, NULL, NULL, &error));
  assert_locked (error, advice->message);
  g_clear_error (&error);
  batch.n = 1;
  batch.items = g_new0 (CaBatchItem, 1);
  batch.lines = g_new0 (guint, 1);
  batch.items[0].imei = g_strdup (IMEI2);
  batch.items[0].csr = ca_csr_ref (csr);
  g_assert_false (ts_workspace_issue_batch (workspace, &request, &batch, &error));
  assert_locked (error, advice->message);
  g_assert_null (batch.items[0].certificate);
  g_clear_error (&error);

  authorities = ts_workspace_list_authorities (workspace, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (authorities->len, ==, 1);
  g_assert_cmpint (count_rows (fixture, "audit_log"), ==, events);
  g_assert_cmpint (count_rows (fixture, "certificates"), ==, 1);
  drain_main_context ();
  g_assert_cmpuint (changed, ==, 0);
}

/* A change tells the pages once it is done; reads and failed changes do not. */
static void
test_changed (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autofree char *serial = make_ledger (fixture);
  g_autoptr(TsWorkspace) workspace = open_workspace (fixture, TS_WORKSPACE_OPEN_READ_WRITE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) revoked = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GPtrArray) audit = NULL;
  g_autoptr(GBytes) crl = NULL;
  g_autoptr(CaDeviceHistory) history = NULL;
  g_autofree char *published = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *pem = NULL;
  guint changed = 0;

  unlock (workspace);
  drain_main_context ();
  g_signal_connect (workspace, "changed", G_CALLBACK (count_cb), &changed);

  history = ts_workspace_get_history (workspace, IMEI1, &error);
  g_assert_no_error (error);
  audit = ts_workspace_list_audit (workspace, 0, 0, &error);
  g_assert_no_error (error);
  drain_main_context ();
  g_assert_cmpuint (changed, ==, 0);

  revoked = ts_workspace_revoke (workspace, &(CaRevokeRequest) { "Root", serial, NULL, -1,
                                                                 CA_REVOKE_KEY_COMPROMISE }, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (revoked->len, ==, 1);
  drain_main_context ();
  g_assert_cmpuint (changed, ==, 1);

  again = ts_workspace_revoke (workspace, &(CaRevokeRequest) { "Root", serial, NULL, -1,
                                                               CA_REVOKE_KEY_COMPROMISE }, &error);
  g_assert_null (again);
  g_assert_error (error, CA_ERROR, CA_ERROR_ALREADY_REVOKED);
  g_clear_error (&error);
  drain_main_context ();
  g_assert_cmpuint (changed, ==, 1);

  crl = ts_workspace_generate_crl (workspace, "Root", 0, FALSE, &error);
  g_assert_no_error (error);
  drain_main_context ();
  g_assert_cmpuint (changed, ==, 2);

  /* Published beside the ledger, where a re-key writes it too, and listing the serial. */
  published = ts_workspace_publish_crl (workspace, "Root", NULL, &error);
  g_assert_no_error (error);
  expected = g_build_filename (fixture->dir, "crl", "Root.crl.pem", NULL);
  g_assert_cmpstr (published, ==, expected);
  g_assert_true (g_file_get_contents (published, &pem, NULL, NULL));
  g_assert_true (g_str_has_prefix (pem, "-----BEGIN X509 CRL-----"));
  drain_main_context ();
  g_assert_cmpuint (changed, ==, 3);
}

static char *
file_checksum (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));

  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
}

/* A read-only workspace reads, verifies and backs up, even unlocked, and never
 * writes the ledger: changes fail and the file stays as it was. */
static void
test_read_only (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autofree char *serial = make_ledger (fixture);
  g_autofree char *before = file_checksum (fixture->path);
  g_autofree char *after = NULL;
  g_autofree char *backup = g_build_filename (fixture->dir, "copy.db", NULL);
  g_autoptr(TsWorkspace) workspace = open_workspace (fixture, TS_WORKSPACE_OPEN_READ_ONLY);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) fleet = NULL;
  g_autoptr(GPtrArray) lots = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GPtrArray) revoked = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *head = NULL;
  g_autofree char *copy_head = NULL;
  gint64 checked = 0;
  gint64 broken = 0;

  fleet = ts_workspace_list_fleet (workspace, &(CaFleetQuery) { CA_FLEET_ALL }, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fleet->len, ==, 1);
  lots = ts_workspace_list_lots (workspace, &error);
  g_assert_no_error (error);
  certs = ts_workspace_list_certificates (workspace, IMEI1, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (certs->len, ==, 1);
  pem = ts_workspace_export_authority (workspace, "Root", TRUE, &error);
  g_assert_no_error (error);
  head = ts_workspace_dup_audit_head (workspace, &error);
  g_assert_no_error (error);
  copy_head = ts_workspace_backup (workspace, backup, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (copy_head, ==, head);

  unlock (workspace);
  g_assert_true (ts_workspace_verify_audit (workspace, &checked, &broken, &error));
  g_assert_no_error (error);
  g_assert_cmpint (checked, >, 0);
  g_assert_cmpint (broken, ==, 0);

  revoked = ts_workspace_revoke (workspace, &(CaRevokeRequest) { "Root", serial, NULL, -1,
                                                                 CA_REVOKE_KEY_COMPROMISE }, &error);
  g_assert_null (revoked);
  g_assert_nonnull (error);
  g_clear_object (&workspace);

  after = file_checksum (fixture->path);
  g_assert_cmpstr (after, ==, before);
}

static gpointer
list_authorities_job (TsWorkspace   *workspace,
                      gpointer       data,
                      GCancellable  *cancellable,
                      GError       **error)
{
  return ts_workspace_list_authorities (workspace, error);
}

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* The operations run in the workspace's thread runner as they are. */
static void
test_run_async (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autofree char *serial = make_ledger (fixture);
  g_autoptr(TsWorkspace) workspace = open_workspace (fixture, TS_WORKSPACE_OPEN_READ_ONLY);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) authorities = NULL;

  ts_workspace_run_async (workspace, list_authorities_job, NULL, NULL, (GDestroyNotify) g_ptr_array_unref,
                          NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);

  authorities = ts_workspace_run_finish (workspace, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (authorities->len, ==, 1);
  g_assert_cmpstr (((CaAuthority *) authorities->pdata[0])->name, ==, "Root");
}

/* The pages of a window that opens a ledger all list the authorities at once
 * (and again as it unlocks): they share one listing, read again only once the
 * ledger changed. */
static void
test_authorities_shared (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autofree char *serial = make_ledger (fixture);
  g_autoptr(TsWorkspace) workspace = open_workspace (fixture, TS_WORKSPACE_OPEN_READ_WRITE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) after_unlock = NULL;
  g_autoptr(GPtrArray) after_change = NULL;
  g_autoptr(GPtrArray) after_create = NULL;
  g_autoptr(CaAuthority) devices = NULL;
  GAsyncResult *results[6] = { NULL };

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    ts_workspace_run_async (workspace, list_authorities_job, NULL, NULL, (GDestroyNotify) g_ptr_array_unref,
                            NULL, store_result_cb, &results[i]);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    while (results[i] == NULL)
      g_main_context_iteration (NULL, TRUE);

  first = ts_workspace_run_finish (workspace, results[0], &error);
  g_assert_no_error (error);
  g_assert_cmpuint (first->len, ==, 1);
  g_assert_cmpint (((CaAuthority *) first->pdata[0])->issued_count, ==, 1);
  for (guint i = 1; i < G_N_ELEMENTS (results); i++)
    {
      g_autoptr(GPtrArray) listed = ts_workspace_run_finish (workspace, results[i], &error);

      g_assert_no_error (error);
      g_assert_true (listed == first);
    }
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    g_object_unref (results[i]);

  /* Unlocking changes nothing in the ledger. */
  unlock (workspace);
  after_unlock = ts_workspace_list_authorities (workspace, &error);
  g_assert_no_error (error);
  g_assert_true (after_unlock == first);

  /* Another station may have issued: a change reads the ledger again. */
  ts_workspace_changed (workspace);
  after_change = ts_workspace_list_authorities (workspace, &error);
  g_assert_no_error (error);
  g_assert_true (after_change != first);
  g_assert_cmpuint (after_change->len, ==, 1);

  devices = ts_workspace_create_authority (workspace, &(CaAuthorityRequest) { "Devices", "Root", CA_KEY_EC_P256,
                                                                              0, -1 }, &error);
  g_assert_no_error (error);
  after_create = ts_workspace_list_authorities (workspace, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after_create->len, ==, 2);
  g_assert_cmpstr (((CaAuthority *) after_create->pdata[1])->name, ==, "Devices");
}

/* A batch's rows are read once for every front end: a bad row or a repeated
 * IMEI is that row's error, and the others are kept. */
static void
test_batch_read (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *csv = g_build_filename (fixture->dir, "batch.csv", NULL);
  g_autofree char *empty = g_build_filename (fixture->dir, "empty.csv", NULL);
  g_autofree char *text = g_strdup_printf ("imei,csr\n"
                                           "%s,%s\n"
                                           "# a comment\n"
                                           "\n"
                                           "%s,%s\n"
                                           "%s,one,two\n",
                                           IMEI1, CSR_PATH, IMEI1, CSR_PATH, IMEI2);
  g_auto(TsIssueBatch) batch = { 0 };
  g_auto(TsIssueBatch) none = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (csv, text, -1, NULL));
  g_assert_true (ts_issue_batch_read (csv, &batch, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (batch.n, ==, 3);
  g_assert_cmpuint (batch.lines[0], ==, 2);
  g_assert_cmpuint (batch.lines[1], ==, 5);
  g_assert_cmpuint (batch.lines[2], ==, 6);
  g_assert_no_error (batch.items[0].error);
  g_assert_nonnull (batch.items[0].csr);
  g_assert_nonnull (batch.items[1].error);
  g_assert_nonnull (batch.items[2].error);
  g_assert_cmpstr (batch.items[2].imei, ==, IMEI2);

  g_assert_true (g_file_set_contents (empty, "imei,csr\n", -1, NULL));
  g_assert_false (ts_issue_batch_read (empty, &none, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

/* The station of the certificate issued now for @imei, by "Root". */
static char *
issue_station (TsWorkspace *workspace,
               const char  *imei)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) cert = NULL;
  char *key_pem = NULL;

  cert = ts_workspace_issue_with_new_key (workspace, &(CaIssueRequest) { "Root", imei, .revoke_previous = TRUE },
                                          CA_KEY_EC_P256, &key_pem, &error);
  g_assert_no_error (error);
  ca_secret_free (key_pem);

  return g_strdup (cert->station);
}

/* A machine stops naming a station when it leaves it, and when that station
 * is revoked, so nothing it records later names a station that cannot act. */
static void
test_station_leave (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(TsWorkspace) workspace = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CaStation) enrolled = NULL;
  g_autoptr(CaStation) used = NULL;
  g_autoptr(CaStation) again = NULL;
  g_autoptr(CaStation) revoked = NULL;
  g_autoptr(GBytes) crl = NULL;
  g_autofree char *serial = make_ledger (fixture);
  g_autofree char *at_station = NULL;
  g_autofree char *after_leave = NULL;
  g_autofree char *after_revoke = NULL;

  workspace = open_workspace (fixture, TS_WORKSPACE_OPEN_READ_WRITE);
  unlock (workspace);
  enrolled = ts_workspace_enroll_station (workspace, "bench-a", "Root", &error);
  g_assert_no_error (error);

  used = ts_workspace_use_station (workspace, "bench-a", &error);
  g_assert_no_error (error);
  at_station = issue_station (workspace, IMEI1);
  g_assert_cmpstr (at_station, ==, "bench-a");

  ts_workspace_leave_station (workspace);
  after_leave = issue_station (workspace, IMEI2);
  g_assert_null (after_leave);

  again = ts_workspace_use_station (workspace, "bench-a", &error);
  g_assert_no_error (error);
  revoked = ts_workspace_revoke_station (workspace, "bench-a", CA_REVOKE_CA_COMPROMISE, &crl, &error);
  g_assert_no_error (error);
  g_assert_nonnull (crl);
  after_revoke = issue_station (workspace, IMEI1);
  g_assert_null (after_revoke);
}


int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, set_up, func, fixture_tear_down)
  ADD ("/workspace-ca/not-open", test_not_open);
  ADD ("/workspace-ca/failed-open", test_failed_open);
  ADD ("/workspace-ca/locked-refusal", test_locked_refusal);
  ADD ("/workspace-ca/changed", test_changed);
  ADD ("/workspace-ca/read-only", test_read_only);
  ADD ("/workspace-ca/run-async", test_run_async);
  ADD ("/workspace-ca/authorities-shared", test_authorities_shared);
  ADD ("/workspace-ca/batch-read", test_batch_read);
  ADD ("/workspace-ca/station-leave", test_station_leave);
#undef ADD

  return g_test_run ();
}
