/* test-provision-flow.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <sys/prctl.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "test-ca-util.h"
#include "ts-provision.h"
#include "ts-workspace-modem.h"
#include "ts-provision-error.h"
#include "ts-server-ca.h"

#define SEC_TAG 16842753
#define STATEMENTS_PER_UNIT 62

/* A scratch ledger with Root → Issuing, and a tagsmith-emulator on a pty. */
typedef struct
{
  Fixture      ca;
  GSubprocess *emulator;
  TsModem     *modem;
} FlowFixture;

typedef struct
{
  const char *profile;
  const char *imei;
} Kit;

static const Kit kit_9161 = { "nrf9161", "352656100123457" };
static const Kit kit_9160 = { "nrf9160", "490154203237518" };
static const Kit kit_legacy = { "nrf9160-legacy", "352656100367872" };

/* A failed assertion aborts the test before tear-down: take the emulator along. */
static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* Starts an emulated @kit with the runtime folder @dir and opens its modem. */
static void
spawn_kit (const char   *dir,
           const Kit    *kit,
           GSubprocess **out_emulator,
           TsModem     **out_modem)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *port = NULL;
  const char *emulator = g_getenv ("TAGSMITH_EMULATOR");

  g_assert_nonnull (emulator);
  /* The emulator registers itself in the runtime folder: keep it in the scratch folder. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", dir, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  *out_emulator = g_subprocess_launcher_spawn (launcher, &error, emulator,
                                                   "--no-pacing", "--profile", kit->profile,
                                                   "--imei", kit->imei, "--cfun", "1", NULL);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (*out_emulator));
  port = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (port);

  *out_modem = ts_modem_open (port, TS_MODEM_OPEN_NONE, NULL, &error);
  g_assert_no_error (error);
}

static void
start_emulator (FlowFixture *fixture,
                const Kit   *kit)
{
  spawn_kit (fixture->ca.dir, kit, &fixture->emulator, &fixture->modem);
}

static void
flow_set_up (FlowFixture   *fixture,
             gconstpointer  user_data)
{
  fixture_set_up (&fixture->ca, NULL);
  make_cas (&fixture->ca);
  start_emulator (fixture, user_data);
}

/* The same on a ledger on the test server. */
static void
flow_set_up_on_server (FlowFixture   *fixture,
                       gconstpointer  user_data)
{
  fixture_set_up (&fixture->ca, test_pg_uri ());
  make_cas (&fixture->ca);
  start_emulator (fixture, user_data);
}

static void
flow_tear_down (FlowFixture   *fixture,
                gconstpointer  user_data)
{
  if (fixture->modem != NULL)
    ts_modem_close (fixture->modem);
  g_clear_object (&fixture->modem);
  g_subprocess_force_exit (fixture->emulator);
  g_subprocess_wait (fixture->emulator, NULL, NULL);
  g_clear_object (&fixture->emulator);
  fixture_tear_down (&fixture->ca, fixture->ca.schema != NULL ? test_pg_uri () : NULL);
}

static TsProvisionRequest *
request_new (void)
{
  return ts_provision_request_new ("Issuing", SEC_TAG);
}

static TsProvisionResult *
provision_ok (FlowFixture              *fixture,
              const TsProvisionRequest *request)
{
  g_autoptr(GError) error = NULL;
  TsProvisionResult *result;

  result = ts_provision_run (fixture->ca.ledger, fixture->modem, request, NULL, NULL, NULL,
                             &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_null (result->error);

  return result;
}

static const TsCredential *
listed (GArray *listing,
        guint   type)
{
  for (guint i = 0; i < listing->len; i++)
    if (g_array_index (listing, TsCredential, i).sec_tag == SEC_TAG &&
        g_array_index (listing, TsCredential, i).type == type)
      return &g_array_index (listing, TsCredential, i);
  return NULL;
}

static GArray *
list_slot (FlowFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  GArray *listing = ts_modem_list_credentials (fixture->modem, SEC_TAG, -1, NULL, &error);

  g_assert_no_error (error);
  return listing;
}

static int
functional_mode (FlowFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  int mode = -1;

  g_assert_true (ts_modem_get_functional_mode (fixture->modem, &mode, NULL, &error));
  g_assert_no_error (error);
  return mode;
}

static void
assert_installs (FlowFixture    *fixture,
                 const char     *imei,
                 CaInstallState  state,
                 guint           expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) installs = ca_ledger_list_installs (fixture->ca.ledger, imei, FALSE, &error);
  guint n = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < installs->len; i++)
    n += ((CaInstall *) g_ptr_array_index (installs, i))->state == state;
  g_assert_cmpuint (n, ==, expected);
}

/* The IMEI's one install of a modem-generated key: type 2, no SHA-256, no certificate. */
static void
assert_keygen_install (FlowFixture    *fixture,
                       const char     *imei,
                       CaInstallState  state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) installs = ca_ledger_list_installs (fixture->ca.ledger, imei, FALSE, &error);
  guint n = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < installs->len; i++)
    {
      const CaInstall *install = g_ptr_array_index (installs, i);

      if (install->cred_type != TS_CRED_PRIVATE_KEY)
        continue;
      g_assert_null (install->sha256);
      g_assert_cmpint (install->certificate_id, ==, 0);
      g_assert_false (install->host_key);
      g_assert_cmpint (install->state, ==, state);
      n++;
    }
  g_assert_cmpuint (n, ==, 1);
}

static gboolean
has_step (const TsProvisionResult *result,
          const char              *name)
{
  for (guint i = 0; i < result->steps->len; i++)
    if (g_str_equal (((TsProvisionStep *) g_ptr_array_index (result->steps, i))->name, name))
      return TRUE;
  return FALSE;
}

static gboolean
has_notice (const TsProvisionResult *result,
            const char              *fragment)
{
  for (guint i = 0; i < result->notices->len; i++)
    if (strstr (g_ptr_array_index (result->notices, i), fragment) != NULL)
      return TRUE;
  return FALSE;
}

/* KEYGEN on the modem, server CA and certificate written, listed, recorded. */
static void
test_provision_keygen (FlowFixture   *fixture,
                       gconstpointer  user_data)
{
  const Kit *kit = user_data;
  g_autoptr(TsProvisionRequest) request = request_new ();
  g_autoptr(TsProvisionResult) result = NULL;
  g_autoptr(GArray) listing = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) valid = NULL;
  CaCertificate *cert;
  guint64 step_bytes = 0;

  request->server_ca = ts_server_ca_load_file (TEST_DATA_DIR "/provision/server-root.pem", &error);
  g_assert_no_error (error);
  request->profile = (g_free (request->profile), g_strdup ("nrfcloud"));

  result = provision_ok (fixture, request);
  g_assert_cmpint (result->outcome, ==, TS_PROVISION_PROVISIONED);
  g_assert_cmpstr (result->imei, ==, kit->imei);
  g_assert_false (result->host_key);
  g_assert_false (result->verified_by_readback);
  g_assert_nonnull (strstr (result->subject, "nrf-"));

  /* The modem holds exactly what the ledger recorded. */
  listing = list_slot (fixture);
  g_assert_nonnull (listed (listing, TS_CRED_CA_CERT));
  g_assert_nonnull (listed (listing, TS_CRED_PRIVATE_KEY));
  g_assert_cmpstr (listed (listing, TS_CRED_CLIENT_CERT)->sha256, ==, result->sha256);

  valid = ca_ledger_list_certificates (fixture->ca.ledger, kit->imei, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (valid->len, ==, 1);
  cert = g_ptr_array_index (valid, 0);
  g_assert_cmpstr (cert->serial, ==, result->serial);
  g_assert_cmpstr (cert->sha256_lf, ==, result->sha256);
  g_assert_cmpint (cert->installed_at, >, 0);
  /* Server CA, client certificate, and the %KEYGEN key recorded without a hash. */
  assert_installs (fixture, kit->imei, CA_INSTALL_VERIFIED, 3);
  assert_keygen_install (fixture, kit->imei, CA_INSTALL_VERIFIED);

  /* The emulator booted in +CFUN=1: the flow went offline and came back. */
  g_assert_true (has_step (result, "offline"));
  g_assert_true (has_step (result, "restore"));
  g_assert_cmpint (functional_mode (fixture), ==, 1);

  /* Per-step accounting adds up to the whole. */
  for (guint i = 0; i < result->steps->len; i++)
    step_bytes += ((TsProvisionStep *) g_ptr_array_index (result->steps, i))->bytes_written;
  g_assert_cmpuint (step_bytes, ==, result->bytes_written);
  g_assert_cmpuint (result->bytes_written, >, 2 * strlen (cert->pem));
}

/* Running again changes nothing; --force provisions anew. */
static void
test_provision_idempotent (FlowFixture   *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(TsProvisionRequest) request = request_new ();
  g_autoptr(TsProvisionResult) first = NULL;
  g_autoptr(TsProvisionResult) second = NULL;
  g_autoptr(TsProvisionResult) forced = NULL;
  g_autoptr(GArray) before = NULL;
  g_autoptr(GArray) after = NULL;

  first = provision_ok (fixture, request);
  before = list_slot (fixture);

  second = provision_ok (fixture, request);
  g_assert_cmpint (second->outcome, ==, TS_PROVISION_ALREADY_PROVISIONED);
  g_assert_cmpstr (second->serial, ==, first->serial);
  g_assert_false (has_step (second, "keygen"));
  g_assert_false (has_step (second, "offline"));
  after = list_slot (fixture);
  g_assert_cmpuint (after->len, ==, before->len);
  g_assert_cmpmem (after->data, after->len * sizeof (TsCredential),
                   before->data, before->len * sizeof (TsCredential));

  request->force = TRUE;
  forced = provision_ok (fixture, request);
  g_assert_cmpint (forced->outcome, ==, TS_PROVISION_PROVISIONED);
  g_assert_cmpstr (forced->serial, !=, first->serial);
}

/* Firmware 1.2.0 has no %KEYGEN: refused before touching the modem, with advice;
 * --host-key then works and is verified by reading back. */
static void
test_provision_legacy (FlowFixture   *fixture,
                       gconstpointer  user_data)
{
  const Kit *kit = user_data;
  g_autoptr(TsProvisionRequest) request = request_new ();
  g_autoptr(TsProvisionResult) failed = NULL;
  g_autoptr(TsProvisionResult) result = NULL;
  g_autoptr(GArray) listing = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) installs = NULL;
  g_autoptr(GPtrArray) valid = NULL;

  failed = ts_provision_run (fixture->ca.ledger, fixture->modem, request, NULL, NULL, NULL, &error);
  g_assert_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "--host-key"));
  g_assert_nonnull (failed);
  listing = list_slot (fixture);
  g_assert_cmpuint (listing->len, ==, 0);
  g_assert_cmpint (functional_mode (fixture), ==, 1);
  g_clear_error (&error);

  request->host_key = TRUE;
  result = provision_ok (fixture, request);
  g_assert_true (result->host_key);

  installs = ca_ledger_list_installs (fixture->ca.ledger, kit->imei, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (installs->len, ==, 2);
  for (guint i = 0; i < installs->len; i++)
    {
      const CaInstall *install = g_ptr_array_index (installs, i);

      g_assert_cmpint (install->state, ==, CA_INSTALL_VERIFIED);
      g_assert_true (install->host_key);
    }
  valid = ca_ledger_list_certificates (fixture->ca.ledger, kit->imei, TRUE, &error);
  g_assert_true (((CaCertificate *) g_ptr_array_index (valid, 0))->host_key);
}

static gboolean
crl_lists (const char *path,
           const char *serial_hex)
{
  g_autofree char *pem = NULL;
  BIO *bio;
  X509_CRL *crl;
  gboolean found = FALSE;

  g_assert_true (g_file_get_contents (path, &pem, NULL, NULL));
  bio = BIO_new_mem_buf (pem, -1);
  crl = PEM_read_bio_X509_CRL (bio, NULL, NULL, NULL);
  BIO_free (bio);
  g_assert_nonnull (crl);

  for (int i = 0; i < sk_X509_REVOKED_num (X509_CRL_get_REVOKED (crl)); i++)
    {
      const X509_REVOKED *revoked = sk_X509_REVOKED_value (X509_CRL_get_REVOKED (crl), i);
      BIGNUM *bn = ASN1_INTEGER_to_BN (X509_REVOKED_get0_serialNumber (revoked), NULL);
      char *hex = BN_bn2hex (bn);

      found |= g_ascii_strcasecmp (hex, serial_hex) == 0;
      OPENSSL_free (hex);
      BN_free (bn);
    }
  X509_CRL_free (crl);

  return found;
}

/* Re-key: history shown, new key, old certificate revoked and linked, CRL published. */
static void
test_rekey (FlowFixture   *fixture,
            gconstpointer  user_data)
{
  const Kit *kit = user_data;
  g_autoptr(TsProvisionRequest) request = request_new ();
  g_autoptr(TsProvisionResult) first = NULL;
  g_autoptr(TsProvisionResult) rekeyed = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *crl_dir = g_build_filename (fixture->ca.dir, "published", NULL);
  CaCertificate *old_cert = NULL, *new_cert = NULL;

  first = provision_ok (fixture, request);

  request->rekey = TRUE;
  request->reason = CA_REVOKE_KEY_COMPROMISE;
  request->crl_dir = g_strdup (crl_dir);
  rekeyed = provision_ok (fixture, request);
  g_assert_cmpint (rekeyed->outcome, ==, TS_PROVISION_PROVISIONED);
  g_assert_cmpstr (rekeyed->serial, !=, first->serial);
  g_assert_true (has_step (rekeyed, "history"));
  g_assert_true (has_notice (rekeyed, first->serial));
  g_assert_cmpuint (rekeyed->revoked->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (rekeyed->revoked, 0), ==, first->serial);

  all = ca_ledger_list_certificates (fixture->ca.ledger, kit->imei, FALSE, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < all->len; i++)
    {
      CaCertificate *cert = g_ptr_array_index (all, i);

      if (g_str_equal (cert->serial, first->serial))
        old_cert = cert;
      if (g_str_equal (cert->serial, rekeyed->serial))
        new_cert = cert;
    }
  g_assert_nonnull (old_cert);
  g_assert_nonnull (new_cert);
  g_assert_cmpint (old_cert->status, ==, CA_CERT_STATUS_REVOKED);
  g_assert_cmpint (old_cert->revoke_reason, ==, CA_REVOKE_KEY_COMPROMISE);
  g_assert_cmpint (new_cert->supersedes_id, ==, old_cert->id);

  g_assert_cmpuint (rekeyed->crl_paths->len, ==, 1);
  g_assert_true (crl_lists (g_ptr_array_index (rekeyed->crl_paths, 0), first->serial));
  g_assert_false (crl_lists (g_ptr_array_index (rekeyed->crl_paths, 0), rekeyed->serial));
}

/* A sec_tag holding someone else's key and certificate is not overwritten
 * without --force. */
static void
test_occupied (FlowFixture   *fixture,
               gconstpointer  user_data)
{
  g_autoptr(TsProvisionRequest) request = request_new ();
  g_autoptr(TsProvisionResult) refused = NULL;
  g_autoptr(TsProvisionResult) forced = NULL;
  g_autoptr(GBytes) foreign = NULL;
  g_autoptr(GBytes) key = g_bytes_new_static ("-----BEGIN PRIVATE KEY-----\nAAAA\n"
                                              "-----END PRIVATE KEY-----\n", 56);
  g_autoptr(GError) error = NULL;

  foreign = ts_server_ca_load_file (TEST_DATA_DIR "/provision/server-root.pem", &error);
  g_assert_no_error (error);
  g_assert_true (ts_modem_write_credential (fixture->modem, SEC_TAG, TS_CRED_CLIENT_CERT, foreign,
                                            NULL, TS_LINE_ENDINGS_LF, TS_MODEM_WRITE_NONE, NULL,
                                            NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ts_modem_write_credential (fixture->modem, SEC_TAG, TS_CRED_PRIVATE_KEY, key,
                                            NULL, TS_LINE_ENDINGS_KEEP, TS_MODEM_WRITE_NONE, NULL,
                                            NULL, &error));
  g_assert_no_error (error);

  refused = ts_provision_run (fixture->ca.ledger, fixture->modem, request, NULL, NULL, NULL,
                              &error);
  g_assert_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_OCCUPIED);
  g_assert_nonnull (strstr (error->message, "rekey"));
  g_clear_error (&error);

  request->force = TRUE;
  forced = provision_ok (fixture, request);
  g_assert_cmpint (forced->outcome, ==, TS_PROVISION_PROVISIONED);
}

/* Intents left open by an interrupted session are settled by what the modem holds. */
static void
test_reconcile (FlowFixture   *fixture,
                gconstpointer  user_data)
{
  const Kit *kit = user_data;
  g_autoptr(TsProvisionRequest) request = request_new ();
  g_autoptr(TsProvisionResult) first = NULL;
  g_autoptr(TsProvisionResult) second = NULL;
  g_autoptr(GPtrArray) valid = NULL;
  g_autoptr(GError) error = NULL;
  CaCertificate *cert;
  CaInstall on_modem = { 0 }, lost = { 0 };
  gint64 on_modem_id, lost_id;
  g_autoptr(GPtrArray) installs = NULL;

  first = provision_ok (fixture, request);
  valid = ca_ledger_list_certificates (fixture->ca.ledger, kit->imei, TRUE, &error);
  cert = g_ptr_array_index (valid, 0);

  /* As if a session died after writing (first) and before writing (second). */
  on_modem = (CaInstall) { .imei = (char *) kit->imei, .sec_tag = SEC_TAG,
                           .cred_type = TS_CRED_CLIENT_CERT, .certificate_id = cert->id,
                           .sha256 = first->sha256 };
  lost = (CaInstall) { .imei = (char *) kit->imei, .sec_tag = SEC_TAG + 1,
                       .cred_type = TS_CRED_CLIENT_CERT, .certificate_id = cert->id,
                       .sha256 = cert->sha256_crlf };
  on_modem_id = ca_ledger_install_begin (fixture->ca.ledger, &on_modem, &error);
  g_assert_no_error (error);
  lost_id = ca_ledger_install_begin (fixture->ca.ledger, &lost, &error);
  g_assert_no_error (error);

  second = provision_ok (fixture, request);
  g_assert_true (has_step (second, "reconcile"));
  g_assert_true (has_notice (second, "recorded as verified"));
  g_assert_true (has_notice (second, "recorded as abandoned"));
  g_assert_cmpint (second->outcome, ==, TS_PROVISION_ALREADY_PROVISIONED);

  installs = ca_ledger_list_installs (fixture->ca.ledger, kit->imei, FALSE, &error);
  for (guint i = 0; i < installs->len; i++)
    {
      const CaInstall *install = g_ptr_array_index (installs, i);

      if (install->id == on_modem_id)
        g_assert_cmpint (install->state, ==, CA_INSTALL_VERIFIED);
      if (install->id == lost_id)
        g_assert_cmpint (install->state, ==, CA_INSTALL_ABANDONED);
    }
  assert_installs (fixture, kit->imei, CA_INSTALL_INTENT, 0);
}

/* The profile's naming rules are checked before the modem is touched. */
static void
test_profile_checked_first (FlowFixture   *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(TsProvisionRequest) request = request_new ();
  g_autoptr(TsProvisionResult) result = NULL;
  g_autoptr(GArray) listing = NULL;
  g_autoptr(GError) error = NULL;

  request->profile = (g_free (request->profile), g_strdup ("no-such-profile"));
  result = ts_provision_run (fixture->ca.ledger, fixture->modem, request, NULL, NULL, NULL, &error);
  g_assert_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT);
  g_assert_false (has_step (result, "offline"));
  listing = list_slot (fixture);
  g_assert_cmpuint (listing->len, ==, 0);
}

/* A cancelled run stops, leaves no verified install, and restores the mode. */
static void
test_cancelled (FlowFixture   *fixture,
                gconstpointer  user_data)
{
  const Kit *kit = user_data;
  g_autoptr(TsProvisionRequest) request = request_new ();
  g_autoptr(TsProvisionResult) result = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  result = ts_provision_run (fixture->ca.ledger, fixture->modem, request, NULL, NULL, cancellable,
                             &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_nonnull (result->error);
  assert_installs (fixture, kit->imei, CA_INSTALL_VERIFIED, 0);
  g_assert_cmpint (functional_mode (fixture), ==, 1);
}

static void
progress_cb (const char *step,
             double      fraction,
             const char *message,
             gpointer    user_data)
{
  GPtrArray *seen = user_data;

  g_assert_nonnull (message);
  if (fraction >= 0)
    g_ptr_array_add (seen, g_strdup (step));
}

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* The GUI's entry point: the same flow in a worker thread, with progress. */
static void
test_async (FlowFixture   *fixture,
            gconstpointer  user_data)
{
  g_autoptr(TsProvisionRequest) request = request_new ();
  g_autoptr(GAsyncResult) async_result = NULL;
  g_autoptr(TsProvisionResult) result = NULL;
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(TsWorkspace) workspace = ts_workspace_new (fixture->ca.path);
  g_autoptr(TsDeviceLink) link = NULL;
  g_autofree char *port = g_strdup (ts_modem_get_path (fixture->modem));

  /* The workspace opens the port itself, under its lease. */
  ts_modem_close (fixture->modem);
  g_assert_true (ts_workspace_open (workspace, TS_WORKSPACE_OPEN_READ_WRITE, &error));
  g_assert_true (ts_workspace_unlock (workspace, PASS, NULL, &error));
  link = ts_workspace_open_link (workspace, port, "a test", TS_PORT_LEASE_HELD, NULL, &error);
  g_assert_no_error (error);

  ts_workspace_provision_async (workspace, link, request, progress_cb,
                                g_ptr_array_ref (seen), (GDestroyNotify) g_ptr_array_unref, NULL,
                                result_cb, &async_result);
  while (async_result == NULL)
    g_main_context_iteration (NULL, TRUE);

  result = ts_workspace_provision_finish (workspace, async_result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->outcome, ==, TS_PROVISION_PROVISIONED);
  g_assert_cmpstr (g_ptr_array_index (seen, 0), ==, "identify");
  g_assert_true (g_ptr_array_find_with_equal_func (seen, "keygen", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (seen, "record", g_str_equal, NULL));

  /* The workspace's signals wait on the main context: let them go first. */
  g_clear_pointer (&link, ts_device_link_unref);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

typedef struct
{
  CaLedger *ledger;
  TsModem  *modem;
  guint64   statements;
} Unit;

/* On a thread of its own, as `tagsmith line` runs each unit. */
static gpointer
provision_unit (gpointer data)
{
  Unit *unit = data;
  g_autoptr(TsProvisionRequest) request = request_new ();
  g_autoptr(TsProvisionResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint64 before = ca_ledger_statement_count (unit->ledger);

  result = ts_provision_run (unit->ledger, unit->modem, request, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->outcome, ==, TS_PROVISION_PROVISIONED);
  unit->statements = ca_ledger_statement_count (unit->ledger) - before;

  return NULL;
}

/* What a production unit costs the ledger in statements, on a server one round
 * trip each: a second kit, once the first made the connection ready. The
 * bound is the count when it was set (59 on a file and on a server) and a little
 * room; a new round trip per unit shows here before it shows on the line. */
static void
test_statements_per_unit (FlowFixture   *fixture,
                          gconstpointer  user_data)
{
  static const Kit second = { "nrf9161", "352656100367872" };
  g_autoptr(GSubprocess) emulator = NULL;
  g_autoptr(TsModem) modem = NULL;
  Unit first = { fixture->ca.ledger, fixture->modem };
  Unit unit = { fixture->ca.ledger };

  g_thread_join (g_thread_new ("unit", provision_unit, &first));
  spawn_kit (fixture->ca.dir, &second, &emulator, &modem);
  unit.modem = modem;
  g_thread_join (g_thread_new ("unit", provision_unit, &unit));
  ts_modem_close (modem);
  g_subprocess_force_exit (emulator);
  g_subprocess_wait (emulator, NULL, NULL);

  g_test_message ("first unit: %" G_GUINT64_FORMAT " statements, second: %" G_GUINT64_FORMAT,
                  first.statements, unit.statements);
  g_assert_cmpuint (unit.statements, <=, STATEMENTS_PER_UNIT);
}

static void
add_flow_test (const char *path,
               const Kit  *kit,
               void      (*test) (FlowFixture *, gconstpointer))
{
  g_test_add (path, FlowFixture, kit, flow_set_up, test, flow_tear_down);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  add_flow_test ("/provision/flow/keygen-nrf9161", &kit_9161, test_provision_keygen);
  add_flow_test ("/provision/flow/keygen-nrf9160", &kit_9160, test_provision_keygen);
  add_flow_test ("/provision/flow/idempotent", &kit_9161, test_provision_idempotent);
  add_flow_test ("/provision/flow/legacy-host-key", &kit_legacy, test_provision_legacy);
  add_flow_test ("/provision/flow/rekey", &kit_9160, test_rekey);
  add_flow_test ("/provision/flow/occupied", &kit_9160, test_occupied);
  add_flow_test ("/provision/flow/reconcile", &kit_9161, test_reconcile);
  add_flow_test ("/provision/flow/profile-checked-first", &kit_9161, test_profile_checked_first);
  add_flow_test ("/provision/flow/cancelled", &kit_9161, test_cancelled);
  add_flow_test ("/provision/flow/async", &kit_9161, test_async);
  add_flow_test ("/provision/flow/statements-per-unit", &kit_9161, test_statements_per_unit);
  if (test_pg_uri () != NULL)
    g_test_add ("/pg/provision/flow/statements-per-unit", FlowFixture, &kit_9161,
                flow_set_up_on_server, test_statements_per_unit, flow_tear_down);

  return g_test_run ();
}
