/* fw-emulator.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "fw-options.h"

G_BEGIN_DECLS

int fw_emulator_run (const FwOptions *options);

G_END_DECLS
