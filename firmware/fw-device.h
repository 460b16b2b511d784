/* fw-device.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <openssl/evp.h>

#include "fw-profile.h"
#include "fw-store.h"

G_BEGIN_DECLS

/* What survives a power cycle: identity and the credential store, kept in the
 * state file (the emulated modem's flash) when one was given. */
typedef struct
{
  char     *imei;
  guint8    uuid[16];    /* device UUID (§8.2) */
  EVP_PKEY *identity;    /* P-256 identity key that signs COSE messages (§7.3) */
  FwStore  *store;
  char     *state_path;  /* (nullable) */
} FwDevice;

FwDevice *fw_device_open  (const char       *state_path,
                           const FwProfile  *profile,
                           const char       *imei,
                           GError          **error);
gboolean  fw_device_save  (FwDevice         *device,
                           GError          **error);
void      fw_device_free  (FwDevice         *device);

EVP_PKEY   *fw_p256_generate    (void);
GByteArray *fw_private_key_der  (EVP_PKEY   *key);
void        fw_byte_array_wipe  (GByteArray *bytes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwDevice, fw_device_free)

G_END_DECLS
