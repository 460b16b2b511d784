/* ts-unlock.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

/* Makes sure the CA keys are unlocked before work that signs: uses the keyring's
 * passphrase when one is remembered, and otherwise asks for it (or, on a new
 * ledger, asks for a new one twice). Finishes FALSE with G_IO_ERROR_CANCELLED
 * when the user declines. */
void     ts_unlock_async         (TsWorkspace          *workspace,
                                  GtkWidget            *parent,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data);
gboolean ts_unlock_finish        (GAsyncResult         *result,
                                  GError              **error);

G_END_DECLS
