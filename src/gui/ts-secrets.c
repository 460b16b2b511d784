/* ts-secrets.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-secrets"

#include "config.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "ts-secrets.h"

static const SecretSchema *
ts_secrets_schema (void)
{
  static const SecretSchema schema = {
    APP_ID ".Passphrase", SECRET_SCHEMA_NONE,
    {
      { "ledger", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

void
ts_secrets_store_async (const char          *ledger_path,
                        const char          *passphrase,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autofree char *label = NULL;

  g_return_if_fail (ledger_path != NULL);
  g_return_if_fail (passphrase != NULL);

  label = g_strdup_printf (_("Tagsmith passphrase for %s"), ledger_path);
  secret_password_store (ts_secrets_schema (), SECRET_COLLECTION_DEFAULT, label, passphrase,
                         cancellable, callback, user_data,
                         "ledger", ledger_path,
                         NULL);
}

gboolean
ts_secrets_store_finish (GAsyncResult  *result,
                         GError       **error)
{
  return secret_password_store_finish (result, error);
}

void
ts_secrets_lookup_async (const char          *ledger_path,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (ledger_path != NULL);

  secret_password_lookup (ts_secrets_schema (), cancellable, callback, user_data,
                          "ledger", ledger_path,
                          NULL);
}

/**
 * ts_secrets_lookup_finish:
 *
 * Returns: (transfer full) (nullable): the passphrase, or %NULL when none is
 *   stored; free it with ts_secrets_free()
 */
char *
ts_secrets_lookup_finish (GAsyncResult  *result,
                          GError       **error)
{
  return secret_password_lookup_finish (result, error);
}

void
ts_secrets_clear_async (const char          *ledger_path,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (ledger_path != NULL);

  secret_password_clear (ts_secrets_schema (), cancellable, callback, user_data,
                         "ledger", ledger_path,
                         NULL);
}

gboolean
ts_secrets_clear_finish (GAsyncResult  *result,
                         GError       **error)
{
  return secret_password_clear_finish (result, error);
}

/* Wipes the passphrase before freeing it. */
void
ts_secrets_free (char *passphrase)
{
  secret_password_free (passphrase);
}
