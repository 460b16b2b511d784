/* ts-fleet-page.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

#define TS_TYPE_FLEET_PAGE (ts_fleet_page_get_type ())

G_DECLARE_FINAL_TYPE (TsFleetPage, ts_fleet_page, TS, FLEET_PAGE, AdwBin)

void ts_fleet_page_set_workspace (TsFleetPage *self,
                                 TsWorkspace *workspace);

G_END_DECLS
