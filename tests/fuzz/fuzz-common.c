/* fuzz-common.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fuzz"

#include "config.h"

#include "fuzz-common.h"

int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);

static void
log_fatal_only (const char     *domain,
                GLogLevelFlags  level,
                const char     *message,
                gpointer        user_data)
{
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR | G_LOG_FLAG_FATAL))
    g_log_default_handler (domain, level, message, user_data);
}

/* A g_return_if_fail() firing means a parser broke its own contract on some
 * input: that is a bug, so it aborts (printed) and libFuzzer saves the input.
 * Everything else parsers say while rejecting garbage is dropped for speed. */
int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
  g_log_set_default_handler (log_fatal_only, NULL);
  return 0;
}
