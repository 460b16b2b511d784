/* fw-store.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The emulated modem's credential store (§6): exact bytes per (sec_tag, type). */

#define FW_SEC_TAG_USER_MAX    2147483647u  /* §6.3 */
#define FW_SEC_TAG_DECRYPT_MIN 2147483648u  /* NRF_SEC_TAG_TLS_DECRYPT_0, nRF91x1 only */
#define FW_SEC_TAG_DECRYPT_MAX 2147483667u  /* NRF_SEC_TAG_TLS_DECRYPT_19 */

typedef enum
{
  FW_ORIGIN_HOST,     /* written with %CMNG=0 */
  FW_ORIGIN_KEYGEN,   /* created by %KEYGEN; the content is the private key and never leaves */
  FW_ORIGIN_MODEM,    /* modem-owned entry above 2147483647; listed, never read or deleted */
} FwOrigin;

typedef struct
{
  guint32   tag;
  guint     type;
  FwOrigin  origin;
  guint8   *content;
  gsize     len;
  char      sha[65];  /* SHA-256 of content, upper-case hex (§6.4) */
} FwCredential;

typedef struct _FwStore FwStore;

FwStore            *fw_store_new        (void);
void                fw_store_free       (FwStore      *store);

const FwCredential *fw_store_lookup     (FwStore      *store,
                                         guint32       tag,
                                         guint         type);
void                fw_store_put        (FwStore      *store,
                                         guint32       tag,
                                         guint         type,
                                         FwOrigin      origin,
                                         const guint8 *content,
                                         gsize         len);
gboolean            fw_store_remove     (FwStore      *store,
                                         guint32       tag,
                                         guint         type);
GPtrArray          *fw_store_entries    (FwStore      *store);
gsize               fw_store_user_bytes (FwStore      *store);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwStore, fw_store_free)

G_END_DECLS
