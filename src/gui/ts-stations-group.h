/* ts-stations-group.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

#define TS_TYPE_STATIONS_GROUP (ts_stations_group_get_type ())

G_DECLARE_FINAL_TYPE (TsStationsGroup, ts_stations_group, TS, STATIONS_GROUP, AdwPreferencesGroup)

/* The Authorities page's list of stations, the benches that share this ledger,
 * each with its intermediate and state; enrolls and revokes them. */
void ts_stations_group_set_workspace (TsStationsGroup *self,
                                      TsWorkspace     *workspace);

G_END_DECLS
