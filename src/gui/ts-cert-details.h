/* ts-cert-details.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include <ca.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

#define TS_TYPE_CERT_DETAILS (ts_cert_details_get_type ())

G_DECLARE_FINAL_TYPE (TsCertDetails, ts_cert_details, TS, CERT_DETAILS, AdwWindow)

/*
 * A certificate's details (subject, issuer, validity, key, extensions,
 * fingerprints, PEM) in a window over @parent's, with copy and export.
 * @authority names the CA whose chain completes the certificate's: its issuer,
 * or the CA itself when @is_authority.
 */
void ts_cert_details_show              (GtkWidget           *parent,
                                        TsWorkspace         *workspace,
                                        const char          *pem,
                                        CaCertStatus         status,
                                        const char          *authority,
                                        gboolean             is_authority);
void ts_cert_details_show_certificate  (GtkWidget           *parent,
                                        TsWorkspace         *workspace,
                                        const CaCertificate *certificate);
void ts_cert_details_show_authority    (GtkWidget           *parent,
                                        TsWorkspace         *workspace,
                                        const CaAuthority   *authority);
/* Reads the certificate from the ledger first: a device's by @imei and
 * @serial, or, with @serial %NULL, the certificate of the CA @authority. */
void ts_cert_details_show_from_ledger  (GtkWidget           *parent,
                                        TsWorkspace         *workspace,
                                        const char          *imei,
                                        const char          *serial,
                                        const char          *authority);

G_END_DECLS
