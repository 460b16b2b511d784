/* ts-at-reader.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-at-reader"

#include "config.h"

#include <string.h>

#include "ts-at-reader.h"

struct _TsAtReader
{
  GString  *line;
  gboolean  in_quotes;
  gboolean  discarding;   /* the line outgrew TS_AT_READER_MAX_LINE: skip to its end */
  gboolean  overflowed;   /* a line was discarded since the last check */
};

TsAtReader *
ts_at_reader_new (void)
{
  TsAtReader *reader = g_new0 (TsAtReader, 1);

  reader->line = g_string_new (NULL);

  return reader;
}

void
ts_at_reader_free (TsAtReader *reader)
{
  if (reader == NULL)
    return;

  g_string_free (reader->line, TRUE);
  g_free (reader);
}

/* Forgets a partial line, e.g. a shell prompt or the tail of a timed-out answer. */
void
ts_at_reader_reset (TsAtReader *reader)
{
  g_return_if_fail (reader != NULL);

  g_string_truncate (reader->line, 0);
  reader->in_quotes = FALSE;
  reader->discarding = FALSE;
}

/* Whether a line was too long and dropped since the last call; clears the flag. */
gboolean
ts_at_reader_take_overflow (TsAtReader *reader)
{
  gboolean overflowed;

  g_return_val_if_fail (reader != NULL, FALSE);

  overflowed = reader->overflowed;
  reader->overflowed = FALSE;
  return overflowed;
}

gboolean
ts_at_reader_in_quotes (TsAtReader *reader)
{
  g_return_val_if_fail (reader != NULL, FALSE);

  return reader->in_quotes;
}

gsize
ts_at_reader_pending (TsAtReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);

  return reader->line->len;
}

/* The bytes after the last complete line: a shell prompt waits here. */
const char *
ts_at_reader_peek_partial (TsAtReader *reader)
{
  g_return_val_if_fail (reader != NULL, NULL);

  return reader->line->str;
}

static void
emit_line (TsAtReader *reader,
           GPtrArray  *lines)
{
  g_autofree char *clean = NULL;

  if (reader->line->len > 0 && reader->line->str[reader->line->len - 1] == '\r')
    g_string_truncate (reader->line, reader->line->len - 1);

  clean = g_strstrip (ts_at_strip_ansi (reader->line->str));
  if (clean[0] != '\0')
    g_ptr_array_add (lines, g_steal_pointer (&clean));

  g_string_truncate (reader->line, 0);
}

/**
 * ts_at_reader_feed:
 * @lines: (element-type utf8): receives each completed line, ANSI-stripped and trimmed
 *
 * A line ends at LF outside double quotes, so the CR/LF inside a quoted
 * credential (a `%CMNG=2` answer) stay within one line (§3.2, §3.4).
 */
void
ts_at_reader_feed (TsAtReader   *reader,
                   const guint8 *data,
                   gsize         len,
                   GPtrArray    *lines)
{
  g_return_if_fail (reader != NULL);
  g_return_if_fail (data != NULL || len == 0);
  g_return_if_fail (lines != NULL);

  for (gsize i = 0; i < len; i++)
    {
      guint8 b = data[i];

      /* NUL never belongs to an answer (§6.5); it only shows up as line noise. */
      if (b == '\0')
        continue;

      /* The quote state of a dropped line means nothing: its end is the next LF. */
      if (reader->discarding)
        {
          reader->discarding = b != '\n';
          continue;
        }

      if (b == '"')
        reader->in_quotes = !reader->in_quotes;

      if (b == '\n' && !reader->in_quotes)
        {
          emit_line (reader, lines);
          continue;
        }

      /* Every line is bounded, quoted or not: a stray quote or a modem that never ends
       * its line costs at most this much memory, and the caller learns of it. */
      if (reader->line->len >= TS_AT_READER_MAX_LINE)
        {
          g_string_truncate (reader->line, 0);
          reader->in_quotes = FALSE;
          reader->discarding = b != '\n';
          reader->overflowed = TRUE;
          continue;
        }

      g_string_append_c (reader->line, (char) b);
    }
}

/**
 * ts_at_strip_ansi:
 *
 * Removes VT100/ANSI escape sequences (CSI `ESC [ ... final`, and two-byte
 * `ESC x`), which Zephyr shells print around prompts and echo (§2.2).
 *
 * Returns: (transfer full): the cleaned line
 */
char *
ts_at_strip_ansi (const char *line)
{
  GString *out;

  g_return_val_if_fail (line != NULL, NULL);

  out = g_string_sized_new (strlen (line));

  for (const char *p = line; *p != '\0'; p++)
    {
      if (*p != '\033')
        {
          g_string_append_c (out, *p);
          continue;
        }

      if (p[1] == '[')
        {
          p += 2;
          while (*p != '\0' && !(*p >= 0x40 && *p <= 0x7e))
            p++;
          if (*p == '\0')
            break;
        }
      else if (p[1] != '\0')
        p++;
    }

  return g_string_free (out, FALSE);
}

/* Skips the escape sequence at @p (ESC already seen): CSI up to its final byte,
 * OSC and the other string commands up to BEL or ST, else one character. */
static const char *
skip_escape (const char *p)
{
  if (*p == '[')
    {
      for (p++; *p != '\0'; p++)
        if (*p >= 0x40 && *p <= 0x7e)
          return p + 1;
      return p;
    }
  if (*p == ']' || *p == 'P' || *p == 'X' || *p == '^' || *p == '_')
    {
      for (p++; *p != '\0'; p++)
        if (*p == '\a' || (*p == '\033' && p[1] == '\\'))
          return *p == '\a' ? p + 1 : p + 2;
      return p;
    }
  return *p != '\0' ? g_utf8_next_char (p) : p;
}

/**
 * ts_at_display_text:
 * @text: anything a modem sent (an answer, a URC, a value in an error message)
 *
 * Makes modem text safe to print on a terminal or show in the window: invalid
 * UTF-8 replaced, terminal escape sequences and control or format characters
 * (bidi overrides included) removed, line breaks and tabs turned into blanks,
 * and cut to %TS_AT_DISPLAY_MAX characters with an ellipsis.
 *
 * Returns: (transfer full): the text to display
 */
char *
ts_at_display_text (const char *text)
{
  g_autofree char *valid = NULL;
  GString *out;
  guint n = 0;

  g_return_val_if_fail (text != NULL, NULL);

  valid = g_utf8_make_valid (text, -1);
  out = g_string_sized_new (MIN (strlen (valid), TS_AT_DISPLAY_MAX * 4));

  for (const char *p = valid; *p != '\0';)
    {
      gunichar c = g_utf8_get_char (p);

      if (c == 0x1b)
        {
          p = skip_escape (p + 1);
          continue;
        }
      p = g_utf8_next_char (p);
      if (c == '\t' || c == '\r' || c == '\n')
        c = ' ';
      else if (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT ||
               c == 0x2028 || c == 0x2029)
        continue;
      if (n == TS_AT_DISPLAY_MAX)
        {
          g_string_append (out, "…");
          break;
        }
      g_string_append_unichar (out, c);
      n++;
    }

  return g_string_free (out, FALSE);
}

static gboolean
has_prefix_colon (const char *line,
                  const char *prefix)
{
  gsize n = strlen (prefix);

  return g_ascii_strncasecmp (line, prefix, n) == 0 && line[n] == ':';
}

static gboolean
parse_error_code (const char *text,
                  int        *code)
{
  guint64 value;
  char *end = NULL;

  while (*text == ' ')
    text++;

  value = g_ascii_strtoull (text, &end, 10);
  if (end == text || value > G_MAXINT)
    return FALSE;
  while (*end == ' ')
    end++;
  if (*end != '\0')
    return FALSE;

  *code = (int) value;
  return TRUE;
}

/* Lines an application or shell prints on its own: Zephyr banners and log lines
 * (`[00:00:00.250,000] <inf> ...`), the at_client greeting, shell prompts. */
static gboolean
is_chatter (const char *line)
{
  return line[0] == '[' ||
         g_str_has_prefix (line, "***") ||
         g_str_equal (line, "Ready") ||
         g_str_has_prefix (line, "The AT host sample started") ||
         strstr (line, ":~$") != NULL;
}

/**
 * ts_at_classify_line:
 * @error_code: (out): the number of a CME/CMS error
 *
 * Decides what one completed line is (§3.4). Final result codes match whole
 * lines only, so "OK" inside base64 or a credential never ends a command.
 */
TsAtLineKind
ts_at_classify_line (const char       *line,
                     const TsAtExpect *expect,
                     int              *error_code)
{
  g_return_val_if_fail (line != NULL, TS_AT_LINE_IGNORE);
  g_return_val_if_fail (expect != NULL, TS_AT_LINE_IGNORE);

  if (line[0] == '\0')
    return TS_AT_LINE_IGNORE;

  if (g_str_equal (line, "OK"))
    return TS_AT_LINE_OK;
  if (g_str_equal (line, "ERROR"))
    return TS_AT_LINE_ERROR;
  if (g_str_has_prefix (line, "+CME ERROR:") &&
      parse_error_code (line + strlen ("+CME ERROR:"), error_code))
    return TS_AT_LINE_CME_ERROR;
  if (g_str_has_prefix (line, "+CMS ERROR:") &&
      parse_error_code (line + strlen ("+CMS ERROR:"), error_code))
    return TS_AT_LINE_CMS_ERROR;

  /* Echo of what we typed; a shell puts its prompt in front of it. */
  if (expect->echo != NULL && expect->echo[0] != '\0' && g_str_has_suffix (line, expect->echo))
    return TS_AT_LINE_IGNORE;

  if (g_str_has_prefix (line, "*** Booting"))
    return TS_AT_LINE_BOOT;

  if (expect->prefix != NULL && has_prefix_colon (line, expect->prefix))
    return TS_AT_LINE_INFO;

  if (expect->bare_value && line[0] != '+' && line[0] != '%' && !is_chatter (line))
    return TS_AT_LINE_INFO;

  return TS_AT_LINE_UNSOLICITED;
}

/**
 * ts_at_expect_for_command:
 * @command: an AT command such as `AT%CMNG=1` or `AT+CGMR`
 * @prefix_storage: (out) (transfer full): owns the prefix that @expect points to
 *
 * Works out which answer lines belong to @command: `<name>:` lines, or a bare
 * value for +CGMI, +CGMM, +CGMR and plain +CGSN (§3.2).
 */
void
ts_at_expect_for_command (const char  *command,
                          TsAtExpect  *expect,
                          char       **prefix_storage)
{
  const char *name;
  gsize len;

  g_return_if_fail (command != NULL);
  g_return_if_fail (expect != NULL);
  g_return_if_fail (prefix_storage != NULL);

  memset (expect, 0, sizeof *expect);
  *prefix_storage = NULL;

  if (g_ascii_strncasecmp (command, "AT", 2) != 0)
    return;

  name = command + 2;
  len = strcspn (name, "=?");
  if (len == 0)
    return;

  *prefix_storage = g_ascii_strup (name, len);

  if (g_str_equal (*prefix_storage, "+CGMI") || g_str_equal (*prefix_storage, "+CGMM") ||
      g_str_equal (*prefix_storage, "+CGMR") ||
      (g_str_equal (*prefix_storage, "+CGSN") && name[len] == '\0'))
    {
      expect->bare_value = TRUE;
      g_clear_pointer (prefix_storage, g_free);
      return;
    }

  expect->prefix = *prefix_storage;
}
