/* fuzz-csr.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fuzz-csr"

#include "config.h"

#include <string.h>

#include "ca.h"
#include "fuzz-common.h"

/* CSR import in every accepted form: PEM, DER, a bare %KEYGEN token or the
 * whole `%KEYGEN: "…"` line. Whatever parses must have verified its signature
 * and answer every accessor. */
int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(CaCsr) csr = NULL;
  g_autoptr(GError) error = NULL;

  csr = ca_csr_parse (data, size, &error);
  g_assert ((csr == NULL) == (error != NULL));
  if (csr != NULL)
    {
      g_autofree char *subject = ca_csr_get_subject (csr);
      g_autofree char *key = ca_csr_get_key_description (csr);
      g_autofree char *spki = ca_csr_get_public_key_sha256 (csr);

      g_assert (subject != NULL && key != NULL);
      g_assert (spki != NULL && strlen (spki) == 64);
    }

  return 0;
}
