/* main.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tagsmith-emulator"

#include "config.h"

#include <locale.h>

#include "fw-emulator.h"
#include "fw-options.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  FwOptions options;
  int status;

  setlocale (LC_ALL, "");
  if (!fw_options_parse (&options, &argc, &argv, &error))
    {
      g_printerr ("tagsmith-emulator: %s\nRun tagsmith-emulator --help to see the options.\n",
                  error->message);
      fw_options_clear (&options);
      return 2;
    }
  status = fw_emulator_run (&options);
  fw_options_clear (&options);
  return status;
}
