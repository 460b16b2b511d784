/* ts-revoke-dialog.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>
#include <ca.h>

#include "ts-text.h"
#include "ts-workspace.h"

G_BEGIN_DECLS

/* Asks for a reason and a confirmation that names the certificate, then
 * revokes it and (unless turned off) publishes its CA's CRL, and says what was
 * done. @imei's certificate @serial is looked up in the ledger first. */
void ts_revoke_dialog_present (GtkWidget   *parent,
                               TsWorkspace *workspace,
                               const char  *imei,
                               const char  *serial);

/* @reasons (ts_revoke_reasons(), ts_station_revoke_reasons()) as a list, each
 * explained, the first selected. */
GtkListBox     *ts_revoke_reason_list_new        (const TsRevokeReasonText *reasons,
                                                  guint                     n_reasons);
CaRevokeReason  ts_revoke_reason_list_get_reason (GtkListBox               *list);

/* The reasons of RFC 5280 for a device certificate, each explained when chosen. */
AdwComboRow    *ts_revoke_reason_row_new        (const char     *title,
                                                 CaRevokeReason  reason);
CaRevokeReason  ts_revoke_reason_row_get_reason (AdwComboRow    *row);

G_END_DECLS
