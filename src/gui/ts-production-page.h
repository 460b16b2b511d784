/* ts-production-page.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TS_TYPE_PRODUCTION_PAGE (ts_production_page_get_type ())

G_DECLARE_FINAL_TYPE (TsProductionPage, ts_production_page, TS, PRODUCTION_PAGE, AdwBin)

G_END_DECLS
