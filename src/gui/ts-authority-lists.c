/* ts-authority-lists.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-authority-lists"

#include "config.h"

#include "ts-authority-lists.h"
#include "ts-workspace-ca.h"

void
ts_authority_lists_free (TsAuthorityLists *lists)
{
  g_clear_pointer (&lists->authorities, g_ptr_array_unref);
  g_clear_pointer (&lists->stations, g_ptr_array_unref);
  g_free (lists);
}

gpointer
ts_authority_lists_job (TsWorkspace   *workspace,
                        gpointer       data,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(TsAuthorityLists) lists = g_new0 (TsAuthorityLists, 1);

  if ((lists->authorities = ts_workspace_list_authorities (workspace, error)) == NULL ||
      (lists->stations = ts_workspace_list_stations (workspace, error)) == NULL)
    return NULL;

  return g_steal_pointer (&lists);
}
