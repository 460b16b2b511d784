/* ts-cert-details.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-cert-details"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "ts-badge.h"
#include "ts-cert-details.h"
#include "ts-cert-info.h"
#include "ts-gui-util.h"
#include "ts-workspace-ca.h"

struct _TsCertDetails
{
  AdwWindow             parent_instance;

  /* Owned references */
  TsWorkspace          *workspace;
  TsCertInfo           *info;
  char                 *authority;
  gboolean              is_authority;
  GCancellable         *cancellable;

  /* Template widgets */
  AdwWindowTitle       *title;
  AdwPreferencesGroup  *general_group;
  AdwPreferencesGroup  *validity_group;
  AdwPreferencesGroup  *key_group;
  AdwPreferencesGroup  *extensions_group;
  AdwPreferencesGroup  *fingerprints_group;
  GtkLabel             *pem_label;
};

G_DEFINE_FINAL_TYPE (TsCertDetails, ts_cert_details, ADW_TYPE_WINDOW)

/* A field as certificate viewers show it: its name above, its value below in
 * full, wrapped and selectable, never cut. */
static void
add_field (AdwPreferencesGroup *group,
           const char          *title,
           const char          *value,
           gboolean             monospace,
           GtkWidget           *suffix)
{
  GtkWidget *row = g_object_new (ADW_TYPE_PREFERENCES_ROW, "title", title, "activatable", FALSE, NULL);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *name = gtk_label_new (title);
  GtkWidget *label = gtk_label_new (value);

  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_widget_add_css_class (name, "caption");
  gtk_widget_add_css_class (name, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  if (monospace)
    gtk_widget_add_css_class (label, "monospace");
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_box_append (GTK_BOX (texts), name);
  gtk_box_append (GTK_BOX (texts), label);
  gtk_box_append (GTK_BOX (box), texts);
  if (suffix != NULL)
    {
      gtk_widget_set_valign (suffix, GTK_ALIGN_CENTER);
      gtk_box_append (GTK_BOX (box), suffix);
    }
  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  adw_preferences_group_add (group, row);
}

static GtkWidget *
copy_button_new (const char *tooltip,
                 const char *text)
{
  GtkWidget *button = gtk_button_new_from_icon_name ("edit-copy-symbolic");

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_widget_add_css_class (button, "flat");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "details.copy");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", text);

  return button;
}

static GtkWidget *
badge_new (CaCertStatus status,
           gint64       not_after)
{
  TsBadge badge = ts_badge_for_certificate (status, not_after);
  GtkWidget *label = gtk_label_new (badge.label);

  gtk_widget_add_css_class (label, "ts-badge");
  gtk_widget_add_css_class (label, badge.style);

  return label;
}

static void
fill (TsCertDetails *self,
      CaCertStatus   status)
{
  const TsCertInfo *info = self->info;
  g_autofree char *version = g_strdup_printf ("%d", info->version);
  g_autofree char *not_before = ca_time_to_iso8601 (info->not_before);
  g_autofree char *not_after = ca_time_to_iso8601 (info->not_after);
  g_autofree char *key = ts_cert_info_describe_key (info);

  adw_window_title_set_subtitle (self->title, info->subject_cn != NULL ? info->subject_cn : info->serial);

  add_field (self->general_group, _("Subject"), info->subject, FALSE, NULL);
  add_field (self->general_group, _("Issuer"),
             info->self_signed ? _("The subject itself (self-signed)") : info->issuer, FALSE, NULL);
  add_field (self->general_group, _("Serial"), info->serial, TRUE, NULL);
  add_field (self->general_group, _("Version"), version, FALSE, NULL);

  add_field (self->validity_group, _("Not before"), not_before, FALSE, NULL);
  add_field (self->validity_group, _("Not after"), not_after, FALSE, badge_new (status, info->not_after));

  add_field (self->key_group, _("Algorithm"), key, FALSE, NULL);
  add_field (self->key_group, _("Signature algorithm"), info->signature_algorithm, FALSE, NULL);

  for (guint i = 0; i < info->extensions->len; i++)
    {
      const TsCertExtension *extension = g_ptr_array_index (info->extensions, i);
      g_autofree char *title = extension->critical ? g_strdup_printf (_("%s (critical)"), extension->name)
                                                   : g_strdup (extension->name);

      add_field (self->extensions_group, title, extension->value, FALSE, NULL);
    }
  if (info->extensions->len == 0)
    add_field (self->extensions_group, _("None"), _("This certificate has no extensions."), FALSE, NULL);

  add_field (self->fingerprints_group, _("SHA-256"), info->sha256, TRUE,
             copy_button_new (_("Copy the SHA-256 fingerprint"), info->sha256));
  add_field (self->fingerprints_group, _("SHA-1"), info->sha1, TRUE,
             copy_button_new (_("Copy the SHA-1 fingerprint"), info->sha1));
  add_field (self->fingerprints_group, _("SHA-256 of the PEM, as modems list it"), info->pem_sha256, TRUE,
             copy_button_new (_("Copy the SHA-256 of the PEM"), info->pem_sha256));

  gtk_label_set_text (self->pem_label, info->pem);
}

static void
copy_text (TsCertDetails *self,
           const char    *text)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
}

static void
copy_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  TsCertDetails *self = TS_CERT_DETAILS (widget);

  copy_text (self, g_variant_get_string (param, NULL));
  ts_show_toast (widget, _("Fingerprint copied"));
}

static void
copy_pem_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  TsCertDetails *self = TS_CERT_DETAILS (widget);

  copy_text (self, self->info->pem);
  ts_show_toast (widget, _("Certificate PEM copied"));
}

/* A file name from the certificate's common name, or its serial. */
static char *
file_name (TsCertDetails *self,
           const char    *suffix)
{
  g_autofree char *stem = g_strdup (self->info->subject_cn != NULL ? self->info->subject_cn : self->info->serial);

  g_strcanon (stem, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.", '-');

  return g_strconcat (stem, suffix, NULL);
}

typedef struct
{
  char     *pem;        /* (nullable) put before the authority's chain */
  char     *authority;
} ChainData;

static void
chain_data_free (gpointer pointer)
{
  ChainData *chain = pointer;

  g_free (chain->pem);
  g_free (chain->authority);
  g_free (chain);
}

static gpointer
chain_job (TsWorkspace   *workspace,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  ChainData *chain = data;
  g_autofree char *authorities = ts_workspace_export_authority (workspace, chain->authority, TRUE, error);
  char *text;

  if (authorities == NULL)
    return NULL;
  text = g_strconcat (chain->pem != NULL ? chain->pem : "", authorities, NULL);

  return g_bytes_new_take (text, strlen (text));
}

static void
chain_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(TsCertDetails) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *name = NULL;

  bytes = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  if (bytes == NULL)
    {
      ts_show_error (GTK_WIDGET (self), error);
      return;
    }

  name = file_name (self, "-chain.pem");
  ts_save_bytes (GTK_WIDGET (self), _("Export the Certificate Chain"), name, bytes);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TsCertDetails *self = TS_CERT_DETAILS (widget);
  const char *format = g_variant_get_string (param, NULL);
  g_autofree char *name = NULL;

  if (g_str_equal (format, "pem"))
    {
      g_autoptr(GBytes) bytes = g_bytes_new (self->info->pem, strlen (self->info->pem));

      name = file_name (self, ".pem");
      ts_save_bytes (widget, _("Export the Certificate as PEM"), name, bytes);
    }
  else if (g_str_equal (format, "der"))
    {
      name = file_name (self, ".der");
      ts_save_bytes (widget, _("Export the Certificate as DER"), name, self->info->der);
    }
  else
    {
      ChainData *chain = g_new0 (ChainData, 1);

      g_assert (g_str_equal (format, "chain"));
      chain->pem = self->is_authority ? NULL : g_strdup (self->info->pem);
      chain->authority = g_strdup (self->authority);
      ts_workspace_run_async (self->workspace, chain_job, chain, chain_data_free,
                              (GDestroyNotify) g_bytes_unref, self->cancellable, chain_cb,
                              g_object_ref (self));
    }
}

static void
ts_cert_details_dispose (GObject *object)
{
  TsCertDetails *self = TS_CERT_DETAILS (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (object), TS_TYPE_CERT_DETAILS);

  G_OBJECT_CLASS (ts_cert_details_parent_class)->dispose (object);
}

static void
ts_cert_details_finalize (GObject *object)
{
  TsCertDetails *self = TS_CERT_DETAILS (object);

  g_clear_object (&self->workspace);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->info, ts_cert_info_free);
  g_free (self->authority);

  G_OBJECT_CLASS (ts_cert_details_parent_class)->finalize (object);
}

static void
ts_cert_details_class_init (TsCertDetailsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ts_cert_details_dispose;
  object_class->finalize = ts_cert_details_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/ts-cert-details.ui");
  gtk_widget_class_bind_template_child (widget_class, TsCertDetails, title);
  gtk_widget_class_bind_template_child (widget_class, TsCertDetails, general_group);
  gtk_widget_class_bind_template_child (widget_class, TsCertDetails, validity_group);
  gtk_widget_class_bind_template_child (widget_class, TsCertDetails, key_group);
  gtk_widget_class_bind_template_child (widget_class, TsCertDetails, extensions_group);
  gtk_widget_class_bind_template_child (widget_class, TsCertDetails, fingerprints_group);
  gtk_widget_class_bind_template_child (widget_class, TsCertDetails, pem_label);

  gtk_widget_class_install_action (widget_class, "details.copy", "s", copy_action);
  gtk_widget_class_install_action (widget_class, "details.copy-pem", NULL, copy_pem_action);
  gtk_widget_class_install_action (widget_class, "details.export", "s", export_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
ts_cert_details_init (TsCertDetails *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

void
ts_cert_details_show (GtkWidget    *parent,
                      TsWorkspace  *workspace,
                      const char   *pem,
                      CaCertStatus  status,
                      const char   *authority,
                      gboolean      is_authority)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TsCertInfo) info = NULL;
  GtkRoot *root;
  TsCertDetails *self;

  g_return_if_fail (GTK_IS_WIDGET (parent));
  g_return_if_fail (TS_IS_WORKSPACE (workspace));
  g_return_if_fail (pem != NULL);
  g_return_if_fail (authority != NULL);

  info = ts_cert_info_new_from_pem (pem, &error);
  if (info == NULL)
    {
      ts_show_error (parent, error);
      return;
    }

  root = gtk_widget_get_root (parent);
  self = g_object_new (TS_TYPE_CERT_DETAILS,
                       "transient-for", GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                       NULL);
  self->workspace = g_object_ref (workspace);
  self->info = g_steal_pointer (&info);
  self->authority = g_strdup (authority);
  self->is_authority = is_authority;
  fill (self, status);
  ts_present_dialog (GTK_WIDGET (self));
}

void
ts_cert_details_show_certificate (GtkWidget           *parent,
                                  TsWorkspace         *workspace,
                                  const CaCertificate *certificate)
{
  g_return_if_fail (certificate != NULL);

  ts_cert_details_show (parent, workspace, certificate->pem, certificate->status,
                        certificate->authority_name, FALSE);
}

void
ts_cert_details_show_authority (GtkWidget         *parent,
                                TsWorkspace       *workspace,
                                const CaAuthority *authority)
{
  g_return_if_fail (authority != NULL);

  ts_cert_details_show (parent, workspace, authority->cert_pem, authority->status, authority->name, TRUE);
}

/* Looking the certificate up ------------------------------------------------------ */

typedef struct
{
  GtkWidget *parent;
  char      *imei;
  char      *serial;
  char      *authority;
} Lookup;

static void
lookup_free (gpointer pointer)
{
  Lookup *lookup = pointer;

  g_clear_object (&lookup->parent);
  g_free (lookup->imei);
  g_free (lookup->serial);
  g_free (lookup->authority);
  g_free (lookup);
}

/* Returns a CaCertificate, or a CaAuthority when no serial was given. */
static gpointer
lookup_job (TsWorkspace   *workspace,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  Lookup *lookup = data;
  g_autoptr(GPtrArray) certificates = NULL;

  if (lookup->serial == NULL)
    return ts_workspace_get_authority (workspace, lookup->authority, error);

  certificates = ts_workspace_list_certificates (workspace, lookup->imei, FALSE, error);
  if (certificates == NULL)
    return NULL;
  for (guint i = 0; i < certificates->len; i++)
    {
      CaCertificate *certificate = g_ptr_array_index (certificates, i);

      if (g_ascii_strcasecmp (certificate->serial, lookup->serial) == 0 &&
          (lookup->authority == NULL || g_strcmp0 (certificate->authority_name, lookup->authority) == 0))
        return g_ptr_array_steal_index (certificates, i);
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               _("The ledger holds no certificate with serial %s for IMEI %s. It may have been removed "
                 "by a restore; reopen the list to see what the ledger holds now."),
               lookup->serial, lookup->imei);
  return NULL;
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Lookup *lookup = user_data;
  g_autoptr(GError) error = NULL;
  gpointer found = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);

  if (found == NULL)
    ts_show_error (lookup->parent, error);
  else if (lookup->serial == NULL)
    ts_cert_details_show_authority (lookup->parent, TS_WORKSPACE (object), found);
  else
    ts_cert_details_show_certificate (lookup->parent, TS_WORKSPACE (object), found);

  if (found != NULL && lookup->serial == NULL)
    ca_authority_free (found);
  else if (found != NULL)
    ca_certificate_free (found);
  lookup_free (lookup);
}

void
ts_cert_details_show_from_ledger (GtkWidget   *parent,
                                  TsWorkspace *workspace,
                                  const char  *imei,
                                  const char  *serial,
                                  const char  *authority)
{
  Lookup *lookup;

  g_return_if_fail (GTK_IS_WIDGET (parent));
  g_return_if_fail (TS_IS_WORKSPACE (workspace));
  g_return_if_fail (serial != NULL ? imei != NULL : authority != NULL);

  lookup = g_new0 (Lookup, 1);
  lookup->parent = g_object_ref (parent);
  lookup->imei = g_strdup (imei);
  lookup->serial = g_strdup (serial);
  lookup->authority = g_strdup (authority);
  /* The result is freed by lookup_cb, which knows its type. */
  ts_workspace_run_async (workspace, lookup_job, lookup, NULL, NULL, NULL, lookup_cb, lookup);
}
