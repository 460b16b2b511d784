/* fw-profile.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fw-profile"

#include "config.h"

#include <string.h>

#include "fw-profile.h"

/* What the releases of one chip family share (§4, §7.3). */
#define NRF9160_FAMILY \
  .model = "nRF9160-SICA", .hw_version = "nRF9160 SICA B0A", .tac = "35265610", \
  .device_type = 3, .validates_certs = FALSE, .is_nrf91x1 = FALSE, .csr_null = TRUE

#define NRF91X1_MFW_2_0_2 \
  .firmware = "mfw_nrf91x1_2.0.2", .short_version = "nrf91x1_2.0.2", .sdk_version = "v2.7.0", \
  .has_keygen = TRUE, .validates_certs = TRUE, .is_nrf91x1 = TRUE, .csr_null = FALSE

static const FwProfile profiles[] = {
  {
    NRF9160_FAMILY,
    .name = "nrf9160",
    .firmware = "mfw_nrf9160_1.3.5",
    .short_version = "nrf9160_1.3.5",
    .sdk_version = "v2.6.1",
    .has_keygen = TRUE,
  },
  {
    NRF9160_FAMILY,
    .name = "nrf9160-legacy",
    .firmware = "mfw_nrf9160_1.2.0",
    .short_version = "nrf9160_1.2.0",
    .sdk_version = "v1.4.0",
    .has_keygen = FALSE,
  },
  {
    NRF91X1_MFW_2_0_2,
    .name = "nrf9161",
    .model = "nRF9161-LACA",
    .hw_version = "nRF9161 LACA B0A",
    .tac = "35940425",
    .device_type = 4,
  },
  {
    NRF91X1_MFW_2_0_2,
    .name = "nrf9151",
    .model = "nRF9151-LACA",
    .hw_version = "nRF9151 LACA A1A",
    .tac = "35183211",
    .device_type = 6,
  },
};

const FwProfile *
fw_profile_lookup (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (profiles); i++)
    if (g_ascii_strcasecmp (profiles[i].name, name) == 0)
      return &profiles[i];
  return NULL;
}

char *
fw_profile_names (void)
{
  GString *names = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (profiles); i++)
    g_string_append_printf (names, "%s%s", i ? ", " : "", profiles[i].name);
  return g_string_free (names, FALSE);
}

/* Luhn check digit over the first 14 digits of an IMEI. */
static int
luhn_digit (const char *digits14)
{
  int sum = 0;

  for (int i = 0; i < 14; i++)
    {
      int d = digits14[i] - '0';

      if (i % 2 == 1)
        {
          d *= 2;
          if (d > 9)
            d -= 9;
        }
      sum += d;
    }
  return (10 - sum % 10) % 10;
}

gboolean
fw_imei_is_valid (const char *imei)
{
  g_return_val_if_fail (imei != NULL, FALSE);

  if (strlen (imei) != 15)
    return FALSE;
  for (int i = 0; i < 15; i++)
    if (!g_ascii_isdigit (imei[i]))
      return FALSE;
  return luhn_digit (imei) == imei[14] - '0';
}

char *
fw_imei_generate (const FwProfile *profile)
{
  char imei[16];

  g_return_val_if_fail (profile != NULL, NULL);

  memcpy (imei, profile->tac, 8);
  for (int i = 8; i < 14; i++)
    imei[i] = '0' + g_random_int_range (0, 10);
  imei[14] = '0' + luhn_digit (imei);
  imei[15] = '\0';
  return g_strdup (imei);
}

/* A stable version-4-shaped UUID from a label and an input (§8.2 allows any fixed bytes). */
void
fw_uuid_derive (const char *label,
                const char *input,
                guint8      uuid[16])
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;

  g_checksum_update (sum, (const guchar *) label, -1);
  g_checksum_update (sum, (const guchar *) ":", 1);
  g_checksum_update (sum, (const guchar *) input, -1);
  g_checksum_get_digest (sum, digest, &len);
  memcpy (uuid, digest, 16);
  uuid[6] = (uuid[6] & 0x0f) | 0x40;
  uuid[8] = (uuid[8] & 0x3f) | 0x80;
}

char *
fw_uuid_format (const guint8 uuid[16])
{
  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                          uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6], uuid[7],
                          uuid[8], uuid[9], uuid[10], uuid[11], uuid[12], uuid[13], uuid[14],
                          uuid[15]);
}

gboolean
fw_uuid_parse (const char *text,
               guint8      uuid[16])
{
  int n = 0;

  if (text == NULL || strlen (text) != 36)
    return FALSE;
  for (int i = 0; i < 36; i++)
    {
      if (i == 8 || i == 13 || i == 18 || i == 23)
        {
          if (text[i] != '-')
            return FALSE;
          continue;
        }
      if (!g_ascii_isxdigit (text[i]) || !g_ascii_isxdigit (text[i + 1]))
        return FALSE;
      uuid[n++] = g_ascii_xdigit_value (text[i]) << 4 | g_ascii_xdigit_value (text[i + 1]);
      i++;
    }
  return n == 16;
}
