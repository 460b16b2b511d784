/* ts-prompt.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-prompt"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "ts-gui-util.h"
#include "ts-prompt.h"

/* libadwaita 1.2 has no adw_message_dialog_choose(): the response signal
 * completes a GTask instead (style.md §3.8 d). */
static void
prompt_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "ts-entry");

  if (g_strcmp0 (response, "accept") != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
      return;
    }

  if (entry == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_task_return_pointer (task, g_strdup (gtk_editable_get_text (entry)), g_free);
  gtk_editable_set_text (entry, "");
}

static AdwMessageDialog *
prompt_dialog_new (GtkWidget  *parent,
                   const char *heading,
                   const char *body,
                   const char *accept_label,
                   gboolean    destructive)
{
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (parent)),
                                                       heading, body));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "accept", accept_label,
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "accept",
                                              destructive ? ADW_RESPONSE_DESTRUCTIVE
                                                          : ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, destructive ? "cancel" : "accept");
  adw_message_dialog_set_close_response (dialog, "cancel");

  return dialog;
}

void
ts_prompt_async (GtkWidget           *parent,
                 TsPromptKind         kind,
                 const char          *heading,
                 const char          *body,
                 const char          *entry_label,
                 const char          *accept_label,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  GTask *task;
  AdwMessageDialog *dialog;
  GtkWidget *entry;

  g_return_if_fail (GTK_IS_WIDGET (parent));

  task = g_task_new (parent, cancellable, callback, user_data);
  g_task_set_source_tag (task, ts_prompt_async);

  dialog = prompt_dialog_new (parent, heading, body, accept_label, FALSE);

  if (kind == TS_PROMPT_SECRET)
    {
      entry = gtk_password_entry_new ();
      gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (entry), TRUE);
    }
  else
    {
      entry = gtk_entry_new ();
    }
  g_object_set (entry, "placeholder-text", entry_label, "activates-default", TRUE, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, entry_label,
                                  -1);
  adw_message_dialog_set_extra_child (dialog, entry);
  g_object_set_data (G_OBJECT (dialog), "ts-entry", entry);

  g_signal_connect (dialog, "response", G_CALLBACK (prompt_response_cb), task);
  ts_present_dialog (GTK_WIDGET (dialog));
  gtk_widget_grab_focus (entry);
}

char *
ts_prompt_finish (GAsyncResult  *result,
                  GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ts_confirm_async (GtkWidget           *parent,
                  const char          *heading,
                  const char          *body,
                  const char          *accept_label,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  GTask *task;
  AdwMessageDialog *dialog;

  g_return_if_fail (GTK_IS_WIDGET (parent));

  task = g_task_new (parent, cancellable, callback, user_data);
  g_task_set_source_tag (task, ts_confirm_async);

  dialog = prompt_dialog_new (parent, heading, body, accept_label, TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (prompt_response_cb), task);
  ts_present_dialog (GTK_WIDGET (dialog));
}

gboolean
ts_confirm_finish (GAsyncResult  *result,
                   GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
