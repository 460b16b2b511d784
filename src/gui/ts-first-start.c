/* ts-first-start.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-first-start"

#include "config.h"

#include "ts-first-start.h"
#include "ts-workspace-ca.h"

/* Widgets with this style class lead to creating the first authority. */
#define FIRST_START_CLASS "ts-first-start"

static void
show_first_start (GtkWidget *widget,
                  gboolean   show)
{
  if (gtk_widget_has_css_class (widget, FIRST_START_CLASS))
    gtk_widget_set_visible (widget, show);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    show_first_start (child, show);
}

static gpointer
list_job (TsWorkspace   *workspace,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  return ts_workspace_list_authorities (workspace, error);
}

static void
listed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GtkWidget) window = user_data;
  g_autoptr(GPtrArray) authorities = NULL;
  g_autoptr(GError) error = NULL;

  /* A ledger that cannot be read says so elsewhere; these widgets just step aside. */
  authorities = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  show_first_start (window, authorities != NULL && authorities->len == 0);
}

static void
refresh (TsWorkspace *workspace,
         GtkWidget   *window)
{
  if (!ts_workspace_is_open (workspace))
    {
      show_first_start (window, FALSE);
      return;
    }

  ts_workspace_run_async (workspace, list_job, NULL, NULL, (GDestroyNotify) g_ptr_array_unref,
                          NULL, listed_cb, g_object_ref (window));
}

static void
state_changed_cb (TsWorkspace *workspace,
                  GParamSpec  *pspec,
                  GtkWidget   *window)
{
  refresh (workspace, window);
}

/**
 * ts_first_start_watch:
 * @window: holds widgets with the "ts-first-start" style class
 *
 * Shows those widgets (buttons to create the first authority, in the empty
 * states of the pages) while the ledger of @workspace has no authority. The
 * handlers go with @window, or when it disconnects what it connected to
 * @workspace.
 */
void
ts_first_start_watch (GtkWidget   *window,
                      TsWorkspace *workspace)
{
  g_return_if_fail (GTK_IS_WIDGET (window));
  g_return_if_fail (TS_IS_WORKSPACE (workspace));

  g_signal_connect_object (workspace, "changed", G_CALLBACK (refresh), window, 0);
  g_signal_connect_object (workspace, "notify::state", G_CALLBACK (state_changed_cb), window, 0);
  refresh (workspace, window);
}
