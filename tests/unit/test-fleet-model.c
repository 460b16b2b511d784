/* test-fleet-model.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <ca.h>

#include "../../src/gui/ts-fleet-model.h"
#include "test-ca-util.h"
#include "ts-workspace.h"

#define N_DEVICES 5000

/* Devices 350000000000000 + i for i < N_DEVICES, in lots of 1000, through SQL: the model
 * reads whatever is in the ledger, and a transaction per device would take minutes. */
static void
fill (Fixture *fixture)
{
  g_autofree char *sql = g_strdup_printf (
    "WITH RECURSIVE n (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < %d) "
    "INSERT INTO devices (imei, lot, first_seen, last_seen) "
    "SELECT printf ('%%015d', 350000000000000 + i), printf ('LOT-%%d', i / 1000), 1, 1 FROM n",
    N_DEVICES);

  run_sql (fixture, sql);
}

/* A model on a workspace of its own over the fixture's ledger. */
static TsFleetModel *
model_new (Fixture *fixture)
{
  g_autoptr(TsWorkspace) workspace = ts_workspace_new (fixture->path);
  g_autoptr(GError) error = NULL;

  g_assert_true (ts_workspace_open (workspace, TS_WORKSPACE_OPEN_READ_ONLY, &error));
  g_assert_no_error (error);

  return ts_fleet_model_new (workspace);
}

static char *
imei_at (guint i)
{
  return g_strdup_printf ("%015" G_GUINT64_FORMAT, (guint64) 350000000000000 + i);
}

static void
wait_until_settled (TsFleetModel *model)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (ts_fleet_model_is_loading (model) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (ts_fleet_model_is_loading (model));
}

static const CaFleetRow *
row_at (TsFleetModel *model,
        guint         position)
{
  g_autoptr(TsFleetItem) item = g_list_model_get_item (G_LIST_MODEL (model), position);

  g_assert_nonnull (item);

  /* The model keeps the item (its page), so the row outlives this reference. */
  return ts_fleet_item_get_row (item);
}

typedef struct
{
  guint position;
  gboolean covered;
} Watch;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Watch      *watch)
{
  if (watch->position >= position && watch->position < position + added)
    watch->covered = TRUE;
}

/* The count lands with the true length; any row is fetched by its page's key,
 * a placeholder until then, and the view is told when it lands. */
static void
test_random_access (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(TsFleetModel) model = NULL;
  g_autofree char *expected = imei_at (4321);
  g_autofree char *last = imei_at (N_DEVICES - 1);
  Watch watch = { 4321, FALSE };
  const CaFleetRow *row;

  fill (fixture);
  model = model_new (fixture);
  g_assert_true (ts_fleet_model_is_loading (model));
  wait_until_settled (model);

  g_assert_true (ts_fleet_model_is_complete (model));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_DEVICES);
  g_assert_cmpstr (row_at (model, 0)->imei, ==, "350000000000000");

  /* Row 4321 is on page 16, never fetched: a placeholder, then the real row. */
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &watch);
  g_assert_null (row_at (model, 4321));
  g_assert_true (ts_fleet_model_is_loading (model));
  wait_until_settled (model);
  g_assert_true (watch.covered);
  row = row_at (model, 4321);
  g_assert_nonnull (row);
  g_assert_cmpstr (row->imei, ==, expected);

  /* The last page is short; nothing lies beyond it. */
  g_assert_null (row_at (model, N_DEVICES - 1));
  wait_until_settled (model);
  g_assert_cmpstr (row_at (model, N_DEVICES - 1)->imei, ==, last);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), N_DEVICES));

  /* Walking every page keeps at most 16 in memory, and an evicted page comes back. */
  for (guint i = 0; i < N_DEVICES; i += 256)
    {
      g_autofree char *imei = imei_at (i);

      if (row_at (model, i) == NULL)
        wait_until_settled (model);
      g_assert_cmpstr (row_at (model, i)->imei, ==, imei);
    }
  g_assert_null (row_at (model, 0));
  wait_until_settled (model);
  g_assert_cmpstr (row_at (model, 0)->imei, ==, "350000000000000");
}

/* A new query drops the rows and counts of the one before, even those in flight. */
static void
test_queries (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autoptr(TsFleetModel) model = NULL;

  fill (fixture);
  model = model_new (fixture);

  /* Superseded at once: only the last query's answers count. */
  ts_fleet_model_set_query (model, CA_FLEET_ALL, 0, "35000000000", NULL);
  ts_fleet_model_set_query (model, CA_FLEET_ALL, 0, "35000000000120", "LOT-1");
  wait_until_settled (model);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 10);
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *imei = imei_at (1200 + i);

      g_assert_cmpstr (row_at (model, i)->imei, ==, imei);
      g_assert_cmpstr (row_at (model, i)->lot, ==, "LOT-1");
    }

  ts_fleet_model_set_query (model, CA_FLEET_ALL, 0, NULL, "LOT-4");
  wait_until_settled (model);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1000);
  g_assert_null (row_at (model, 999));
  wait_until_settled (model);
  g_assert_cmpstr (row_at (model, 999)->lot, ==, "LOT-4");

  /* No certificate anywhere: nothing is valid. */
  ts_fleet_model_set_query (model, CA_FLEET_VALID, 0, NULL, NULL);
  wait_until_settled (model);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
  g_assert_true (ts_fleet_model_is_complete (model));
}

/* Sorted, every page the view asks for comes by its key in that order, ties
 * and all: device i was last seen at i / 7, so whole runs share a value and
 * cross page boundaries. */
static void
test_sorted (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autoptr(TsFleetModel) model = NULL;

  fill (fixture);
  run_sql (fixture, "UPDATE devices SET last_seen = (CAST (imei AS INTEGER) - 350000000000000) / 7");
  model = model_new (fixture);
  wait_until_settled (model);

  ts_fleet_model_set_sort (model, CA_FLEET_SORT_LAST_SEEN, TRUE);
  ts_fleet_model_set_query (model, CA_FLEET_ALL, 0, NULL, "LOT-2");
  wait_until_settled (model);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1000);
  for (guint i = 0; i < 1000; i += 37)
    {
      g_autofree char *imei = imei_at (2999 - i);

      if (row_at (model, i) == NULL)
        wait_until_settled (model);
      g_assert_cmpstr (row_at (model, i)->imei, ==, imei);
    }

  /* Reversed, the whole fleet starts over from the top. */
  ts_fleet_model_set_query (model, CA_FLEET_ALL, 0, NULL, NULL);
  ts_fleet_model_set_sort (model, CA_FLEET_SORT_LAST_SEEN, FALSE);
  wait_until_settled (model);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_DEVICES);
  g_assert_cmpstr (row_at (model, 0)->imei, ==, "350000000000000");
  g_assert_null (row_at (model, 4444));
  wait_until_settled (model);
  g_assert_cmpstr (row_at (model, 4444)->imei, ==, "350000000004444");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/fleet-model/random-access", Fixture, NULL, fixture_set_up, test_random_access, fixture_tear_down);
  g_test_add ("/fleet-model/queries", Fixture, NULL, fixture_set_up, test_queries, fixture_tear_down);
  g_test_add ("/fleet-model/sorted", Fixture, NULL, fixture_set_up, test_sorted, fixture_tear_down);

  return g_test_run ();
}
