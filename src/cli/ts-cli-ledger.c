/* ts-cli-ledger.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-cli-ledger"

#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "ts-cli-ca.h"
#include "ts-cli-verbs.h"
#include "ts-ledger-copy.h"

static void
add_count (JsonBuilder   *builder,
           gconstpointer  item)
{
  const CaLedgerCopyCount *count = item;

  json_builder_begin_object (builder);
  ts_json_add_string (builder, "table", count->table);
  ts_json_add_int (builder, "rows", count->rows);
  json_builder_end_object (builder);
}

static int
cmd_ledger_copy (TsCli  *cli,
                 int     argc,
                 char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) counts = NULL;
  GOptionEntry entries[] = { { NULL } };
  gint64 total = 0;
  int exit_code;

  if (!ts_cli_parse_options (cli, "ledger copy", _("SOURCE DEST"),
                             _("Copy a whole ledger, with its history and audit chain, between a file and a "
                               "PostgreSQL server (postgresql://…), either way. DEST must be a new file or an "
                               "empty ledger; SOURCE is only read, and may stay in use meanwhile."),
                             entries, &argc, &argv, &exit_code))
    return exit_code;
  if (argc != 3)
    return ts_cli_usage_error ("ledger copy", _("Name the SOURCE ledger and the DEST to copy it to."));

  counts = ts_ledger_copy (argv[1], argv[2], &error);
  if (counts == NULL)
    return ts_cli_fail (error);

  for (guint i = 0; i < counts->len; i++)
    total += ((CaLedgerCopyCount *) counts->pdata[i])->rows;

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      ts_json_add_int (builder, "rows", total);
      ts_cli_ca_add_array (builder, "tables", counts, add_count);
      json_builder_end_object (builder);
      ts_cli_ca_print_builder (builder);
      return TS_CLI_EXIT_OK;
    }

  for (guint i = 0; i < counts->len; i++)
    {
      const CaLedgerCopyCount *count = counts->pdata[i];

      printf ("  %-14s %" G_GINT64_FORMAT "\n", count->table, count->rows);
    }
  printf (_("Copied %" G_GINT64_FORMAT " rows in %u tables. Check the copy with "
            "`tagsmith --db DEST audit verify`.\n"), total, counts->len);

  return TS_CLI_EXIT_OK;
}

static const TsCliSubverb ledger_subverbs[] = {
  { "copy", cmd_ledger_copy },
  { NULL, NULL },
};

static int
cmd_ledger (TsCli  *cli,
            int     argc,
            char  **argv)
{
  return ts_cli_ca_dispatch (cli, "ledger", ledger_subverbs, argc, argv);
}

const TsCliVerb ts_cli_ledger_verbs[] = {
  { "ledger", N_("The ledger as a whole: copy it between a file and a server"), cmd_ledger },
  { NULL, NULL, NULL },
};
