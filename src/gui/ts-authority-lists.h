/* ts-authority-lists.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ts-workspace.h"

G_BEGIN_DECLS

/* The ledger's authorities and stations, read in one job: what a provisioning
 * form and the stations list need together. */
typedef struct
{
  GPtrArray *authorities;  /* (element-type CaAuthority) */
  GPtrArray *stations;     /* (element-type CaStation) */
} TsAuthorityLists;

void     ts_authority_lists_free (TsAuthorityLists  *lists);
/* A TsWorkspaceJob; its result is freed with ts_authority_lists_free(). */
gpointer ts_authority_lists_job  (TsWorkspace       *workspace,
                                  gpointer           data,
                                  GCancellable      *cancellable,
                                  GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsAuthorityLists, ts_authority_lists_free)

G_END_DECLS
