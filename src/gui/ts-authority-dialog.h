/* ts-authority-dialog.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ca.h"
#include "ts-workspace.h"

G_BEGIN_DECLS

/* The "New Authority" assistant: asks for a name, the issuer (or a new root), the
 * key type and the lifetime, explaining each, then creates the authority off the
 * main loop in @workspace. @authorities (element-type CaAuthority) offers the possible issuers. */
void         ts_authority_dialog_run_async  (TsWorkspace          *workspace,
                                             GtkWidget            *parent,
                                             GPtrArray            *authorities,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
CaAuthority *ts_authority_dialog_run_finish (GAsyncResult         *result,
                                             GError              **error);

G_END_DECLS
