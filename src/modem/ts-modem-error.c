/* ts-modem-error.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-modem-error"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-modem-error.h"

G_DEFINE_QUARK (ts-modem-error-quark, ts_modem_error)
G_DEFINE_QUARK (ts-cme-error-quark, ts_cme_error)

/**
 * ts_cme_error_advice:
 * @code: the number of a `+CME ERROR: <n>` answer
 *
 * Turns the codes of PROTOCOL.md §6.7 into a sentence a person can act on.
 *
 * Returns: (transfer none): the advice; a generic sentence for unknown codes
 */
const char *
ts_cme_error_advice (int code)
{
  switch (code)
    {
    case 0:
      return _("The modem does not support this command. Key generation needs modem "
               "firmware 1.3.0 or newer; update the modem firmware.");
    case 23:
      return _("The modem reported a memory failure. Power-cycle the device and try again.");
    case 50:
      return _("The modem rejected the command's parameters. Check the sec_tag, the type "
               "and the attributes.");
    case 60:
      return _("The modem reported a system error. Power-cycle the device and try again.");
    case 513:
      return _("There is no such credential on the modem. List the sec_tag to see what it holds.");
    case 514:
      return _("The modem does not allow this: private keys and PSKs cannot be read back, and "
               "modem-owned sec_tags cannot be changed.");
    case 515:
      return _("The modem's credential store is full. Delete credentials you no longer need "
               "and try again.");
    case 518:
      return _("The modem refused because LTE is active. Switch it offline with AT+CFUN=4 "
               "(Tagsmith does this unless another program switches it back, such as LTE "
               "Link Monitor with automatic requests on).");
    case 519:
      return _("That credential already exists and cannot be overwritten. Delete it first, "
               "then try again.");
    case 520:
      return _("The modem refused: authentication failed or the entry already exists.");
    case 523:
      return _("The modem could not generate the key. Try again; if it keeps failing, "
               "power-cycle the device.");
    case 527:
      return _("The modem rejected the certificate as invalid or too large. Check that the "
               "file holds PEM certificates of under 4 KB with real line breaks.");
    case 528:
      return _("The modem refused because a power-off warning is active. Check the supply "
               "voltage, then power-cycle the device.");
    default:
      return _("The modem refused the command.");
    }
}

/**
 * ts_set_cme_error:
 * @command: (nullable): what was being done, e.g. "writing the certificate"
 *
 * Sets a %TS_CME_ERROR whose code is @code and whose message is the advice,
 * keeping the raw code for the record.
 */
void
ts_set_cme_error (GError     **error,
                  int          code,
                  const char  *command)
{
  g_return_if_fail (error == NULL || *error == NULL);

  if (command != NULL)
    g_set_error (error, TS_CME_ERROR, code, _("%s failed: %s (+CME ERROR: %d)"),
                 command, ts_cme_error_advice (code), code);
  else
    g_set_error (error, TS_CME_ERROR, code, _("%s (+CME ERROR: %d)"),
                 ts_cme_error_advice (code), code);
}
