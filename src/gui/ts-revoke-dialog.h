/* ts-revoke-dialog.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

/* Asks for a reason and a confirmation that names the certificate, then
 * revokes it and (unless turned off) publishes its CA's CRL, and says what was
 * done. @imei's certificate @serial is looked up in the ledger first. */
void ts_revoke_dialog_present (GtkWidget   *parent,
                               TsWorkspace *workspace,
                               const char  *imei,
                               const char  *serial);

G_END_DECLS
