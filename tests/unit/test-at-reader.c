/* test-at-reader.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "ts-at-reader.h"

/* Runs @stream through a fresh reader in chunks of @chunk bytes and classifies
 * each line against @command; returns "KIND:line" strings. */
static GPtrArray *
run_stream (const char *stream,
            gsize       len,
            gsize       chunk,
            const char *command,
            const char *echo)
{
  g_autoptr(TsAtReader) reader = ts_at_reader_new ();
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *prefix = NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  TsAtExpect expect;
  static const char *names[] = { "IGNORE", "INFO", "OK", "ERROR", "CME", "CMS", "URC", "BOOT" };

  ts_at_expect_for_command (command, &expect, &prefix);
  expect.echo = echo;

  for (gsize off = 0; off < len; off += chunk)
    ts_at_reader_feed (reader, (const guint8 *) stream + off, MIN (chunk, len - off), lines);

  for (guint i = 0; i < lines->len; i++)
    {
      int code = -1;
      TsAtLineKind kind = ts_at_classify_line (lines->pdata[i], &expect, &code);

      if (kind == TS_AT_LINE_IGNORE)
        continue;
      if (kind == TS_AT_LINE_CME_ERROR)
        g_ptr_array_add (out, g_strdup_printf ("CME:%d", code));
      else
        g_ptr_array_add (out, g_strdup_printf ("%s:%s", names[kind], (char *) lines->pdata[i]));
    }

  return out;
}

/* Checks @stream gives @expected (NULL-terminated) for every chunk size. */
static void
assert_stream (const char  *stream,
               const char  *command,
               const char  *echo,
               const char **expected)
{
  gsize len = strlen (stream);

  for (gsize chunk = 1; chunk <= len; chunk++)
    {
      g_autoptr(GPtrArray) got = run_stream (stream, len, chunk, command, echo);
      guint n = g_strv_length ((char **) expected);

      g_assert_cmpuint (got->len, ==, n);
      for (guint i = 0; i < n; i++)
        g_assert_cmpstr (got->pdata[i], ==, expected[i]);
    }
}

static void
test_info_and_ok (void)
{
  const char *expected[] = { "INFO:%CMNG: 16842753,0,\"AB\"", "INFO:%CMNG: 7,1,\"CD\"", "OK:OK", NULL };

  assert_stream ("\r\n%CMNG: 16842753,0,\"AB\"\r\n%CMNG: 7,1,\"CD\"\r\nOK\r\n", "AT%CMNG=1", NULL,
                 expected);
}

static void
test_quoted_newlines (void)
{
  const char *expected[] = {
    "INFO:%CMNG: 42,0,\"SHA\",\"-----BEGIN CERTIFICATE-----\r\nOK\r\nERROR\r\n-----END CERTIFICATE-----\r\n\"",
    "OK:OK",
    NULL
  };

  /* "OK" and "ERROR" inside the quoted content must not end the command. */
  assert_stream ("%CMNG: 42,0,\"SHA\",\"-----BEGIN CERTIFICATE-----\r\nOK\r\nERROR\r\n"
                 "-----END CERTIFICATE-----\r\n\"\r\nOK\r\n", "AT%CMNG=2,42,0", NULL, expected);
}

static void
test_urcs_and_banners (void)
{
  const char *expected[] = {
    "BOOT:*** Booting nRF Connect SDK v2.6.1 ***",
    "URC:The AT host sample started",
    "URC:Ready",
    "URC:+CEREG: 2,\"67C0\",\"01AA1300\",7",
    "URC:[00:00:00.250,000] <inf> app: hello",
    "INFO:+CFUN: 4",
    "URC:%XSIM: 0,9",
    "OK:OK",
    NULL
  };

  assert_stream ("*** Booting nRF Connect SDK v2.6.1 ***\r\nThe AT host sample started\r\nReady\r\n"
                 "+CEREG: 2,\"67C0\",\"01AA1300\",7\r\n[00:00:00.250,000] <inf> app: hello\r\n"
                 "+CFUN: 4\r\n%XSIM: 0,9\r\nOK\r\n", "AT+CFUN?", NULL, expected);
}

static void
test_bare_values (void)
{
  const char *expected[] = {
    "URC:+CSCON: 1", "INFO:mfw_nrf9160_1.3.5", "URC:Ready", "OK:OK", NULL
  };

  assert_stream ("+CSCON: 1\r\nmfw_nrf9160_1.3.5\r\nReady\r\nOK\r\n", "AT+CGMR", NULL, expected);
}

static void
test_shell_echo_and_ansi (void)
{
  const char *expected[] = { "INFO:+CGSN: \"352656100367872\"", "OK:OK", NULL };

  /* The shell echoes the typed line after its coloured prompt. */
  assert_stream ("\033[1;32muart:~$ \033[mat 'AT+CGSN=1'\r\n+CGSN: \"352656100367872\"\r\n"
                 "OK\r\n\033[1;32muart:~$ \033[m", "AT+CGSN=1", "at 'AT+CGSN=1'", expected);
}

static void
test_errors (void)
{
  const char *cme[] = { "URC:+CEREG: 5", "CME:527", NULL };
  const char *plain[] = { "ERROR:ERROR", NULL };
  const char *not_final[] = { "URC:+CME ERROR: x", "URC:OKAY", "URC:ERROR 5", NULL };

  assert_stream ("+CEREG: 5\r\n+CME ERROR: 527\r\n", "AT%CMNG=0,1,0,\"x\"", NULL, cme);
  assert_stream ("\r\nERROR\r\n", "AT%DEVICEUUID", NULL, plain);
  assert_stream ("+CME ERROR: x\r\nOKAY\r\nERROR 5\r\n", "AT", NULL, not_final);
}

static void
test_garbage_and_missing_final (void)
{
  g_autoptr(TsAtReader) reader = ts_at_reader_new ();
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  const char noise[] = "\x01\xfe\x00garbage\r\n%KEYGEN: \"abc";
  TsAtExpect expect = { .prefix = "%KEYGEN" };
  int code;

  ts_at_reader_feed (reader, (const guint8 *) noise, sizeof noise - 1, lines);
  g_assert_cmpuint (lines->len, ==, 1);
  g_assert_cmpint (ts_at_classify_line (lines->pdata[0], &expect, &code), ==,
                   TS_AT_LINE_UNSOLICITED);

  /* The answer never finished: no final code, and the reader waits inside quotes. */
  g_assert_true (ts_at_reader_in_quotes (reader));
  g_assert_cmpuint (ts_at_reader_pending (reader), >, 0);

  ts_at_reader_reset (reader);
  g_assert_false (ts_at_reader_in_quotes (reader));
  ts_at_reader_feed (reader, (const guint8 *) "OK\r\n", 4, lines);
  g_assert_cmpuint (lines->len, ==, 2);
  g_assert_cmpint (ts_at_classify_line (lines->pdata[1], &expect, &code), ==, TS_AT_LINE_OK);
}

static void
test_stray_quote_recovers (void)
{
  g_autoptr(TsAtReader) reader = ts_at_reader_new ();
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *filler = g_strnfill (TS_AT_READER_MAX_LINE + 10, 'x');

  ts_at_reader_feed (reader, (const guint8 *) "\"", 1, lines);
  ts_at_reader_feed (reader, (const guint8 *) filler, strlen (filler), lines);
  ts_at_reader_feed (reader, (const guint8 *) "\r\nOK\r\n", 6, lines);

  g_assert_false (ts_at_reader_in_quotes (reader));
  g_assert_cmpstr (lines->pdata[lines->len - 1], ==, "OK");
}

/* A device that streams without ever ending its line, quoted or not, costs at most
 * one bounded line, is reported once, and the next real line still arrives. */
static void
test_endless_line_is_bounded (void)
{
  for (guint quoted = 0; quoted < 2; quoted++)
    {
      g_autoptr(TsAtReader) reader = ts_at_reader_new ();
      g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
      guint8 chunk[4096];

      memset (chunk, quoted ? 'q' : 'x', sizeof chunk);
      if (quoted)
        ts_at_reader_feed (reader, (const guint8 *) "%CMNG: 1,0,\"", 12, lines);
      g_assert_false (ts_at_reader_take_overflow (reader));

      /* 8 MiB, CR included, never a line feed */
      chunk[100] = '\r';
      for (guint i = 0; i < 2048; i++)
        {
          ts_at_reader_feed (reader, chunk, sizeof chunk, lines);
          g_assert_cmpuint (ts_at_reader_pending (reader), <=, TS_AT_READER_MAX_LINE);
        }
      g_assert_cmpuint (lines->len, ==, 0);
      g_assert_true (ts_at_reader_take_overflow (reader));
      g_assert_false (ts_at_reader_take_overflow (reader));

      ts_at_reader_feed (reader, (const guint8 *) "tail\r\nOK\r\n", 10, lines);
      g_assert_cmpuint (lines->len, ==, 1);
      g_assert_cmpstr (lines->pdata[0], ==, "OK");
      g_assert_false (ts_at_reader_in_quotes (reader));
    }
}

static void
test_display_text (void)
{
  g_autofree char *long_text = g_strnfill (5000, 'A');
  g_autofree char *escapes = ts_at_display_text ("mfw\033[2J\033]0;owned\007_1.3.5\033[31m!");
  g_autofree char *controls = ts_at_display_text ("a\rb\nc\td\001e\177f\302\233g\342\200\256h");
  g_autofree char *invalid = ts_at_display_text ("ok\377\376ok");
  g_autofree char *cut = ts_at_display_text (long_text);
  g_autofree char *plain = ts_at_display_text ("nRF9160-SICA");

  g_assert_cmpstr (escapes, ==, "mfw_1.3.5!");
  /* CR, LF, tab become blanks; C0, DEL, C1 (U+009B) and bidi overrides (U+202E) go */
  g_assert_cmpstr (controls, ==, "a b c defgh");
  g_assert_true (g_utf8_validate (invalid, -1, NULL));
  g_assert_true (g_str_has_prefix (invalid, "ok"));
  g_assert_true (g_str_has_suffix (invalid, "ok"));
  g_assert_cmpuint (g_utf8_strlen (cut, -1), ==, TS_AT_DISPLAY_MAX + 1);
  g_assert_true (g_str_has_suffix (cut, "…"));
  g_assert_cmpstr (plain, ==, "nRF9160-SICA");
}

static void
test_strip_ansi (void)
{
  g_autofree char *a = ts_at_strip_ansi ("\033[1;32muart:~$ \033[mat\033[K");
  g_autofree char *b = ts_at_strip_ansi ("plain");
  g_autofree char *c = ts_at_strip_ansi ("cut\033[12");

  g_assert_cmpstr (a, ==, "uart:~$ at");
  g_assert_cmpstr (b, ==, "plain");
  g_assert_cmpstr (c, ==, "cut");
}

static void
test_expect_for_command (void)
{
  g_autofree char *p1 = NULL, *p2 = NULL, *p3 = NULL, *p4 = NULL;
  TsAtExpect e;

  ts_at_expect_for_command ("AT%CMNG=1,5", &e, &p1);
  g_assert_cmpstr (e.prefix, ==, "%CMNG");
  g_assert_false (e.bare_value);

  ts_at_expect_for_command ("AT+CGSN", &e, &p2);
  g_assert_null (e.prefix);
  g_assert_true (e.bare_value);

  ts_at_expect_for_command ("AT+CGSN=1", &e, &p3);
  g_assert_cmpstr (e.prefix, ==, "+CGSN");

  ts_at_expect_for_command ("at+cfun?", &e, &p4);
  g_assert_cmpstr (e.prefix, ==, "+CFUN");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ts/at-reader/info-and-ok", test_info_and_ok);
  g_test_add_func ("/ts/at-reader/quoted-newlines", test_quoted_newlines);
  g_test_add_func ("/ts/at-reader/urcs-and-banners", test_urcs_and_banners);
  g_test_add_func ("/ts/at-reader/bare-values", test_bare_values);
  g_test_add_func ("/ts/at-reader/shell-echo-and-ansi", test_shell_echo_and_ansi);
  g_test_add_func ("/ts/at-reader/errors", test_errors);
  g_test_add_func ("/ts/at-reader/garbage-and-missing-final", test_garbage_and_missing_final);
  g_test_add_func ("/ts/at-reader/stray-quote-recovers", test_stray_quote_recovers);
  g_test_add_func ("/ts/at-reader/endless-line-is-bounded", test_endless_line_is_bounded);
  g_test_add_func ("/ts/at-reader/display-text", test_display_text);
  g_test_add_func ("/ts/at-reader/strip-ansi", test_strip_ansi);
  g_test_add_func ("/ts/at-reader/expect-for-command", test_expect_for_command);

  return g_test_run ();
}
