/* fw-shell.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

GStrv  fw_shell_split (const char  *line,
                       char        *unterminated);
char  *fw_shell_run   (const char  *line,
                       gboolean     unescape_lf,
                       GString     *output,
                       const char  *prompt);

G_END_DECLS
