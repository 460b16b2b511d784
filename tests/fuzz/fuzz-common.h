/* fuzz-common.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <stdint.h>

/* libFuzzer's entry point; each target defines it. */
int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

/* The fuzz input as a C string. An embedded NUL ends it early, as it would for
 * any caller that reads a line into a string. */
static inline char *
fuzz_strndup (const guint8 *data,
              size_t        size)
{
  return g_strndup ((const char *) data, size);
}
