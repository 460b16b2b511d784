/* ts-credential-set.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ts-workspace-modem.h"

G_BEGIN_DECLS

/*
 * The Certificate Manager's job in one step, as Nordic's Cellular Monitor does
 * it: a CA certificate, a client certificate and its private key, or a PSK and
 * its identity, written to one sec_tag. Every part is checked before anything
 * is sent, and each write goes through the ledger like a single one. No GTK.
 */

/**
 * TsCredentialPreset:
 * @name: what people call the service
 * @sec_tag: the sec_tag its firmware reads by default
 * @psk: it is set up with a PSK and identity rather than certificates
 * @hint: where the number comes from, for the person choosing
 */
typedef struct
{
  const char *name;
  guint32     sec_tag;
  gboolean    psk;
  const char *hint;
} TsCredentialPreset;

const TsCredentialPreset *ts_credential_presets          (guint       *n_presets);
/* The preset whose sec_tag is @sec_tag, or NULL. */
const TsCredentialPreset *ts_credential_preset_for_tag   (guint32      sec_tag);

/**
 * TsCredentialSet:
 * @parts: by %CMNG type (0–4); %NULL where nothing is written. Bytes that may
 *   hold a key should wipe themselves (ts_modem_secret_bytes_take()).
 * @key_password: (nullable): of an encrypted PKCS#8 private key
 */
typedef struct
{
  GBytes *parts[5];
  char   *key_password;
} TsCredentialSet;

TsCredentialSet *ts_credential_set_new   (void);
/* Frees it, wiping the password; the parts' bytes wipe themselves when they hold a key. */
void             ts_credential_set_free  (TsCredentialSet       *set);

/* Each part as ts_store_check_credential() would have it, and together: something to
 * write, a PSK with its identity, and a client certificate that belongs to the key. */
gboolean         ts_credential_set_check (const TsCredentialSet *set,
                                          GError               **error);

typedef void (*TsCredentialSetProgress) (guint        type,
                                         guint        index,
                                         guint        n_parts,
                                         gpointer     user_data);

/* Checks @set, then writes its parts in type order to @sec_tag, each recorded in the
 * ledger and verified by the SHA-256 the modem lists. @written receives a bit per type
 * written and verified (1 << type), also when a later part fails, and @sha256 (nullable,
 * five entries, by type) the SHA-256 the modem lists for each. Needs the workspace
 * unlocked. */
gboolean         ts_workspace_write_credential_set (TsWorkspace             *self,
                                                    TsDeviceLink            *link,
                                                    guint32                  sec_tag,
                                                    const TsCredentialSet   *set,
                                                    TsModemWriteFlags        flags,
                                                    TsCredentialSetProgress  progress,
                                                    gpointer                 progress_data,
                                                    guint                   *written,
                                                    char                    *sha256[5],
                                                    GPtrArray               *notices,
                                                    GCancellable            *cancellable,
                                                    GError                 **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsCredentialSet, ts_credential_set_free)

G_END_DECLS
