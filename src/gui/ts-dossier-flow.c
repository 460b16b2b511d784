/* ts-dossier-flow.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-dossier-flow"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "ts-dossier-flow.h"
#include "ts-fleet-model.h"
#include "ts-unlock.h"
#include "ts-workspace-ca.h"

typedef struct
{
  TsWorkspace *workspace;
  GtkWidget   *parent;
  char        *lot;
  char        *folder;
  char        *out_dir;
} Flow;

static void
flow_free (Flow *flow)
{
  g_clear_object (&flow->parent);
  g_clear_object (&flow->workspace);
  g_free (flow->lot);
  g_free (flow->folder);
  g_free (flow->out_dir);
  g_free (flow);
}

static gpointer
write_job (TsWorkspace   *workspace,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  Flow *flow = data;
  TsDossierRequest request = { flow->lot, flow->out_dir, NULL };

  return ts_workspace_write_dossier (workspace, &request, error) ? g_strdup (flow->out_dir) : NULL;
}

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *out_dir = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);

  if (out_dir == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, out_dir, g_free);
}

static void
unlocked_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *safe = g_strdelimit (g_strdup (flow->lot), G_DIR_SEPARATOR_S, '_');
  g_autofree char *name = g_strdup_printf ("dossier-%s-%s", safe, stamp);
  GError *error = NULL;

  if (!ts_unlock_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  flow->out_dir = g_build_filename (flow->folder, name, NULL);
  /* The flow lives as long as the task, which the callback holds. */
  ts_workspace_run_async (flow->workspace, write_job, flow, NULL, g_free, g_task_get_cancellable (task),
                          written_cb, g_object_ref (task));
}

static void
response_cb (AdwMessageDialog *dialog,
             const char       *response,
             gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  GtkDropDown *lots = g_object_get_data (G_OBJECT (dialog), "ts-lots");
  GtkStringObject *chosen = gtk_drop_down_get_selected_item (lots);

  if (g_strcmp0 (response, "accept") != 0 || chosen == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
      return;
    }

  g_free (flow->lot);
  flow->lot = g_strdup (gtk_string_object_get_string (chosen));
  ts_unlock_async (flow->workspace, flow->parent, g_task_get_cancellable (task), unlocked_cb,
                   g_object_ref (task));
}

static void
lots_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(GPtrArray) lots = NULL;
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  GError *error = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *drop_down;
  guint selected = 0;

  lots = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  if (lots == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (lots->len == 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("No lot is recorded in the ledger yet. Run the production line "
                                 "first; its lot can then be documented."));
      return;
    }

  for (guint i = 0; i < lots->len; i++)
    {
      gtk_string_list_append (names, g_ptr_array_index (lots, i));
      if (g_strcmp0 (g_ptr_array_index (lots, i), flow->lot) == 0)
        selected = i;
    }

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (flow->parent)),
                                                       _("Make a Lot Dossier"),
                                                       _("The dossier documents every unit of the lot "
                                                         "for the product's technical file: a PDF, the same "
                                                         "facts as JSON, the certificates and CRLs, signed "
                                                         "so that standard tools can check it. It is "
                                                         "written to the report folder.")));
  drop_down = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (names)), NULL);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (drop_down), selected);
  gtk_accessible_update_property (GTK_ACCESSIBLE (drop_down), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Lot"), -1);
  adw_message_dialog_set_extra_child (dialog, drop_down);
  g_object_set_data (G_OBJECT (dialog), "ts-lots", drop_down);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "accept", _("_Make Dossier"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "accept", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "accept");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (response_cb), g_object_ref (task));
  gtk_window_present (GTK_WINDOW (dialog));
}

void
ts_dossier_flow_async (TsWorkspace         *workspace,
                       GtkWidget           *parent,
                       const char          *lot,
                       const char          *folder,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (parent, cancellable, callback, user_data);
  Flow *flow = g_new0 (Flow, 1);

  flow->parent = g_object_ref (parent);
  flow->workspace = g_object_ref (workspace);
  flow->lot = g_strdup (lot);
  flow->folder = g_strdup (folder);
  g_task_set_source_tag (task, ts_dossier_flow_async);
  g_task_set_task_data (task, flow, (GDestroyNotify) flow_free);
  ts_fleet_list_lots_async (workspace, cancellable, lots_cb, g_object_ref (task));
}

char *
ts_dossier_flow_finish (GAsyncResult  *result,
                        GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
