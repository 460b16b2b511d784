/* ca-profile.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-profile"

#include "config.h"

#include "ca-private.h"

/* The built-in device profiles. 64 is RFC 5280's ub-common-name. */
static const CaProfile profiles[] = {
  { "generic",       "{imei}",          64, FALSE, FALSE, TRUE,  "CN is the IMEI" },
  { "lwm2m",         "urn:imei:{imei}", 64, FALSE, FALSE, FALSE, "LwM2M endpoint name urn:imei:IMEI" },
  { "nrfcloud",      "nrf-{imei}",      64, FALSE, FALSE, FALSE, "nRF Cloud device ID nrf-IMEI" },
  { "nrfcloud-uuid", "{uuid}",          64, TRUE,  TRUE,  FALSE, "nRF Cloud device ID from the modem UUID" },
  { "azure",         "{imei}",          64, TRUE,  FALSE, FALSE, "Azure IoT device ID (lower case)" },
  { "aws",           "{imei}",          64, FALSE, FALSE, TRUE,  "AWS IoT thing name" },
};

const CaProfile *
ca_profile_get_all (guint *n_profiles)
{
  if (n_profiles != NULL)
    *n_profiles = G_N_ELEMENTS (profiles);

  return profiles;
}

const CaProfile *
ca_profile_lookup (const char *name)
{
  if (name == NULL)
    name = CA_PROFILE_DEFAULT;

  for (guint i = 0; i < G_N_ELEMENTS (profiles); i++)
    if (g_str_equal (profiles[i].name, name))
      return &profiles[i];

  return NULL;
}

static gboolean
uuid_is_valid (const char *uuid)
{
  if (uuid == NULL || strlen (uuid) != 36)
    return FALSE;

  for (int i = 0; i < 36; i++)
    {
      gboolean dash = i == 8 || i == 13 || i == 18 || i == 23;

      if (dash ? uuid[i] != '-' : !g_ascii_isxdigit (uuid[i]))
        return FALSE;
    }

  return TRUE;
}

/**
 * ca_profile_render_cn:
 *
 * Fills the profile's template and checks the result against its rules.
 *
 * Returns: (transfer full): the subject's common name
 */
char *
ca_profile_render_cn (const CaProfile  *profile,
                      const char       *imei,
                      const char       *uuid,
                      GError          **error)
{
  g_autoptr(GString) cn = NULL;

  g_return_val_if_fail (profile != NULL, NULL);

  if (!ca_imei_validate (imei, error))
    return NULL;

  if (profile->needs_uuid && !uuid_is_valid (uuid))
    {
      g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                   "The %s profile names the device by its UUID, and %s. Give it as 8-4-4-4-12 "
                   "hex digits (AT%%DEVICEUUID).", profile->name,
                   uuid == NULL ? "none is known" : "the one given is not a UUID");
      return NULL;
    }

  cn = g_string_new (profile->cn_template);
  g_string_replace (cn, "{imei}", imei, 0);
  if (uuid != NULL)
    g_string_replace (cn, "{uuid}", uuid, 0);

  if (profile->lowercase)
    {
      g_autofree char *lower = g_ascii_strdown (cn->str, -1);

      g_string_assign (cn, lower);
    }

  if (cn->len == 0 || cn->len > profile->max_cn_len)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                   "The %s profile makes the name “%s”, which is %s; it must be 1 to %u characters.",
                   profile->name, cn->str, cn->len == 0 ? "empty" : "too long", profile->max_cn_len);
      return NULL;
    }

  return g_string_free (g_steal_pointer (&cn), FALSE);
}
