/* ca-secret.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-secret"

#include "config.h"

#include <malloc.h>
#include <openssl/crypto.h>

#include "ca-secret.h"

/* The whole block, not just up to the NUL: g_strstrip() and the like move a
 * secret's bytes forward and leave copies behind the new end. */
void
ca_secret_free (char *secret)
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
ca_secret_bytes_new_take (char  *data,
                          gsize  length)
{
  SecretBlock *block;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  block = g_new (SecretBlock, 1);
  block->data = data;
  block->length = length;

  return g_bytes_new_with_free_func (data, length, secret_block_free, block);
}

char *
ca_secret_dup_text (GBytes *bytes)
{
  gsize length;
  const char *data;

  g_return_val_if_fail (bytes != NULL, NULL);

  data = g_bytes_get_data (bytes, &length);

  return g_strndup (data, length);
}
