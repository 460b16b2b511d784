/* ts-cli-verbs.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ts-cli.h"

G_BEGIN_DECLS

/* Each verb family lives in its own file and ends its table with an all-NULL entry.
 * ts-cli.c lists the tables in the order `tagsmith --help` shows them. */

extern const TsCliVerb ts_cli_modem_verbs[];
extern const TsCliVerb ts_cli_ca_verbs[];
extern const TsCliVerb ts_cli_provision_verbs[];
extern const TsCliVerb ts_cli_lot_verbs[];
extern const TsCliVerb ts_cli_ledger_verbs[];
extern const TsCliVerb ts_cli_station_verbs[];

G_END_DECLS
