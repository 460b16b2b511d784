/* ca-error.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-error"

#include "config.h"

#include "ca-private.h"

G_DEFINE_QUARK (ca-error-quark, ca_error)

/**
 * ca_error_add_cli_hint:
 * @error: (nullable): an error already set, or NULL
 * @format: the command-line advice, starting in lower case
 *
 * Ends the message of *@error with advice only the command line can follow,
 * after CA_ERROR_CLI_HINT. Does nothing when @error or *@error is NULL.
 */
void
ca_error_add_cli_hint (GError     **error,
                       const char  *format,
                       ...)
{
  g_autofree char *hint = NULL;
  char *message;
  va_list args;

  if (error == NULL || *error == NULL)
    return;

  va_start (args, format);
  hint = g_strdup_vprintf (format, args);
  va_end (args);

  message = g_strconcat ((*error)->message, CA_ERROR_CLI_HINT, hint, NULL);
  g_free ((*error)->message);
  (*error)->message = message;
}
