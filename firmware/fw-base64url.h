/* fw-base64url.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RFC 4648 §5 base64url without padding, as the modem prints %KEYGEN/%ATTESTTOKEN parts (§7.3). */
char *fw_base64url_encode (const guint8 *data,
                           gsize         len);

G_END_DECLS
