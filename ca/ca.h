/* ca.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

/* libca: Tagsmith's certificate authority and fleet ledger. GLib, OpenSSL and
 * SQLite or libpq only; it never includes GTK and knows nothing of modems
 * beyond X.509. */

#define CA_INSIDE
# include "ca-error.h"
# include "ca-types.h"
# include "ca-x509.h"
# include "ca-secret.h"
# include "ca-file.h"
# include "ca-imei.h"
# include "ca-profile.h"
# include "ca-csr.h"
# include "ca-ledger.h"
# include "ca-ledger-copy.h"
# include "ca-authority.h"
# include "ca-issue.h"
# include "ca-revoke.h"
# include "ca-fleet.h"
# include "ca-audit.h"
# include "ca-sign.h"
# include "ca-station.h"
#undef CA_INSIDE
