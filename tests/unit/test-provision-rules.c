/* test-provision-rules.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <sys/stat.h>

#include <glib/gstdio.h>

#include "ts-provision-private.h"
#include "ts-store.h"

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

/* The one reader of credential files, behind the CLI and the window: a pipe,
 * a device and an oversized file are refused before a byte is read; binary
 * content is refused with advice; PEM text comes back as it is. */
static void
test_credential_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tagsmith-credfile-XXXXXX", NULL);
  g_autofree char *fifo = g_build_filename (dir, "pipe.pem", NULL);
  g_autofree char *big = g_build_filename (dir, "big.pem", NULL);
  g_autofree char *der = g_build_filename (dir, "cert.der", NULL);
  g_autofree char *pem = g_build_filename (dir, "cert.pem", NULL);
  const char text[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  const char binary[] = { 0x30, (char) 0x82, 0x00, 0x10 };
  FILE *f;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  f = g_fopen (big, "w");
  g_assert_nonnull (f);
  g_assert_cmpint (ftruncate (fileno (f), 100 * 1024 * 1024), ==, 0);
  fclose (f);
  g_assert_true (g_file_set_contents (der, binary, sizeof binary, NULL));
  g_assert_true (g_file_set_contents (pem, text, -1, NULL));

  for (guint i = 0; i < 3; i++)
    {
      const char *path = i == 0 ? fifo : i == 1 ? "/dev/zero" : big;

      bytes = ts_store_read_credential_file (path, &error);
      g_assert_null (bytes);
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, path));
      g_clear_error (&error);
    }

  bytes = ts_store_read_credential_file (der, &error);
  g_assert_null (bytes);
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "openssl x509 -inform der"));
  g_clear_error (&error);

  bytes = ts_store_read_credential_file (pem, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), text, strlen (text));

  g_unlink (fifo);
  g_unlink (big);
  g_unlink (der);
  g_unlink (pem);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/provision/rules/firmware-gates", test_firmware_gates);
  g_test_add_func ("/provision/rules/firmware-unknown", test_firmware_unknown);
  g_test_add_func ("/provision/rules/credential-file", test_credential_file);

  return g_test_run ();
}
