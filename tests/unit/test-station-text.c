/* test-station-text.c: what the window says about stations, and the advice
 * it gives when this bench cannot act as the station chosen for it.
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "ts-station-text.h"

static CaStation *
station_new (const char     *name,
             CaCertStatus    status,
             gint64          device_count)
{
  CaStation *station = g_new0 (CaStation, 1);

  station->name = g_strdup (name);
  station->authority_name = g_strdup_printf ("%s station", name);
  station->parent_name = g_strdup ("Fleet Intermediate");
  station->status = status;
  station->created_at = 1767225600;  /* 2026-01-01 */
  station->device_count = device_count;
  if (status == CA_CERT_STATUS_REVOKED)
    {
      station->revoke_reason = CA_REVOKE_CA_COMPROMISE;
      station->revoked_at = 1767312000;
    }

  return station;
}

static GPtrArray *
stations_new (void)
{
  GPtrArray *stations = g_ptr_array_new_with_free_func ((GDestroyNotify) ca_station_free);

  g_ptr_array_add (stations, station_new ("bench-a", CA_CERT_STATUS_VALID, 1));
  g_ptr_array_add (stations, station_new ("bench-b", CA_CERT_STATUS_REVOKED, 3));

  return stations;
}

/* No station, or one in good standing: nothing to say. */
static void
test_advice_none (void)
{
  g_autoptr(GPtrArray) stations = stations_new ();

  g_assert_null (ts_station_advice (stations, NULL));
  g_assert_null (ts_station_advice (stations, ""));
  g_assert_null (ts_station_advice (stations, "bench-a"));
}

/* A revoked or unknown station names itself and says what to do in the
 * window's own terms. */
static void
test_advice_unusable (void)
{
  g_autoptr(GPtrArray) stations = stations_new ();
  g_autofree char *revoked = ts_station_advice (stations, "bench-b");
  g_autofree char *unknown = ts_station_advice (stations, "bench-z");

  g_assert_nonnull (revoked);
  g_assert_nonnull (strstr (revoked, "“bench-b” was revoked"));
  g_assert_nonnull (strstr (revoked, "(CA compromise)"));
  g_assert_nonnull (strstr (revoked, "Preferences"));
  g_assert_null (strstr (revoked, "tagsmith"));
  g_assert_null (strstr (revoked, "--"));

  g_assert_nonnull (unknown);
  g_assert_nonnull (strstr (unknown, "no station of that name"));
  g_assert_nonnull (strstr (unknown, "Authorities"));
  g_assert_null (strstr (unknown, "tagsmith"));
}

static void
test_describe (void)
{
  g_autoptr(GPtrArray) stations = stations_new ();
  g_autofree char *none = ts_station_describe (stations, "");
  g_autofree char *good = ts_station_describe (stations, "bench-a");
  g_autofree char *bad = ts_station_describe (stations, "bench-b");

  g_assert_nonnull (strstr (none, "not a station"));
  g_assert_cmpstr (good, ==, "Runs as the station “bench-a”: its CA “bench-a station” signs unless you "
                             "choose another");
  g_assert_nonnull (strstr (bad, "Not running as the station “bench-b”"));
}

static void
test_summary_and_where (void)
{
  g_autoptr(GPtrArray) stations = stations_new ();
  g_autofree char *valid = ts_station_summary (stations->pdata[0]);
  g_autofree char *revoked = ts_station_summary (stations->pdata[1]);
  g_autofree char *at = ts_station_where ("bench-a");
  g_autofree char *before = ts_station_where (NULL);

  g_assert_nonnull (strstr (valid, "CA “bench-a station” below “Fleet Intermediate”"));
  g_assert_nonnull (strstr (valid, "1 device"));
  g_assert_null (strstr (valid, "devices"));
  g_assert_nonnull (strstr (revoked, "revoked"));
  g_assert_nonnull (strstr (revoked, "(CA compromise)"));
  g_assert_cmpstr (at, ==, " · at station bench-a");
  g_assert_cmpstr (before, ==, "");
  g_assert_true (ts_station_find (stations, "bench-b") == stations->pdata[1]);
  g_assert_null (ts_station_find (stations, "nobody"));
  g_assert_cmpstr (ts_station_authority (stations, "bench-a"), ==, "bench-a station");
  g_assert_null (ts_station_authority (stations, "bench-b"));
  g_assert_null (ts_station_authority (stations, "nobody"));
  g_assert_null (ts_station_authority (stations, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/station-text/advice/none", test_advice_none);
  g_test_add_func ("/station-text/advice/unusable", test_advice_unusable);
  g_test_add_func ("/station-text/describe", test_describe);
  g_test_add_func ("/station-text/summary-and-where", test_summary_and_where);

  return g_test_run ();
}
