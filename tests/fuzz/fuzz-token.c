/* fuzz-token.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fuzz-token"

#include "config.h"

#include "fuzz-common.h"
#include "ts-nrf91-token.h"

/* `%KEYGEN` and `%ATTESTTOKEN` answers (§7.3, §8.1): base64url, then CBOR and
 * COSE_Sign1 from a modem that may be broken or lying. */
int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *line = fuzz_strndup (data, size);
  g_autoptr(TsKeygenResult) keygen = NULL;
  g_autoptr(TsAttestation) attestation = NULL;
  g_autoptr(GBytes) decoded = NULL;
  g_autoptr(GError) error = NULL;

  keygen = ts_keygen_result_parse (line, &error);
  g_assert ((keygen == NULL) == (error != NULL));
  if (keygen != NULL)
    {
      g_autoptr(GError) verify_error = NULL;
      g_autofree char *pem = ts_keygen_result_dup_pem (keygen);

      g_assert (pem != NULL);
      (void) ts_keygen_result_verify (keygen, keygen->sec_tag, keygen->device_uuid, &verify_error);
    }
  g_clear_error (&error);

  attestation = ts_attestation_parse (line, &error);
  g_assert ((attestation == NULL) == (error != NULL));
  g_clear_error (&error);

  decoded = ts_base64url_decode ((const char *) data, size, &error);
  g_assert ((decoded == NULL) == (error != NULL));

  return 0;
}
