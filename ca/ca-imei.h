/* ca-imei.h
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

gboolean ca_imei_validate      (const char  *imei,
                                GError     **error);
char     ca_imei_check_digit   (const char  *first14);

G_END_DECLS
