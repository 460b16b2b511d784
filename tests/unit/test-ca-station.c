/* test-ca-station.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "test-ca-util.h"

/* Root → Issuing from make_cas(), then the stations "bench-a" and "bench-b" below Root. */
static void
make_stations (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaStation) a = NULL;
  g_autoptr(CaStation) b = NULL;

  make_cas (fixture);
  a = ca_ledger_enroll_station (fixture->ledger, "bench-a", "Root", &error);
  g_assert_no_error (error);
  b = ca_ledger_enroll_station (fixture->ledger, "bench-b", "Root", &error);
  g_assert_no_error (error);
}

static gboolean
audit_has (Fixture    *fixture,
           const char *action,
           const char *text)
{
  g_autoptr(GPtrArray) events = ca_ledger_list_audit (fixture->ledger, 0, 0, NULL);

  g_assert_nonnull (events);
  for (guint i = 0; i < events->len; i++)
    {
      CaAuditEvent *event = events->pdata[i];

      if (g_str_equal (event->action, action) && strstr (event->details, text) != NULL)
        return TRUE;
    }

  return FALSE;
}

/* Each IMEI gets its own key: IMEI1 p256.csr.pem, the others p256b.csr.pem. */
static CaCertificate *
issue (Fixture    *fixture,
       const char *authority,
       const char *imei,
       GError    **error)
{
  g_autoptr(CaCsr) csr = fixture_csr (g_str_equal (imei, IMEI1) ? "p256.csr.pem" : "p256b.csr.pem");

  return ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { authority, imei }, csr, error);
}

/* Enrolling gives the station its own intermediate below the parent, with the
 * parent's key type and no CA below it, and records the event. */
static void
test_enroll (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaStation) station = NULL;
  g_autoptr(CaStation) refused = NULL;
  g_autoptr(CaAuthority) authority = NULL;
  g_autoptr(GPtrArray) stations = NULL;

  make_stations (fixture);
  station = ca_ledger_get_station (fixture->ledger, "bench-a", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (station->name, ==, "bench-a");
  g_assert_cmpstr (station->authority_name, ==, "bench-a station");
  g_assert_cmpstr (station->parent_name, ==, "Root");
  g_assert_cmpint (station->status, ==, CA_CERT_STATUS_VALID);
  g_assert_cmpint (station->device_count, ==, 0);

  authority = ca_ledger_get_authority (fixture->ledger, "bench-a station", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (authority->parent_name, ==, "Root");
  g_assert_cmpint (authority->path_len, ==, 0);
  g_assert_cmpint (authority->key_type, ==, CA_KEY_EC_P256);

  stations = ca_ledger_list_stations (fixture->ledger, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stations->len, ==, 2);
  g_assert_cmpstr (((CaStation *) stations->pdata[1])->name, ==, "bench-b");

  g_assert_true (audit_has (fixture, "station.enroll", "\"station\":\"bench-a\""));
  assert_audit_verifies (fixture->ledger);

  /* A second station of that name, a parent that may have no CA below it, an
   * unknown parent: each refused, and nothing is left behind. */
  refused = ca_ledger_enroll_station (fixture->ledger, "bench-a", "Root", &error);
  g_assert_error (error, CA_ERROR, CA_ERROR_EXISTS);
  g_clear_error (&error);
  refused = ca_ledger_enroll_station (fixture->ledger, "bench-c", "Issuing", &error);
  g_assert_error (error, CA_ERROR, CA_ERROR_POLICY);
  g_clear_error (&error);
  refused = ca_ledger_enroll_station (fixture->ledger, "bench-c", "Nowhere", &error);
  g_assert_error (error, CA_ERROR, CA_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (count_rows (fixture, "stations"), ==, 2);
  g_assert_cmpint (count_rows (fixture, "authorities"), ==, 4);

  /* The key is kept encrypted like every CA key: a locked ledger cannot enroll. */
  ca_ledger_lock (fixture->ledger);
  refused = ca_ledger_enroll_station (fixture->ledger, "bench-c", "Root", &error);
  g_assert_error (error, CA_ERROR, CA_ERROR_LOCKED);
}

/* What a station records names it; what is recorded without one names none. */
static void
test_records_station (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) at_a = NULL;
  g_autoptr(CaCertificate) elsewhere = NULL;
  g_autoptr(CaDeviceHistory) history = NULL;
  g_autoptr(CaStation) station = NULL;
  CaInstall install = { .imei = (char *) IMEI1, .sec_tag = 16842753, .cred_type = 1, .port = (char *) "/dev/pty1" };
  CaInstall *recorded;

  make_stations (fixture);
  g_assert_false (ca_ledger_use_station (fixture->ledger, "bench-z", &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "station enroll"));
  g_clear_error (&error);

  g_assert_true (ca_ledger_use_station (fixture->ledger, "bench-a", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (ca_ledger_get_station_name (fixture->ledger), ==, "bench-a");
  g_assert_true (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { (char *) IMEI1, .lot = (char *) "L1" },
                                        &error));
  g_assert_no_error (error);
  at_a = issue (fixture, "bench-a station", IMEI1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (at_a->station, ==, "bench-a");
  install.certificate_id = at_a->id;
  install.sha256 = at_a->sha256_lf;
  g_assert_cmpint (ca_ledger_install_begin (fixture->ledger, &install, &error), >, 0);
  g_assert_no_error (error);

  /* A sighting without a lot keeps the lot's station. */
  g_assert_true (ca_ledger_use_station (fixture->ledger, "bench-b", &error));
  g_assert_true (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { (char *) IMEI1 }, &error));
  g_assert_true (ca_ledger_use_station (fixture->ledger, NULL, &error));
  g_assert_null (ca_ledger_get_station_name (fixture->ledger));
  elsewhere = issue (fixture, "Issuing", IMEI2, &error);
  g_assert_no_error (error);
  g_assert_null (elsewhere->station);

  history = ca_ledger_get_history (fixture->ledger, IMEI1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (history->device->lot_station, ==, "bench-a");
  g_assert_cmpuint (history->certificates->len, ==, 1);
  g_assert_cmpstr (((CaCertificate *) history->certificates->pdata[0])->station, ==, "bench-a");
  g_assert_cmpuint (history->installs->len, ==, 1);
  recorded = history->installs->pdata[0];
  g_assert_cmpstr (recorded->station, ==, "bench-a");

  station = ca_ledger_get_station (fixture->ledger, "bench-a", &error);
  g_assert_cmpint (station->device_count, ==, 1);
  assert_audit_verifies (fixture->ledger);
}

/* Whether @crl (DER) lists the certificate of the CA @name. */
static gboolean
crl_lists (Fixture    *fixture,
           GBytes     *crl_der,
           const char *name)
{
  const unsigned char *der = g_bytes_get_data (crl_der, NULL);
  X509_CRL *crl = d2i_X509_CRL (NULL, &der, g_bytes_get_size (crl_der));
  X509_REVOKED *entry = NULL;
  ASN1_INTEGER *serial = authority_serial (fixture, name);
  gboolean listed;

  g_assert_nonnull (crl);
  listed = X509_CRL_get0_by_serial (crl, &entry, serial) == 1;
  ASN1_INTEGER_free (serial);
  X509_CRL_free (crl);

  return listed;
}

/* A revoked station is on its parent's CRL and can no longer issue, while the
 * other stations go on. */
static void
test_revoke (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaStation) revoked = NULL;
  g_autoptr(CaStation) again = NULL;
  g_autoptr(CaStation) other = NULL;
  g_autoptr(CaCertificate) before = NULL;
  g_autoptr(CaCertificate) refused = NULL;
  g_autoptr(CaCertificate) at_b = NULL;
  g_autoptr(GBytes) crl = NULL;

  make_stations (fixture);
  g_assert_true (ca_ledger_use_station (fixture->ledger, "bench-a", &error));
  before = issue (fixture, "bench-a station", IMEI1, &error);
  g_assert_no_error (error);

  revoked = ca_ledger_revoke_station (fixture->ledger, "bench-a", CA_REVOKE_CA_COMPROMISE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (revoked->status, ==, CA_CERT_STATUS_REVOKED);
  g_assert_cmpint (revoked->revoke_reason, ==, CA_REVOKE_CA_COMPROMISE);
  g_assert_true (audit_has (fixture, "station.revoke", "\"reason\":\"cACompromise\""));

  crl = ca_ledger_generate_crl (fixture->ledger, "Root", 0, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (crl_lists (fixture, crl, "bench-a station"));
  g_assert_false (crl_lists (fixture, crl, "bench-b station"));

  /* Its CA refuses to issue, even to a process that chose the station before. */
  refused = issue (fixture, "bench-a station", IMEI2, &error);
  g_assert_null (refused);
  g_assert_error (error, CA_ERROR, CA_ERROR_POLICY);
  g_clear_error (&error);
  g_assert_false (ca_ledger_use_station (fixture->ledger, "bench-a", &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_POLICY);
  g_assert_nonnull (strstr (error->message, "revoked"));
  g_assert_nonnull (strstr (error->message, "station enroll"));
  g_clear_error (&error);

  again = ca_ledger_revoke_station (fixture->ledger, "bench-a", CA_REVOKE_CA_COMPROMISE, &error);
  g_assert_error (error, CA_ERROR, CA_ERROR_ALREADY_REVOKED);
  g_clear_error (&error);
  again = ca_ledger_revoke_station (fixture->ledger, "bench-z", CA_REVOKE_CA_COMPROMISE, &error);
  g_assert_error (error, CA_ERROR, CA_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (ca_ledger_use_station (fixture->ledger, "bench-b", &error));
  at_b = issue (fixture, "bench-b station", IMEI2, &error);
  g_assert_no_error (error);
  other = ca_ledger_get_station (fixture->ledger, "bench-b", &error);
  g_assert_cmpint (other->status, ==, CA_CERT_STATUS_VALID);
  assert_audit_verifies (fixture->ledger);
}

/* A ledger of schema version 5 gains stations on open and keeps its rows,
 * which name no station. */
static void
test_migrate_from_5 (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) cert = NULL;
  g_autoptr(CaDeviceHistory) history = NULL;
  g_autoptr(GPtrArray) stations = NULL;
  g_autoptr(CaStation) station = NULL;
  CaInstall install = { .imei = (char *) IMEI1, .sec_tag = 7, .cred_type = 1 };

  make_cas (fixture);
  g_assert_true (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { (char *) IMEI1, .lot = (char *) "L5" },
                                        &error));
  cert = issue (fixture, "Issuing", IMEI1, &error);
  g_assert_no_error (error);
  install.certificate_id = cert->id;
  install.sha256 = cert->sha256_lf;
  g_assert_cmpint (ca_ledger_install_begin (fixture->ledger, &install, &error), >, 0);
  g_clear_object (&fixture->ledger);

  /* Take the ledger back to what schema version 5 wrote. */
  undo_schema_7 (fixture);
  run_sql (fixture, "ALTER TABLE certificates DROP COLUMN station_id;"
                    "ALTER TABLE installs DROP COLUMN station_id;"
                    "ALTER TABLE devices DROP COLUMN lot_station_id;"
                    "DROP TABLE stations;");
  run_sql (fixture, fixture->schema != NULL ? "UPDATE meta SET value = '5' WHERE key = 'schema_version'"
                                            : "PRAGMA user_version = 5");

  fixture->ledger = ca_ledger_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_true (ca_ledger_unlock (fixture->ledger, PASS, &error));
  history = ca_ledger_get_history (fixture->ledger, IMEI1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (history->device->lot, ==, "L5");
  g_assert_null (history->device->lot_station);
  g_assert_cmpuint (history->certificates->len, ==, 1);
  g_assert_cmpstr (((CaCertificate *) history->certificates->pdata[0])->serial, ==, cert->serial);
  g_assert_null (((CaCertificate *) history->certificates->pdata[0])->station);
  g_assert_cmpuint (history->installs->len, ==, 1);
  g_assert_null (((CaInstall *) history->installs->pdata[0])->station);
  stations = ca_ledger_list_stations (fixture->ledger, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stations->len, ==, 0);
  assert_audit_verifies (fixture->ledger);

  station = ca_ledger_enroll_station (fixture->ledger, "bench-a", "Root", &error);
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (fixture, "stations"), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  ADD_BOTH ("/ca/station/enroll", test_enroll);
  ADD_BOTH ("/ca/station/records-station", test_records_station);
  ADD_BOTH ("/ca/station/revoke", test_revoke);
  ADD_BOTH ("/ca/station/migrate-from-5", test_migrate_from_5);

  return g_test_run ();
}
