/* ca-secret.h
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

/*
 * Secrets in memory: passphrases, key PEMs, PSKs, pasted or read from a file.
 * These are the only ways Tagsmith lets one go, so that every copy is wiped
 * before its memory returns to the allocator.
 */

/* Wipes and frees a secret string from g_malloc(), all of its block; NULL is fine. */
void     ca_secret_free           (char   *secret);

/* Bytes that wipe all @length bytes of @data, then free it, when the last
 * reference goes. Takes @data, which must come from g_malloc(). */
GBytes  *ca_secret_bytes_new_take (char   *data,
                                   gsize   length);

/* A NUL-terminated copy of @bytes for parsing, freed with ca_secret_free(). */
char    *ca_secret_dup_text       (GBytes *bytes);

/* g_auto(CaSecret) text = ...: a string wiped when it goes out of scope. */
typedef char *CaSecret;

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (CaSecret, ca_secret_free, NULL)

G_END_DECLS
