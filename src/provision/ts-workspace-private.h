/* ts-workspace-private.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <ca.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

/* For the operations in src/provision/ only: the front ends reach the ledger
 * through the workspace's operations, never directly. */
CaLedger *ts_workspace_get_ledger (TsWorkspace  *self,
                                   GError      **error);

G_END_DECLS
