/* test-provision-rules.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "ts-provision-private.h"

/* Which modem firmware can generate keys (%KEYGEN, nRF9160 ≥ 1.3.0) and list
 * SHA-256 digests (≥ 1.3.2); nRF91x1 firmware can do both. The emulator has no
 * 1.3.0 or 1.3.1 profile, so the boundaries are checked here. */
static void
test_firmware_gates (void)
{
  static const struct
  {
    const char *model;
    const char *firmware;
    gboolean    keygen;
    gboolean    lists_sha;
  } cases[] = {
    { "nRF9160-SICA", "mfw_nrf9160_1.2.0", FALSE, FALSE },
    { "nRF9160-SICA", "mfw_nrf9160_1.2.9", FALSE, FALSE },
    { "nRF9160-SICA", "mfw_nrf9160_1.3.0", TRUE, FALSE },
    { "nRF9160-SICA", "mfw_nrf9160_1.3.1", TRUE, FALSE },
    { "nRF9160-SICA", "mfw_nrf9160_1.3.2", TRUE, TRUE },
    { "nRF9160-SICA", "mfw_nrf9160_1.3.5", TRUE, TRUE },
    { "nRF9160-SICA", "mfw_nrf9160_0.7.0", FALSE, FALSE },
    { "nRF9161-LACA", "mfw_nrf91x1_2.0.2", TRUE, TRUE },
    { "nRF9151-LACA", "mfw_nrf9151-ntn_1.0.0-1.alpha", TRUE, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      TsModemIdentity identity = { 0 };

      identity.model = (char *) cases[i].model;
      identity.firmware = (char *) cases[i].firmware;
      identity.firmware_version_known = ts_nrf91_parse_firmware (cases[i].firmware,
                                                                 &identity.firmware_version);
      g_assert_true (identity.firmware_version_known);

      g_test_message ("%s %s", cases[i].model, cases[i].firmware);
      g_assert_cmpint (_ts_firmware_can_keygen (&identity), ==, cases[i].keygen);
      g_assert_cmpint (_ts_firmware_lists_sha (&identity), ==, cases[i].lists_sha);
    }
}

/* An unparsable version is given the benefit of the doubt: the modem's own
 * answer (+CME ERROR: 0 for %KEYGEN) then says what it cannot do. */
static void
test_firmware_unknown (void)
{
  TsModemIdentity identity = { .model = (char *) "nRF9160-SICA", .firmware = (char *) "custom" };

  g_assert_true (_ts_firmware_can_keygen (&identity));
  g_assert_true (_ts_firmware_lists_sha (&identity));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/provision/rules/firmware-gates", test_firmware_gates);
  g_test_add_func ("/provision/rules/firmware-unknown", test_firmware_unknown);

  return g_test_run ();
}
