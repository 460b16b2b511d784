/* ts-cli-link.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ts-cli.h"
#include "ts-workspace-modem.h"

G_BEGIN_DECLS

/* The serial-link options every verb that talks to a modem takes: the modem
 * verbs, `provision`, `rekey` and `line`. */
typedef struct
{
  gboolean rtscts;
  int      timeout_s;   /* 0: the modem's default */
} TsCliLinkOptions;

#define TS_CLI_LINK_OPTION_ENTRIES(link) \
  { "rtscts", 0, 0, G_OPTION_ARG_NONE, &(link).rtscts, \
    N_("Use RTS/CTS hardware flow control"), NULL }, \
  { "timeout", 0, 0, G_OPTION_ARG_INT, &(link).timeout_s, \
    N_("Seconds to wait for each answer (default 15; key generation twice that)"), N_("SECONDS") }

/* Who holds a port the command line opened, in the workspace's messages. */
#define TS_CLI_HOLDER N_("the command line")

gboolean          ts_cli_link_apply       (TsCli                   *cli,
                                           const char              *verb,
                                           const TsCliLinkOptions  *link,
                                           int                     *exit_code);
TsDeviceLink     *ts_cli_link_open        (TsCli                   *cli,
                                           const char              *verb,
                                           const char              *port,
                                           const TsCliLinkOptions  *link,
                                           int                     *exit_code);

G_END_DECLS
