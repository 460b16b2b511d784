/* ts-server-ca.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The server CA written as a sec_tag's type 0 credential: from a file, or picked
 * by name from the system trust store. Both return PEM text that was parsed as
 * one or more X.509 certificates and fits one %CMNG write. */

#define TS_SYSTEM_TRUST_DIR "/etc/ssl/certs"

GBytes *ts_server_ca_load_file   (const char  *path,
                                  GError     **error);
GBytes *ts_server_ca_load_system (const char  *directory,
                                  const char  *name,
                                  char       **out_path,
                                  GError     **error);

G_END_DECLS
