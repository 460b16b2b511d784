/* ts-output.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-output"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

#include "ts-output.h"

gboolean
ts_output_write_new_file (const char  *path,
                          const void  *data,
                          gsize        length,
                          int          mode,
                          gboolean     sync,
                          GError     **error)
{
  const char *p = data;
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("%s cannot be created: %s.%s"), path, g_strerror (saved),
                   saved == EEXIST ? _(" Move the old file away or choose another name.") : "");
      return FALSE;
    }

  while (length > 0)
    {
      ssize_t n = write (fd, p, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          close (fd);
          unlink (path);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _("Writing %s failed: %s."),
                       path, g_strerror (saved));
          return FALSE;
        }
      p += n;
      length -= n;
    }

  if ((sync && fsync (fd) != 0) || close (fd) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Writing %s failed: %s."), path, g_strerror (errno));
      unlink (path);
      return FALSE;
    }

  return TRUE;
}

void
ts_json_add_string (JsonBuilder *builder,
                      const char  *member,
                      const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
ts_json_add_time (JsonBuilder *builder,
                    const char  *member,
                    gint64       unix_time)
{
  g_autofree char *iso = ca_time_to_iso8601 (unix_time);

  ts_json_add_string (builder, member, iso);
}

void
ts_json_add_int (JsonBuilder *builder,
                   const char  *member,
                   gint64       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

void
ts_json_add_boolean (JsonBuilder *builder,
                       const char  *member,
                       gboolean     value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_boolean_value (builder, value);
}

void
ts_json_add_revocation (JsonBuilder    *builder,
                        CaCertStatus    status,
                        CaRevokeReason  reason,
                        gint64          revoked_at,
                        gint64          invalidity_date)
{
  ts_json_add_string (builder, "status", ca_cert_status_to_string (status));
  if (status != CA_CERT_STATUS_REVOKED)
    return;
  ts_json_add_string (builder, "revoke_reason", ca_revoke_reason_to_string (reason));
  ts_json_add_time (builder, "revoked_at", revoked_at);
  ts_json_add_time (builder, "invalidity_date", invalidity_date);
}

void
ts_json_add_certificate (JsonBuilder         *builder,
                           const CaCertificate *cert,
                           gboolean             with_pem)
{
  json_builder_begin_object (builder);
  ts_json_add_string (builder, "serial", cert->serial);
  ts_json_add_string (builder, "imei", cert->imei);
  ts_json_add_string (builder, "ca", cert->authority_name);
  ts_json_add_string (builder, "profile", cert->profile);
  ts_json_add_string (builder, "subject", cert->subject);
  ts_json_add_time (builder, "not_before", cert->not_before);
  ts_json_add_time (builder, "not_after", cert->not_after);
  ts_json_add_time (builder, "issued_at", cert->issued_at);
  ts_json_add_time (builder, "installed_at", cert->installed_at);
  ts_json_add_string (builder, "station", cert->station);
  ts_json_add_revocation (builder, cert->status, cert->revoke_reason, cert->revoked_at, cert->invalidity_date);
  ts_json_add_int (builder, "id", cert->id);
  ts_json_add_int (builder, "supersedes_id", cert->supersedes_id);
  ts_json_add_int (builder, "superseded_by_id", cert->superseded_by_id);
  ts_json_add_boolean (builder, "host_key", cert->host_key);
  ts_json_add_string (builder, "sha256", cert->sha256_lf);
  ts_json_add_string (builder, "sha256_crlf", cert->sha256_crlf);
  if (with_pem)
    ts_json_add_string (builder, "pem", cert->pem);
  json_builder_end_object (builder);
}

char *
ts_json_to_text (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);

  return g_strconcat (text, "\n", NULL);
}

/* The CN of an RFC 2253 subject string ("CN=x,O=y"), unescaped; NULL when none. */
char *
ts_subject_common_name (const char *subject)
{
  for (const char *p = subject; p != NULL && *p != '\0'; )
    {
      gboolean is_cn = g_str_has_prefix (p, "CN=");
      g_autoptr(GString) value = g_string_new (NULL);

      p = strchr (p, '=');
      if (p == NULL)
        return NULL;
      for (p++; *p != '\0' && *p != ','; p++)
        {
          if (*p == '\\' && p[1] != '\0')
            p++;
          g_string_append_c (value, *p);
        }
      if (is_cn)
        return g_string_free (g_steal_pointer (&value), FALSE);
      if (*p == ',')
        p++;
    }

  return NULL;
}
