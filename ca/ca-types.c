/* ca-types.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-types"

#include "config.h"

#include <openssl/crypto.h>
#include <string.h>

#include "ca-private.h"

static const char *key_types[] = { "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096" };

const char *
ca_key_type_to_string (CaKeyType type)
{
  return (guint) type < G_N_ELEMENTS (key_types) ? key_types[type] : "unknown";
}

gboolean
ca_key_type_from_string (const char *text,
                         CaKeyType  *out_type)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (key_types); i++)
    if (g_ascii_strcasecmp (text, key_types[i]) == 0)
      {
        *out_type = (CaKeyType) i;
        return TRUE;
      }

  return FALSE;
}

const char *
ca_cert_status_to_string (CaCertStatus status)
{
  switch (status)
    {
    case CA_CERT_STATUS_VALID:   return "valid";
    case CA_CERT_STATUS_REVOKED: return "revoked";
    case CA_CERT_STATUS_EXPIRED: return "expired";
    default:                     return "unknown";
    }
}

/* RFC 5280 names in the spelling `openssl ca -crl_reason` uses. */
static const struct { CaRevokeReason reason; const char *name; } reasons[] = {
  { CA_REVOKE_UNSPECIFIED,            "unspecified" },
  { CA_REVOKE_KEY_COMPROMISE,         "keyCompromise" },
  { CA_REVOKE_CA_COMPROMISE,          "cACompromise" },
  { CA_REVOKE_AFFILIATION_CHANGED,    "affiliationChanged" },
  { CA_REVOKE_SUPERSEDED,             "superseded" },
  { CA_REVOKE_CESSATION_OF_OPERATION, "cessationOfOperation" },
  { CA_REVOKE_CERTIFICATE_HOLD,       "certificateHold" },
  { CA_REVOKE_REMOVE_FROM_CRL,        "removeFromCRL" },
  { CA_REVOKE_PRIVILEGE_WITHDRAWN,    "privilegeWithdrawn" },
  { CA_REVOKE_AA_COMPROMISE,          "aACompromise" },
};

const char *
ca_revoke_reason_to_string (CaRevokeReason reason)
{
  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (reasons[i].reason == reason)
      return reasons[i].name;

  return "unspecified";
}

/* Accepts the RFC names case-insensitively, with or without dashes/underscores. */
gboolean
ca_revoke_reason_from_string (const char     *text,
                              CaRevokeReason *out_reason)
{
  g_autoptr(GString) plain = g_string_new (NULL);

  for (const char *p = text; p != NULL && *p != '\0'; p++)
    if (*p != '-' && *p != '_')
      g_string_append_c (plain, *p);

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (g_ascii_strcasecmp (plain->str, reasons[i].name) == 0)
      {
        *out_reason = reasons[i].reason;
        return TRUE;
      }

  return FALSE;
}

static const char *install_states[] = { "intent", "written", "verified", "failed", "abandoned",
                                        "removing", "removed" };

const char *
ca_install_state_to_string (CaInstallState state)
{
  return (guint) state < G_N_ELEMENTS (install_states) ? install_states[state] : "unknown";
}

gboolean
ca_install_state_from_string (const char     *text,
                              CaInstallState *out_state)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (install_states); i++)
    if (g_str_equal (text, install_states[i]))
      {
        *out_state = (CaInstallState) i;
        return TRUE;
      }

  return FALSE;
}

/* Characters that show nothing, or show as a blank, yet make a name differ. */
static gboolean
is_invisible (gunichar c)
{
  switch (g_unichar_type (c))
    {
    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:          /* zero-width spaces and joiners, bidi overrides, BOM */
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_SURROGATE:
    case G_UNICODE_UNASSIGNED:
      return TRUE;
    default:
      /* Fillers that are letters or symbols by category but print as nothing. */
      return c == 0x034F || c == 0x115F || c == 0x1160 || c == 0x2800 || c == 0x3164 || c == 0xFFA0;
    }
}

gboolean
ca_name_check (const char  *what,
               const char  *name,
               guint        max_chars,
               GError     **error)
{
  const char *problem = NULL;
  gboolean blank = TRUE;

  g_return_val_if_fail (what != NULL, FALSE);

  if (name == NULL || name[0] == '\0')
    problem = "is empty";
  else if (!g_utf8_validate (name, -1, NULL))
    problem = "is not valid UTF-8 text";
  else if (g_utf8_strlen (name, -1) > (glong) max_chars)
    problem = "is too long";
  else
    {
      for (const char *p = name; *p != '\0' && problem == NULL; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);

          if (is_invisible (c))
            problem = "holds a control or invisible character";
          else if (!g_unichar_isspace (c) && g_unichar_type (c) != G_UNICODE_SPACE_SEPARATOR)
            blank = FALSE;
        }
      if (problem == NULL && blank)
        problem = "is blank";
      else if (problem == NULL &&
               (g_unichar_isspace (g_utf8_get_char (name)) ||
                g_unichar_isspace (g_utf8_get_char (g_utf8_prev_char (name + strlen (name))))))
        problem = "starts or ends with a space";
    }

  if (problem == NULL)
    return TRUE;

  g_set_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT,
               "%s %s. Give 1 to %u visible characters, with no control or invisible characters.",
               what, problem, max_chars);

  return FALSE;
}

char *
ca_time_to_iso8601 (gint64 unix_time)
{
  g_autoptr(GDateTime) time = NULL;

  if (unix_time == 0)
    return NULL;
  time = g_date_time_new_from_unix_utc (unix_time);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

void
ca_authority_free (CaAuthority *authority)
{
  if (authority == NULL)
    return;
  g_free (authority->name);
  g_free (authority->parent_name);
  g_free (authority->subject);
  g_free (authority->serial);
  g_free (authority->sha256);
  g_free (authority->cert_pem);
  g_free (authority);
}

void
ca_station_free (CaStation *station)
{
  if (station == NULL)
    return;
  g_free (station->name);
  g_free (station->authority_name);
  g_free (station->parent_name);
  g_free (station);
}

void
ca_certificate_free (CaCertificate *certificate)
{
  if (certificate == NULL)
    return;
  g_free (certificate->serial);
  g_free (certificate->imei);
  g_free (certificate->authority_name);
  g_free (certificate->profile);
  g_free (certificate->subject);
  g_free (certificate->sha256_lf);
  g_free (certificate->sha256_crlf);
  g_free (certificate->pem);
  g_free (certificate->station);
  g_free (certificate);
}

void
ca_device_free (CaDevice *device)
{
  if (device == NULL)
    return;
  g_free (device->imei);
  g_free (device->uuid);
  g_free (device->model);
  g_free (device->firmware);
  g_free (device->lot);
  g_free (device->notes);
  g_free (device->lot_station);
  g_free (device);
}

void
ca_install_free (CaInstall *install)
{
  if (install == NULL)
    return;
  g_free (install->imei);
  g_free (install->sha256);
  g_free (install->port);
  g_free (install->detail);
  g_free (install->station);
  g_free (install);
}

void
ca_audit_event_free (CaAuditEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->actor);
  g_free (event->action);
  g_free (event->imei);
  g_free (event->details);
  g_free (event->hash);
  g_free (event);
}

void
ca_fleet_row_free (CaFleetRow *row)
{
  if (row == NULL)
    return;
  g_free (row->imei);
  g_free (row->uuid);
  g_free (row->model);
  g_free (row->lot);
  g_free (row->serial);
  g_free (row->authority_name);
  g_free (row->profile);
  g_free (row);
}

void
ca_sha_match_free (CaShaMatch *match)
{
  if (match == NULL)
    return;
  g_free (match->serial);
  g_free (match->imei);
  g_free (match->authority_name);
  g_free (match);
}

void
ca_device_history_free (CaDeviceHistory *history)
{
  if (history == NULL)
    return;
  ca_device_free (history->device);
  g_clear_pointer (&history->certificates, g_ptr_array_unref);
  g_clear_pointer (&history->installs, g_ptr_array_unref);
  g_clear_pointer (&history->events, g_ptr_array_unref);
  g_free (history);
}

char *
ca_column_dup (CaStmt *stmt,
               int     column)
{
  return g_strdup (ca_stmt_column_text (stmt, column));
}

gboolean
ca_check_days (int          days,
               int          maximum,
               const char  *what,
               GError     **error)
{
  if (days >= 0 && days <= maximum)
    return TRUE;

  g_set_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT, "%s must be between 1 and %d days.", what, maximum);

  return FALSE;
}

CaCertStatus
ca_status_from_column (CaStmt *stmt,
                       int     column,
                       gint64  not_after)
{
  if (g_strcmp0 (ca_stmt_column_text (stmt, column), "revoked") == 0)
    return CA_CERT_STATUS_REVOKED;
  if (not_after <= ca_now ())
    return CA_CERT_STATUS_EXPIRED;
  return CA_CERT_STATUS_VALID;
}

CaAuthority *
ca_authority_from_row (CaStmt *stmt)
{
  CaAuthority *authority = g_new0 (CaAuthority, 1);

  authority->id = ca_stmt_column_int64 (stmt, 0);
  authority->name = ca_column_dup (stmt, 1);
  authority->parent_id = ca_stmt_column_int64 (stmt, 2);
  authority->parent_name = ca_column_dup (stmt, 3);
  authority->subject = ca_column_dup (stmt, 4);
  authority->key_type = ca_stmt_column_int (stmt, 5);
  authority->path_len = ca_stmt_column_int (stmt, 6);
  authority->not_before = ca_stmt_column_int64 (stmt, 7);
  authority->not_after = ca_stmt_column_int64 (stmt, 8);
  authority->serial = ca_column_dup (stmt, 9);
  authority->sha256 = ca_column_dup (stmt, 10);
  authority->cert_pem = ca_column_dup (stmt, 11);
  authority->status = ca_status_from_column (stmt, 12, authority->not_after);
  authority->revoke_reason = ca_stmt_column_int (stmt, 13);
  authority->revoked_at = ca_stmt_column_int64 (stmt, 14);
  authority->invalidity_date = ca_stmt_column_int64 (stmt, 15);

  return authority;
}

CaCertificate *
ca_certificate_from_row (CaStmt *stmt)
{
  CaCertificate *cert = g_new0 (CaCertificate, 1);

  cert->id = ca_stmt_column_int64 (stmt, 0);
  cert->serial = ca_column_dup (stmt, 1);
  cert->imei = ca_column_dup (stmt, 2);
  cert->authority_id = ca_stmt_column_int64 (stmt, 3);
  cert->authority_name = ca_column_dup (stmt, 4);
  cert->profile = ca_column_dup (stmt, 5);
  cert->subject = ca_column_dup (stmt, 6);
  cert->not_before = ca_stmt_column_int64 (stmt, 7);
  cert->not_after = ca_stmt_column_int64 (stmt, 8);
  cert->status = ca_status_from_column (stmt, 9, cert->not_after);
  cert->revoke_reason = ca_stmt_column_int (stmt, 10);
  cert->revoked_at = ca_stmt_column_int64 (stmt, 11);
  cert->invalidity_date = ca_stmt_column_int64 (stmt, 12);
  cert->supersedes_id = ca_stmt_column_int64 (stmt, 13);
  cert->superseded_by_id = ca_stmt_column_int64 (stmt, 14);
  cert->host_key = ca_stmt_column_int (stmt, 15);
  cert->issued_at = ca_stmt_column_int64 (stmt, 16);
  cert->installed_at = ca_stmt_column_int64 (stmt, 17);
  cert->sha256_lf = ca_column_dup (stmt, 18);
  cert->sha256_crlf = ca_column_dup (stmt, 19);
  cert->pem = ca_column_dup (stmt, 20);
  cert->station = ca_column_dup (stmt, 21);

  return cert;
}

/* Audit details are small flat JSON objects of strings and integers. */
GString *
ca_details_new (void)
{
  return g_string_new ("{");
}

static void
append_json_string (GString    *out,
                    const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, c);
    }
  g_string_append_c (out, '"');
}

void
ca_details_add (GString    *details,
                const char *key,
                const char *value)
{
  if (value == NULL)
    return;
  if (details->len > 1)
    g_string_append_c (details, ',');
  append_json_string (details, key);
  g_string_append_c (details, ':');
  append_json_string (details, value);
}

void
ca_details_add_int (GString    *details,
                    const char *key,
                    gint64      value)
{
  if (details->len > 1)
    g_string_append_c (details, ',');
  append_json_string (details, key);
  g_string_append_printf (details, ":%" G_GINT64_FORMAT, value);
}

char *
ca_details_free (GString *details)
{
  g_string_append_c (details, '}');

  return g_string_free (details, FALSE);
}
