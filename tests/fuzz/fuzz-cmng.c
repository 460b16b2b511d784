/* fuzz-cmng.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fuzz-cmng"

#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "ts-nrf91.h"

/* The parsers of what a modem sends back about its credential store: `%CMNG`
 * list and read lines (§6.1), `+CGMR` versions (§4), `+CFUN?` and quoted values. */
int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *line = fuzz_strndup (data, size);
  g_autoptr(GBytes) content = NULL;
  g_autoptr(GError) error = NULL;
  TsCredential credential;
  TsFirmwareVersion version;
  int mode = 0;

  memset (&credential, 0, sizeof credential);
  if (ts_nrf91_parse_cmng_entry (line, &credential))
    g_assert (strlen (credential.sha256) == 0 || strlen (credential.sha256) == 64);

  memset (&credential, 0, sizeof credential);
  if (ts_nrf91_parse_cmng_read (line, &credential, &content, &error))
    {
      g_assert (content != NULL);
      g_assert_no_error (error);
    }
  else
    g_assert (error != NULL);

  (void) ts_nrf91_parse_firmware (line, &version);
  (void) ts_nrf91_parse_cfun (line, &mode);
  g_free (ts_nrf91_parse_quoted (line, "%CMNG:"));
  g_free (ts_nrf91_parse_quoted (line, "+CGSN:"));

  /* Content on its way to a modem: normalisation and the size/NUL checks (§6.4, §6.5). */
  {
    g_autoptr(GBytes) raw = g_bytes_new (data, size);
    g_autoptr(GError) check_error = NULL;

    for (TsLineEndings e = TS_LINE_ENDINGS_LF; e <= TS_LINE_ENDINGS_KEEP; e++)
      {
        g_autoptr(GBytes) norm = ts_nrf91_normalise_content (raw, e);
        g_clear_error (&check_error);
        (void) ts_nrf91_check_content (norm, &check_error);
      }
  }

  return 0;
}
