/* ts-modem-secret.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * How the modem library lets go of what may hold a key: key passwords, %CMNG
 * write commands and the content they carry. Buffers that hold one are sized
 * before they are filled, so that no unwiped copy is left behind by a
 * reallocation. (ca/ has the same for its own layer; this one cannot use it.)
 */

/* Wipes and frees a secret string from g_malloc(), all of its block; NULL is fine. */
void     ts_modem_secret_free        (char    *secret);

/* Bytes that wipe @length bytes of @data, then free it, when the last
 * reference goes. Takes @data, which must come from g_malloc(). */
GBytes  *ts_modem_secret_bytes_take  (char    *data,
                                      gsize    length);

/* Wipes a GString's whole allocation, then frees it; NULL is fine. */
void     ts_modem_secret_string_free (GString *string);

typedef GString TsModemSecretString;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsModemSecretString, ts_modem_secret_string_free)

G_END_DECLS
