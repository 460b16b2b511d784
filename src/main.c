/* main.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "ts-application.h"
#include "ts-cli.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(TsApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* A verb means a headless run: no display is opened, so benches and CI can script it. */
  if (ts_cli_wants_argv (argc, argv))
    return ts_cli_main (argc, argv);

  app = ts_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
