/* ca-imei.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-imei"

#include "config.h"

#include <string.h>

#include "ca-private.h"

/* The Luhn check digit over the first 14 digits (3GPP TS 23.003 annex B). */
char
ca_imei_check_digit (const char *first14)
{
  int sum = 0;

  g_return_val_if_fail (first14 != NULL, '0');

  for (int i = 0; i < 14 && g_ascii_isdigit (first14[i]); i++)
    {
      int digit = first14[i] - '0';

      if (i % 2 == 1)
        {
          digit *= 2;
          if (digit > 9)
            digit -= 9;
        }
      sum += digit;
    }

  return (char) ('0' + (10 - sum % 10) % 10);
}

gboolean
ca_imei_validate (const char  *imei,
                  GError     **error)
{
  gsize length;

  if (imei == NULL || imei[0] == '\0')
    {
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_IMEI,
                   "No IMEI was given. Give the device's 15-digit IMEI (AT+CGSN).");
      return FALSE;
    }

  length = strlen (imei);
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isdigit (imei[i]))
      {
        g_set_error (error, CA_ERROR, CA_ERROR_INVALID_IMEI,
                     "“%s” is not an IMEI: an IMEI has 15 digits and nothing else.", imei);
        return FALSE;
      }

  if (length != 15)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_IMEI,
                   "“%s” has %zu digits; an IMEI has 15. Copy it again from the label or AT+CGSN.",
                   imei, length);
      return FALSE;
    }

  /* All zeros passes the Luhn check, but it is what a modem whose IMEI was never
   * programmed reports: certifying it would bind every such modem to one identity. */
  if (strspn (imei, "0") == length)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_IMEI,
                   "%s is what a modem reports before its IMEI is programmed, not a device's IMEI. "
                   "Read the IMEI from the label, or have the modem's IMEI programmed.", imei);
      return FALSE;
    }

  if (imei[14] != ca_imei_check_digit (imei))
    {
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_IMEI,
                   "The IMEI %s fails its check digit (the last digit should be %c). It was "
                   "probably mistyped; copy it again from the label or AT+CGSN.",
                   imei, ca_imei_check_digit (imei));
      return FALSE;
    }

  return TRUE;
}
