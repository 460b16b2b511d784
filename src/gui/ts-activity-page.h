/* ts-activity-page.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

#define TS_TYPE_ACTIVITY_PAGE (ts_activity_page_get_type ())

G_DECLARE_FINAL_TYPE (TsActivityPage, ts_activity_page, TS, ACTIVITY_PAGE, AdwBin)

void ts_activity_page_set_workspace (TsActivityPage *self,
                                    TsWorkspace    *workspace);

G_END_DECLS
