/* ca-error.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-error"

#include "config.h"

#include "ca-private.h"

G_DEFINE_QUARK (ca-error-quark, ca_error)
