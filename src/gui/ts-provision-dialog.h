/* ts-provision-dialog.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ts-provision.h"
#include "ts-workspace.h"

G_BEGIN_DECLS

/* Unlocks the authorities if needed, then asks how to provision (or re-key) the
 * device @identity names. Finishes with the request to run. */
void                ts_provision_dialog_run_async  (GtkWidget              *parent,
                                                    TsWorkspace            *workspace,
                                                    const TsModemIdentity  *identity,
                                                    gboolean                rekey,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
TsProvisionRequest *ts_provision_dialog_run_finish (GAsyncResult           *result,
                                                    GError                **error);

G_END_DECLS
