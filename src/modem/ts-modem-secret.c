/* ts-modem-secret.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-modem-secret"

#include "config.h"

#include <malloc.h>
#include <openssl/crypto.h>

#include "ts-modem-secret.h"

void
ts_modem_secret_free (char *secret)
{
  if (secret == NULL)
    return;
  OPENSSL_cleanse (secret, malloc_usable_size (secret));
  g_free (secret);
}

typedef struct
{
  char  *data;
  gsize  length;
} SecretBlock;

static void
secret_block_free (gpointer pointer)
{
  SecretBlock *block = pointer;

  OPENSSL_cleanse (block->data, block->length);
  g_free (block->data);
  g_free (block);
}

GBytes *
ts_modem_secret_bytes_take (char  *data,
                            gsize  length)
{
  SecretBlock *block;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  block = g_new (SecretBlock, 1);
  block->data = data;
  block->length = length;

  return g_bytes_new_with_free_func (data, length, secret_block_free, block);
}

void
ts_modem_secret_string_free (GString *string)
{
  if (string == NULL)
    return;
  OPENSSL_cleanse (string->str, string->allocated_len);
  g_string_free (string, TRUE);
}
