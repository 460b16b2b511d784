/* ts-unlock.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-unlock"

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "ts-gui-util.h"
#include "ts-secrets.h"
#include "ts-unlock.h"
#include "ts-workspace-ca.h"

typedef struct
{
  TsWorkspace    *workspace;
  GtkWidget      *parent;
  AdwMessageDialog *dialog;
  GtkEditable    *entry;
  GtkEditable    *confirm;
  GtkCheckButton *remember_button;
  char           *passphrase;    /* wiped by ts_secrets_free() */
  gboolean        from_keyring;
  gboolean        remember;      /* read when the dialog answers: it is gone after */
} Unlock;

static void
unlock_free (gpointer pointer)
{
  Unlock *unlock = pointer;

  g_clear_object (&unlock->workspace);
  g_clear_object (&unlock->parent);
  g_clear_pointer (&unlock->passphrase, ts_secrets_free);
  g_free (unlock);
}

static void show_dialog (GTask      *task,
                         const char *problem);

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Unlock *unlock = g_task_get_task_data (task);

  /* The CA is unlocked either way; a keyring that refused only costs a prompt next time. */
  if (!ts_secrets_store_finish (result, &error))
    g_warning ("Could not remember the passphrase in the keyring: %s", error->message);

  g_clear_pointer (&unlock->passphrase, ts_secrets_free);
  g_task_return_boolean (task, TRUE);
}

static void
clear_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!ts_secrets_clear_finish (result, &error))
    g_debug ("Could not forget the stale passphrase: %s", error->message);
}

static void
unlock_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Unlock *unlock = g_task_get_task_data (task);
  const char *path = ts_workspace_get_ledger_path (unlock->workspace);

  if (ts_workspace_run_finish (unlock->workspace, result, &error) == NULL)
    {
      g_clear_pointer (&unlock->passphrase, ts_secrets_free);

      if (g_error_matches (error, CA_ERROR, CA_ERROR_BAD_PASSPHRASE))
        {
          /* A remembered passphrase that no longer works is forgotten, not retried. */
          if (unlock->from_keyring)
            ts_secrets_clear_async (path, NULL, clear_cb, NULL);
          show_dialog (g_steal_pointer (&task),
                       unlock->from_keyring ? NULL
                                            : _("That passphrase is not the one that protects "
                                                "these authorities. Check it and try again."));
          return;
        }

      /* The ledger's own rule for a new passphrase, said in its words. */
      if (g_error_matches (error, CA_ERROR, CA_ERROR_WEAK_PASSPHRASE))
        {
          show_dialog (g_steal_pointer (&task), error->message);
          return;
        }

      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!unlock->from_keyring && unlock->remember)
    {
      GCancellable *task_cancellable = g_task_get_cancellable (task);

      ts_secrets_store_async (path, unlock->passphrase,
                              task_cancellable, store_cb, g_steal_pointer (&task));
      return;
    }

  g_clear_pointer (&unlock->passphrase, ts_secrets_free);
  g_task_return_boolean (task, TRUE);
}

static gpointer
unlock_job (TsWorkspace   *workspace,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  Unlock *unlock = data;

  return ts_workspace_unlock (workspace, unlock->passphrase, cancellable, error) ? workspace : NULL;
}

/* Checks unlock->passphrase in a thread (the key derivation is slow on purpose). */
static void
start_unlock (GTask *task)
{
  Unlock *unlock = g_task_get_task_data (task);

  ts_workspace_run_async (unlock->workspace, unlock_job, unlock, NULL, NULL,
                          g_task_get_cancellable (task), unlock_cb, task);
}

/* The rule for a new passphrase comes from the ledger, which enforces it. */
static const char *
too_short_text (void)
{
  return g_dngettext (GETTEXT_PACKAGE,
                      "That passphrase is too short. Use at least %d character.",
                      "That passphrase is too short. Use at least %d characters.",
                      CA_PASSPHRASE_MIN_LENGTH);
}

static void
response_cb (AdwMessageDialog *dialog,
             const char       *response,
             gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  Unlock *unlock = g_task_get_task_data (task);
  const char *text = gtk_editable_get_text (unlock->entry);

  unlock->dialog = NULL;

  /* GTK 4.8's password entry leaves a focus handler on its inner text, which
   * the window keeps while it has the focus: when the dialog goes, the text's
   * late "has-focus" change would reach the freed entry. Unfocus it while it lives. */
  gtk_window_set_focus (GTK_WINDOW (dialog), NULL);

  if (g_strcmp0 (response, "unlock") != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _("The authorities stay locked."));
      return;
    }

  if (*text == '\0')
    {
      show_dialog (g_steal_pointer (&task), _("Type the passphrase first."));
      return;
    }

  if (unlock->confirm != NULL && strlen (text) < CA_PASSPHRASE_MIN_LENGTH)
    {
      g_autofree char *problem = g_strdup_printf (too_short_text (), CA_PASSPHRASE_MIN_LENGTH);

      show_dialog (g_steal_pointer (&task), problem);
      return;
    }

  if (unlock->confirm != NULL && g_strcmp0 (text, gtk_editable_get_text (unlock->confirm)) != 0)
    {
      show_dialog (g_steal_pointer (&task), _("The two passphrases differ. Type the same one twice."));
      return;
    }

  unlock->passphrase = g_strdup (text);
  unlock->from_keyring = FALSE;
  unlock->remember = gtk_check_button_get_active (unlock->remember_button);
  /* Clear the entries now: their secure buffers are wiped as the dialog goes. */
  gtk_editable_set_text (unlock->entry, "");
  if (unlock->confirm != NULL)
    gtk_editable_set_text (unlock->confirm, "");

  start_unlock (g_steal_pointer (&task));
}

static GtkEditable *
add_password_entry (GtkBox     *box,
                    const char *label)
{
  GtkWidget *entry = gtk_password_entry_new ();

  gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (entry), TRUE);
  g_object_set (entry, "placeholder-text", label, "activates-default", TRUE, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_box_append (box, entry);

  return GTK_EDITABLE (entry);
}

static void
show_dialog (GTask      *task,
             const char *problem)
{
  Unlock *unlock = g_task_get_task_data (task);
  gboolean fresh = !ts_workspace_has_passphrase (unlock->workspace);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *remember;
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (unlock->parent)),
                                                       fresh ? _("Choose a Passphrase")
                                                             : _("Unlock the Authorities"),
                                                       NULL));
  if (fresh)
    {
      g_autofree char *body = NULL;

      body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "The private keys of your certificate authorities are "
                                           "stored encrypted with this passphrase. Choose one of at "
                                           "least %d character and keep it safe: without it no one "
                                           "can sign.",
                                           "The private keys of your certificate authorities are "
                                           "stored encrypted with this passphrase. Choose one of at "
                                           "least %d characters and keep it safe: without it no one "
                                           "can sign.",
                                           CA_PASSPHRASE_MIN_LENGTH),
                              CA_PASSPHRASE_MIN_LENGTH);
      adw_message_dialog_set_body (dialog, body);
    }
  else
    {
      adw_message_dialog_set_body (dialog, _("Signing needs the private keys of your certificate "
                                             "authorities. Type the passphrase that protects them."));
    }

  unlock->entry = add_password_entry (GTK_BOX (box), _("Passphrase"));
  unlock->confirm = fresh ? add_password_entry (GTK_BOX (box), _("Confirm Passphrase")) : NULL;

  remember = gtk_check_button_new_with_mnemonic (_("_Remember in keyring"));
  gtk_widget_set_tooltip_text (remember, _("Your desktop keyring unlocks the authorities for you "
                                           "next time. They still lock again after the auto-lock "
                                           "timeout."));
  gtk_box_append (GTK_BOX (box), remember);
  unlock->remember_button = GTK_CHECK_BUTTON (remember);

  if (problem != NULL)
    {
      GtkWidget *label = gtk_label_new (problem);

      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_add_css_class (label, "error");
      gtk_box_prepend (GTK_BOX (box), label);
    }

  adw_message_dialog_set_extra_child (dialog, box);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "unlock", fresh ? _("_Set Passphrase") : _("_Unlock"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "unlock", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "unlock");
  adw_message_dialog_set_close_response (dialog, "cancel");

  unlock->dialog = dialog;
  g_signal_connect (dialog, "response", G_CALLBACK (response_cb), task);
  ts_present_dialog (GTK_WIDGET (dialog));
  gtk_widget_grab_focus (GTK_WIDGET (unlock->entry));
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Unlock *unlock = g_task_get_task_data (task);

  unlock->passphrase = ts_secrets_lookup_finish (result, &error);
  if (unlock->passphrase == NULL)
    {
      /* No keyring (or nothing remembered) simply means asking. */
      if (error != NULL)
        g_debug ("Keyring lookup failed: %s", error->message);
      show_dialog (g_steal_pointer (&task), NULL);
      return;
    }

  unlock->from_keyring = TRUE;
  start_unlock (g_steal_pointer (&task));
}

/**
 * ts_unlock_async:
 * @parent: the dialog's parent; the task's source object
 *
 * Finishes TRUE at once when @workspace is unlocked already.
 */
void
ts_unlock_async (TsWorkspace         *workspace,
                 GtkWidget           *parent,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Unlock *unlock;

  g_return_if_fail (TS_IS_WORKSPACE (workspace));
  g_return_if_fail (GTK_IS_WIDGET (parent));

  task = g_task_new (parent, cancellable, callback, user_data);
  g_task_set_source_tag (task, ts_unlock_async);

  /* A workspace that is not open says why (still opening, or the reason it failed). */
  if (!ts_workspace_is_open (workspace))
    {
      ts_workspace_check_writable (workspace, &error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (ts_workspace_is_unlocked (workspace))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  unlock = g_new0 (Unlock, 1);
  unlock->workspace = g_object_ref (workspace);
  unlock->parent = g_object_ref (parent);
  g_task_set_task_data (task, unlock, unlock_free);

  if (!ts_workspace_has_passphrase (workspace))
    show_dialog (g_steal_pointer (&task), NULL);
  else
    ts_secrets_lookup_async (ts_workspace_get_ledger_path (workspace), cancellable, lookup_cb,
                             g_steal_pointer (&task));
}

gboolean
ts_unlock_finish (GAsyncResult  *result,
                  GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
