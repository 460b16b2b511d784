/* ts-credential-text.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-credential-text"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-credential-text.h"
#include "ts-text.h"

char *
ts_credential_describe (const TsCredential *credential,
                        const CaShaMatch   *match,
                        const char         *subject_cn)
{
  g_autofree char *expires = NULL;

  g_return_val_if_fail (credential != NULL, NULL);

  if (match != NULL && match->kind == CA_SHA_DEVICE_CERTIFICATE)
    {
      expires = ts_format_date (match->not_after);
      return g_strdup_printf (_("Client certificate for %s, issued by %s, expires %s"),
                              match->imei != NULL ? match->imei : "?",
                              match->authority_name != NULL ? match->authority_name : "?",
                              expires);
    }

  if (match != NULL && match->kind == CA_SHA_CA_CERTIFICATE)
    return g_strdup_printf (_("CA certificate: %s (from this ledger)"), match->authority_name);

  if (subject_cn != NULL)
    {
      switch (credential->type)
        {
        case TS_CRED_CA_CERT:
          return g_strdup_printf (_("Server CA: %s"), subject_cn);
        case TS_CRED_CLIENT_CERT:
          return g_strdup_printf (_("Client certificate for %s, not issued here"), subject_cn);
        default:
          break;
        }
    }

  switch (credential->type)
    {
    case TS_CRED_PRIVATE_KEY:
      return g_strdup (_("Private key (the modem never shows it)"));
    case TS_CRED_PSK:
      return g_strdup (_("Pre-shared key"));
    case TS_CRED_PSK_IDENTITY:
      return g_strdup (_("PSK identity"));
    default:
      if (!ts_cred_type_is_writable (credential->type))
        return g_strdup_printf (_("Managed by the modem: %s"),
                                ts_cred_type_describe (credential->type));
      return g_strdup (_("Unknown: not in this ledger"));
    }
}
