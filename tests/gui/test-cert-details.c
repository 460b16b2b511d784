/* test-cert-details.c: the certificate details window over a real ledger. It
 * needs a display (gtk_init), so it runs in the gui suite inside
 * tests/gui/session.sh. What the window shows is read from its widgets: the
 * fingerprint wraps and is never cut, even 360 px wide, and copying puts
 * exactly the certificate's PEM or fingerprint on the clipboard.
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "ts-cert-details.h"
#include "ts-cert-info.h"
#include "ts-resources.h"
#include "ts-workspace-ca.h"

#define PASS "correct horse battery"
#define IMEI "490154203237518"

typedef struct
{
  char          *dir;
  TsWorkspace   *workspace;
  CaCertificate *cert;
  char          *key_pem;
  TsCertInfo    *info;
  GtkWidget     *window;
  GPtrArray     *toasts;
  TsCertDetails *details;
} Fixture;

/* With no message area around the parent, what the window would show as a toast
 * or a message goes to the log: the test reads it there. */
static void
capture_message (const gchar    *domain,
                 GLogLevelFlags  level,
                 const gchar    *message,
                 gpointer        user_data)
{
  if (level & G_LOG_LEVEL_MESSAGE)
    g_ptr_array_add (user_data, g_strdup (message));
  else
    g_log_default_handler (domain, level, message, NULL);
}

static void
iterate_until (gboolean (*done) (gpointer),
               gpointer   data)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!done (data))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
is_mapped (gpointer widget)
{
  return gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0;
}

static TsCertDetails *
find_details (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (TS_IS_CERT_DETAILS (window))
        return TS_CERT_DETAILS (window);
    }

  return NULL;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaAuthority) root = NULL;
  g_autoptr(CaAuthority) line = NULL;
  g_autofree char *path = NULL;
  GtkWidget *child = gtk_label_new ("parent");

  fixture->dir = g_dir_make_tmp ("tagsmith-details-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (fixture->dir, "fleet.db", NULL);
  fixture->workspace = ts_workspace_new (path);
  g_assert_true (ts_workspace_open (fixture->workspace, TS_WORKSPACE_OPEN_READ_WRITE, &error));
  g_assert_true (ts_workspace_unlock (fixture->workspace, PASS, NULL, &error));
  root = ts_workspace_create_authority (fixture->workspace,
                                        &(CaAuthorityRequest) { "Root", NULL, CA_KEY_EC_P256, 0, -1 }, &error);
  g_assert_no_error (error);
  line = ts_workspace_create_authority (fixture->workspace,
                                        &(CaAuthorityRequest) { "Line", "Root", CA_KEY_EC_P256, 365, 0 }, &error);
  g_assert_no_error (error);
  fixture->cert = ts_workspace_issue_with_new_key (fixture->workspace, &(CaIssueRequest) { "Line", IMEI },
                                                   CA_KEY_EC_P256, &fixture->key_pem, &error);
  g_assert_no_error (error);
  fixture->info = ts_cert_info_new_from_pem (fixture->cert->pem, &error);
  g_assert_no_error (error);

  fixture->toasts = g_ptr_array_new_with_free_func (g_free);
  g_log_set_default_handler (capture_message, fixture->toasts);
  fixture->window = gtk_window_new ();
  gtk_window_set_child (GTK_WINDOW (fixture->window), child);
  gtk_window_present (GTK_WINDOW (fixture->window));

  ts_cert_details_show_certificate (child, fixture->workspace, fixture->cert);
  fixture->details = find_details ();
  g_assert_nonnull (fixture->details);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (fixture->details)) == GTK_WINDOW (fixture->window));
  iterate_until (is_mapped, fixture->details);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "fleet.db", NULL);

  gtk_window_destroy (GTK_WINDOW (fixture->details));
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_clear_object (&fixture->workspace);
  g_clear_pointer (&fixture->cert, ca_certificate_free);
  g_clear_pointer (&fixture->key_pem, ca_secret_free);
  g_clear_pointer (&fixture->info, ts_cert_info_free);
  g_log_set_default_handler (g_log_default_handler, NULL);
  g_clear_pointer (&fixture->toasts, g_ptr_array_unref);
  g_unlink (path);
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
}

/* The first widget under @widget for which @test holds. */
static GtkWidget *
find_widget (GtkWidget  *widget,
             gboolean  (*test) (GtkWidget *, gconstpointer),
             gconstpointer data)
{
  if (test (widget, data))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, test, data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
label_says (GtkWidget     *widget,
            gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

static gboolean
button_tooltip_is (GtkWidget     *widget,
                   gconstpointer  text)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_widget_get_tooltip_text (widget), text) == 0;
}

typedef struct
{
  char     *text;
  gboolean  done;
} ClipboardRead;

static void
read_text_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  ClipboardRead *read = user_data;
  g_autoptr(GError) error = NULL;

  read->text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  g_assert_no_error (error);
  read->done = TRUE;
}

static gboolean
read_done (gpointer data)
{
  return ((ClipboardRead *) data)->done;
}

static char *
clipboard_text (GtkWidget *widget)
{
  ClipboardRead read = { NULL, FALSE };

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget), NULL, read_text_cb, &read);
  iterate_until (read_done, &read);

  return read.text;
}

/* Every field is shown whole: the fingerprints wrap, even 360 px wide. */
static void
test_fields (Fixture       *fixture,
             gconstpointer  user_data)
{
  GtkWidget *details = GTK_WIDGET (fixture->details);
  const char *shown[] = {
    fixture->info->serial, fixture->info->issuer, fixture->info->subject, fixture->info->sha256,
    fixture->info->sha1, fixture->cert->sha256_lf, "EC P-256 (prime256v1), 256 bits",
    "TLS Web Client Authentication", fixture->cert->pem,
  };
  GtkWidget *fingerprint;

  g_assert_cmpstr (fixture->info->pem_sha256, ==, fixture->cert->sha256_lf);
  for (guint i = 0; i < G_N_ELEMENTS (shown); i++)
    {
      GtkWidget *label = find_widget (details, label_says, shown[i]);

      if (label == NULL)
        g_error ("“%s” is not shown", shown[i]);
      g_assert_true (gtk_widget_is_drawable (label));
      g_assert_cmpint (gtk_label_get_ellipsize (GTK_LABEL (label)), ==, PANGO_ELLIPSIZE_NONE);
      g_assert_true (gtk_label_get_selectable (GTK_LABEL (label)));
      g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (label))));
    }
  g_assert_null (find_widget (details, label_says, fixture->key_pem));

  /* A window takes its default size when it is shown again. */
  gtk_widget_hide (details);
  gtk_window_set_default_size (GTK_WINDOW (details), 360, 700);
  gtk_window_present (GTK_WINDOW (details));
  iterate_until (is_mapped, details);
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  fingerprint = find_widget (details, label_says, fixture->info->sha256);
  g_assert_cmpint (gtk_widget_get_width (details), <=, 360);
  g_assert_cmpint (gtk_widget_get_width (fingerprint), <, 360);
  g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (fingerprint))));
  g_assert_cmpint (pango_layout_get_line_count (gtk_label_get_layout (GTK_LABEL (fingerprint))), >, 1);
  g_assert_cmpstr (pango_layout_get_text (gtk_label_get_layout (GTK_LABEL (fingerprint))), ==,
                   fixture->info->sha256);
}

static void
test_copy (Fixture       *fixture,
           gconstpointer  user_data)
{
  GtkWidget *details = GTK_WIDGET (fixture->details);
  GtkWidget *button;
  g_autofree char *pem = NULL;
  g_autofree char *fingerprint = NULL;

  g_assert_true (gtk_widget_activate_action (details, "details.copy-pem", NULL));
  pem = clipboard_text (details);
  g_assert_cmpstr (pem, ==, fixture->cert->pem);
  g_assert_null (strstr (pem, "PRIVATE KEY"));
  g_assert_cmpuint (fixture->toasts->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->toasts, 0), ==, "Certificate PEM copied");

  button = find_widget (details, button_tooltip_is, "Copy the SHA-256 fingerprint");
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  fingerprint = clipboard_text (details);
  g_assert_cmpstr (fingerprint, ==, fixture->info->sha256);
  g_assert_cmpuint (fixture->toasts->len, ==, 2);
}

/* Not one certificate: said through the parent, and no window opens. */
static void
test_refused (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autofree char *two = g_strconcat (fixture->cert->pem, fixture->cert->pem, NULL);
  GtkWidget *child = gtk_window_get_child (GTK_WINDOW (fixture->window));

  ts_cert_details_show (child, fixture->workspace, two, CA_CERT_STATUS_VALID, "Line", FALSE);
  g_assert_cmpuint (fixture->toasts->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (fixture->toasts, 0), "holds 2 PEM blocks"));
  g_assert_cmpuint (g_list_model_get_n_items (gtk_window_get_toplevels ()), ==, 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  ts_register_resource ();

  g_test_add ("/cert-details/fields", Fixture, NULL, fixture_set_up, test_fields, fixture_tear_down);
  g_test_add ("/cert-details/copy", Fixture, NULL, fixture_set_up, test_copy, fixture_tear_down);
  g_test_add ("/cert-details/refused", Fixture, NULL, fixture_set_up, test_refused, fixture_tear_down);

  return g_test_run ();
}
