/* fw-cbor.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fw-cbor"

#include "config.h"

#include <string.h>

#include "fw-cbor.h"

enum {
  MAJOR_UINT = 0,
  MAJOR_NEGINT = 1,
  MAJOR_BYTES = 2,
  MAJOR_TEXT = 3,
  MAJOR_ARRAY = 4,
  MAJOR_MAP = 5,
  MAJOR_TAG = 6,
};

/* The initial byte plus the shortest argument encoding, as deterministic CBOR requires. */
static void
put_head (GByteArray *out,
          guint       major,
          guint64     value)
{
  guint8 head[9];
  guint n;

  if (value < 24)
    {
      head[0] = major << 5 | value;
      n = 1;
    }
  else
    {
      guint width = value <= 0xff ? 1 : value <= 0xffff ? 2 : value <= 0xffffffff ? 4 : 8;

      head[0] = major << 5 | (width == 1 ? 24 : width == 2 ? 25 : width == 4 ? 26 : 27);
      for (guint i = 0; i < width; i++)
        head[1 + i] = value >> (8 * (width - 1 - i));
      n = 1 + width;
    }
  g_byte_array_append (out, head, n);
}

void
fw_cbor_uint (GByteArray *out,
              guint64     value)
{
  put_head (out, MAJOR_UINT, value);
}

void
fw_cbor_int (GByteArray *out,
             gint64      value)
{
  if (value >= 0)
    put_head (out, MAJOR_UINT, (guint64) value);
  else
    put_head (out, MAJOR_NEGINT, (guint64) (-(value + 1)));
}

/* A byte or text string: its length, then its bytes. */
static void
put_string (GByteArray   *out,
            guint         major,
            const guint8 *data,
            gsize         len)
{
  put_head (out, major, len);
  g_byte_array_append (out, data, len);
}

void
fw_cbor_bytes (GByteArray   *out,
               const guint8 *data,
               gsize         len)
{
  put_string (out, MAJOR_BYTES, data, len);
}

void
fw_cbor_text (GByteArray *out,
              const char *text)
{
  put_string (out, MAJOR_TEXT, (const guint8 *) text, strlen (text));
}

void
fw_cbor_array (GByteArray *out,
               gsize       n_items)
{
  put_head (out, MAJOR_ARRAY, n_items);
}

void
fw_cbor_map (GByteArray *out,
             gsize       n_pairs)
{
  put_head (out, MAJOR_MAP, n_pairs);
}

void
fw_cbor_tag (GByteArray *out,
             guint64     tag)
{
  put_head (out, MAJOR_TAG, tag);
}

void
fw_cbor_null (GByteArray *out)
{
  static const guint8 null_byte = 0xf6;

  g_byte_array_append (out, &null_byte, 1);
}
