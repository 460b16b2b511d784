/* ts-authority-dialog.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-authority-dialog"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "ts-authority-dialog.h"
#include "ts-gui-util.h"
#include "ts-workspace-ca.h"

typedef struct
{
  TsWorkspace   *workspace;
  AdwEntryRow   *name_row;
  AdwComboRow   *parent_row;
  AdwComboRow   *key_row;
  GtkSpinButton *days_spin;
  GPtrArray     *parents;    /* (element-type utf8): index 0 is "none" */
} Form;

static void
form_free (gpointer pointer)
{
  Form *form = pointer;

  g_clear_object (&form->workspace);
  g_clear_pointer (&form->parents, g_ptr_array_unref);
  g_free (form);
}

/* The choices in the order shown; the first is the recommendation. */
static const struct
{
  CaKeyType   type;
  const char *label;
} key_choices[] = {
  { CA_KEY_EC_P256, N_("EC P-256 (recommended: what nRF91 modems generate)") },
  { CA_KEY_EC_P384, N_("EC P-384 (stronger, larger signatures)") },
  { CA_KEY_RSA_2048, N_("RSA 2048 (for servers that need RSA)") },
  { CA_KEY_RSA_3072, N_("RSA 3072") },
  { CA_KEY_RSA_4096, N_("RSA 4096") },
};

typedef struct
{
  char               *name;
  char               *parent;
  CaAuthorityRequest  request;  /* points into the above */
} Create;

static void
create_free (gpointer pointer)
{
  Create *create = pointer;

  g_free (create->name);
  g_free (create->parent);
  g_free (create);
}

static gpointer
create_job (TsWorkspace   *workspace,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  Create *create = data;

  return ts_workspace_create_authority (workspace, &create->request, error);
}

static void
create_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CaAuthority *authority;

  authority = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  if (authority == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, authority, (GDestroyNotify) ca_authority_free);
}

static void
parent_changed_cb (Form *form)
{
  gboolean root = adw_combo_row_get_selected (form->parent_row) == 0;

  gtk_spin_button_set_value (form->days_spin,
                             root ? CA_DEFAULT_ROOT_DAYS : CA_DEFAULT_INTERMEDIATE_DAYS);
}

static void
response_cb (AdwMessageDialog *dialog,
             const char       *response,
             gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  Form *form = g_task_get_task_data (task);
  guint parent_index = adw_combo_row_get_selected (form->parent_row);
  guint key_index = adw_combo_row_get_selected (form->key_row);
  GCancellable *cancellable;
  Create *create;

  if (g_strcmp0 (response, "create") != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
      return;
    }

  create = g_new0 (Create, 1);
  /* ca/ says what is wrong with a name; surrounding blanks typed by mistake are dropped. */
  create->name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (form->name_row))));
  create->parent = parent_index > 0 && parent_index < form->parents->len
                   ? g_strdup (g_ptr_array_index (form->parents, parent_index)) : NULL;
  create->request.name = create->name;
  create->request.parent = create->parent;
  create->request.key_type = key_choices[MIN (key_index, G_N_ELEMENTS (key_choices) - 1)].type;
  create->request.days = gtk_spin_button_get_value_as_int (form->days_spin);
  /* A root may sign intermediates; an intermediate signs devices only. */
  create->request.path_len = create->parent == NULL ? -1 : 0;

  /* Arguments are evaluated in no set order: read the task before handing it on. */
  cancellable = g_task_get_cancellable (task);
  ts_workspace_run_async (form->workspace, create_job, create, create_free,
                          (GDestroyNotify) ca_authority_free, cancellable,
                          create_cb, g_steal_pointer (&task));
}

void
ts_authority_dialog_run_async (TsWorkspace         *workspace,
                               GtkWidget           *parent,
                               GPtrArray           *authorities,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GtkStringList) parents_model = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) keys_model = gtk_string_list_new (NULL);
  GtkWidget *group, *days_row;
  AdwMessageDialog *dialog;
  GTask *task;
  Form *form;

  g_return_if_fail (TS_IS_WORKSPACE (workspace));
  g_return_if_fail (GTK_IS_WIDGET (parent));

  task = g_task_new (parent, cancellable, callback, user_data);
  g_task_set_source_tag (task, ts_authority_dialog_run_async);
  form = g_new0 (Form, 1);
  form->workspace = g_object_ref (workspace);
  form->parents = g_ptr_array_new_with_free_func (g_free);
  g_task_set_task_data (task, form, form_free);

  g_ptr_array_add (form->parents, NULL);
  gtk_string_list_append (parents_model, _("Nobody: a new root"));
  for (guint i = 0; authorities != NULL && i < authorities->len; i++)
    {
      CaAuthority *authority = g_ptr_array_index (authorities, i);

      g_ptr_array_add (form->parents, g_strdup (authority->name));
      gtk_string_list_append (parents_model, authority->name);
    }
  for (guint i = 0; i < G_N_ELEMENTS (key_choices); i++)
    gtk_string_list_append (keys_model, _(key_choices[i].label));

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (parent)),
                                                       _("New Certificate Authority"),
                                                       _("A typical fleet has one root, kept for "
                                                         "emergencies, and an intermediate per "
                                                         "product line that signs the devices. "
                                                         "Create the root first.")));

  group = adw_preferences_group_new ();

  form->name_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (form->name_row), _("Name"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (form->name_row));

  form->parent_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (form->parent_row), _("Signed by"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (form->parent_row),
                               _("Pick the root to make an intermediate"));
  adw_combo_row_set_model (form->parent_row, G_LIST_MODEL (parents_model));
  /* With a root in place, the next one made is most often its intermediate. */
  if (authorities != NULL && authorities->len > 0)
    adw_combo_row_set_selected (form->parent_row, 1);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (form->parent_row));

  form->key_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (form->key_row), _("Key"));
  adw_combo_row_set_model (form->key_row, G_LIST_MODEL (keys_model));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (form->key_row));

  days_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (days_row), _("Valid for (days)"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (days_row),
                               _("Roots usually last 20 years, intermediates 10"));
  form->days_spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (1, 36500, 1));
  gtk_widget_set_valign (GTK_WIDGET (form->days_spin), GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (form->days_spin),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Valid for (days)"),
                                  -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (days_row), GTK_WIDGET (form->days_spin));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), days_row);

  parent_changed_cb (form);
  g_signal_connect_swapped (form->parent_row, "notify::selected",
                            G_CALLBACK (parent_changed_cb), form);

  adw_message_dialog_set_extra_child (dialog, group);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "create", _("C_reate"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "create", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "create");
  adw_message_dialog_set_close_response (dialog, "cancel");

  g_signal_connect (dialog, "response", G_CALLBACK (response_cb), task);
  ts_present_dialog (GTK_WIDGET (dialog));
  gtk_widget_grab_focus (GTK_WIDGET (form->name_row));
}

CaAuthority *
ts_authority_dialog_run_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
