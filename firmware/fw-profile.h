/* fw-profile.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What one modem firmware release looks like from the AT interface (§4, §6.5, §7). */
typedef struct
{
  const char *name;             /* --profile value */
  const char *model;            /* +CGMM */
  const char *firmware;         /* +CGMR */
  const char *short_version;    /* %SHORTSWVER */
  const char *hw_version;       /* %HWVERSION */
  const char *sdk_version;      /* boot banner of the at_client sample */
  const char *tac;              /* 8-digit type allocation code for generated IMEIs */
  int         device_type;      /* attestation token device_type (§8.1) */
  gboolean    has_keygen;       /* mfw >= 1.3.0 (§7.1) */
  gboolean    validates_certs;  /* mfw >= 2.0.2: +CME ERROR: 527 (§6.5) */
  gboolean    is_nrf91x1;       /* %DEVICEUUID, TLS decrypt sec_tags (§6.3, §8.2) */
  gboolean    csr_null;         /* old nRF9160 firmware: NULL in the CSR signature algorithm (§7.3) */
} FwProfile;

const FwProfile *fw_profile_lookup       (const char    *name);
char            *fw_profile_names        (void);

gboolean         fw_imei_is_valid        (const char    *imei);
char            *fw_imei_generate        (const FwProfile *profile);

void             fw_uuid_derive          (const char    *label,
                                          const char    *input,
                                          guint8         uuid[16]);
char            *fw_uuid_format          (const guint8   uuid[16]);
gboolean         fw_uuid_parse           (const char    *text,
                                          guint8         uuid[16]);

G_END_DECLS
