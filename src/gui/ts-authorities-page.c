/* ts-authorities-page.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-authorities-page"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-authorities-page.h"
#include "ts-authority-dialog.h"
#include "ts-badge.h"
#include "ts-cert-details.h"
#include "ts-gui-util.h"
#include "ts-visible-text.h"
#include "ts-prompt.h"
#include "ts-stations-group.h"
#include "ts-unlock.h"
#include "ts-workspace-ca.h"


struct _TsAuthoritiesPage
{
  AdwBin        parent_instance;

  /* Template widgets */
  GtkStack     *stack;
  GtkListBox   *list;
  TsStationsGroup *stations;

  /* Owned references */
  TsWorkspace  *workspace;
  GCancellable *cancellable;
  GPtrArray    *authorities;   /* (element-type CaAuthority) as last loaded */
};

G_DEFINE_FINAL_TYPE (TsAuthoritiesPage, ts_authorities_page, ADW_TYPE_BIN)

static void
show_error (TsAuthoritiesPage *self,
            const GError      *error)
{
  ts_show_error (GTK_WIDGET (self), error);
}

static int
authority_depth (TsAuthoritiesPage *self,
                 const CaAuthority *authority)
{
  int depth = 0;
  gint64 parent_id = authority->parent_id;

  /* The list holds roots before their children, so a short walk finds the depth. */
  while (parent_id != 0 && depth < 8)
    {
      gint64 next = 0;

      for (guint i = 0; i < self->authorities->len; i++)
        {
          const CaAuthority *other = g_ptr_array_index (self->authorities, i);

          if (other->id == parent_id)
            next = other->parent_id;
        }
      depth++;
      parent_id = next;
    }

  return depth;
}

/* Icon buttons in the row's header: inside the folded part they would be unrealized, and
 * neither assistive technologies nor the keyboard could press them without unfolding it. */
static GtkWidget *
action_button (const char *icon_name,
               const char *accessible_format,
               const char *name,
               const char *action)
{
  g_autofree char *accessible = g_strdup_printf (accessible_format, name);
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
  gtk_widget_set_tooltip_text (button, accessible);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");

  return button;
}

static void
add_detail (AdwExpanderRow *expander,
            const char     *title,
            const char     *value)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = gtk_label_new (value);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_add_css_class (label, "monospace");
  ts_visible_text_watch (GTK_LABEL (label));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  adw_expander_row_add_row (expander, row);
}

static GtkWidget *
authority_row_new (TsAuthoritiesPage *self,
                   const CaAuthority *authority)
{
  g_autofree char *expiry = ts_format_date (authority->not_after);
  g_autofree char *subtitle = NULL;
  GtkWidget *row = adw_expander_row_new ();
  const char *kind = authority->parent_id == 0 ? _("Root") : _("Intermediate");
  TsBadge state = ts_badge_for_certificate (authority->status, authority->not_after);

  subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%s · %s · until %s · %" G_GINT64_FORMAT " device",
                                           "%s · %s · until %s · %" G_GINT64_FORMAT " devices",
                                           authority->device_count),
                              kind, ca_key_type_to_string (authority->key_type), expiry,
                              authority->device_count);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), authority->name);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), subtitle);
  adw_expander_row_set_icon_name (ADW_EXPANDER_ROW (row),
                                  authority->parent_id == 0 ? "security-high-symbolic"
                                                            : "security-medium-symbolic");
  gtk_widget_set_margin_start (row, 24 * authority_depth (self, authority));

  if (state.kind != TS_BADGE_VALID)
    {
      GtkWidget *badge = gtk_label_new (state.label);

      gtk_widget_add_css_class (badge, "ts-badge");
      gtk_widget_add_css_class (badge, state.style);
      gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);
      adw_expander_row_add_action (ADW_EXPANDER_ROW (row), badge);
    }

  add_detail (ADW_EXPANDER_ROW (row), _("Subject"), authority->subject);
  add_detail (ADW_EXPANDER_ROW (row), _("Serial"), authority->serial);
  add_detail (ADW_EXPANDER_ROW (row), _("SHA-256"), authority->sha256);
  if (authority->parent_name != NULL)
    add_detail (ADW_EXPANDER_ROW (row), _("Issued by"), authority->parent_name);

  adw_expander_row_add_action (ADW_EXPANDER_ROW (row),
                               action_button ("application-certificate-symbolic",
                                              _("Certificate details of %s"),
                                              authority->name, "authorities.details"));
  adw_expander_row_add_action (ADW_EXPANDER_ROW (row),
                               action_button ("document-save-symbolic", _("Export the chain of %s"),
                                              authority->name, "authorities.export-chain"));
  adw_expander_row_add_action (ADW_EXPANDER_ROW (row),
                               action_button ("emblem-default-symbolic",
                                              _("Make a verification certificate with %s"),
                                              authority->name, "authorities.proof"));
  adw_expander_row_add_action (ADW_EXPANDER_ROW (row),
                               action_button ("document-send-symbolic", _("Publish the CRL of %s"),
                                              authority->name, "authorities.publish-crl"));

  return row;
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
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TsAuthoritiesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *authorities;

  authorities = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  if (authorities == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error);
      return;
    }

  g_clear_pointer (&self->authorities, g_ptr_array_unref);
  self->authorities = authorities;

  ts_clear_children (GTK_WIDGET (self->list));
  for (guint i = 0; i < authorities->len; i++)
    gtk_list_box_append (self->list, authority_row_new (self, g_ptr_array_index (authorities, i)));

  gtk_stack_set_visible_child_name (self->stack, authorities->len > 0 ? "list" : "empty");
}

static void
ts_authorities_page_reload (TsAuthoritiesPage *self)
{
  if (self->workspace == NULL || !ts_workspace_is_open (self->workspace))
    return;

  ts_workspace_run_async (self->workspace, list_job, NULL, NULL, (GDestroyNotify) g_ptr_array_unref,
                          self->cancellable, list_cb, g_object_ref (self));
}

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TsAuthoritiesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CaAuthority) authority = NULL;
  g_autofree char *message = NULL;

  authority = ts_authority_dialog_run_finish (result, &error);
  if (authority == NULL)
    {
      show_error (self, error);
      return;
    }

  message = g_strdup_printf (_("Created “%s”"), authority->name);
  ts_show_toast (GTK_WIDGET (self), message);
}

static void
create_unlocked_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TsAuthoritiesPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!ts_unlock_finish (result, &error))
    {
      show_error (self, error);
      return;
    }

  ts_authority_dialog_run_async (self->workspace, GTK_WIDGET (self), self->authorities, self->cancellable,
                                 created_cb, g_object_ref (self));
}

static void
create_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TsAuthoritiesPage *self = TS_AUTHORITIES_PAGE (widget);

  /* Unlocking first: on a new ledger this is where the passphrase is chosen. */
  ts_unlock_async (self->workspace, widget, self->cancellable, create_unlocked_cb, g_object_ref (self));
}

/* Export chain ------------------------------------------------------------------ */

static gpointer
export_job (TsWorkspace   *workspace,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  const char *name = data;
  char *pem = ts_workspace_export_authority (workspace, name, TRUE, error);

  return pem != NULL ? g_bytes_new_take (pem, strlen (pem)) : NULL;
}

/* A file name from an authority's name: "Line 1 CA" → "Line-1-CA". */
static char *
file_stem (const char *name)
{
  char *stem = g_strdup (name);

  g_strcanon (stem, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", '-');
  return stem;
}

/* What to do with bytes made in a thread: offer to save them under a name. */
typedef struct
{
  TsAuthoritiesPage *page;
  char              *name;
  char              *title;
  char              *file_name;
} SaveJob;

static SaveJob *
save_job_new (TsAuthoritiesPage *self,
              const char        *title,
              const char        *name,
              const char        *suffix)
{
  SaveJob *job = g_new0 (SaveJob, 1);
  g_autofree char *stem = file_stem (name);

  job->page = g_object_ref (self);
  job->name = g_strdup (name);
  job->title = g_strdup (title);
  job->file_name = g_strconcat (stem, suffix, NULL);

  return job;
}

static void
save_job_free (SaveJob *job)
{
  g_clear_object (&job->page);
  g_free (job->name);
  g_free (job->title);
  g_free (job->file_name);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaveJob, save_job_free)

static void
save_result_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(SaveJob) job = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  bytes = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  if (bytes == NULL)
    {
      show_error (job->page, error);
      return;
    }

  ts_save_bytes (GTK_WIDGET (job->page), job->title, job->file_name, bytes);
}

static void
export_chain_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  TsAuthoritiesPage *self = TS_AUTHORITIES_PAGE (widget);
  const char *name = g_variant_get_string (param, NULL);

  ts_workspace_run_async (self->workspace, export_job, g_strdup (name), g_free, (GDestroyNotify) g_bytes_unref,
                          self->cancellable, save_result_cb,
                          save_job_new (self, _("Export Chain"), name, "-chain.pem"));
}

static void
details_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  TsAuthoritiesPage *self = TS_AUTHORITIES_PAGE (widget);

  ts_cert_details_show_from_ledger (widget, self->workspace, NULL, NULL, g_variant_get_string (param, NULL));
}

/* Verification certificate -------------------------------------------------------- */

typedef struct
{
  char *name;
  char *code;
} ProofData;

static void
proof_data_free (gpointer pointer)
{
  ProofData *proof = pointer;

  g_free (proof->name);
  g_free (proof->code);
  g_free (proof);
}

static gpointer
proof_job (TsWorkspace   *workspace,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  ProofData *proof = data;
  char *pem = ts_workspace_issue_proof (workspace, proof->name, proof->code, error);

  return pem != NULL ? g_bytes_new_take (pem, strlen (pem)) : NULL;
}

static void
proof_code_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(SaveJob) job = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  TsAuthoritiesPage *page;
  ProofData *proof;

  code = ts_prompt_finish (result, &error);
  if (code == NULL)
    {
      show_error (job->page, error);
      return;
    }

  g_strstrip (code);
  proof = g_new0 (ProofData, 1);
  proof->name = g_strdup (job->name);
  proof->code = g_steal_pointer (&code);
  /* Read through a copy: arguments are evaluated in no set order, and the job is handed on. */
  page = job->page;
  ts_workspace_run_async (page->workspace, proof_job, proof, proof_data_free,
                          (GDestroyNotify) g_bytes_unref, page->cancellable, save_result_cb,
                          g_steal_pointer (&job));
}

static void
proof_unlocked_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(SaveJob) job = user_data;
  g_autoptr(GError) error = NULL;

  if (!ts_unlock_finish (result, &error))
    {
      show_error (job->page, error);
      return;
    }

  ts_prompt_async (GTK_WIDGET (job->page), TS_PROMPT_TEXT,
                   _("Verification Certificate"),
                   _("Cloud services such as Azure IoT Hub and AWS IoT ask for proof that you "
                     "hold this CA's key: they show a verification code, and you upload a "
                     "certificate with that code as its name, signed by the CA."),
                   _("Verification code"), _("_Make Certificate"),
                   job->page->cancellable, proof_code_cb, job);
  g_steal_pointer (&job);
}

static void
proof_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  TsAuthoritiesPage *self = TS_AUTHORITIES_PAGE (widget);
  const char *name = g_variant_get_string (param, NULL);

  ts_unlock_async (self->workspace, widget, self->cancellable, proof_unlocked_cb,
                          save_job_new (self, _("Save Verification Certificate"), name,
                                        "-verification.pem"));
}

/* CRL --------------------------------------------------------------------------------- */

static gpointer
crl_job (TsWorkspace   *workspace,
         gpointer       data,
         GCancellable  *cancellable,
         GError       **error)
{
  return ts_workspace_generate_crl (workspace, data, 0, FALSE, error);
}

static void
crl_unlocked_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(SaveJob) job = user_data;
  g_autoptr(GError) error = NULL;
  SaveJob *pending;

  if (!ts_unlock_finish (result, &error))
    {
      show_error (job->page, error);
      return;
    }

  /* Arguments are evaluated in no set order: steal the job before reading it. */
  pending = g_steal_pointer (&job);
  ts_workspace_run_async (pending->page->workspace, crl_job, g_strdup (pending->name), g_free,
                          (GDestroyNotify) g_bytes_unref, pending->page->cancellable, save_result_cb, pending);
}

static void
publish_crl_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  TsAuthoritiesPage *self = TS_AUTHORITIES_PAGE (widget);
  const char *name = g_variant_get_string (param, NULL);

  ts_unlock_async (self->workspace, widget, self->cancellable, crl_unlocked_cb,
                          save_job_new (self, _("Publish CRL"), name, ".crl.pem"));
}

/* Import ------------------------------------------------------------------------------ */

typedef struct
{
  char *directory;
  char *key_passphrase;   /* wiped with ca_secret_free() */
} ImportData;

static void
import_data_free (gpointer pointer)
{
  ImportData *import = pointer;

  g_free (import->directory);
  g_clear_pointer (&import->key_passphrase, ca_secret_free);
  g_free (import);
}

static gpointer
import_job (TsWorkspace   *workspace,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  ImportData *import = data;

  return ts_workspace_import_openssl (workspace, import->directory,
                                   *import->key_passphrase != '\0' ? import->key_passphrase : NULL,
                                   NULL, error);
}

static void
import_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(TsAuthoritiesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) created = NULL;
  g_autofree char *message = NULL;

  created = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  if (created == NULL)
    {
      show_error (self, error);
      return;
    }

  message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Imported %u authority",
                                          "Imported %u authorities", created->len),
                             created->len);
  ts_show_toast (GTK_WIDGET (self), message);
}

static void
import_passphrase_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  TsAuthoritiesPage *self = TS_AUTHORITIES_PAGE (object);
  ImportData *import = user_data;
  g_autoptr(GError) error = NULL;

  import->key_passphrase = ts_prompt_finish (result, &error);
  if (import->key_passphrase == NULL)
    {
      show_error (self, error);
      import_data_free (import);
      return;
    }

  ts_workspace_run_async (self->workspace, import_job, import, import_data_free,
                          (GDestroyNotify) g_ptr_array_unref, self->cancellable, import_cb,
                          g_object_ref (self));
}

static void
import_folder_cb (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  g_autoptr(TsAuthoritiesPage) self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      ImportData *import = g_new0 (ImportData, 1);

      import->directory = g_file_get_path (folder);
      ts_prompt_async (GTK_WIDGET (self), TS_PROMPT_SECRET,
                       _("Passphrase of the Imported Keys"),
                       _("Type the passphrase that protects the CA keys in that folder, or "
                         "leave it empty if they are not encrypted. Tagsmith stores them "
                         "encrypted with its own passphrase from then on."),
                       _("Key passphrase"), _("_Import"),
                       self->cancellable, import_passphrase_cb, import);
    }

  g_object_unref (dialog);
}

static void
import_unlocked_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TsAuthoritiesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  GtkFileChooserNative *dialog;

  if (!ts_unlock_finish (result, &error))
    {
      show_error (self, error);
      return;
    }

  dialog = gtk_file_chooser_native_new (_("Import an OpenSSL CA Folder"),
                                        GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                        GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                        _("_Import"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (import_folder_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
import_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TsAuthoritiesPage *self = TS_AUTHORITIES_PAGE (widget);

  ts_unlock_async (self->workspace, widget, self->cancellable, import_unlocked_cb, g_object_ref (self));
}

/* Lifecycle ----------------------------------------------------------------------------- */

static void
ts_authorities_page_root (GtkWidget *widget)
{
  TsAuthoritiesPage *self = TS_AUTHORITIES_PAGE (widget);

  GTK_WIDGET_CLASS (ts_authorities_page_parent_class)->root (widget);

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  ts_authorities_page_reload (self);
}

static void
ts_authorities_page_unroot (GtkWidget *widget)
{
  TsAuthoritiesPage *self = TS_AUTHORITIES_PAGE (widget);

  g_cancellable_cancel (self->cancellable);

  GTK_WIDGET_CLASS (ts_authorities_page_parent_class)->unroot (widget);
}

static void
ts_authorities_page_dispose (GObject *object)
{
  TsAuthoritiesPage *self = TS_AUTHORITIES_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (object), TS_TYPE_AUTHORITIES_PAGE);

  G_OBJECT_CLASS (ts_authorities_page_parent_class)->dispose (object);
}

static void
ts_authorities_page_finalize (GObject *object)
{
  TsAuthoritiesPage *self = TS_AUTHORITIES_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->workspace);
  g_clear_pointer (&self->authorities, g_ptr_array_unref);

  G_OBJECT_CLASS (ts_authorities_page_parent_class)->finalize (object);
}

static void
ts_authorities_page_class_init (TsAuthoritiesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ts_authorities_page_dispose;
  object_class->finalize = ts_authorities_page_finalize;
  widget_class->root = ts_authorities_page_root;
  widget_class->unroot = ts_authorities_page_unroot;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/ts-authorities-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TsAuthoritiesPage, list);
  gtk_widget_class_bind_template_child (widget_class, TsAuthoritiesPage, stations);

  gtk_widget_class_install_action (widget_class, "authorities.create", NULL, create_action);
  gtk_widget_class_install_action (widget_class, "authorities.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "authorities.export-chain", "s",
                                   export_chain_action);
  gtk_widget_class_install_action (widget_class, "authorities.details", "s", details_action);
  gtk_widget_class_install_action (widget_class, "authorities.proof", "s", proof_action);
  gtk_widget_class_install_action (widget_class, "authorities.publish-crl", "s",
                                   publish_crl_action);
}

static void
ts_authorities_page_init (TsAuthoritiesPage *self)
{
  g_type_ensure (TS_TYPE_STATIONS_GROUP);
  gtk_widget_init_template (GTK_WIDGET (self));
  /* The bin's child: not a bound template child, or the template's dispose and
   * AdwBin's would both unparent it. */
  self->stack = GTK_STACK (adw_bin_get_child (ADW_BIN (self)));

  self->cancellable = g_cancellable_new ();
}

/* Pages show what the workspace holds, and reload when it opens or changes. */
void
ts_authorities_page_set_workspace (TsAuthoritiesPage *self,
                                   TsWorkspace       *workspace)
{
  g_return_if_fail (TS_IS_AUTHORITIES_PAGE (self));
  g_return_if_fail (TS_IS_WORKSPACE (workspace));

  if (self->workspace != NULL)
    g_signal_handlers_disconnect_by_data (self->workspace, self);
  g_set_object (&self->workspace, workspace);
  g_signal_connect_object (workspace, "changed",
                           G_CALLBACK (ts_authorities_page_reload), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (workspace, "notify::state",
                           G_CALLBACK (ts_authorities_page_reload), self, G_CONNECT_SWAPPED);
  ts_stations_group_set_workspace (self->stations, workspace);
  ts_authorities_page_reload (self);
}
