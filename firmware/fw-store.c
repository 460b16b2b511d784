/* fw-store.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fw-store"

#include "config.h"

#include <openssl/crypto.h>

#include "fw-store.h"

struct _FwStore
{
  GPtrArray *entries;  /* (element-type FwCredential), sorted by (tag, type) */
};

static void
credential_free (gpointer data)
{
  FwCredential *credential = data;

  /* Keys and PSKs live here; do not leave them in freed memory. */
  OPENSSL_cleanse (credential->content, credential->len);
  g_free (credential->content);
  g_free (credential);
}

FwStore *
fw_store_new (void)
{
  FwStore *store = g_new0 (FwStore, 1);

  store->entries = g_ptr_array_new_with_free_func (credential_free);
  return store;
}

void
fw_store_free (FwStore *store)
{
  if (store == NULL)
    return;
  g_ptr_array_unref (store->entries);
  g_free (store);
}

static int
compare_key (guint32             tag,
             guint               type,
             const FwCredential *credential)
{
  if (tag != credential->tag)
    return tag < credential->tag ? -1 : 1;
  if (type != credential->type)
    return type < credential->type ? -1 : 1;
  return 0;
}

/* Index of the entry, or of where it would be inserted. */
static guint
find (FwStore  *store,
      guint32   tag,
      guint     type,
      gboolean *found)
{
  guint lo = 0, hi = store->entries->len;

  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      int cmp = compare_key (tag, type, g_ptr_array_index (store->entries, mid));

      if (cmp == 0)
        {
          *found = TRUE;
          return mid;
        }
      if (cmp < 0)
        hi = mid;
      else
        lo = mid + 1;
    }
  *found = FALSE;
  return lo;
}

const FwCredential *
fw_store_lookup (FwStore *store,
                 guint32  tag,
                 guint    type)
{
  gboolean found;
  guint index;

  g_return_val_if_fail (store != NULL, NULL);

  index = find (store, tag, type, &found);
  return found ? g_ptr_array_index (store->entries, index) : NULL;
}

void
fw_store_put (FwStore      *store,
              guint32       tag,
              guint         type,
              FwOrigin      origin,
              const guint8 *content,
              gsize         len)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  FwCredential *credential;
  gboolean found;
  guint index;

  g_return_if_fail (store != NULL);
  g_return_if_fail (content != NULL || len == 0);

  credential = g_new0 (FwCredential, 1);
  credential->tag = tag;
  credential->type = type;
  credential->origin = origin;
  credential->content = g_memdup2 (content, len);
  credential->len = len;
  g_checksum_update (sum, content, len);
  g_strlcpy (credential->sha, g_checksum_get_string (sum), sizeof credential->sha);
  for (char *c = credential->sha; *c; c++)
    *c = g_ascii_toupper (*c);

  index = find (store, tag, type, &found);
  if (found)
    {
      credential_free (store->entries->pdata[index]);
      store->entries->pdata[index] = credential;
    }
  else
    g_ptr_array_insert (store->entries, index, credential);
}

gboolean
fw_store_remove (FwStore *store,
                 guint32  tag,
                 guint    type)
{
  gboolean found;
  guint index;

  g_return_val_if_fail (store != NULL, FALSE);

  index = find (store, tag, type, &found);
  if (found)
    g_ptr_array_remove_index (store->entries, index);
  return found;
}

/**
 * fw_store_entries:
 *
 * Returns: (transfer none) (element-type FwCredential): every entry, sorted
 *   by sec_tag then type, as %CMNG=1 lists them.
 */
GPtrArray *
fw_store_entries (FwStore *store)
{
  g_return_val_if_fail (store != NULL, NULL);

  return store->entries;
}

/* Bytes used by entries the host can create, for the "memory full" limit. */
gsize
fw_store_user_bytes (FwStore *store)
{
  gsize total = 0;

  g_return_val_if_fail (store != NULL, 0);

  for (guint i = 0; i < store->entries->len; i++)
    {
      FwCredential *credential = g_ptr_array_index (store->entries, i);

      if (credential->origin != FW_ORIGIN_MODEM)
        total += credential->len;
    }
  return total;
}
