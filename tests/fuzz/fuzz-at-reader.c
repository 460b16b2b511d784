/* fuzz-at-reader.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fuzz-at-reader"

#include "config.h"

#include "fuzz-common.h"
#include "ts-at-reader.h"

/* The AT line reader on a hostile byte stream: the first byte picks the chunk
 * size, so one input also covers lines and quotes split across reads (§3.4).
 * Every completed line is classified against each kind of command in flight. */
static const char *const commands[] = {
  "AT%CMNG=1", "AT%CMNG=2,16842753,0", "AT+CGMR", "AT+CGSN", "AT+CGSN=1",
  "AT%KEYGEN=16842753,2,0", "AT%ATTESTTOKEN", "AT+CFUN?", "AT",
};

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(TsAtReader) reader = ts_at_reader_new ();
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  gsize chunk;

  if (size == 0)
    return 0;
  chunk = 1 + data[0] % 64;
  data++;
  size--;

  for (gsize off = 0; off < size; off += chunk)
    ts_at_reader_feed (reader, data + off, MIN (chunk, size - off), lines);
  (void) ts_at_reader_take_overflow (reader);
  (void) ts_at_reader_in_quotes (reader);
  (void) ts_at_reader_pending (reader);
  (void) ts_at_reader_peek_partial (reader);

  for (guint i = 0; i < lines->len; i++)
    for (gsize c = 0; c < G_N_ELEMENTS (commands); c++)
      {
        g_autofree char *prefix = NULL;
        TsAtExpect expect;
        int code = 0;

        ts_at_expect_for_command (commands[c], &expect, &prefix);
        (void) ts_at_classify_line (lines->pdata[i], &expect, &code);
      }

  /* The raw bytes as a line of their own: ANSI stripping, display cleaning and the
   * command-side parser. */
  {
    g_autofree char *text = fuzz_strndup (data, size);
    g_autofree char *stripped = ts_at_strip_ansi (text);
    g_autofree char *prefix = NULL;
    TsAtExpect expect;
    g_autofree char *shown = ts_at_display_text (text);
    int code = 0;

    ts_at_expect_for_command (text, &expect, &prefix);
    (void) ts_at_classify_line (stripped, &expect, &code);
    g_assert (g_utf8_validate (shown, -1, NULL));
  }

  ts_at_reader_reset (reader);

  return 0;
}
