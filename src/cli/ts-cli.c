/* ts-cli.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "ts-cli.h"
#include "ts-cli-verbs.h"

static const TsCliVerb *verb_tables[] = {
  ts_cli_modem_verbs,
  ts_cli_provision_verbs,
  ts_cli_lot_verbs,
  ts_cli_ledger_verbs,
  ts_cli_ca_verbs,
  ts_cli_station_verbs,
  NULL,
};

static const TsCliVerb *
find_verb (const char *name)
{
  for (guint t = 0; verb_tables[t] != NULL; t++)
    for (const TsCliVerb *verb = verb_tables[t]; verb->name != NULL; verb++)
      if (g_strcmp0 (verb->name, name) == 0)
        return verb;

  return NULL;
}

static void
print_help (FILE *out)
{
  fprintf (out,
           _("Usage: tagsmith [GLOBAL OPTIONS] VERB [OPTIONS]\n"
             "\n"
             "Without a verb, Tagsmith opens its window. With a verb it runs headless.\n"
             "\n"
             "Verbs:\n"));

  for (guint t = 0; verb_tables[t] != NULL; t++)
    for (const TsCliVerb *verb = verb_tables[t]; verb->name != NULL; verb++)
      fprintf (out, "  %-14s %s\n", verb->name, _(verb->synopsis));

  fprintf (out,
           _("\n"
             "Global options:\n"
             "  --db PATH      the fleet ledger (default $TAGSMITH_DB or\n"
             "                 $XDG_DATA_HOME/tagsmith/fleet.db)\n"
             "  --pass SPEC    the CA passphrase: env:VAR, file:PATH, fd:N, pass:TEXT or stdin;\n"
             "                 asked for on the terminal when absent\n"
             "  --json         machine-readable output\n"
             "  --help         this help; `tagsmith VERB --help` for a verb's options\n"
             "  --version      the version\n"));
}

/* Returns TRUE when argv asks for the command line rather than the window. */
gboolean
ts_cli_wants_argv (int    argc,
                   char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];

      if (g_str_equal (arg, "--db") || g_str_equal (arg, "--pass"))
        {
          i++;
          continue;
        }
      if (g_str_has_prefix (arg, "--db=") || g_str_has_prefix (arg, "--pass=") ||
          g_str_equal (arg, "--json"))
        continue;

      /* Anything else: a verb, --help, --version, or an option GTK does not know. */
      return TRUE;
    }

  return FALSE;
}

/* Pulls the global options out of argv wherever they appear, so that
 * `tagsmith --json ca list` and `tagsmith ca list --json` mean the same. */
static gboolean
take_global_options (TsCli  *cli,
                     int    *argc,
                     char  **argv,
                     char  **bad_option)
{
  int out = 1;

  for (int i = 1; i < *argc; i++)
    {
      const char *arg = argv[i];
      char **target = NULL;
      const char *value = NULL;

      if (g_str_equal (arg, "--"))
        {
          while (i < *argc)
            argv[out++] = argv[i++];
          break;
        }
      else if (g_str_equal (arg, "--json"))
        {
          cli->json = TRUE;
          continue;
        }
      else if (g_str_equal (arg, "--db") || g_str_equal (arg, "--pass"))
        {
          target = arg[2] == 'd' ? &cli->db_path : &cli->pass_spec;
          if (i + 1 >= *argc)
            {
              *bad_option = g_strdup (arg);
              return FALSE;
            }
          value = argv[++i];
        }
      else if (g_str_has_prefix (arg, "--db="))
        {
          target = &cli->db_path;
          value = arg + strlen ("--db=");
        }
      else if (g_str_has_prefix (arg, "--pass="))
        {
          target = &cli->pass_spec;
          value = arg + strlen ("--pass=");
        }

      if (target != NULL)
        {
          g_free (*target);
          *target = g_strdup (value);
          continue;
        }

      argv[out++] = argv[i];
    }

  *argc = out;
  argv[out] = NULL;

  return TRUE;
}

int
ts_cli_main (int    argc,
             char **argv)
{
  g_autofree char *bad_option = NULL;
  const TsCliVerb *verb;
  TsCli cli = { 0 };
  int status;

  if (!take_global_options (&cli, &argc, argv, &bad_option))
    {
      status = ts_cli_usage_error (NULL, _("%s needs a value."), bad_option);
      goto out;
    }

  if (cli.db_path == NULL)
    cli.db_path = ts_workspace_default_ledger_path ();
  cli.workspace = ts_workspace_new (cli.db_path);

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") ||
      g_str_equal (argv[1], "help"))
    {
      print_help (stdout);
      status = argc < 2 ? TS_CLI_EXIT_USAGE : TS_CLI_EXIT_OK;
      goto out;
    }

  if (g_str_equal (argv[1], "--version"))
    {
      printf ("tagsmith %s\n", PACKAGE_VERSION);
      status = TS_CLI_EXIT_OK;
      goto out;
    }

  verb = find_verb (argv[1]);
  if (verb == NULL)
    {
      status = ts_cli_usage_error (NULL,
                                   argv[1][0] == '-'
                                     ? _("Unknown option %s. Run `tagsmith --help` for the options.")
                                     : _("Unknown verb “%s”. Run `tagsmith --help` for the list."),
                                   argv[1]);
      goto out;
    }

  status = verb->run (&cli, argc - 1, argv + 1);

out:
  g_clear_object (&cli.workspace);
  g_free (cli.db_path);
  g_free (cli.pass_spec);

  return status;
}

/**
 * ts_cli_parse_options:
 * @exit_code: (out): set when the function returns %FALSE
 *
 * Parses a verb's own options with GOption. `--help` prints the verb's help and
 * stops with success; a bad option prints advice and stops with a usage error.
 *
 * Returns: %TRUE when the verb should go on
 */
gboolean
ts_cli_parse_options (TsCli          *cli,
                      const char     *verb,
                      const char     *parameter_string,
                      const char     *summary,
                      GOptionEntry   *entries,
                      int            *argc,
                      char         ***argv,
                      int            *exit_code)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prgname = g_strdup_printf ("tagsmith %s", verb);

  context = g_option_context_new (parameter_string);
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context,
                                    _("Global options --db, --pass and --json apply too; "
                                      "see `tagsmith --help`."));
  g_option_context_set_help_enabled (context, FALSE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  for (int i = 1; i < *argc; i++)
    if (g_str_equal ((*argv)[i], "--help") || g_str_equal ((*argv)[i], "-h"))
      {
        g_autofree char *help = NULL;

        g_set_prgname (prgname);
        help = g_option_context_get_help (context, TRUE, NULL);
        fputs (help, stdout);
        *exit_code = TS_CLI_EXIT_OK;
        return FALSE;
      }

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *exit_code = ts_cli_usage_error (verb, "%s", error->message);
      return FALSE;
    }

  return TRUE;
}

/**
 * ts_cli_open_workspace:
 *
 * Opens the ledger of cli->workspace unless a verb already did; a ledger that
 * failed to open fails again with the same reason.
 */
gboolean
ts_cli_open_workspace (TsCli                *cli,
                       TsWorkspaceOpenMode   mode,
                       GError              **error)
{
  switch (ts_workspace_get_state (cli->workspace))
    {
    case TS_WORKSPACE_CLOSED:
      break;

    case TS_WORKSPACE_FAILED:
      g_propagate_error (error, g_error_copy (ts_workspace_get_error (cli->workspace)));
      return FALSE;

    default:
      return TRUE;
    }

  if (!ts_workspace_open (cli->workspace, mode, error))
    return FALSE;

  if (ts_workspace_was_created (cli->workspace))
    fprintf (stderr, _("tagsmith: created a new ledger at %s.\n"), cli->db_path);

  return TRUE;
}

/* Prints @error as advice on stderr and returns the failure exit code. */
int
ts_cli_fail (const GError *error)
{
  fprintf (stderr, "tagsmith: %s\n", error->message);

  return TS_CLI_EXIT_FAILED;
}

int
ts_cli_usage_error (const char *verb,
                    const char *format,
                    ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (verb != NULL)
    fprintf (stderr, _("tagsmith %s: %s\nRun `tagsmith %s --help` for its options.\n"),
             verb, message, verb);
  else
    fprintf (stderr, "tagsmith: %s\n", message);

  return TS_CLI_EXIT_USAGE;
}

/* Prints @root as indented JSON on stdout, ending with a newline. */
void
ts_cli_print_json (JsonNode *root)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}
