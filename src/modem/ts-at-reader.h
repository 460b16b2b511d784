/* ts-at-reader.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The receive side of the AT engine (PROTOCOL.md §3.4): bytes in, classified
 * lines out. Pure code with no I/O, so it can be tested on scripted byte streams. */

/* No answer line is longer than a read-back credential (about 4 KiB, §6.5). A longer
 * one (a stray quote, a device that never ends its line) is dropped up to its end. */
#define TS_AT_READER_MAX_LINE (64 * 1024)

/* Modem text shown to a person is cut to this many characters. */
#define TS_AT_DISPLAY_MAX 200

typedef enum
{
  TS_AT_LINE_IGNORE,        /* empty, or the echo of what we sent (shell/echo modes) */
  TS_AT_LINE_INFO,          /* part of the answer to the command in flight */
  TS_AT_LINE_OK,
  TS_AT_LINE_ERROR,         /* bare ERROR */
  TS_AT_LINE_CME_ERROR,     /* +CME ERROR: <n> */
  TS_AT_LINE_CMS_ERROR,     /* +CMS ERROR: <n> */
  TS_AT_LINE_UNSOLICITED,   /* URC, boot banner, log line, shell noise */
  TS_AT_LINE_BOOT,          /* a boot banner: the modem restarted (§2.1) */
} TsAtLineKind;

/* What the command in flight expects back. */
typedef struct
{
  const char *prefix;       /* "%CMNG" for `%CMNG: ...` lines; NULL when none */
  gboolean    bare_value;   /* +CGMI, +CGMM, +CGMR, plain +CGSN answer without prefix */
  const char *echo;         /* the text we typed, to drop its echo; NULL when none */
} TsAtExpect;

typedef struct _TsAtReader TsAtReader;

TsAtReader   *ts_at_reader_new           (void);
void          ts_at_reader_free          (TsAtReader        *reader);
void          ts_at_reader_reset         (TsAtReader        *reader);
void          ts_at_reader_feed          (TsAtReader        *reader,
                                          const guint8      *data,
                                          gsize              len,
                                          GPtrArray         *lines);
gboolean      ts_at_reader_in_quotes     (TsAtReader        *reader);
gboolean      ts_at_reader_take_overflow (TsAtReader        *reader);
gsize         ts_at_reader_pending       (TsAtReader        *reader);
const char   *ts_at_reader_peek_partial  (TsAtReader        *reader);

char         *ts_at_strip_ansi           (const char        *line);
char         *ts_at_display_text         (const char        *text);
TsAtLineKind  ts_at_classify_line        (const char        *line,
                                          const TsAtExpect  *expect,
                                          int               *error_code);
void          ts_at_expect_for_command   (const char        *command,
                                          TsAtExpect        *expect,
                                          char             **prefix_storage);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsAtReader, ts_at_reader_free)

G_END_DECLS
