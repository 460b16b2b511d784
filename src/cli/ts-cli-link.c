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

/* Prints advice and returns FALSE when an option is out of range. */
gboolean
ts_cli_link_check (const char              *verb,
                   const TsCliLinkOptions  *link,
                   int                     *exit_code)
{
  g_return_val_if_fail (link != NULL, FALSE);

  if (link->timeout_s < 0 || link->timeout_s > MAX_TIMEOUT_S)
    {
      *exit_code = ts_cli_usage_error (verb, _("--timeout must be between 1 and %d seconds."),
                                       MAX_TIMEOUT_S);
      return FALSE;
    }

  return TRUE;
}

TsModemOpenFlags
ts_cli_link_open_flags (const TsCliLinkOptions *link)
{
  return link->rtscts ? TS_MODEM_OPEN_RTSCTS : TS_MODEM_OPEN_NONE;
}

/* 0 when --timeout was not given, so the modem keeps its default. */
guint
ts_cli_link_timeout_ms (const TsCliLinkOptions *link)
{
  return (guint) link->timeout_s * 1000;
}

/**
 * ts_cli_link_open:
 * @port: (nullable): the --port value
 *
 * Checks the link options, opens @port and applies --timeout.
 *
 * Returns: (transfer full) (nullable): the modem, or %NULL after printing why
 */
TsModem *
ts_cli_link_open (const char              *verb,
                  const char              *port,
                  const TsCliLinkOptions  *link,
                  int                     *exit_code)
{
  g_autoptr(GError) error = NULL;
  TsModem *modem;

  if (port == NULL)
    {
      *exit_code = ts_cli_usage_error (verb, _("--port is required. Run `tagsmith devices` to "
                                               "find the modem's port."));
      return NULL;
    }
  if (!ts_cli_link_check (verb, link, exit_code))
    return NULL;

  modem = ts_modem_open (port, ts_cli_link_open_flags (link), NULL, &error);
  if (modem == NULL)
    {
      *exit_code = ts_cli_fail (error);
      return NULL;
    }
  if (link->timeout_s > 0)
    ts_modem_set_timeout (modem, ts_cli_link_timeout_ms (link));

  return modem;
}
