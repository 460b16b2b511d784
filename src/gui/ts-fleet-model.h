/* ts-fleet-model.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ca.h"
#include "ts-workspace.h"

G_BEGIN_DECLS

#define TS_TYPE_FLEET_ITEM (ts_fleet_item_get_type ())

G_DECLARE_FINAL_TYPE (TsFleetItem, ts_fleet_item, TS, FLEET_ITEM, GObject)

/* (nullable): NULL while the row's page is still loading */
const CaFleetRow *ts_fleet_item_get_row (TsFleetItem *self);

#define TS_TYPE_FLEET_MODEL (ts_fleet_model_get_type ())

G_DECLARE_FINAL_TYPE (TsFleetModel, ts_fleet_model, TS, FLEET_MODEL, GObject)

/*
 * A GListModel of TsFleetItem over the ledger's fleet, fetched page by page through
 * the workspace's thread runner as the view asks for rows, with only a few pages
 * kept. The ledger pages by key (in the model's sort), so the model grows as it is scrolled:
 * it knows the rows up to the furthest page fetched, plus whether more follow.
 */
TsFleetModel *ts_fleet_model_new          (TsWorkspace   *workspace);
void          ts_fleet_model_set_query    (TsFleetModel  *self,
                                           CaFleetFilter  filter,
                                           int            expiring_days,
                                           const char    *search,
                                           const char    *lot);
/* IMEI order, ascending, until set otherwise. */
void          ts_fleet_model_set_sort     (TsFleetModel  *self,
                                           CaFleetSort    sort,
                                           gboolean       descending);
gboolean      ts_fleet_model_is_loading   (TsFleetModel  *self);
gboolean      ts_fleet_model_is_complete  (TsFleetModel  *self);
void          ts_fleet_model_reload       (TsFleetModel  *self);

/* The ledger's production lots, read on the workspace's thread runner: finish
 * with ts_workspace_run_finish(), which gives a GPtrArray of names, sorted. */
void          ts_fleet_list_lots_async    (TsWorkspace         *workspace,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);

G_END_DECLS
