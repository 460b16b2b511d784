/* ts-nrf91.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-nrf91"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <openssl/evp.h>
#include <string.h>

#include "ts-modem-error.h"
#include "ts-modem-secret.h"
#include "ts-nrf91.h"

/* Short names for the command line, then what a person calls them (§6.2). */
static const struct
{
  const char *name;
  const char *description;
} cred_types[TS_CRED_TYPE_MAX + 1] = {
  { "ca",              N_("CA certificate") },
  { "cert",            N_("client certificate") },
  { "key",             N_("private key") },
  { "psk",             N_("PSK") },
  { "psk-identity",    N_("PSK identity") },
  { "xsudo-key",       N_("AT command public key") },
  { "identity-key",    N_("device identity public key") },
  { "reserved",        N_("reserved") },
  { "endorsement-key", N_("endorsement key") },
  { "ownership-key",   N_("ownership key") },
  { "nordic-root-ca",  N_("Nordic identity root CA") },
  { "nordic-base-key", N_("Nordic base public key") },
};

const char *
ts_cred_type_to_string (guint type)
{
  return type <= TS_CRED_TYPE_MAX ? cred_types[type].name : "unknown";
}

const char *
ts_cred_type_describe (guint type)
{
  return type <= TS_CRED_TYPE_MAX ? _(cred_types[type].description) : _("unknown type");
}

static gboolean
parse_decimal (const char *text,
               guint64     max,
               guint64    *value)
{
  char *end = NULL;

  if (text == NULL || !g_ascii_isdigit (text[0]))
    return FALSE;

  errno = 0;
  *value = g_ascii_strtoull (text, &end, 10);

  return errno == 0 && *end == '\0' && *value <= max;
}

/**
 * ts_cred_type_parse:
 * @text: a name (`ca`, `cert`, `key`, `psk`, `psk-identity`, ...) or a number 0–11
 */
gboolean
ts_cred_type_parse (const char  *text,
                    guint       *type,
                    GError     **error)
{
  guint64 value;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (type != NULL, FALSE);

  for (guint i = 0; i <= TS_CRED_TYPE_MAX; i++)
    if (g_ascii_strcasecmp (text, cred_types[i].name) == 0)
      {
        *type = i;
        return TRUE;
      }

  if (parse_decimal (text, TS_CRED_TYPE_MAX, &value))
    {
      *type = (guint) value;
      return TRUE;
    }

  g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
               _("“%s” is not a credential type. Use ca, cert, key, psk, psk-identity or a "
                 "number from 0 to 11."), text);
  return FALSE;
}

/* Only types 0–4 are written with %CMNG; the others belong to the modem (§6.2). */
gboolean
ts_cred_type_is_writable (guint type)
{
  return type <= TS_CRED_PSK_IDENTITY;
}

TsSecTagClass
ts_sec_tag_classify (guint64 sec_tag)
{
  if (sec_tag <= TS_SEC_TAG_USER_MAX)
    return TS_SEC_TAG_USER;
  if (sec_tag <= TS_SEC_TAG_DEBUG_MAX)
    return TS_SEC_TAG_DEBUG;
  return TS_SEC_TAG_MODEM;
}

/* Accepts the whole unsigned 32-bit range, so modem-owned tags can be listed. */
gboolean
ts_sec_tag_parse (const char  *text,
                  guint32     *sec_tag,
                  GError     **error)
{
  guint64 value;

  g_return_val_if_fail (sec_tag != NULL, FALSE);

  if (!parse_decimal (text, G_MAXUINT32, &value))
    {
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                   _("“%s” is not a sec_tag. Use a whole number from 0 to 2147483647."),
                   text != NULL ? text : "");
      return FALSE;
    }

  *sec_tag = (guint32) value;
  return TRUE;
}

/* sec_tags above the debug range are the modem's own (§6.3); never change them. */
gboolean
ts_sec_tag_check_writable (guint64   sec_tag,
                           GError  **error)
{
  if (ts_sec_tag_classify (sec_tag) != TS_SEC_TAG_MODEM)
    return TRUE;

  g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
               _("sec_tag %" G_GUINT64_FORMAT " belongs to the modem and cannot be changed. "
                 "Use a sec_tag from 0 to 2147483647."), sec_tag);
  return FALSE;
}

/* The names of TsLineEndings, in its order: the command line's --line-endings,
 * the window's setting (the schema's enum has the same nicks and values) and
 * the messages that suggest a rewrite. */
static const char *const line_endings_names[] = {
  [TS_LINE_ENDINGS_LF]   = "lf",
  [TS_LINE_ENDINGS_CRLF] = "crlf",
  [TS_LINE_ENDINGS_KEEP] = "keep",
};

gboolean
ts_line_endings_parse (const char     *text,
                       TsLineEndings  *endings,
                       GError        **error)
{
  g_return_val_if_fail (endings != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (line_endings_names); i++)
    if (g_strcmp0 (text, line_endings_names[i]) == 0)
      {
        *endings = (TsLineEndings) i;
        return TRUE;
      }

  g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
               _("“%s” is not a line-ending choice. Use %s, %s or %s."),
               text != NULL ? text : "", line_endings_names[TS_LINE_ENDINGS_LF],
               line_endings_names[TS_LINE_ENDINGS_CRLF], line_endings_names[TS_LINE_ENDINGS_KEEP]);
  return FALSE;
}

const char *
ts_line_endings_to_string (TsLineEndings endings)
{
  if ((guint) endings >= G_N_ELEMENTS (line_endings_names))
    return NULL;

  return line_endings_names[endings];
}

/**
 * ts_nrf91_normalise_content:
 *
 * Rewrites every line break (CR LF, lone LF, lone CR) as @endings says. The
 * result is exactly what goes between the quotes, and so what the modem hashes.
 *
 * Returns: (transfer full): the bytes to send
 */
GBytes *
ts_nrf91_normalise_content (GBytes        *content,
                            TsLineEndings  endings)
{
  const char *data;
  gsize len;
  gsize out_len = 0;
  char *out;

  g_return_val_if_fail (content != NULL, NULL);

  if (endings == TS_LINE_ENDINGS_KEEP)
    return g_bytes_ref (content);

  /* The content may be a key: the copy is sized for the worst case (every
   * byte a lone line break made CR LF) and wipes itself when freed. */
  data = g_bytes_get_data (content, &len);
  out = g_malloc (2 * len + 1);

  for (gsize i = 0; i < len; i++)
    {
      if (data[i] == '\r' || data[i] == '\n')
        {
          if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
            i++;
          if (endings == TS_LINE_ENDINGS_CRLF)
            out[out_len++] = '\r';
          out[out_len++] = '\n';
        }
      else
        out[out_len++] = data[i];
    }

  return ts_modem_secret_bytes_take (out, out_len);
}

/* Bytes the bridge cannot carry inside quotes (§2.1, §6.5): `"` ends the string,
 * BS and DEL delete the previous byte, NUL may dispatch the command. */
static const char *
forbidden_byte_name (guint8 b)
{
  switch (b)
    {
    case '"':  return _("a double quote (\")");
    case 0x00: return _("a NUL byte");
    case 0x08: return _("a backspace byte (0x08)");
    case 0x7f: return _("a delete byte (0x7F)");
    default:   return NULL;
    }
}

gboolean
ts_nrf91_check_content (GBytes  *content,
                        GError **error)
{
  const guint8 *data;
  gsize len;

  g_return_val_if_fail (content != NULL, FALSE);

  data = g_bytes_get_data (content, &len);
  if (len == 0)
    {
      g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                           _("The credential is empty. Check that the file holds the PEM text."));
      return FALSE;
    }

  for (gsize i = 0; i < len; i++)
    {
      const char *what = forbidden_byte_name (data[i]);

      if (what != NULL)
        {
          g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                       _("The credential contains %s at byte %" G_GSIZE_FORMAT ", which the "
                         "modem's AT interface cannot carry. Check that the file is a PEM text "
                         "file, not DER or a document."), what, i + 1);
          return FALSE;
        }
    }

  return TRUE;
}

gboolean
ts_nrf91_check_key_password (const char  *password,
                             GError     **error)
{
  if (password == NULL)
    return TRUE;

  if (password[0] == '\0' || strlen (password) > TS_NRF91_MAX_KEY_PASSWORD)
    {
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                   _("The key password must have 1 to %d characters (a modem limit)."),
                   TS_NRF91_MAX_KEY_PASSWORD);
      return FALSE;
    }

  for (const char *p = password; *p != '\0'; p++)
    if (forbidden_byte_name ((guint8) *p) != NULL || (guint8) *p < 0x20)
      {
        g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                             _("The key password contains a double quote or a control "
                               "character, which the modem's AT interface cannot carry."));
        return FALSE;
      }

  return TRUE;
}

/**
 * ts_nrf91_build_write:
 *
 * Builds `AT%CMNG=0,<tag>,<type>,"<content>"[,"<password>"]` without a line
 * terminator (§6.1, §6.5). The caller wipes it after use: it may hold a key.
 *
 * Returns: (transfer full): the command
 */
char *
ts_nrf91_build_write (guint32      sec_tag,
                      guint        type,
                      GBytes      *content,
                      const char  *key_password)
{
  const char *data;
  gsize len;
  GString *command;

  g_return_val_if_fail (content != NULL, NULL);

  data = g_bytes_get_data (content, &len);
  /* Sized once, so no reallocation leaves an unwiped copy of a key behind. */
  command = g_string_sized_new (len + (key_password != NULL ? strlen (key_password) : 0) + 64);
  g_string_append_printf (command, "AT%%CMNG=0,%u,%u,\"", sec_tag, type);
  g_string_append_len (command, data, len);
  g_string_append_c (command, '"');
  if (key_password != NULL)
    g_string_append_printf (command, ",\"%s\"", key_password);

  return g_string_free (command, FALSE);
}

/* SHA-256 as the modem lists it: 64 upper-case hex digits (§6.4). */
void
ts_nrf91_sha256_hex (const guint8 *data,
                     gsize         len,
                     char          out[65])
{
  static const char hex[] = "0123456789ABCDEF";
  guint8 digest[32];
  unsigned int digest_len = 0;

  EVP_Digest (data, len, digest, &digest_len, EVP_sha256 (), NULL);
  g_assert (digest_len == 32);

  for (guint i = 0; i < 32; i++)
    {
      out[2 * i] = hex[digest[i] >> 4];
      out[2 * i + 1] = hex[digest[i] & 0xf];
    }
  out[64] = '\0';
}

static const char *
skip_spaces (const char *p)
{
  while (*p == ' ')
    p++;
  return p;
}

static gboolean
parse_number_field (const char **p,
                    guint64      max,
                    guint64     *value)
{
  char *end = NULL;

  *p = skip_spaces (*p);
  if (!g_ascii_isdigit (**p))
    return FALSE;

  errno = 0;
  *value = g_ascii_strtoull (*p, &end, 10);
  if (errno != 0 || *value > max)
    return FALSE;

  *p = skip_spaces (end);
  return TRUE;
}

/* Parses "%CMNG: <tag>,<type>" and leaves @p after it. Spaces after commas are
 * skipped: the documentation shows them, real modems do not (§3.2). */
static gboolean
parse_cmng_head (const char   **p,
                 TsCredential  *credential)
{
  guint64 tag, type;

  if (g_ascii_strncasecmp (*p, "%CMNG:", 6) != 0)
    return FALSE;
  *p += 6;

  if (!parse_number_field (p, G_MAXUINT32, &tag) || **p != ',')
    return FALSE;
  (*p)++;
  if (!parse_number_field (p, G_MAXUINT, &type))
    return FALSE;

  memset (credential, 0, sizeof *credential);
  credential->sec_tag = (guint32) tag;
  credential->type = (guint) type;
  return TRUE;
}

/* Parses `,"<64 hex>"` into @credential->sha256; leaves @p after the closing quote. */
static gboolean
parse_cmng_sha (const char   **p,
                TsCredential  *credential)
{
  const char *start, *end;

  *p = skip_spaces (*p);
  if (**p != ',')
    return FALSE;
  *p = skip_spaces (*p + 1);
  if (**p != '"')
    return FALSE;

  start = *p + 1;
  end = strchr (start, '"');
  if (end == NULL)
    return FALSE;

  if (end - start == 64)
    {
      gboolean all_hex = TRUE;

      for (const char *c = start; c < end; c++)
        all_hex = all_hex && g_ascii_isxdigit (*c);
      if (all_hex)
        for (guint i = 0; i < 64; i++)
          credential->sha256[i] = g_ascii_toupper (start[i]);
    }

  *p = end + 1;
  return TRUE;
}

/**
 * ts_nrf91_parse_cmng_entry:
 *
 * Parses one `%CMNG: <tag>,<type>[,"<sha>"]` list line (§6.1), tolerantly: the
 * SHA may be missing or malformed, which leaves @credential->sha256 empty.
 *
 * Returns: %FALSE when @line is not a list entry
 */
gboolean
ts_nrf91_parse_cmng_entry (const char   *line,
                           TsCredential *credential)
{
  const char *p = line;

  g_return_val_if_fail (line != NULL, FALSE);
  g_return_val_if_fail (credential != NULL, FALSE);

  if (!parse_cmng_head (&p, credential))
    return FALSE;

  parse_cmng_sha (&p, credential);
  return TRUE;
}

/**
 * ts_nrf91_parse_cmng_read:
 * @content: (out) (transfer full): the stored bytes, verbatim
 *
 * Parses `%CMNG: <tag>,<type>,"<sha>","<content>"`: the content lies between
 * the third and fourth quote, as in Nordic's own modem_key_mgmt (§6.1).
 */
gboolean
ts_nrf91_parse_cmng_read (const char    *line,
                          TsCredential  *credential,
                          GBytes       **content,
                          GError       **error)
{
  const char *p = line;
  const char *start, *end;

  g_return_val_if_fail (line != NULL, FALSE);
  g_return_val_if_fail (content != NULL, FALSE);

  if (!parse_cmng_head (&p, credential) || !parse_cmng_sha (&p, credential))
    goto bad;

  p = skip_spaces (p);
  if (*p != ',')
    goto bad;
  p = skip_spaces (p + 1);
  if (*p != '"')
    goto bad;
  start = p + 1;
  end = strchr (start, '"');
  if (end == NULL)
    goto bad;

  *content = g_bytes_new (start, end - start);
  return TRUE;

bad:
  g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL,
                       _("The modem's answer to the read did not hold a credential. The entry "
                         "may be too large to read back; compare its SHA-256 in the list instead."));
  return FALSE;
}

static gboolean
is_version_token (const char *token,
                  guint       parts[3])
{
  const char *p = token;

  for (guint i = 0; i < 3; i++)
    {
      guint digits = 0;
      guint value = 0;

      while (g_ascii_isdigit (*p) && digits < 4)
        {
          value = value * 10 + (guint) (*p - '0');
          p++;
          digits++;
        }
      if (digits == 0 || digits > 3)
        return FALSE;
      parts[i] = value;
      if (i < 2 && *p++ != '.')
        return FALSE;
    }

  return *p == '\0';
}

/**
 * ts_nrf91_parse_firmware:
 *
 * Finds the version in a `+CGMR` string such as `mfw_nrf9160_1.3.5` or
 * `mfw_nrf9151-ntn_1.0.0-1.alpha`: exactly one `N.N.N` token (1–3 digits each)
 * between `_`/`-` separators (§4).
 */
gboolean
ts_nrf91_parse_firmware (const char        *text,
                         TsFirmwareVersion *version)
{
  g_auto(GStrv) tokens = NULL;
  guint found = 0;
  guint parts[3];

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (version != NULL, FALSE);

  memset (version, 0, sizeof *version);
  tokens = g_regex_split_simple ("[_-]", text, 0, 0);
  /* GRegex refuses text that is not UTF-8: a garbled answer holds no version. */
  if (tokens == NULL)
    return FALSE;

  for (guint i = 0; tokens[i] != NULL; i++)
    if (is_version_token (tokens[i], parts))
      {
        found++;
        version->major = parts[0];
        version->minor = parts[1];
        version->patch = parts[2];
      }

  version->ntn = strstr (text, "ntn") != NULL;

  return found == 1;
}

gboolean
ts_nrf91_parse_cfun (const char *line,
                     int        *mode)
{
  const char *p = line;
  guint64 value;

  g_return_val_if_fail (line != NULL, FALSE);
  g_return_val_if_fail (mode != NULL, FALSE);

  if (g_ascii_strncasecmp (p, "+CFUN:", 6) != 0)
    return FALSE;
  p += 6;
  if (!parse_number_field (&p, 255, &value) || *p != '\0')
    return FALSE;

  *mode = (int) value;
  return TRUE;
}

/* Writes, deletes and %KEYGEN need LTE off (§5). Modes 0, 4, 20 and 44 have it
 * off for sure; every other mode may have it on, so Tagsmith goes offline first. */
gboolean
ts_nrf91_cfun_is_lte_active (int mode)
{
  return mode != 0 && mode != 4 && mode != 20 && mode != 44;
}

/**
 * ts_nrf91_parse_quoted:
 * @prefix: e.g. `%KEYGEN`
 *
 * Returns: (transfer full) (nullable): the text between the first pair of quotes
 * of a `<prefix>: "..."` line, or %NULL
 */
char *
ts_nrf91_parse_quoted (const char *line,
                       const char *prefix)
{
  gsize n;
  const char *start, *end;

  g_return_val_if_fail (line != NULL, NULL);
  g_return_val_if_fail (prefix != NULL, NULL);

  n = strlen (prefix);
  if (g_ascii_strncasecmp (line, prefix, n) != 0 || line[n] != ':')
    return NULL;

  start = strchr (line + n, '"');
  if (start == NULL)
    return NULL;
  end = strchr (start + 1, '"');
  if (end == NULL)
    return NULL;

  return g_strndup (start + 1, end - start - 1);
}
