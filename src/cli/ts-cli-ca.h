/* ts-cli-ca.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ts-cli.h"
#include "ts-output.h"
#include "ts-workspace-ca.h"

G_BEGIN_DECLS

/* Helpers shared by the certificate-authority verbs (ts-cli-ca*.c). */

typedef struct
{
  const char    *name;
  TsCliVerbFunc  run;
} TsCliSubverb;

/* Runs argv[1] from @subverbs as "VERB SUBVERB", or prints the choices. */
int        ts_cli_ca_dispatch          (TsCli               *cli,
                                        const char          *verb,
                                        const TsCliSubverb  *subverbs,
                                        int                  argc,
                                        char               **argv);

gboolean   ts_cli_ca_parse_date        (const char          *text,
                                        gint64              *out_time,
                                        GError             **error);
char      *ts_cli_ca_date              (gint64               unix_time);

/* Adds one item of a listing to @builder as a JSON object. */
typedef void (*TsCliCaAddFunc) (JsonBuilder   *builder,
                                gconstpointer  item);
/* Adds @items as an array; the array is the member @member of the open
 * object, or (@member NULL) the next value. */
void       ts_cli_ca_add_array         (JsonBuilder         *builder,
                                        const char          *member,
                                        GPtrArray           *items,
                                        TsCliCaAddFunc       add);
/* Prints @items to stdout as one JSON array. */
void       ts_cli_ca_print_array       (GPtrArray           *items,
                                        TsCliCaAddFunc       add);
/* Prints what @builder holds to stdout. */
void       ts_cli_ca_print_builder     (JsonBuilder         *builder);
/* Adapters for ts_cli_ca_add_array(). */
void       ts_cli_ca_add_certificate_item          (JsonBuilder   *builder,
                                                    gconstpointer  certificate);
void       ts_cli_ca_add_certificate_item_with_pem (JsonBuilder   *builder,
                                                    gconstpointer  certificate);

int        ts_cli_ca_run_ca            (TsCli  *cli, int argc, char **argv);
int        ts_cli_ca_run_issue         (TsCli  *cli, int argc, char **argv);
int        ts_cli_ca_run_issue_batch   (TsCli  *cli, int argc, char **argv);
int        ts_cli_ca_run_revoke        (TsCli  *cli, int argc, char **argv);
int        ts_cli_ca_run_crl           (TsCli  *cli, int argc, char **argv);
int        ts_cli_ca_run_fleet         (TsCli  *cli, int argc, char **argv);
int        ts_cli_ca_run_audit         (TsCli  *cli, int argc, char **argv);
int        ts_cli_ca_run_backup        (TsCli  *cli, int argc, char **argv);

G_END_DECLS
