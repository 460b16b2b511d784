/* ts-output.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <ca.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Writes @data to a new file with @mode; refuses to overwrite. @sync waits for
 * the disk, for files that cannot be made again (a host-generated key). */
gboolean ts_output_write_new_file (const char *path,
                                   const void *data,
                                   gsize       length,
                                   int         mode,
                                   gboolean    sync,
                                   GError    **error);

/*
 * Members of the JSON Tagsmith writes, the same whether the command line
 * prints them or an export writes them to a file: times as ISO 8601 UTC,
 * absent values as null.
 */
void   ts_json_add_string      (JsonBuilder         *builder,
                                const char          *member,
                                const char          *value);
void   ts_json_add_time        (JsonBuilder         *builder,
                                const char          *member,
                                gint64               unix_time);
void   ts_json_add_int         (JsonBuilder         *builder,
                                const char          *member,
                                gint64               value);
void   ts_json_add_boolean     (JsonBuilder         *builder,
                                const char          *member,
                                gboolean             value);
/* "status" and, when revoked, when and why: the same members for certificates and CAs. */
void   ts_json_add_revocation  (JsonBuilder         *builder,
                                CaCertStatus         status,
                                CaRevokeReason       reason,
                                gint64               revoked_at,
                                gint64               invalidity_date);
void   ts_json_add_certificate (JsonBuilder         *builder,
                                const CaCertificate *certificate,
                                gboolean             with_pem);
/* Pretty-printed with two spaces, ending in a newline. */
char  *ts_json_to_text         (JsonBuilder         *builder);

/* The CN of an RFC 2253 subject string ("CN=x,O=y"), unescaped; NULL when none. */
char  *ts_subject_common_name  (const char          *subject);

G_END_DECLS
