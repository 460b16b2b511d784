/* ts-text.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-text"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "ts-provision-error.h"
#include "ts-text.h"

/* A date as lists show it, in the local time zone; "—" for none. */
char *
ts_format_date (gint64 unix_time)
{
  g_autoptr(GDateTime) date = NULL;

  if (unix_time == 0)
    return g_strdup ("—");

  date = g_date_time_new_from_unix_local (unix_time);
  if (date == NULL)
    return g_strdup ("—");

  /* Translators: a date as shown in lists, e.g. "3 Mar 2031" */
  return g_date_time_format (date, _("%-d %b %Y"));
}

/* "in 42 days", "3 days ago": for expiry, which people read relative to today. */
char *
ts_format_relative (gint64 unix_time)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 days = (unix_time - now) / (24 * 60 * 60);

  if (unix_time == 0)
    return g_strdup ("—");
  if (days > 0)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "in %" G_GINT64_FORMAT " day",
                                         "in %" G_GINT64_FORMAT " days", days), days);
  if (days < 0)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%" G_GINT64_FORMAT " day ago",
                                         "%" G_GINT64_FORMAT " days ago", -days), -days);
  return g_strdup (_("today"));
}

/* The first 8 and last 4 hex digits: enough to tell hashes apart at a glance. */
char *
ts_short_hash (const char *hex)
{
  gsize len;

  if (hex == NULL || *hex == '\0')
    return g_strdup ("—");

  len = strlen (hex);
  if (len <= 16)
    return g_strdup (hex);

  return g_strdup_printf ("%.8s…%s", hex, hex + len - 4);
}

/* A folder or file as the window names it: below the home folder, from "~", as
 * people know it and shorter; elsewhere (or with no real home) as it is. */
char *
ts_format_path (const char *path)
{
  const char *home = g_get_home_dir ();
  gsize len = home != NULL ? strlen (home) : 0;

  g_return_val_if_fail (path != NULL, NULL);

  while (len > 1 && home[len - 1] == G_DIR_SEPARATOR)
    len--;
  if (len <= 1 || strncmp (path, home, len) != 0)
    return g_strdup (path);
  if (path[len] == '\0')
    return g_strdup ("~");
  if (path[len] != G_DIR_SEPARATOR)
    return g_strdup (path);

  return g_strconcat ("~", path + len, NULL);
}

/**
 * ts_revoke_reason_label:
 *
 * A reason of RFC 5280 as people read it, where the ledger and the CRL keep the
 * standard's identifier ("cessationOfOperation"): every reason, since an imported
 * ledger may hold any of them.
 *
 * Returns: (transfer none): the translated label
 */
const char *
ts_revoke_reason_label (CaRevokeReason reason)
{
  switch (reason)
    {
    case CA_REVOKE_UNSPECIFIED:            return _("Unspecified");
    case CA_REVOKE_KEY_COMPROMISE:         return _("Key compromise");
    case CA_REVOKE_CA_COMPROMISE:          return _("CA compromise");
    case CA_REVOKE_AFFILIATION_CHANGED:    return _("Affiliation changed");
    case CA_REVOKE_SUPERSEDED:             return _("Superseded");
    case CA_REVOKE_CESSATION_OF_OPERATION: return _("Cessation of operation");
    case CA_REVOKE_CERTIFICATE_HOLD:       return _("Certificate hold");
    case CA_REVOKE_REMOVE_FROM_CRL:        return _("Removed from the CRL");
    case CA_REVOKE_PRIVILEGE_WITHDRAWN:    return _("Privilege withdrawn");
    case CA_REVOKE_AA_COMPROMISE:          return _("Attribute authority compromise");
    default:                               return _("Unknown reason");
    }
}

/* Only the reasons that fit a device certificate: the CA and attribute
 * authority compromises belong to authorities, and a hold would need a release
 * that Tagsmith does not offer. */
static const TsRevokeReasonText revoke_reasons[] = {
  { CA_REVOKE_KEY_COMPROMISE,
    N_("The device's private key may be known to someone else, for example a lost or opened unit.") },
  { CA_REVOKE_SUPERSEDED,
    N_("A newer certificate replaces this one, as after a re-key; nothing went wrong.") },
  { CA_REVOKE_AFFILIATION_CHANGED,
    N_("The device changed owner or customer, so its name or organization no longer holds.") },
  { CA_REVOKE_CESSATION_OF_OPERATION,
    N_("The device is retired, scrapped or returned and will not connect again.") },
  { CA_REVOKE_PRIVILEGE_WITHDRAWN,
    N_("The device may no longer use the service, for example an unpaid or blocked account.") },
  { CA_REVOKE_UNSPECIFIED,
    N_("None of the above, or the reason is not to be recorded.") },
};

const TsRevokeReasonText *
ts_revoke_reasons (guint *out_n)
{
  g_return_val_if_fail (out_n != NULL, NULL);

  *out_n = G_N_ELEMENTS (revoke_reasons);
  return revoke_reasons;
}

/* The reasons that fit a station's CA, the first offered first: a lost or
 * compromised bench is what revoking a station is mostly for. For a CA, RFC 5280
 * names a compromised key "CA compromise", so there is no key compromise apart. */
static const TsRevokeReasonText station_revoke_reasons[] = {
  { CA_REVOKE_CA_COMPROMISE,
    N_("The bench's CA key may be known to someone else, for example a lost, stolen or opened bench: "
       "what it signed is no longer trusted.") },
  { CA_REVOKE_CESSATION_OF_OPERATION,
    N_("The bench is retired and will not issue or provision again; nothing went wrong.") },
  { CA_REVOKE_SUPERSEDED,
    N_("Another station replaces this one, for example the same bench enrolled again.") },
  { CA_REVOKE_AFFILIATION_CHANGED,
    N_("The bench moved to another site, line or company, so its CA's name no longer holds.") },
};

const TsRevokeReasonText *
ts_station_revoke_reasons (guint *out_n)
{
  g_return_val_if_fail (out_n != NULL, NULL);

  *out_n = G_N_ELEMENTS (station_revoke_reasons);
  return station_revoke_reasons;
}

/**
 * ts_error_advice:
 *
 * What the window says for @error: the core's own message without the advice
 * for the command line after CA_ERROR_CLI_HINT, except where the window names
 * a choice of its own.
 *
 * Returns: (transfer full): plain text
 */
char *
ts_error_advice (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  /* The command line's advice is --host-key; the window's is the provision form's switch. */
  if (g_error_matches (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_NOT_SUPPORTED))
    return g_strdup (_("The modem firmware is older than 1.3.0 and cannot generate a key. "
                       "Update the modem firmware, or provision again with “Generate the key "
                       "on this computer” switched on."));

  return ts_message_advice (error->message);
}

/**
 * ts_message_advice:
 * @message: a message of the core, such as a GError's
 *
 * What the window says for @message: all of it up to the advice for the
 * command line after CA_ERROR_CLI_HINT, which is for the command line only.
 *
 * Returns: (transfer full): plain text
 */
char *
ts_message_advice (const char *message)
{
  const char *hint;

  g_return_val_if_fail (message != NULL, NULL);

  hint = strstr (message, CA_ERROR_CLI_HINT);

  return hint != NULL ? g_strndup (message, hint - message) : g_strdup (message);
}
