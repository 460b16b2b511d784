/* ts-cli-pass.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-cli-pass"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ca.h"
#include "ts-cli.h"

/* Longest passphrase we accept; more is almost certainly the wrong file. */
#define MAX_PASSPHRASE 1024

/* Reads one line from @fd byte by byte (so nothing beyond it is consumed and no
 * stdio buffer keeps a copy), strips the line ending, and returns it. */
static char *
read_line_from_fd (int      fd,
                   GError **error)
{
  char *buffer = g_malloc0 (MAX_PASSPHRASE + 1);
  gsize len = 0;

  for (;;)
    {
      char c;
      ssize_t n = read (fd, &c, 1);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          ca_secret_free (buffer);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Could not read the passphrase: %s."), g_strerror (saved));
          return NULL;
        }
      if (n == 0 || c == '\n')
        break;
      if (len == MAX_PASSPHRASE)
        {
          ca_secret_free (buffer);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("The passphrase is longer than %d characters. Check that --pass names "
                         "the right source."), MAX_PASSPHRASE);
          return NULL;
        }
      buffer[len++] = c;
    }

  if (len > 0 && buffer[len - 1] == '\r')
    buffer[--len] = '\0';

  return buffer;
}

static char *
prompt_on_tty (const char  *prompt,
               GError     **error)
{
  struct termios saved, quiet;
  char *line;
  int fd;

  fd = open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("A CA passphrase is needed and there is no terminal to ask on. "
                     "Give it with --pass (env:VAR, file:PATH, fd:N or stdin)."));
      return NULL;
    }

  if (write (fd, prompt, strlen (prompt)) < 0)
    g_debug ("Could not write the prompt: %s", g_strerror (errno));

  tcgetattr (fd, &saved);
  quiet = saved;
  quiet.c_lflag &= ~(tcflag_t) ECHO;
  quiet.c_lflag |= ECHONL;
  tcsetattr (fd, TCSAFLUSH, &quiet);

  line = read_line_from_fd (fd, error);

  tcsetattr (fd, TCSAFLUSH, &saved);
  close (fd);

  return line;
}

static char *
read_from_spec (const char  *spec,
                GError     **error)
{
  if (g_str_has_prefix (spec, "pass:"))
    {
      /* As OpenSSL's passphrase-options page says: the command line is public. */
      fprintf (stderr, _("tagsmith: WARNING: --pass pass:TEXT puts the passphrase on the command line, "
                         "where other users of this computer can read it (ps, /proc). Prefer env:VAR, "
                         "file:PATH, fd:N or stdin.\n"));
      return g_strdup (spec + strlen ("pass:"));
    }

  if (g_str_has_prefix (spec, "env:"))
    {
      const char *value = g_getenv (spec + strlen ("env:"));

      if (value == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       _("--pass %s: the environment variable %s is not set."),
                       spec, spec + strlen ("env:"));
          return NULL;
        }
      return g_strdup (value);
    }

  if (g_str_has_prefix (spec, "file:"))
    {
      const char *path = spec + strlen ("file:");
      char *line;
      int fd;

      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("--pass %s: cannot open %s: %s."), spec, path, g_strerror (saved));
          return NULL;
        }
      line = read_line_from_fd (fd, error);
      close (fd);
      return line;
    }

  if (g_str_has_prefix (spec, "fd:"))
    {
      const char *number = spec + strlen ("fd:");
      guint64 fd;

      if (!g_ascii_string_to_unsigned (number, 10, 0, G_MAXINT, &fd, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("--pass %s: “%s” is not a file descriptor number."), spec, number);
          return NULL;
        }
      return read_line_from_fd ((int) fd, error);
    }

  if (g_str_equal (spec, "stdin"))
    return read_line_from_fd (STDIN_FILENO, error);

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("--pass %s is not understood. Use env:VAR, file:PATH, fd:N, pass:TEXT or stdin."),
               spec);
  return NULL;
}

/**
 * ts_cli_read_passphrase:
 * @prompt: what to ask when the passphrase comes from the terminal
 * @confirm: ask twice on the terminal (for a new passphrase)
 *
 * Reads the passphrase from --pass, or asks on the terminal. The result lives in
 * ordinary memory: free it with ca_secret_free(), which wipes it first.
 *
 * Returns: (transfer full): the passphrase, or %NULL with @error set
 */
char *
ts_cli_read_passphrase (TsCli       *cli,
                        const char  *prompt,
                        gboolean     confirm,
                        GError     **error)
{
  g_auto(CaSecret) again = NULL;
  char *passphrase;

  if (cli->pass_spec != NULL)
    passphrase = read_from_spec (cli->pass_spec, error);
  else
    passphrase = prompt_on_tty (prompt, error);

  if (passphrase == NULL)
    return NULL;

  if (passphrase[0] == '\0')
    {
      ca_secret_free (passphrase);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The CA passphrase is empty. CA keys are always stored encrypted; "
                     "give a passphrase with --pass or at the prompt."));
      return NULL;
    }

  if (confirm && cli->pass_spec == NULL)
    {
      again = prompt_on_tty (_("Repeat the passphrase: "), error);
      if (again == NULL)
        {
          ca_secret_free (passphrase);
          return NULL;
        }
      if (strcmp (again, passphrase) != 0)
        {
          ca_secret_free (passphrase);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("The two passphrases differ. Nothing was changed; try again."));
          return NULL;
        }
    }

  return passphrase;
}

gboolean
ts_cli_unlock_workspace (TsCli   *cli,
                         GError **error)
{
  g_auto(CaSecret) passphrase = NULL;
  gboolean first = !ts_workspace_has_passphrase (cli->workspace);

  passphrase = ts_cli_read_passphrase (cli,
                                       first ? _("New workspace passphrase for the CA keys: ")
                                             : _("Workspace passphrase: "),
                                       first, error);
  if (passphrase == NULL)
    return FALSE;

  return ts_workspace_unlock (cli->workspace, passphrase, NULL, error);
}
