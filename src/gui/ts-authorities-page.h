/* ts-authorities-page.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

#define TS_TYPE_AUTHORITIES_PAGE (ts_authorities_page_get_type ())

G_DECLARE_FINAL_TYPE (TsAuthoritiesPage, ts_authorities_page, TS, AUTHORITIES_PAGE, AdwBin)

void ts_authorities_page_set_workspace (TsAuthoritiesPage *self,
                                       TsWorkspace       *workspace);

G_END_DECLS
