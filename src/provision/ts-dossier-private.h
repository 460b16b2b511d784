/* ts-dossier-private.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Renders dossier.json's facts (@dossier, as ts-dossier.c composes it) as a
 * PDF document at @path. */
gboolean _ts_dossier_render_pdf (JsonObject  *dossier,
                                 const char  *path,
                                 GError     **error);

G_END_DECLS
