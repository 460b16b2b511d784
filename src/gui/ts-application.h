/* ts-application.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

#define TS_TYPE_APPLICATION (ts_application_get_type ())

G_DECLARE_FINAL_TYPE (TsApplication, ts_application, TS, APPLICATION, AdwApplication)

TsApplication *ts_application_new              (void);
TsApplication *ts_application_get_default      (void);
GSettings     *ts_application_get_settings     (TsApplication *self);
TsWorkspace   *ts_application_get_workspace    (TsApplication *self);
void           ts_application_lock             (TsApplication *self);

G_END_DECLS
