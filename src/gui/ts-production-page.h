/* ts-production-page.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

#define TS_TYPE_PRODUCTION_PAGE (ts_production_page_get_type ())

G_DECLARE_FINAL_TYPE (TsProductionPage, ts_production_page, TS, PRODUCTION_PAGE, AdwBin)

void ts_production_page_set_workspace (TsProductionPage *self,
                                      TsWorkspace      *workspace);

G_END_DECLS
