/* fw-shell.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fw-shell"

#include "config.h"

#include <string.h>

#include "fw-shell.h"

/* \0NNN (octal) or \xNN (hex) inside quotes; returns the bytes consumed after the backslash. */
static gsize
decode_escape (const char *p,
               GString    *arg)
{
  guint value = 0;
  gsize n = 0;

  if (p[0] == '0' && p[1] >= '0' && p[1] <= '7')
    {
      for (n = 1; n <= 3 && p[n] >= '0' && p[n] <= '7'; n++)
        value = value * 8 + (p[n] - '0');
    }
  else if (p[0] == 'x' && g_ascii_isxdigit (p[1]))
    {
      for (n = 1; n <= 2 && g_ascii_isxdigit (p[n]); n++)
        value = value * 16 + g_ascii_xdigit_value (p[n]);
    }
  if (n > 0)
    g_string_append_c (arg, (char) value);
  return n;
}

/**
 * fw_shell_split:
 * @unterminated: (out): the open quote character if the line ends inside one, else 0
 *
 * Splits a shell line into arguments like Zephyr's make_argv: blanks separate,
 * single or double quotes group, and inside quotes a backslash escapes that quote
 * character or starts \0NNN / \xNN; other backslashes are kept (§2.2).
 *
 * Returns: (transfer full): the arguments
 */
GStrv
fw_shell_split (const char *line,
                char       *unterminated)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *p = line;

  *unterminated = 0;
  for (;;)
    {
      g_autoptr(GString) arg = NULL;
      char quote = 0;

      while (*p == ' ' || *p == '\t')
        p++;
      if (*p == '\0')
        break;
      arg = g_string_new (NULL);
      for (; *p != '\0'; p++)
        {
          if (quote == 0 && (*p == ' ' || *p == '\t'))
            break;
          if (quote == 0 && (*p == '"' || *p == '\''))
            {
              quote = *p;
              continue;
            }
          if (quote != 0 && *p == quote)
            {
              quote = 0;
              continue;
            }
          if (quote != 0 && *p == '\\')
            {
              gsize used;

              if (p[1] == quote)
                {
                  g_string_append_c (arg, quote);
                  p++;
                  continue;
                }
              if ((used = decode_escape (p + 1, arg)) > 0)
                {
                  p += used;
                  continue;
                }
            }
          g_string_append_c (arg, *p);
        }
      if (quote != 0)
        *unterminated = quote;
      g_strv_builder_add (builder, arg->str);
    }
  return g_strv_builder_end (builder);
}

/* CONFIG_AT_SHELL_UNESCAPE_LF: the two characters '\' 'n' become CR LF (§2.2). */
static char *
unescape_lf (const char *command)
{
  g_auto(GStrv) pieces = g_strsplit (command, "\\n", -1);

  return g_strjoinv ("\r\n", pieces);
}

/**
 * fw_shell_run:
 * @output: receives what the shell prints for anything that is not an AT command,
 *   followed by the prompt
 *
 * Returns: (transfer full) (nullable): the AT command given to `at`, or %NULL
 */
char *
fw_shell_run (const char *line,
              gboolean    unescape,
              GString    *output,
              const char *prompt)
{
  g_auto(GStrv) argv = NULL;
  g_autofree char *command = NULL;
  char unterminated;

  argv = fw_shell_split (line, &unterminated);
  if (unterminated != 0)
    g_string_append_printf (output, "not terminated: %c\r\n", unterminated);
  else if (argv[0] == NULL)
    ;
  else if (!g_str_equal (argv[0], "at"))
    g_string_append_printf (output, "%s: command not found\r\n", argv[0]);
  else if (argv[1] == NULL)
    g_string_append (output, "at: wrong parameter count\r\n");
  else
    {
      /* Arguments after the first are joined with blanks, as the user typed them apart. */
      command = g_strjoinv (" ", argv + 1);
      return unescape ? unescape_lf (command) : g_steal_pointer (&command);
    }
  g_string_append (output, prompt);
  return NULL;
}
