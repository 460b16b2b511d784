/* ts-cli-ca-revoke.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-cli-ca-revoke"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "ts-cli-ca.h"

int
ts_cli_ca_run_revoke (TsCli  *cli,
                      int     argc,
                      char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) revoked = NULL;
  g_autofree char *ca = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *imei = NULL;
  g_autofree char *reason_text = NULL;
  g_autofree char *invalidity = NULL;
  CaRevokeReason reason = CA_REVOKE_UNSPECIFIED;
  gint64 invalidity_date = 0;
  int sec_tag = -1;
  int exit_code;
  GOptionEntry entries[] = {
    { "ca", 0, 0, G_OPTION_ARG_STRING, &ca, N_("The CA that issued the certificate"), "NAME" },
    { "serial", 0, 0, G_OPTION_ARG_STRING, &serial, N_("The serial (hex) of a certificate or of an intermediate CA the CA issued"), "HEX" },
    { "imei", 0, 0, G_OPTION_ARG_STRING, &imei, N_("Revoke the device's valid certificates from this CA"), "IMEI" },
    { "sec-tag", 0, 0, G_OPTION_ARG_INT, &sec_tag, N_("With --imei: only the one installed at this sec_tag"), "N" },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason_text,
      N_("unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, "
         "certificateHold, privilegeWithdrawn or aACompromise"), "REASON" },
    { "invalidity-date", 0, 0, G_OPTION_ARG_STRING, &invalidity,
      N_("When the key is known or suspected to have been compromised (YYYY-MM-DD)"), "DATE" },
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "revoke", NULL, _("Revoke a certificate; the next CRL lists it."), entries,
                             &argc, &argv, &exit_code))
    return exit_code;
  if (ca == NULL || (serial == NULL) == (imei == NULL) || reason_text == NULL)
    return ts_cli_usage_error ("revoke", _("Give the --ca, either --serial or --imei, and the --reason."));
  if (!ca_revoke_reason_from_string (reason_text, &reason) || reason == CA_REVOKE_REMOVE_FROM_CRL)
    return ts_cli_usage_error ("revoke", _("“%s” is not a revocation reason."), reason_text);
  if (invalidity != NULL && !ts_cli_ca_parse_date (invalidity, &invalidity_date, &error))
    return ts_cli_fail (error);

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_WRITE, &error) ||
      !ts_cli_unlock_workspace (cli, &error) ||
      (revoked = ts_workspace_revoke (cli->workspace,
                                      &(CaRevokeRequest) { ca, serial, imei, sec_tag, reason, invalidity_date },
                                      &error)) == NULL)
    return ts_cli_fail (error);

  if (cli->json)
    ts_cli_ca_print_array (revoked, ts_cli_ca_add_certificate_item);
  else
    for (guint i = 0; i < revoked->len; i++)
      {
        CaCertificate *cert = revoked->pdata[i];

        if (cert->id == 0)
          printf (_("Revoked the intermediate CA %s (%s) as %s; it can no longer issue. Publish a new CRL "
                    "with `tagsmith crl --ca %s`.\n"), cert->serial, cert->subject,
                  ca_revoke_reason_to_string (reason), ca);
        else
          printf (_("Revoked %s (IMEI %s) as %s. Publish a new CRL with `tagsmith crl --ca %s`.\n"), cert->serial,
                  cert->imei != NULL ? cert->imei : "-", ca_revoke_reason_to_string (reason), ca);
      }

  return TS_CLI_EXIT_OK;
}

int
ts_cli_ca_run_crl (TsCli  *cli,
                   int     argc,
                   char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) crl = NULL;
  g_autofree char *ca = NULL;
  gboolean der = FALSE;
  int days = 0;
  int exit_code;
  GOptionEntry entries[] = {
    { "ca", 0, 0, G_OPTION_ARG_STRING, &ca, N_("The CA whose revocations to list"), "NAME" },
    { "days", 0, 0, G_OPTION_ARG_INT, &days, N_("Until the next update, in days (default 30)"), "N" },
    { "der", 0, 0, G_OPTION_ARG_NONE, &der, N_("Print DER instead of PEM"), NULL },
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "crl", NULL, _("Sign and print a CRL with the next CRL number."), entries,
                             &argc, &argv, &exit_code))
    return exit_code;
  if (ca == NULL)
    return ts_cli_usage_error ("crl", _("Give the --ca."));

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_WRITE, &error) ||
      !ts_cli_unlock_workspace (cli, &error) ||
      (crl = ts_workspace_generate_crl (cli->workspace, ca, days, der, &error)) == NULL)
    return ts_cli_fail (error);

  fwrite (g_bytes_get_data (crl, NULL), 1, g_bytes_get_size (crl), stdout);

  return TS_CLI_EXIT_OK;
}
