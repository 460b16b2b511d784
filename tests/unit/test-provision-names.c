/* test-provision-names.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include <openssl/evp.h>

#include "test-ca-util.h"
#include "ts-badge.h"
#include "ts-device-monitor.h"
#include "ts-modem.h"
#include "ts-provision-steps.h"

#define DAY (G_GINT64_CONSTANT (24) * 60 * 60)

static gint64
now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* One threshold: a day either side of it decides, for certificates and
 * authorities alike (the window once flagged authorities 90 days ahead and
 * devices 30). */
static void
test_badge_threshold (void)
{
  g_assert_cmpint (ts_badge_for_certificate (CA_CERT_STATUS_VALID, now () + (CA_EXPIRING_DAYS - 1) * DAY).kind,
                   ==, TS_BADGE_EXPIRING);
  g_assert_cmpint (ts_badge_for_certificate (CA_CERT_STATUS_VALID, now () + (CA_EXPIRING_DAYS + 1) * DAY).kind,
                   ==, TS_BADGE_VALID);
  g_assert_cmpint (ts_badge_for_certificate (CA_CERT_STATUS_VALID, now () + 60 * DAY).kind, ==, TS_BADGE_VALID);
  g_assert_cmpint (ts_badge_for_certificate (CA_CERT_STATUS_VALID, 0).kind, ==, TS_BADGE_VALID);
}

static void
test_badge_states (void)
{
  TsBadge badge;

  /* A status read before the end still shows the end once it has passed. */
  badge = ts_badge_for_certificate (CA_CERT_STATUS_VALID, now () - DAY);
  g_assert_cmpint (badge.kind, ==, TS_BADGE_EXPIRED);
  g_assert_cmpstr (badge.name, ==, "expired");
  g_assert_cmpstr (badge.style, ==, "error");

  badge = ts_badge_for_certificate (CA_CERT_STATUS_EXPIRED, now () + 400 * DAY);
  g_assert_cmpint (badge.kind, ==, TS_BADGE_EXPIRED);

  /* Revoked outranks expired and expiring. */
  badge = ts_badge_for_certificate (CA_CERT_STATUS_REVOKED, now () - DAY);
  g_assert_cmpint (badge.kind, ==, TS_BADGE_REVOKED);
  g_assert_cmpstr (badge.name, ==, "revoked");
  g_assert_cmpstr (badge.label, ==, "Revoked");
  g_assert_cmpstr (badge.style, ==, "error");

  badge = ts_badge_for_certificate (CA_CERT_STATUS_VALID, now () + DAY);
  g_assert_cmpstr (badge.name, ==, "expiring");
  g_assert_cmpstr (badge.label, ==, "Expires soon");
  g_assert_cmpstr (badge.style, ==, "warning");

  badge = ts_badge_for_certificate (CA_CERT_STATUS_VALID, now () + 400 * DAY);
  g_assert_cmpstr (badge.name, ==, "valid");
  g_assert_cmpstr (badge.label, ==, "Valid");
  g_assert_cmpstr (badge.style, ==, "success");
}

/* `fleet list --status expiring` (and the Fleet page's filter) selects exactly
 * the devices whose badge says "Expires soon". */
static void
test_badge_matches_fleet_filter (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  const int days[] = { 10, CA_EXPIRING_DAYS - 1, CA_EXPIRING_DAYS + 1, 90, 3650 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) expiring = NULL;
  g_autoptr(GHashTable) filtered = g_hash_table_new (g_str_hash, g_str_equal);
  guint badged = 0;

  make_cas (fixture);
  for (guint i = 0; i < G_N_ELEMENTS (days); i++)
    {
      g_autofree char *first14 = g_strdup_printf ("35265610012%03u", i);
      g_autofree char *imei = g_strdup_printf ("%s%c", first14, ca_imei_check_digit (first14));
      EVP_PKEY *key = EVP_EC_gen ("P-256");
      g_autoptr(CaCsr) csr = new_csr (key, FALSE);
      g_autoptr(CaCertificate) cert = ca_ledger_issue (fixture->ledger,
                                                       &(CaIssueRequest) { "Issuing", imei, .days = days[i] },
                                                       csr, &error);

      EVP_PKEY_free (key);
      g_assert_no_error (error);
    }

  all = ca_ledger_list_fleet (fixture->ledger, &(CaFleetQuery) { CA_FLEET_ALL }, &error);
  g_assert_no_error (error);
  expiring = ca_ledger_list_fleet (fixture->ledger, &(CaFleetQuery) { CA_FLEET_EXPIRING }, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, G_N_ELEMENTS (days));

  for (guint i = 0; i < expiring->len; i++)
    g_hash_table_add (filtered, ((CaFleetRow *) expiring->pdata[i])->imei);
  for (guint i = 0; i < all->len; i++)
    {
      const CaFleetRow *row = all->pdata[i];
      TsBadge badge = ts_badge_for_certificate (row->status, row->not_after);

      g_assert_cmpint (badge.kind == TS_BADGE_EXPIRING, ==, g_hash_table_contains (filtered, row->imei));
      badged += badge.kind == TS_BADGE_EXPIRING;
    }
  g_assert_cmpuint (badged, ==, 2);
}

static void
test_line_endings_names (void)
{
  g_autoptr(GError) error = NULL;
  TsLineEndings endings = TS_LINE_ENDINGS_KEEP;

  for (TsLineEndings i = TS_LINE_ENDINGS_LF; i <= TS_LINE_ENDINGS_KEEP; i++)
    {
      g_assert_true (ts_line_endings_parse (ts_line_endings_to_string (i), &endings, &error));
      g_assert_no_error (error);
      g_assert_cmpint (endings, ==, i);
    }
  g_assert_cmpstr (ts_line_endings_to_string (TS_LINE_ENDINGS_CRLF), ==, "crlf");
  g_assert_null (ts_line_endings_to_string (TS_LINE_ENDINGS_KEEP + 1));

  g_assert_false (ts_line_endings_parse ("dos", &endings, &error));
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "Use lf, crlf or keep."));
}

/* The window keeps the choice in GSettings; the form reads it back as the
 * enum's number, so the schema's nicks and values must be the table's. */
static void
test_line_endings_setting (void)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.tagsmith.Tagsmith");

  for (TsLineEndings i = TS_LINE_ENDINGS_LF; i <= TS_LINE_ENDINGS_KEEP; i++)
    {
      g_autofree char *name = NULL;

      g_assert_true (g_settings_set_string (settings, "line-endings", ts_line_endings_to_string (i)));
      g_assert_cmpint (g_settings_get_enum (settings, "line-endings"), ==, i);
      g_assert_true (g_settings_set_enum (settings, "line-endings", i));
      name = g_settings_get_string (settings, "line-endings");
      g_assert_cmpstr (name, ==, ts_line_endings_to_string (i));
    }
}

static void
test_step_names (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  TsProvisionStepId step;
  double previous = 0;

  for (TsProvisionStepId i = 0; i < TS_PROVISION_N_STEPS; i++)
    {
      const char *name = ts_provision_step_name (i);

      g_assert_nonnull (name);
      g_assert_true (g_hash_table_add (seen, (gpointer) name));
      g_assert_true (ts_provision_step_parse (name, &step));
      g_assert_cmpint (step, ==, i);
      /* The progress bar never goes back. */
      g_assert_cmpfloat (ts_provision_step_fraction (i), >=, previous);
      g_assert_cmpfloat (ts_provision_step_fraction (i), <, 1);
      previous = ts_provision_step_fraction (i);
    }
  g_assert_null (ts_provision_step_name (TS_PROVISION_N_STEPS));
  g_assert_false (ts_provision_step_parse ("notice", &step));

  g_assert_cmpstr (ts_provision_step_name (ts_provision_step_for_credential (TS_CRED_CA_CERT)), ==, "server-ca");
  g_assert_cmpstr (ts_provision_step_name (ts_provision_step_for_credential (TS_CRED_CLIENT_CERT)), ==, "client-cert");
  g_assert_cmpstr (ts_provision_step_name (ts_provision_step_for_credential (TS_CRED_PRIVATE_KEY)), ==, "private-key");
}

/* Kits of one batch share a board and a model: the end of the IMEI tells them apart, and
 * what the modem said wins over what discovery guessed. */
static void
test_kit_names (void)
{
  TsPortInfo dk = { .kind = TS_PORT_KIND_BOARD, .path = (char *) "/dev/ttyACM0",
                    .board = (char *) "nRF9160 DK" };
  TsPortInfo bare = { .kind = TS_PORT_KIND_UNKNOWN, .path = (char *) "/dev/ttyACM3" };
  TsPortInfo emulator = { .kind = TS_PORT_KIND_EMULATOR, .path = (char *) "/dev/pts/7",
                          .model = (char *) "nRF9161", .imei = (char *) "352656100000036" };
  TsModemIdentity identity = { .imei = (char *) "352656100123456", .model = (char *) "nRF9160" };
  g_autofree char *unknown = ts_kit_name (&dk, NULL);
  g_autofree char *named = ts_kit_name (&dk, &identity);
  g_autofree char *by_model = ts_kit_name (&bare, &identity);
  g_autofree char *by_path = ts_kit_name (&bare, NULL);
  g_autofree char *virtual = ts_kit_name (&emulator, NULL);
  g_autofree char *virtual_said = ts_kit_name (&emulator, &identity);

  g_assert_cmpstr (unknown, ==, "nRF9160 DK");
  g_assert_cmpstr (named, ==, "nRF9160 DK · …123456");
  g_assert_cmpstr (by_model, ==, "nRF9160 · …123456");
  g_assert_cmpstr (by_path, ==, "ttyACM3");
  g_assert_cmpstr (virtual, ==, "Virtual nRF9161 · …000036");
  g_assert_cmpstr (virtual_said, ==, "Virtual nRF9160 · …123456");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/names/badge/threshold", test_badge_threshold);
  g_test_add_func ("/names/badge/states", test_badge_states);
  g_test_add ("/names/badge/fleet-filter", Fixture, NULL, fixture_set_up, test_badge_matches_fleet_filter,
              fixture_tear_down);
  g_test_add_func ("/names/line-endings/names", test_line_endings_names);
  g_test_add_func ("/names/line-endings/setting", test_line_endings_setting);
  g_test_add_func ("/names/steps", test_step_names);
  g_test_add_func ("/names/kits", test_kit_names);

  return g_test_run ();
}
