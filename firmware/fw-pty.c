/* fw-pty.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define _GNU_SOURCE  /* posix_openpt, ptsname */
#define G_LOG_DOMAIN "fw-pty"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "fw-pty.h"

static gboolean
fail_errno (GError     **error,
            const char  *what)
{
  int saved = errno;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
               "Could not %s: %s", what, g_strerror (saved));
  return FALSE;
}

/* Replaces an old symlink of ours, never a regular file someone else owns. */
static gboolean
make_link (FwPty       *pty,
           const char  *link,
           GError     **error)
{
  GStatBuf st;

  if (g_lstat (link, &st) == 0)
    {
      if (!S_ISLNK (st.st_mode))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       "%s exists and is not a symlink; choose another --link path.", link);
          return FALSE;
        }
      if (g_unlink (link) != 0)
        return fail_errno (error, "replace the old --link symlink");
    }
  if (symlink (pty->path, link) != 0)
    return fail_errno (error, "create the --link symlink");
  pty->link = g_strdup (link);
  return TRUE;
}

gboolean
fw_pty_open (FwPty       *pty,
             const char  *link,
             GError     **error)
{
  struct termios tio;
  const char *name;

  pty->master = pty->slave = -1;
  pty->path = pty->link = NULL;

  pty->master = posix_openpt (O_RDWR | O_NOCTTY);
  if (pty->master < 0)
    return fail_errno (error, "create a pseudo-terminal");
  if (grantpt (pty->master) != 0 || unlockpt (pty->master) != 0
      || (name = ptsname (pty->master)) == NULL)
    return fail_errno (error, "unlock the pseudo-terminal");
  pty->path = g_strdup (name);

  pty->slave = open (pty->path, O_RDWR | O_NOCTTY);
  if (pty->slave < 0)
    return fail_errno (error, "open the pseudo-terminal");
  /* A serial line: no echo, no line discipline, 8 bits. */
  if (tcgetattr (pty->slave, &tio) != 0)
    return fail_errno (error, "read the pseudo-terminal settings");
  cfmakeraw (&tio);
  cfsetispeed (&tio, B115200);
  cfsetospeed (&tio, B115200);
  if (tcsetattr (pty->slave, TCSANOW, &tio) != 0)
    return fail_errno (error, "set the pseudo-terminal to raw mode");
  if (!g_unix_set_fd_nonblocking (pty->master, TRUE, error))
    return FALSE;
  return link == NULL || make_link (pty, link, error);
}

void
fw_pty_close (FwPty *pty)
{
  if (pty->link != NULL)
    g_unlink (pty->link);
  if (pty->slave >= 0)
    close (pty->slave);
  if (pty->master >= 0)
    close (pty->master);
  pty->master = pty->slave = -1;
  g_clear_pointer (&pty->path, g_free);
  g_clear_pointer (&pty->link, g_free);
}
