/* ts-cli-link.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-cli-link"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-cli-link.h"

#define MAX_TIMEOUT_S 600

/**
 * ts_cli_link_apply:
 *
 * Checks --rtscts and --timeout and makes them the workspace's defaults, so
 * every port opened afterwards uses them.
 *
 * Returns: %FALSE after printing advice when an option is out of range
 */
gboolean
ts_cli_link_apply (TsCli                   *cli,
                   const char              *verb,
                   const TsCliLinkOptions  *link,
                   int                     *exit_code)
{
  g_autoptr(TsProvisionDefaults) defaults = NULL;

  g_return_val_if_fail (link != NULL, FALSE);

  if (link->timeout_s < 0 || link->timeout_s > MAX_TIMEOUT_S)
    {
      *exit_code = ts_cli_usage_error (verb, _("--timeout must be between 1 and %d seconds."),
                                       MAX_TIMEOUT_S);
      return FALSE;
    }

  defaults = ts_workspace_dup_provision_defaults (cli->workspace);
  defaults->open_flags = link->rtscts ? TS_MODEM_OPEN_RTSCTS : TS_MODEM_OPEN_NONE;
  defaults->timeout_ms = (guint) link->timeout_s * 1000;
  ts_workspace_set_provision_defaults (cli->workspace, defaults);

  return TRUE;
}

/**
 * ts_cli_link_open:
 * @port: (nullable): the --port value
 *
 * Applies the link options and opens @port under a lease of the workspace.
 *
 * Returns: (transfer full) (nullable): the link, or %NULL after printing why
 */
TsDeviceLink *
ts_cli_link_open (TsCli                   *cli,
                  const char              *verb,
                  const char              *port,
                  const TsCliLinkOptions  *link,
                  int                     *exit_code)
{
  g_autoptr(GError) error = NULL;
  TsDeviceLink *device;

  if (port == NULL)
    {
      *exit_code = ts_cli_usage_error (verb, _("--port is required. Run `tagsmith devices` to "
                                               "find the modem's port."));
      return NULL;
    }
  if (!ts_cli_link_apply (cli, verb, link, exit_code))
    return NULL;

  device = ts_workspace_open_link (cli->workspace, port, _(TS_CLI_HOLDER), TS_PORT_LEASE_HELD,
                                   NULL, &error);
  if (device == NULL)
    *exit_code = ts_cli_fail (error);

  return device;
}
