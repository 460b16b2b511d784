/* ts-server-ca-chooser.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ts-server-ca.h"

G_BEGIN_DECLS

/* A window over @parent listing the CA certificates of the system trust store,
 * with a search by name; it finishes with the one chosen, or cancelled. */
void             ts_server_ca_chooser_choose_async  (GtkWidget           *parent,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
TsServerCaEntry *ts_server_ca_chooser_choose_finish (GAsyncResult        *result,
                                                     GError             **error);

G_END_DECLS
