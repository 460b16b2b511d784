/* ts-dossier-flow.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

/* Makes a lot's evidence dossier from the window: asks which lot (any the
 * ledger knows, @lot chosen first when given), unlocks the CAs, and writes the
 * folder as "dossier-LOT-DATE" inside @folder. Finishes with the folder's
 * path, or G_IO_ERROR_CANCELLED when the user backs out. */
void  ts_dossier_flow_async  (TsWorkspace          *workspace,
                              GtkWidget            *parent,
                              const char           *lot,
                              const char           *folder,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data);
char *ts_dossier_flow_finish (GAsyncResult         *result,
                              GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
