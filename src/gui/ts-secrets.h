/* ts-secrets.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The ledger passphrase in the desktop keyring (libsecret), keyed by the ledger's path. */
void      ts_secrets_store_async   (const char           *ledger_path,
                                    const char           *passphrase,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
gboolean  ts_secrets_store_finish  (GAsyncResult         *result,
                                    GError              **error);
void      ts_secrets_lookup_async  (const char           *ledger_path,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
char     *ts_secrets_lookup_finish (GAsyncResult         *result,
                                    GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void      ts_secrets_clear_async   (const char           *ledger_path,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
gboolean  ts_secrets_clear_finish  (GAsyncResult         *result,
                                    GError              **error);
void      ts_secrets_free          (char                 *passphrase);

G_END_DECLS
