/* ca-profile.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#if !defined(CA_INSIDE) && !defined(CA_COMPILATION)
# error "Only <ca.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/* A device certificate profile: how the subject is named, checked before signing.
 * The template is the whole subject; `{imei}` and `{uuid}` are replaced. */
typedef struct
{
  const char *name;         /* "generic", "lwm2m", "nrfcloud", ... */
  const char *cn_template;  /* e.g. "urn:imei:{imei}" */
  guint       max_cn_len;   /* 64 per RFC 5280 ub-common-name */
  gboolean    lowercase;    /* Azure IoT requires a lower-case device ID */
  gboolean    needs_uuid;
  gboolean    allow_rsa;    /* RSA >= 2048 device keys allowed */
  const char *summary;
} CaProfile;

#define CA_PROFILE_DEFAULT "generic"

const CaProfile  *ca_profile_lookup      (const char       *name);
const CaProfile  *ca_profile_get_all     (guint            *n_profiles);
char             *ca_profile_render_cn   (const CaProfile  *profile,
                                          const char       *imei,
                                          const char       *uuid,
                                          GError          **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
