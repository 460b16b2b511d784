/* ts-cli-station.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ts-cli.h"

G_BEGIN_DECLS

/* The --station option of the verbs that issue or provision. */
#define TS_CLI_STATION_OPTION_ENTRY(variable) \
  { "station", 0, 0, G_OPTION_ARG_STRING, &(variable), \
    N_("The station this machine is (default: $TAGSMITH_STATION); its CA issues unless --ca is given"), \
    N_("NAME") }

/* The station this machine is: @option (--station) when given, else
 * $TAGSMITH_STATION; NULL for none. */
const char *ts_cli_station_name (const char  *option);

/* Makes cli->workspace (already open) the station @name, when there is one, and
 * puts the station's CA in *@inout_ca unless a CA was given. */
gboolean    ts_cli_use_station  (TsCli       *cli,
                                 const char  *name,
                                 char       **inout_ca,
                                 GError     **error);

G_END_DECLS
