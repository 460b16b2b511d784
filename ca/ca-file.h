/* ca-file.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#if !defined(CA_INSIDE) && !defined(CA_COMPILATION)
# error "Only <ca.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/* Reads a whole input file (a CSR, a credential, a CSV) that is at most
 * @max_size bytes. Anything that is not a regular file (a FIFO, /dev/zero) or is
 * larger is refused before a byte is read, so memory stays bounded. The text is
 * NUL-terminated; a failed read wipes what it had read, which may be a key. */
char *ca_file_read_bounded (const char  *path,
                            gsize        max_size,
                            gsize       *out_length,
                            GError     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
