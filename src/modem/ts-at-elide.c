/* ts-at-elide.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-at-elide"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ts-at-elide.h"
#include "ts-nrf91.h"

/* A run of base64 this long is never a word of a protocol line: a PEM body line is 64. */
#define BASE64_RUN_MIN 40

static void
append_note (GString    *out,
             const char *what,
             gsize       length)
{
  g_string_append_printf (out, _("<%s, %" G_GSIZE_FORMAT " bytes, elided>"), what, length);
}

/* Skips @n comma-separated fields of @p; NULL when there are fewer. */
static const char *
skip_fields (const char *p,
             guint       n)
{
  for (guint i = 0; i < n; i++)
    {
      p = strchr (p, ',');
      if (p == NULL)
        return NULL;
      p++;
    }
  return p;
}

/*
 * @line from @head on is "<field>,…" whose field @content_field (counting from 0) is
 * quoted content of the type in field @type_field; every later quoted field is a
 * password. Returns FALSE when @line has no such shape.
 */
static gboolean
elide_fields (GString    *out,
              const char *line,
              const char *head,
              guint       type_field,
              guint       content_field)
{
  const char *type_at = skip_fields (head, type_field);
  const char *p = skip_fields (head, content_field);
  guint64 type;

  if (type_at == NULL || p == NULL || *p != '"' || !g_ascii_isdigit (*type_at))
    return FALSE;
  type = g_ascii_strtoull (type_at, NULL, 10);

  g_string_append_len (out, line, p - line);
  for (guint field = 0; *p == '"'; field++)
    {
      /* Content never holds a quote (§6.5): the next one ends it; an unended one runs to the end. */
      const char *end = strchr (p + 1, '"');
      gsize length = end != NULL ? (gsize) (end - p - 1) : strlen (p + 1);

      g_string_append_c (out, '"');
      if (field == 0)
        append_note (out, ts_cred_type_describe ((guint) MIN (type, G_MAXUINT)), length);
      else
        append_note (out, _("key password"), length);
      g_string_append_c (out, '"');
      if (end == NULL)
        return TRUE;
      p = end + 1;
      if (*p == ',' && p[1] == '"')
        {
          g_string_append_c (out, ',');
          p++;
        }
    }
  g_string_append (out, p);
  return TRUE;
}

static gboolean
is_base64 (char c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/' || c == '-' || c == '_' || c == '=';
}

/* Long base64 runs that are not hex digits (a SHA-256 in a listing is 64 of them) and
 * PEM armour: what a stray line of a credential, a token or a CSR looks like. */
static void
elide_runs (GString    *out,
            const char *line)
{
  const char *p = line;

  if (strstr (line, "-----BEGIN ") != NULL || strstr (line, "-----END ") != NULL)
    {
      append_note (out, _("PEM text"), strlen (line));
      return;
    }

  while (*p != '\0')
    {
      const char *start = p;
      gboolean hex = TRUE;

      for (; is_base64 (*p); p++)
        hex = hex && g_ascii_isxdigit (*p);
      if (p - start >= BASE64_RUN_MIN && !hex)
        append_note (out, _("encoded data"), p - start);
      else
        g_string_append_len (out, start, p - start);
      if (*p != '\0')
        g_string_append_c (out, *p++);
    }
}

/**
 * ts_at_elide:
 * @line: a command as sent (without framing) or one line of an answer
 *
 * Returns: (transfer full): @line with credential content, passwords and
 *   generated output replaced by notes; other lines unchanged
 */
char *
ts_at_elide (const char *line)
{
  GString *out;
  const char *head;

  g_return_val_if_fail (line != NULL, NULL);

  out = g_string_new (NULL);
  if (g_ascii_strncasecmp (line, "AT%CMNG=0,", 10) == 0)
    {
      /* Write: 0,<sec_tag>,<type>,"<content>"[,"<password>"] (§6.1). */
      head = line + strlen ("AT%CMNG=");
      if (elide_fields (out, line, head, 2, 3))
        return g_string_free (out, FALSE);
    }
  else if (g_ascii_strncasecmp (line, "%CMNG:", 6) == 0)
    {
      /* Read: <sec_tag>,<type>,"<sha>","<content>"; a listing has no fourth field. */
      head = line + strlen ("%CMNG:");
      while (*head == ' ')
        head++;
      if (elide_fields (out, line, head, 1, 3))
        return g_string_free (out, FALSE);
    }
  else if (g_ascii_strncasecmp (line, "%KEYGEN:", 8) == 0 ||
           g_ascii_strncasecmp (line, "%ATTESTTOKEN:", 13) == 0)
    {
      /* The CSR and the COSE signature of a key just made, or a token (§7.3, §8.1). */
      const char *p = strchr (line, ':') + 1;

      while (*p == ' ')
        p++;
      g_string_append_len (out, line, p - line);
      append_note (out, g_ascii_strncasecmp (line, "%KEYGEN:", 8) == 0
                        ? _("key generation output") : _("attestation token"), strlen (p));
      return g_string_free (out, FALSE);
    }

  g_string_truncate (out, 0);
  elide_runs (out, line);
  return g_string_free (out, FALSE);
}
