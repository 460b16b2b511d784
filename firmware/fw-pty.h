/* fw-pty.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The emulated kit's port: a pty whose slave looks like a raw serial line. */
typedef struct
{
  int   master;
  int   slave;      /* kept open so the master never sees EIO when the host closes */
  char *path;
  char *link;       /* (nullable) symlink we created */
} FwPty;

gboolean fw_pty_open  (FwPty       *pty,
                       const char  *link,
                       GError     **error);
void     fw_pty_close (FwPty       *pty);

G_END_DECLS
