/* fw-base64url.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fw-base64url"

#include "config.h"

#include "fw-base64url.h"

static const char alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
fw_base64url_encode (const guint8 *data,
                     gsize         len)
{
  GString *out = g_string_sized_new (len * 4 / 3 + 4);

  for (gsize i = 0; i < len; i += 3)
    {
      guint32 group = (guint32) data[i] << 16;
      gsize left = len - i;

      if (left > 1)
        group |= (guint32) data[i + 1] << 8;
      if (left > 2)
        group |= data[i + 2];
      g_string_append_c (out, alphabet[group >> 18 & 0x3f]);
      g_string_append_c (out, alphabet[group >> 12 & 0x3f]);
      if (left > 1)
        g_string_append_c (out, alphabet[group >> 6 & 0x3f]);
      if (left > 2)
        g_string_append_c (out, alphabet[group & 0x3f]);
    }
  return g_string_free (out, FALSE);
}
