/* ts-key-evidence.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-key-evidence"

#include "config.h"

#include <json-glib/json-glib.h>

#include "ts-key-evidence.h"

gboolean
ts_key_evidence_record (CaLedger             *ledger,
                        const CaCertificate  *certificate,
                        const TsKeygenResult *keygen,
                        GError              **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  GString *digest = g_string_new (NULL);
  g_autofree char *text = NULL;

  g_return_val_if_fail (certificate != NULL && keygen != NULL, FALSE);

  /* The digest the COSE payload names, which the host found equal to the CSR's. */
  for (gsize i = 0; i < sizeof keygen->digest; i++)
    g_string_append_printf (digest, "%02X", keygen->digest[i]);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, TS_KEY_EVIDENCE_VERSION);
  json_builder_set_member_name (builder, "origin");
  json_builder_add_string_value (builder, "modem");
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, "%KEYGEN");
  json_builder_set_member_name (builder, "sec_tag");
  json_builder_add_int_value (builder, keygen->sec_tag);
  json_builder_set_member_name (builder, "device_uuid");
  json_builder_add_string_value (builder, keygen->device_uuid);
  json_builder_set_member_name (builder, "csr_sha256");
  json_builder_add_string_value (builder, digest->str);
  g_string_free (digest, TRUE);
  /* What the host checked before signing: ts_modem_keygen() refuses an answer
   * whose COSE payload names another digest, sec_tag or device, and
   * ca_csr_parse() one whose CSR signature does not verify. */
  json_builder_set_member_name (builder, "checks");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "cose-digest");
  json_builder_add_string_value (builder, "cose-sec-tag");
  json_builder_add_string_value (builder, "cose-device-uuid");
  json_builder_add_string_value (builder, "csr-signature");
  json_builder_end_array (builder);
  /* The COSE_Sign1 signature is by the modem's identity key, which only
   * Nordic's service can check; the token is kept so that it can be. */
  json_builder_set_member_name (builder, "keygen_token");
  json_builder_add_string_value (builder, keygen->token);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);

  return ca_ledger_record_key_evidence (ledger, certificate->id, text, error);
}
