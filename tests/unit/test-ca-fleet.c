/* test-ca-fleet.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <ca.h>

#include "test-ca-util.h"

static CaCertificate *
issue (Fixture    *fixture,
       const char *imei,
       const char *csr_name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) csr = fixture_csr (csr_name);
  CaCertificate *cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", imei }, csr, &error);

  g_assert_no_error (error);

  return cert;
}

static void
test_device_seen (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaDevice) device = NULL;
  gint64 events;

  g_assert_true (ca_ledger_device_seen (fixture->ledger,
                                        &(CaDevice) { IMEI1, "50363154-3931-4a21-80b9-1503d88271bf",
                                                      "nRF9160 DK", "mfw_nrf9160_1.3.5", "LOT-7" }, &error));
  g_assert_no_error (error);
  events = count_rows (fixture, "audit_log");

  /* Seen again with nothing new: last_seen only, no audit noise. */
  g_assert_true (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { IMEI1 }, &error));
  g_assert_cmpint (count_rows (fixture, "audit_log"), ==, events);
  g_assert_true (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { IMEI1, .notes = "returned" }, &error));

  device = ca_ledger_get_device (fixture->ledger, IMEI1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (device->uuid, ==, "50363154-3931-4a21-80b9-1503d88271bf");
  g_assert_cmpstr (device->model, ==, "nRF9160 DK");
  g_assert_cmpstr (device->firmware, ==, "mfw_nrf9160_1.3.5");
  g_assert_cmpstr (device->lot, ==, "LOT-7");
  g_assert_cmpstr (device->notes, ==, "returned");
  g_assert_cmpint (device->first_seen, >, 0);
  g_assert_cmpint (device->last_seen, >=, device->first_seen);

  g_assert_false (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { "490154203237519" }, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_IMEI);
  g_clear_error (&error);
  g_assert_null (ca_ledger_get_device (fixture->ledger, IMEI2, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_NOT_FOUND);
}

static void
test_installs_and_lookup (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) cert = NULL;
  g_autoptr(CaCertificate) reread = NULL;
  g_autoptr(GPtrArray) unfinished = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(CaShaMatch) by_lf = NULL;
  g_autoptr(CaShaMatch) by_crlf = NULL;
  g_autoptr(CaShaMatch) by_install = NULL;
  g_autoptr(CaShaMatch) by_ca = NULL;
  g_autoptr(CaShaMatch) unknown = NULL;
  g_autoptr(CaAuthority) root = NULL;
  g_autofree char *lower = NULL;
  char *sent_sha = "6AEE30EC87D762D5EF420BB5C1404738F2312F4904FB2AC157019A959E34371C";
  gint64 first;
  gint64 second;

  make_cas (fixture);
  cert = issue (fixture, IMEI1, "p256.csr.pem");

  first = ca_ledger_install_begin (fixture->ledger,
                                   &(CaInstall) { .imei = IMEI1, .sec_tag = 16842753, .cred_type = 1,
                                                  .certificate_id = cert->id, .sha256 = cert->sha256_crlf,
                                                  .port = "/dev/ttyACM0" }, &error);
  g_assert_no_error (error);
  second = ca_ledger_install_begin (fixture->ledger,
                                    &(CaInstall) { .imei = IMEI1, .sec_tag = 42, .cred_type = 1,
                                                   .certificate_id = cert->id, .sha256 = sent_sha }, &error);
  g_assert_no_error (error);

  unfinished = ca_ledger_list_installs (fixture->ledger, IMEI1, TRUE, &error);
  g_assert_cmpuint (unfinished->len, ==, 2);

  g_assert_true (ca_ledger_install_mark (fixture->ledger, first, CA_INSTALL_WRITTEN, NULL, &error));
  g_assert_true (ca_ledger_install_mark (fixture->ledger, first, CA_INSTALL_VERIFIED, NULL, &error));
  g_assert_true (ca_ledger_install_mark (fixture->ledger, second, CA_INSTALL_ABANDONED, "modem unplugged", &error));
  g_assert_no_error (error);
  g_assert_false (ca_ledger_install_mark (fixture->ledger, 999, CA_INSTALL_FAILED, NULL, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_clear_pointer (&unfinished, g_ptr_array_unref);
  unfinished = ca_ledger_list_installs (fixture->ledger, IMEI1, TRUE, &error);
  g_assert_cmpuint (unfinished->len, ==, 0);
  all = ca_ledger_list_installs (fixture->ledger, IMEI1, FALSE, &error);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpint (((CaInstall *) all->pdata[0])->state, ==, CA_INSTALL_VERIFIED);
  g_assert_cmpstr (((CaInstall *) all->pdata[1])->detail, ==, "modem unplugged");

  reread = ca_ledger_get_certificate (fixture->ledger, cert->id, &error);
  g_assert_cmpint (reread->installed_at, >, 0);

  /* Lookups: LF form, CRLF form (any case), an install's recorded bytes, a CA. */
  by_lf = ca_ledger_lookup_sha256 (fixture->ledger, cert->sha256_lf, &error);
  g_assert_cmpint (by_lf->kind, ==, CA_SHA_DEVICE_CERTIFICATE);
  g_assert_cmpstr (by_lf->serial, ==, cert->serial);
  g_assert_cmpstr (by_lf->imei, ==, IMEI1);
  g_assert_cmpstr (by_lf->authority_name, ==, "Issuing");
  g_assert_cmpint (by_lf->status, ==, CA_CERT_STATUS_VALID);
  lower = g_ascii_strdown (cert->sha256_crlf, -1);
  by_crlf = ca_ledger_lookup_sha256 (fixture->ledger, lower, &error);
  g_assert_cmpint (by_crlf->kind, ==, CA_SHA_DEVICE_CERTIFICATE);
  by_install = ca_ledger_lookup_sha256 (fixture->ledger, sent_sha, &error);
  g_assert_cmpint (by_install->kind, ==, CA_SHA_DEVICE_CERTIFICATE);
  g_assert_cmpint (by_install->install_id, ==, second);
  root = ca_ledger_get_authority (fixture->ledger, "Root", &error);
  by_ca = ca_ledger_lookup_sha256 (fixture->ledger, root->sha256, &error);
  g_assert_cmpint (by_ca->kind, ==, CA_SHA_CA_CERTIFICATE);
  g_assert_cmpstr (by_ca->authority_name, ==, "Root");
  unknown = ca_ledger_lookup_sha256 (fixture->ledger,
                                     "E3C1FDED22009845E3E8E01CE56C9CAF7D5F23877364CF0A27A4E55DD36C7D61", &error);
  g_assert_no_error (error);
  g_assert_cmpint (unknown->kind, ==, CA_SHA_UNKNOWN);
  g_assert_null (ca_ledger_lookup_sha256 (fixture->ledger, "XYZ", &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT);
}

static void
test_fleet_pages (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CaCertificate) a = NULL;
  g_autoptr(CaCertificate) b = NULL;
  g_autoptr(GPtrArray) revoked = NULL;
  g_autoptr(GPtrArray) valid = NULL;
  g_autoptr(GPtrArray) gone = NULL;
  g_autofree char *after = NULL;

  make_cas (fixture);
  for (int i = 0; i < 25; i++)
    {
      g_autofree char *first14 = g_strdup_printf ("35000000000%03d", i);
      g_autofree char *imei = g_strdup_printf ("%s%c", first14, ca_imei_check_digit (first14));

      g_assert_true (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { imei }, &error));
    }
  a = issue (fixture, IMEI1, "p256.csr.pem");
  b = issue (fixture, IMEI2, "p384.csr.pem");
  gone = ca_ledger_revoke (fixture->ledger, &(CaRevokeRequest) { "Issuing", .imei = IMEI2, .sec_tag = -1 }, &error);
  g_assert_no_error (error);

  /* Keyset pages of 10 cover all 27 devices once, in IMEI order. */
  for (;;)
    {
      g_autoptr(GPtrArray) page = ca_ledger_list_fleet (fixture->ledger,
                                                        &(CaFleetQuery) { .after_imei = after, .limit = 10 }, &error);

      g_assert_no_error (error);
      if (page->len == 0)
        break;
      for (guint i = 0; i < page->len; i++)
        {
          CaFleetRow *row = page->pdata[i];

          if (seen->len > 0)
            g_assert_cmpstr (seen->pdata[seen->len - 1], <, row->imei);
          g_ptr_array_add (seen, g_strdup (row->imei));
        }
      g_free (after);
      after = g_strdup (((CaFleetRow *) page->pdata[page->len - 1])->imei);
    }
  g_assert_cmpuint (seen->len, ==, 27);

  valid = ca_ledger_list_fleet (fixture->ledger, &(CaFleetQuery) { CA_FLEET_VALID }, &error);
  g_assert_cmpuint (valid->len, ==, 1);
  g_assert_cmpstr (((CaFleetRow *) valid->pdata[0])->serial, ==, a->serial);
  revoked = ca_ledger_list_fleet (fixture->ledger, &(CaFleetQuery) { CA_FLEET_REVOKED }, &error);
  g_assert_cmpuint (revoked->len, ==, 1);
  g_assert_cmpstr (((CaFleetRow *) revoked->pdata[0])->imei, ==, IMEI2);
  g_assert_cmpint (((CaFleetRow *) revoked->pdata[0])->status, ==, CA_CERT_STATUS_REVOKED);
}

/* Only a key the modem generates may be recorded without a SHA-256; it is
 * listed back with none and settles like any other install. */
static void
test_keygen_install (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  const CaInstall *key;
  gint64 id;

  g_assert_true (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { IMEI1 }, &error));
  g_assert_no_error (error);

  g_assert_cmpint (ca_ledger_install_begin (fixture->ledger,
                                            &(CaInstall) { .imei = IMEI1, .sec_tag = 7, .cred_type = 1 },
                                            &error), ==, 0);
  g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpint (ca_ledger_install_begin (fixture->ledger,
                                            &(CaInstall) { .imei = IMEI1, .sec_tag = 7, .cred_type = 2,
                                                           .host_key = TRUE },
                                            &error), ==, 0);
  g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  id = ca_ledger_install_begin (fixture->ledger, &(CaInstall) { .imei = IMEI1, .sec_tag = 7, .cred_type = 2 },
                                &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  g_assert_true (ca_ledger_install_mark (fixture->ledger, id, CA_INSTALL_WRITTEN, "modem-generated key", &error));
  g_assert_true (ca_ledger_install_mark (fixture->ledger, id, CA_INSTALL_VERIFIED, NULL, &error));
  g_assert_no_error (error);

  all = ca_ledger_list_installs (fixture->ledger, IMEI1, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 1);
  key = all->pdata[0];
  g_assert_null (key->sha256);
  g_assert_cmpint (key->certificate_id, ==, 0);
  g_assert_cmpint (key->state, ==, CA_INSTALL_VERIFIED);
  g_assert_cmpstr (key->detail, ==, "modem-generated key");
}

static void
test_history (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) a = NULL;
  g_autoptr(CaCertificate) b = NULL;
  g_autoptr(CaDeviceHistory) history = NULL;

  make_cas (fixture);
  a = issue (fixture, IMEI1, "p256.csr.pem");
  b = issue (fixture, IMEI1, "p256b.csr.pem");
  g_assert_cmpint (ca_ledger_install_begin (fixture->ledger,
                                            &(CaInstall) { .imei = IMEI1, .sec_tag = 7, .cred_type = 1,
                                                           .certificate_id = b->id, .sha256 = b->sha256_lf },
                                            &error), >, 0);

  history = ca_ledger_get_history (fixture->ledger, IMEI1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->certificates->len, ==, 2);
  g_assert_cmpint (((CaCertificate *) history->certificates->pdata[1])->supersedes_id, ==, a->id);
  g_assert_cmpuint (history->installs->len, ==, 1);
  g_assert_cmpuint (history->events->len, ==, 3);
  g_assert_cmpstr (((CaAuditEvent *) history->events->pdata[0])->action, ==, "issue");
  g_assert_cmpstr (((CaAuditEvent *) history->events->pdata[2])->action, ==, "install.intent");
}

static void
test_audit_chain (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) a = NULL;
  g_autoptr(GPtrArray) events = NULL;
  gint64 checked = 0;
  gint64 broken = 0;

  make_cas (fixture);
  a = issue (fixture, IMEI1, "p256.csr.pem");

  g_assert_true (ca_ledger_verify_audit (fixture->ledger, &checked, &broken, &error));
  g_assert_no_error (error);
  g_assert_cmpint (checked, ==, 4);   /* passphrase.set, ca.root, ca.intermediate, issue */
  g_assert_cmpint (broken, ==, 0);

  events = ca_ledger_list_audit (fixture->ledger, 0, 0, &error);
  g_assert_cmpuint (events->len, ==, 4);
  for (guint i = 0; i < events->len; i++)
    g_assert_true (((CaAuditEvent *) events->pdata[i])->verified);
  g_assert_nonnull (strstr (((CaAuditEvent *) events->pdata[3])->details, a->serial));
  g_assert_nonnull (strchr (((CaAuditEvent *) events->pdata[3])->actor, '@'));

  /* Edit one row behind the ledger's back. */
  run_sql (fixture, "UPDATE audit_log SET details = '{}' WHERE id = 2");
  g_assert_false (ca_ledger_verify_audit (fixture->ledger, &checked, &broken, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN);
  g_assert_cmpint (broken, ==, 2);
  g_assert_cmpint (checked, ==, 1);
  g_clear_error (&error);
}

static void
test_audit_detects_deletion (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  gint64 broken = 0;

  make_cas (fixture);
  run_sql (fixture, "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)");
  g_assert_false (ca_ledger_verify_audit (fixture->ledger, NULL, &broken, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN);
  g_assert_cmpint (broken, ==, 3);
  g_clear_error (&error);

  run_sql (fixture, "DELETE FROM audit_log WHERE id = 1");
  g_assert_false (ca_ledger_verify_audit (fixture->ledger, NULL, &broken, &error));
  g_assert_cmpint (broken, ==, 1);
}

static void
test_nrfcloud_csv (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) a = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(CaCsr) csr = fixture_csr ("p384.csr.pem");
  g_autoptr(CaCertificate) b = NULL;
  g_autofree char *expected = NULL;

  make_cas (fixture);
  a = issue (fixture, IMEI1, "p256.csr.pem");
  b = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI2, "nrfcloud" }, csr, &error);

  files = ca_ledger_export_nrfcloud_csv (fixture->ledger, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (files->len, ==, 1);
  expected = g_strdup_printf ("nrf-" IMEI2 ",,,APP|MODEM,\"%s\"\n" IMEI1 ",,,APP|MODEM,\"%s\"\n", b->pem, a->pem);
  g_assert_cmpstr (files->pdata[0], ==, expected);
}

static void
store_result (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *slot;
}

static void
test_async (Fixture       *fixture,
            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) unlocked = NULL;
  g_autoptr(GAsyncResult) created = NULL;
  g_autoptr(GAsyncResult) sub_created = NULL;
  g_autoptr(GAsyncResult) issued = NULL;
  g_autoptr(GAsyncResult) revoked = NULL;
  g_autoptr(GAsyncResult) crl = NULL;
  g_autoptr(GAsyncResult) page = NULL;
  g_autoptr(GAsyncResult) verified = NULL;
  g_autoptr(GAsyncResult) cancelled = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(CaAuthority) root = NULL;
  g_autoptr(CaAuthority) sub = NULL;
  g_autoptr(CaCsr) csr = fixture_csr ("p256.csr.pem");
  g_autoptr(CaCertificate) cert = NULL;
  g_autoptr(GPtrArray) gone = NULL;
  g_autoptr(GBytes) crl_bytes = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  gint64 checked = 0;

  ca_ledger_unlock_async (fixture->ledger, PASS, NULL, store_result, &unlocked);
  g_assert_true (ca_ledger_unlock_finish (fixture->ledger, wait_for (&unlocked), &error));
  g_assert_no_error (error);

  ca_ledger_create_authority_async (fixture->ledger, &(CaAuthorityRequest) { "Root", NULL, CA_KEY_EC_P384, 0, -1 },
                                    NULL, store_result, &created);
  root = ca_ledger_create_authority_finish (fixture->ledger, wait_for (&created), &error);
  g_assert_no_error (error);
  g_assert_cmpint (root->key_type, ==, CA_KEY_EC_P384);
  ca_ledger_create_authority_async (fixture->ledger,
                                    &(CaAuthorityRequest) { "Issuing", "Root", CA_KEY_EC_P256, 0, 0 },
                                    NULL, store_result, &sub_created);
  sub = ca_ledger_create_authority_finish (fixture->ledger, wait_for (&sub_created), &error);
  g_assert_no_error (error);

  ca_ledger_issue_async (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, csr, NULL, store_result, &issued);
  cert = ca_ledger_issue_finish (fixture->ledger, wait_for (&issued), &error);
  g_assert_no_error (error);

  ca_ledger_revoke_async (fixture->ledger, &(CaRevokeRequest) { "Issuing", .serial = cert->serial, .sec_tag = -1 },
                          NULL, store_result, &revoked);
  gone = ca_ledger_revoke_finish (fixture->ledger, wait_for (&revoked), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gone->len, ==, 1);

  ca_ledger_generate_crl_async (fixture->ledger, "Issuing", 1, TRUE, NULL, store_result, &crl);
  crl_bytes = ca_ledger_generate_crl_finish (fixture->ledger, wait_for (&crl), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (crl_bytes), >, 0);

  ca_ledger_list_fleet_async (fixture->ledger, &(CaFleetQuery) { CA_FLEET_REVOKED }, NULL, store_result, &page);
  rows = ca_ledger_list_fleet_finish (fixture->ledger, wait_for (&page), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);

  ca_ledger_verify_audit_async (fixture->ledger, NULL, store_result, &verified);
  g_assert_true (ca_ledger_verify_audit_finish (fixture->ledger, wait_for (&verified), &checked, NULL, &error));
  g_assert_cmpint (checked, ==, 6);

  g_cancellable_cancel (cancellable);
  ca_ledger_verify_audit_async (fixture->ledger, cancellable, store_result, &cancelled);
  g_assert_false (ca_ledger_verify_audit_finish (fixture->ledger, wait_for (&cancelled), NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/ca/fleet/device-seen", test_device_seen);
  ADD ("/ca/fleet/installs-and-lookup", test_installs_and_lookup);
  ADD ("/ca/fleet/pages", test_fleet_pages);
  ADD ("/ca/fleet/keygen-install", test_keygen_install);
  ADD ("/ca/fleet/history", test_history);
  ADD ("/ca/fleet/nrfcloud-csv", test_nrfcloud_csv);
  ADD ("/ca/audit/chain", test_audit_chain);
  ADD ("/ca/audit/detects-deletion", test_audit_detects_deletion);
  ADD ("/ca/async/all", test_async);
#undef ADD

  return g_test_run ();
}
