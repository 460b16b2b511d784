/* ts-cli-lot.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-cli-lot"

#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "ts-cli-ca.h"
#include "ts-cli-verbs.h"
#include "ts-dossier.h"

static int
cmd_lot_dossier (TsCli  *cli,
                 int     argc,
                 char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *ca = NULL;
  TsDossierRequest request = { 0 };
  int exit_code;
  GOptionEntry entries[] = {
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, N_("The new folder to write the dossier to"), N_("DIR") },
    { "ca", 0, 0, G_OPTION_ARG_STRING, &ca,
      N_("The CA whose key signs the folder (default: the issuer of the lot's newest certificate)"), "NAME" },
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "lot dossier", _("LOT"),
                             _("Write a production lot's evidence dossier: a PDF, the same facts as JSON, "
                               "every certificate, the CA chain and CRLs, and SHA256SUMS with a CMS "
                               "signature that sha256sum and openssl check without Tagsmith."),
                             entries, &argc, &argv, &exit_code))
    return exit_code;
  if (argc != 2)
    return ts_cli_usage_error ("lot dossier", _("Name one lot."));
  if (out == NULL)
    return ts_cli_usage_error ("lot dossier", _("Give the --out folder."));

  request.lot = argv[1];
  request.out_dir = out;
  request.signer_ca = ca;
  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_WRITE, &error) ||
      !ts_cli_unlock_workspace (cli, &error) ||
      !ts_workspace_write_dossier (cli->workspace, &request, &error))
    return ts_cli_fail (error);

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      ts_json_add_string (builder, "lot", request.lot);
      ts_json_add_string (builder, "dossier", out);
      json_builder_end_object (builder);
      ts_cli_ca_print_builder (builder);
    }
  else
    printf (_("Dossier of lot %s written to %s. Check it with `sha256sum -c SHA256SUMS` there; "
              "VERIFY.txt says how.\n"), request.lot, out);

  return TS_CLI_EXIT_OK;
}

static const TsCliSubverb lot_subverbs[] = {
  { "dossier", cmd_lot_dossier },
  { NULL, NULL },
};

static int
cmd_lot (TsCli  *cli,
         int     argc,
         char  **argv)
{
  return ts_cli_ca_dispatch (cli, "lot", lot_subverbs, argc, argv);
}

const TsCliVerb ts_cli_lot_verbs[] = {
  { "lot", N_("Production lots: write a lot's signed evidence dossier"), cmd_lot },
  { NULL, NULL, NULL },
};
