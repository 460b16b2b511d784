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

/* One CA certificate a person can pick as the server CA: what a chooser shows. */
typedef struct
{
  char   *path;
  char   *name;          /* the file's name, which ts_server_ca_load_system() takes */
  char   *common_name;   /* (nullable) */
  char   *organisation;  /* (nullable) */
  gint64  not_after;
} TsServerCaEntry;

const char      *ts_server_ca_system_dir   (void);
TsServerCaEntry *ts_server_ca_check_file   (const char  *path,
                                            GError     **error);
GPtrArray       *ts_server_ca_list_system  (const char  *directory,
                                            GError     **error);
gboolean         ts_server_ca_entry_matches (const TsServerCaEntry *entry,
                                             const char            *search);
TsServerCaEntry *ts_server_ca_entry_copy   (const TsServerCaEntry *entry);
void             ts_server_ca_entry_free   (TsServerCaEntry *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsServerCaEntry, ts_server_ca_entry_free)

G_END_DECLS
