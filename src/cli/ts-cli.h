/* ts-cli.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

/* Exit codes shared by every verb. */
#define TS_CLI_EXIT_OK     0
#define TS_CLI_EXIT_FAILED 1
#define TS_CLI_EXIT_USAGE  2

/* The global options, parsed before the verb runs. */
typedef struct
{
  char        *db_path;    /* (owned): --db, $TAGSMITH_DB, or the XDG default */
  char        *pass_spec;  /* (owned) (nullable): --pass SPEC */
  gboolean     json;       /* --json */
  TsWorkspace *workspace;  /* (owned): on db_path, opened by the verbs that need it */
} TsCli;

typedef int (*TsCliVerbFunc) (TsCli  *cli,
                              int     argc,
                              char  **argv);

typedef struct
{
  const char    *name;      /* "ca", "creds", ... */
  const char    *synopsis;  /* one line shown by `tagsmith --help` */
  TsCliVerbFunc  run;       /* argv[0] is the verb itself */
} TsCliVerb;

gboolean  ts_cli_wants_argv        (int           argc,
                                    char        **argv);
int       ts_cli_main              (int           argc,
                                    char        **argv);

gboolean  ts_cli_parse_options     (TsCli         *cli,
                                    const char    *verb,
                                    const char    *parameter_string,
                                    const char    *summary,
                                    GOptionEntry  *entries,
                                    int           *argc,
                                    char        ***argv,
                                    int           *exit_code);
int       ts_cli_fail              (const GError  *error);
int       ts_cli_usage_error       (const char    *verb,
                                    const char    *format,
                                    ...) G_GNUC_PRINTF (2, 3);
void      ts_cli_print_json        (JsonNode      *root);

/* Opens cli->workspace once: read-only verbs never create or change the file;
 * the others create it when missing and say where. */
gboolean  ts_cli_open_workspace    (TsCli         *cli,
                                    TsWorkspaceOpenMode mode,
                                    GError       **error);
/* Reads the workspace passphrase (asking twice when the ledger has none yet)
 * and unlocks cli->workspace; the passphrase is wiped before returning. */
gboolean  ts_cli_unlock_workspace  (TsCli         *cli,
                                    GError       **error);

char     *ts_cli_read_passphrase   (TsCli         *cli,
                                    const char    *prompt,
                                    gboolean       confirm,
                                    GError       **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
