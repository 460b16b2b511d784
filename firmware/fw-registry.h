/* fw-registry.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "fw-profile.h"

G_BEGIN_DECLS

char     *fw_registry_add    (const char       *port,
                              const char       *link,
                              const FwProfile  *profile,
                              const char       *imei,
                              GError          **error);
void      fw_registry_remove (const char       *path);

G_END_DECLS
