/* ts-device-window.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-device-window"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-at-reader.h"
#include "ts-badge.h"
#include "ts-cert-details.h"
#include "ts-credential-dialog.h"
#include "ts-credential-text.h"
#include "ts-device-window.h"
#include "ts-gui-util.h"
#include "ts-traffic-window.h"
#include "ts-history-window.h"
#include "ts-message-bin.h"
#include "ts-prompt.h"
#include "ts-provision-dialog.h"
#include "ts-provision.h"
#include "ts-revoke-dialog.h"
#include "ts-unlock.h"
#include "ts-visible-text.h"
#include "ts-workspace-modem.h"


struct _TsDeviceWindow
{
  AdwWindow            parent_instance;

  /* Template widgets */
  GtkLabel            *wide_title;
  GtkLabel            *wide_subtitle;
  AdwSqueezer         *header_squeezer;
  GtkWidget           *narrow_header;
  GtkLabel            *narrow_title;
  GtkRevealer         *progress_revealer;
  GtkLabel            *progress_label;
  GtkProgressBar      *progress_bar;
  GtkSpinner          *loading_spinner;
  GtkStack            *stack;
  AdwStatusPage       *error_status;
  AdwPreferencesPage  *page;
  AdwPreferencesGroup *identity_group;

  /* Owned references */
  TsWorkspace         *workspace;
  TsDeviceItem        *device;
  TsDeviceLink        *link;             /* the port, held while the window is open */
  TsModemIdentity     *identity;
  GCancellable        *cancellable;      /* everything; cancelled when the window closes */
  GCancellable        *op_cancellable;   /* the operation the Cancel button stops */
  GPtrArray           *dynamic_groups;   /* the sec_tag groups and identity rows shown */
  GPtrArray           *wide_actions;     /* each credential row's buttons, hidden when narrow */
  GPtrArray           *narrow_actions;   /* each credential row's menu of them, shown when narrow */
  TsTrafficLog        *at_log;           /* the session's traffic, elided */
  GWeakRef             at_log_window;    /* (nullable) TsTrafficWindow showing it */
  gint                 at_log_pending;   /* (atomic) a refresh of that window is queued */
  gboolean             busy;
  gint                 flow_running;     /* (atomic) a provision describes its own steps */
};

G_DEFINE_FINAL_TYPE (TsDeviceWindow, ts_device_window, ADW_TYPE_WINDOW)

static void ts_device_window_reload (TsDeviceWindow *self);

static void
show_toast (TsDeviceWindow *self,
            const char     *message)
{
  ts_show_toast (GTK_WIDGET (self->stack), message);
}

static void
show_error (TsDeviceWindow *self,
            const GError   *error)
{
  ts_show_error (GTK_WIDGET (self->stack), error);
}

/* Busy state: one operation at a time, shown with progress and a Cancel button. */
static void
set_busy (TsDeviceWindow *self,
          const char     *message)
{
  gboolean busy = message != NULL;

  self->busy = busy;
  g_clear_object (&self->op_cancellable);
  if (busy)
    {
      self->op_cancellable = g_cancellable_new ();
      g_signal_connect_object (self->cancellable, "cancelled",
                               G_CALLBACK (g_cancellable_cancel), self->op_cancellable,
                               G_CONNECT_SWAPPED);
      gtk_label_set_text (self->progress_label, message);
      gtk_progress_bar_set_fraction (self->progress_bar, 0);
      gtk_progress_bar_pulse (self->progress_bar);
    }
  else
    {
      /* A pulsed bar animates on every frame until it gets a fraction, hidden or not:
       * an idle window must not redraw. */
      gtk_progress_bar_set_fraction (self->progress_bar, 0);
    }
  gtk_revealer_set_reveal_child (self->progress_revealer, busy);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "device.provision", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "device.rekey", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "device.add-credential", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "device.refresh", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "device.delete", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "device.read-back", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "device.cancel", busy);
}

/* A spinning spinner animates on every frame even on a page that is not shown: it
 * spins only while its page is on show, so an idle window never redraws. */
static void
show_page (TsDeviceWindow *self,
           const char     *name)
{
  gtk_spinner_set_spinning (self->loading_spinner, g_str_equal (name, "loading"));
  gtk_stack_set_visible_child_name (self->stack, name);
}

/* Progress from worker threads --------------------------------------------------- */

typedef struct
{
  TsDeviceWindow *window;
  char           *message;
  double          fraction;   /* < 0 to pulse */
} Progress;

static gboolean
progress_idle (gpointer user_data)
{
  Progress *progress = user_data;

  if (progress->window->busy)
    {
      gtk_label_set_text (progress->window->progress_label, progress->message);
      if (progress->fraction < 0)
        gtk_progress_bar_pulse (progress->window->progress_bar);
      else
        gtk_progress_bar_set_fraction (progress->window->progress_bar, progress->fraction);
    }

  g_object_unref (progress->window);
  g_free (progress->message);
  g_free (progress);

  return G_SOURCE_REMOVE;
}

static void
post_progress (TsDeviceWindow *self,
               const char     *message,
               double          fraction)
{
  Progress *progress = g_new0 (Progress, 1);

  progress->window = g_object_ref (self);
  progress->message = g_strdup (message);
  progress->fraction = fraction;
  g_main_context_invoke (NULL, progress_idle, progress);
}

/* Each AT command of a composite operation (offline → write → restore) is shown as it
 * runs, so the user sees the modem switched to flight mode and back (§5). */
static void
weak_ref_free (gpointer pointer)
{
  g_weak_ref_clear (pointer);
  g_free (pointer);
}

/* Once per batch of lines the log gained: an open log window shows them. (With no
 * window the news stays unread until one opens and reads the whole log.) */
static gboolean
at_log_changed_idle (gpointer user_data)
{
  g_autoptr(TsDeviceWindow) self = user_data;
  g_autoptr(TsTrafficWindow) window = NULL;

  g_atomic_int_set (&self->at_log_pending, FALSE);
  window = g_weak_ref_get (&self->at_log_window);
  if (window != NULL)
    ts_traffic_window_refresh (window);

  return G_SOURCE_REMOVE;
}

static void
modem_observer (TsModem            *modem,
                const TsModemEvent *event,
                gpointer            user_data)
{
  g_autoptr(TsDeviceWindow) self = g_weak_ref_get (user_data);
  g_autofree char *message = NULL;

  if (self == NULL)
    return;
  /* The log window is looked at on the main thread only: a reference taken here
   * could be its last one, and a window must not be finalized on a worker. */
  if (ts_traffic_log_add (self->at_log, event) &&
      g_atomic_int_compare_and_exchange (&self->at_log_pending, FALSE, TRUE))
    g_idle_add (at_log_changed_idle, g_object_ref (self));
  if (event->kind != TS_MODEM_EVENT_COMMAND)
    return;

  /* A provision's steps say what it does (e.g. "Generating the key…" for the seconds
   * %KEYGEN takes); a command finishing within a step would hide that. */
  if (g_atomic_int_get (&self->flow_running) && !g_str_has_prefix (event->label, "AT+CFUN="))
    return;

  if (g_str_has_prefix (event->label, "AT+CFUN=4"))
    message = g_strdup (_("Switched the modem offline to change its store"));
  else if (g_str_has_prefix (event->label, "AT+CFUN="))
    message = g_strdup (_("Restored the modem's mode"));
  else
    message = g_strdup (_("Talking to the modem…"));

  post_progress (self, message, -1);
}

static void
provision_progress (const char *step,
                    double      fraction,
                    const char *message,
                    gpointer    user_data)
{
  post_progress (TS_DEVICE_WINDOW (user_data), message != NULL ? message : step, fraction);
}

/* Loading: identity, store, and what each entry is ----------------------------------- */

/* Who holds the port while the window is open, in others' messages. */
#define WINDOW_HOLDER N_("a device window")

typedef struct
{
  TsDeviceLink *link;      /* (nullable) opened here when NULL */
  char         *path;
  GWeakRef     *observer;  /* (nullable) the window, for the link opened here */
} LoadData;

typedef struct
{
  TsDeviceLink  *link;
  TsStoreSurvey *survey;
} Store;

static void
load_data_free (gpointer pointer)
{
  LoadData *data = pointer;

  g_clear_pointer (&data->link, ts_device_link_unref);
  g_clear_pointer (&data->observer, weak_ref_free);
  g_free (data->path);
  g_free (data);
}

static void
store_free (gpointer pointer)
{
  Store *store = pointer;

  g_clear_pointer (&store->link, ts_device_link_unref);
  g_clear_pointer (&store->survey, ts_store_survey_free);
  g_free (store);
}

/* Opens the port under a held lease the first time; the store is settled
 * against the ledger, and certificates it does not know are named. */
static gpointer
load_job (TsWorkspace   *workspace,
          gpointer       pointer,
          GCancellable  *cancellable,
          GError       **error)
{
  LoadData *data = pointer;
  Store *store = g_new0 (Store, 1);

  store->link = data->link != NULL
                ? ts_device_link_ref (data->link)
                : ts_workspace_open_link (workspace, data->path, _(WINDOW_HOLDER),
                                          TS_PORT_LEASE_HELD, cancellable, error);
  /* Observed from its first command on, so the AT log holds the whole session. Observers
   * run on worker threads that may outlive the window: a weak reference. */
  if (store->link != NULL && data->observer != NULL)
    ts_device_link_set_observer (store->link, modem_observer, g_steal_pointer (&data->observer),
                                 weak_ref_free);
  if (store->link != NULL)
    store->survey = ts_workspace_survey_store (workspace, store->link, TS_SURVEY_READ_SUBJECTS,
                                               NULL, cancellable, error);
  if (store->survey == NULL)
    {
      store_free (store);
      return NULL;
    }

  return store;
}

static void
clear_dynamic (TsDeviceWindow *self)
{
  for (guint i = 0; i < self->dynamic_groups->len; i++)
    {
      GtkWidget *widget = g_ptr_array_index (self->dynamic_groups, i);

      if (ADW_IS_PREFERENCES_GROUP (widget))
        adw_preferences_page_remove (self->page, ADW_PREFERENCES_GROUP (widget));
      else
        adw_preferences_group_remove (self->identity_group, widget);
    }
  g_ptr_array_set_size (self->dynamic_groups, 0);
  g_ptr_array_set_size (self->wide_actions, 0);
  g_ptr_array_set_size (self->narrow_actions, 0);
}

/* Narrow when the wide header does not fit: each credential row then keeps its
 * actions in its menu, so that its text has the width. */
static gboolean
is_narrow (TsDeviceWindow *self)
{
  return adw_squeezer_get_visible_child (self->header_squeezer) == self->narrow_header;
}

static void
header_changed_cb (TsDeviceWindow *self)
{
  for (guint i = 0; i < self->wide_actions->len; i++)
    gtk_widget_set_visible (g_ptr_array_index (self->wide_actions, i), !is_narrow (self));
  for (guint i = 0; i < self->narrow_actions->len; i++)
    gtk_widget_set_visible (g_ptr_array_index (self->narrow_actions, i), is_narrow (self));
}

/* Tells the GUI tests whether the labels of @widget are drawn whole. */
static void
watch_labels (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget))
    ts_visible_text_watch (GTK_LABEL (widget));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    watch_labels (child);
}

static void
add_identity_row (TsDeviceWindow *self,
                  const char     *title,
                  const char     *value)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *shown = value != NULL ? ts_at_display_text (value) : NULL;
  GtkWidget *label = gtk_label_new (shown != NULL ? shown : _("Unknown"));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  /* Never cut: an IMEI shown in part could be mistaken for another. Up to 20
   * characters (an IMEI, a model, a firmware name) stay on one line; only a
   * longer value, such as a UUID, wraps in a narrow window. */
  if (g_utf8_strlen (gtk_label_get_text (GTK_LABEL (label)), -1) > 20)
    {
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
    }
  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_RIGHT);
  gtk_widget_add_css_class (label, "dim-label");
  ts_visible_text_watch (GTK_LABEL (label));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  adw_preferences_group_add (self->identity_group, row);
  g_ptr_array_add (self->dynamic_groups, row);
}

/* The IMEI's whole record in the ledger, a click away. */
static void
add_history_row (TsDeviceWindow *self,
                 const char     *imei)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = gtk_button_new_with_label (_("History…"));
  g_autofree char *subtitle = g_strdup_printf (_("Certificates, installs and events the ledger holds for %s"),
                                               imei);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Ledger History"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  ts_set_accessible_name (button, _("Show the device's history"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "device.history");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  adw_preferences_group_add (self->identity_group, row);
  g_ptr_array_add (self->dynamic_groups, row);
}

static GtkWidget *
badge_new (const char *text,
           const char *style)
{
  GtkWidget *badge = gtk_label_new (text);

  gtk_widget_add_css_class (badge, "ts-badge");
  gtk_widget_add_css_class (badge, style);
  gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);

  return badge;
}

static GtkWidget *
entry_button (const char         *icon_name,
              const char         *tooltip,
              const char         *action,
              const TsCredential *credential)
{
  g_autofree char *label = g_strdup_printf ("%s (sec_tag %u, %s)", tooltip, credential->sec_tag,
                                            ts_cred_type_describe (credential->type));
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_widget_add_css_class (button, "flat");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "(uu)",
                                    credential->sec_tag, credential->type);

  return button;
}

/* Opens the details of a certificate in the store that the ledger knows. */
static GtkWidget *
details_button_new (const TsCredential *credential,
                    const CaShaMatch   *match)
{
  GtkWidget *button = entry_button ("application-certificate-symbolic", _("Certificate Details"),
                                    "device.cert-details", credential);

  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "(sss)",
                                    match->imei != NULL ? match->imei : "",
                                    match->kind == CA_SHA_DEVICE_CERTIFICATE && match->serial != NULL
                                      ? match->serial : "",
                                    match->authority_name != NULL ? match->authority_name : "");

  return button;
}

/* Revokes the ledger's certificate @serial, the one this row shows. */
static GtkWidget *
revoke_button_new (const char *serial)
{
  GtkWidget *button = gtk_button_new_with_label (_("Revoke…"));
  g_autofree char *label = g_strdup_printf (_("Revoke certificate %s"), serial);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  ts_set_accessible_name (button, label);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "device.revoke");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", serial);

  return button;
}

static void
cert_details_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  TsDeviceWindow *self = TS_DEVICE_WINDOW (widget);
  const char *imei;
  const char *serial;
  const char *authority;

  g_variant_get (param, "(&s&s&s)", &imei, &serial, &authority);
  ts_cert_details_show_from_ledger (widget, self->workspace, imei, *serial != '\0' ? serial : NULL,
                                    authority);
}

/* A row's action: a button while the window is wide, an item of its menu when narrow. */
static void
add_row_action (GtkWidget  *actions,
                GMenu      *menu,
                GtkWidget  *button,
                const char *label)
{
  g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);

  g_menu_item_set_action_and_target_value (item, gtk_actionable_get_action_name (GTK_ACTIONABLE (button)),
                                           gtk_actionable_get_action_target_value (GTK_ACTIONABLE (button)));
  g_menu_append_item (menu, item);
  gtk_box_append (GTK_BOX (actions), button);
}

static GtkWidget *
credential_row_new (TsDeviceWindow     *self,
                    const TsCredential *credential,
                    const CaShaMatch   *match,
                    const char         *subject)
{
  g_autofree char *what = ts_credential_describe (credential, match, subject);
  g_autofree char *subtitle = NULL;
  GtkWidget *row = adw_action_row_new ();
  gboolean known = match != NULL && match->kind != CA_SHA_UNKNOWN;
  GtkWidget *actions = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  g_autoptr(GMenu) menu = g_menu_new ();
  TsBadge state = known ? ts_badge_for_certificate (match->status, match->not_after)
                        : (TsBadge) { TS_BADGE_VALID };

  subtitle = credential->sha256[0] != '\0'
             ? g_strdup_printf ("%s\nSHA-256 %s", what, credential->sha256)
             : g_strdup (what);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), ts_cred_type_describe (credential->type));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_add_css_class (row, "ts-credential");

  if (state.kind != TS_BADGE_VALID)
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), badge_new (state.label, state.style));

  /* A device certificate of another IMEI: copied from another unit, or a mix-up. */
  if (known && match->kind == CA_SHA_DEVICE_CERTIFICATE && self->identity != NULL &&
      match->imei != NULL && g_strcmp0 (match->imei, self->identity->imei) != 0)
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), badge_new (_("Other device"), "error"));
  else if (known && match->kind == CA_SHA_DEVICE_CERTIFICATE && match->status == CA_CERT_STATUS_VALID)
    {
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), badge_new (_("In ledger"), "success"));
      add_row_action (actions, menu, revoke_button_new (match->serial), _("_Revoke…"));
    }

  if (known)
    add_row_action (actions, menu, details_button_new (credential, match), _("Certificate _Details"));

  if (ts_sec_tag_classify (credential->sec_tag) != TS_SEC_TAG_MODEM)
    {
      if (credential->type != TS_CRED_PRIVATE_KEY && credential->type != TS_CRED_PSK)
        add_row_action (actions, menu, entry_button ("document-open-symbolic", _("Read Back"),
                                                     "device.read-back", credential),
                        _("Read _Back…"));
      if (ts_cred_type_is_writable (credential->type))
        add_row_action (actions, menu, entry_button ("user-trash-symbolic", _("Delete"),
                                                     "device.delete", credential),
                        _("_Delete…"));
    }

  /* Narrow, the buttons give way to a menu of the same actions. */
  if (g_menu_model_get_n_items (G_MENU_MODEL (menu)) > 0)
    {
      GtkWidget *more = gtk_menu_button_new ();
      g_autofree char *more_label = g_strdup_printf (_("Actions (sec_tag %u, %s)"), credential->sec_tag,
                                                     ts_cred_type_describe (credential->type));

      gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (more), "view-more-symbolic");
      gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (more), G_MENU_MODEL (menu));
      gtk_widget_set_valign (more, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (more, _("Actions"));
      gtk_widget_add_css_class (more, "flat");
      ts_set_accessible_name (more, more_label);
      gtk_widget_set_visible (actions, !is_narrow (self));
      gtk_widget_set_visible (more, is_narrow (self));
      g_ptr_array_add (self->wide_actions, actions);
      g_ptr_array_add (self->narrow_actions, more);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), actions);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), more);
    }
  else
    g_object_unref (g_object_ref_sink (actions));

  watch_labels (row);

  return row;
}

static void
show_store (TsDeviceWindow *self,
            Store          *store)
{
  const TsModemIdentity *identity = self->identity;
  AdwPreferencesGroup *group = NULL;
  gint64 group_tag = -1;

  clear_dynamic (self);

  add_identity_row (self, _("IMEI"), identity->imei);
  add_identity_row (self, _("Model"), identity->model);
  add_identity_row (self, _("Firmware"), identity->firmware);
  add_identity_row (self, _("Device UUID"), identity->device_uuid);
  add_identity_row (self, _("Port"), ts_device_link_get_path (self->link));
  add_identity_row (self, _("Mode"), identity->functional_mode == 4
                                     ? _("Offline (flight mode)")
                                     : identity->functional_mode == 1 ? _("Online")
                                                                      : _("Other"));
  add_history_row (self, identity->imei);

  /* The modem lists entries ordered by sec_tag, then type. */
  for (guint i = 0; i < store->survey->credentials->len; i++)
    {
      const TsCredential *credential = &g_array_index (store->survey->credentials, TsCredential, i);

      if (group == NULL || credential->sec_tag != group_tag)
        {
          g_autofree char *title = g_strdup_printf (_("sec_tag %u"), credential->sec_tag);

          group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
          adw_preferences_group_set_title (group, title);
          switch (ts_sec_tag_classify (credential->sec_tag))
            {
            case TS_SEC_TAG_DEBUG:
              adw_preferences_group_set_description (group,
                _("⚠ A Nordic debug tag: TLS sessions using it can be decrypted by trace "
                  "tools. Never use it in products."));
              break;
            case TS_SEC_TAG_MODEM:
              adw_preferences_group_set_description (group,
                _("Owned by the modem itself. Tagsmith shows it but never changes it."));
              break;
            default:
              break;
            }
          adw_preferences_page_add (self->page, group);
          g_ptr_array_add (self->dynamic_groups, group);
          group_tag = credential->sec_tag;
        }

      adw_preferences_group_add (group, credential_row_new (self, credential,
                                                            g_ptr_array_index (store->survey->matches, i),
                                                            g_ptr_array_index (store->survey->subjects, i)));
    }

  if (store->survey->credentials->len == 0)
    {
      group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
      adw_preferences_group_set_title (group, _("Credential Store"));
      adw_preferences_group_set_description (group, _("The store is empty. Provision the device, "
                                                      "or add a credential."));
      adw_preferences_page_add (self->page, group);
      g_ptr_array_add (self->dynamic_groups, group);
    }

  show_page (self, "store");
}

/* The kit's name, with the end of its IMEI once the modem said it, so that windows of
 * several kits can be told apart; the subtitle keeps the whole IMEI. */
static void
update_title (TsDeviceWindow *self)
{
  g_autofree char *title = ts_kit_name (ts_device_item_get_port (self->device), self->identity);

  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_label_set_text (self->wide_title, title);
  gtk_label_set_text (self->wide_subtitle, self->identity != NULL
                      ? self->identity->imei
                      : ts_device_item_get_port (self->device)->path);
  /* Narrow, less but whole: the IMEI, or the port until the modem said it. */
  gtk_label_set_text (self->narrow_title, self->identity != NULL
                      ? self->identity->imei
                      : ts_device_item_get_port (self->device)->path);
}

static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TsDeviceWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  Store *store;

  set_busy (self, NULL);
  store = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  if (store == NULL)
    {
      g_autofree char *advice = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      advice = ts_error_advice (error);
      adw_status_page_set_description (self->error_status, advice);
      show_page (self, "error");
      return;
    }

  /* A window closed meanwhile gives the port back at once. */
  if (self->link == NULL && !g_cancellable_is_cancelled (self->cancellable))
    self->link = ts_device_link_ref (store->link);
  g_clear_pointer (&self->identity, ts_modem_identity_free);
  self->identity = g_steal_pointer (&store->survey->identity);
  update_title (self);

  show_store (self, store);
  store_free (store);
}

static void
ts_device_window_reload (TsDeviceWindow *self)
{
  LoadData *data = g_new0 (LoadData, 1);

  data->link = self->link != NULL ? ts_device_link_ref (self->link) : NULL;
  data->path = g_strdup (ts_device_item_get_port (self->device)->path);
  if (data->link == NULL)
    {
      data->observer = g_new0 (GWeakRef, 1);
      g_weak_ref_init (data->observer, self);
    }

  set_busy (self, _("Reading the credential store…"));
  ts_workspace_run_async (self->workspace, load_job, data, load_data_free, store_free,
                          self->op_cancellable, load_cb, g_object_ref (self));
}

/* Actions ------------------------------------------------------------------------- */

static void
at_log_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  TsDeviceWindow *self = TS_DEVICE_WINDOW (widget);
  g_autoptr(TsTrafficWindow) window = g_weak_ref_get (&self->at_log_window);

  if (window == NULL)
    {
      g_autofree char *name = ts_kit_name (ts_device_item_get_port (self->device), self->identity);

      window = g_object_ref (ts_traffic_window_new (GTK_WINDOW (self), self->at_log, name));
      g_weak_ref_set (&self->at_log_window, window);
    }
  gtk_window_present (GTK_WINDOW (window));
}

/* F1 opens the device window's own help page. */
static void
help_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  ts_show_help (GTK_WINDOW (widget), "help:tagsmith/device-window");
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  ts_device_window_reload (TS_DEVICE_WINDOW (widget));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TsDeviceWindow *self = TS_DEVICE_WINDOW (widget);

  if (self->op_cancellable != NULL)
    g_cancellable_cancel (self->op_cancellable);
  gtk_label_set_text (self->progress_label, _("Cancelling after the current command…"));
}

/* After a change: the store is read again, and pages showing the ledger reload. */
static void
operation_done (TsDeviceWindow *self,
                const GError   *error,
                const char     *success)
{
  set_busy (self, NULL);

  if (error != NULL)
    show_error (self, error);
  else if (success != NULL)
    show_toast (self, success);

  /* Even a cancelled or failed operation may have changed the store or the ledger. */
  if (!g_cancellable_is_cancelled (self->cancellable))
    ts_device_window_reload (self);
}

/* Provision and re-key ---------------------------------------------------------------- */

static void
provision_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(TsDeviceWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TsProvisionResult) outcome = NULL;
  g_autofree char *message = NULL;

  /* It sets @error from the outcome when the flow failed. */
  outcome = ts_workspace_provision_finish (TS_WORKSPACE (object), result, &error);
  g_atomic_int_set (&self->flow_running, FALSE);

  /* Cancelling is the user's own doing, yet they need to hear how far it got and what
   * settles an install left in flight: the flow's message says both. */
  if (outcome != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      message = ts_error_advice (error);
      g_clear_error (&error);
    }
  else if (error == NULL)
    {
      if (outcome->outcome == TS_PROVISION_ALREADY_PROVISIONED)
        message = g_strdup_printf (_("sec_tag %u already holds the current certificate %s; "
                                     "nothing was changed."), outcome->sec_tag, outcome->serial);
      else if (outcome->revoked != NULL && outcome->revoked->len > 0)
        message = g_strdup_printf (_("Re-keyed: certificate %s installed and verified in sec_tag %u; "
                                     "%u old certificate(s) revoked and the CRL published."),
                                   outcome->serial, outcome->sec_tag, outcome->revoked->len);
      else
        message = g_strdup_printf (_("Provisioned: certificate %s installed and verified in "
                                     "sec_tag %u."), outcome->serial, outcome->sec_tag);
    }

  operation_done (self, error, message);
}

static void
provision_request_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(TsDeviceWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TsProvisionRequest) request = NULL;

  request = ts_provision_dialog_run_finish (result, &error);
  if (request == NULL)
    {
      show_error (self, error);
      return;
    }

  set_busy (self, request->rekey ? _("Re-keying…") : _("Provisioning…"));
  g_atomic_int_set (&self->flow_running, TRUE);
  ts_workspace_provision_async (self->workspace, self->link, request,
                                provision_progress, g_object_ref (self), g_object_unref,
                                self->op_cancellable, provision_cb, g_object_ref (self));
}

static void
start_provision (TsDeviceWindow *self,
                 gboolean        rekey)
{
  if (self->link == NULL || self->identity == NULL)
    {
      show_toast (self, _("The device is not connected. Read the store again first."));
      return;
    }

  ts_provision_dialog_run_async (GTK_WIDGET (self), self->workspace, self->identity, rekey,
                                 self->cancellable,
                                 provision_request_cb, g_object_ref (self));
}

static void
provision_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  start_provision (TS_DEVICE_WINDOW (widget), FALSE);
}

static void
rekey_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  start_provision (TS_DEVICE_WINDOW (widget), TRUE);
}

/* Add, delete, read back ------------------------------------------------------------------ */

/* A write or deletion, recorded in the ledger. */
typedef struct
{
  TsDeviceLink   *link;
  guint32         sec_tag;
  guint           type;
  TsCredentialSet *set;     /* (nullable) what a write writes */
  TsDeviceWindow *window;   /* (nullable) held while the workspace is being unlocked;
                             * during a write, for its progress */
} ChangeData;

static void
change_data_free (gpointer pointer)
{
  ChangeData *data = pointer;

  g_clear_object (&data->window);
  g_clear_pointer (&data->link, ts_device_link_unref);
  g_clear_pointer (&data->set, ts_credential_set_free);
  g_free (data);
}

static ChangeData *
change_data_new (TsDeviceWindow *self,
                 guint32         sec_tag,
                 guint           type)
{
  ChangeData *data = g_new0 (ChangeData, 1);

  data->link = ts_device_link_ref (self->link);
  data->sec_tag = sec_tag;
  data->type = type;

  return data;
}

static void
write_progress (guint    type,
                guint    index,
                guint    n_parts,
                gpointer user_data)
{
  ChangeData *data = user_data;
  g_autofree char *message = g_strdup_printf (_("Writing the %s (%u of %u)…"),
                                              ts_cred_type_describe (type), index + 1, n_parts);

  post_progress (data->window, message, (double) index / n_parts);
}

/* Says which parts were written and verified, with the SHA-256 the modem lists for each;
 * on failure, which ones made it before. */
static gpointer
write_job (TsWorkspace   *workspace,
           gpointer       pointer,
           GCancellable  *cancellable,
           GError       **error)
{
  ChangeData *data = pointer;
  g_autoptr(GString) done = g_string_new (NULL);
  g_autoptr(GError) local_error = NULL;
  char *sha256[5] = { NULL };
  guint written = 0;

  ts_workspace_write_credential_set (workspace, data->link, data->sec_tag, data->set,
                                     TS_MODEM_WRITE_NONE, write_progress, data, &written, sha256,
                                     NULL, cancellable, &local_error);
  for (guint type = 0; type < G_N_ELEMENTS (sha256); type++)
    {
      if ((written & (1u << type)) != 0)
        g_string_append_printf (done, "%s%s (SHA-256 %s)", done->len > 0 ? ", " : "",
                                ts_cred_type_describe (type), sha256[type]);
      g_free (sha256[type]);
    }

  if (local_error != NULL)
    {
      if (done->len > 0)
        g_prefix_error (&local_error, _("Written and verified before the failure: %s. "), done->str);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  return g_strdup_printf (_("Written and verified in sec_tag %u: %s."), data->sec_tag, done->str);
}

static gpointer
delete_job (TsWorkspace   *workspace,
            gpointer       pointer,
            GCancellable  *cancellable,
            GError       **error)
{
  ChangeData *data = pointer;

  if (!ts_workspace_delete_credentials (workspace, data->link, data->sec_tag, (int) data->type,
                                        TS_MODEM_WRITE_NONE, NULL, NULL, cancellable, error))
    return NULL;

  return g_strdup (_("Deleted."));
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(TsDeviceWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);

  operation_done (self, error, message);
}

static void
write_unlocked_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ChangeData *data = user_data;
  g_autoptr(TsDeviceWindow) self = g_object_ref (data->window);
  g_autoptr(GError) error = NULL;

  if (!ts_unlock_finish (result, &error))
    {
      change_data_free (data);
      show_error (self, error);
      return;
    }

  set_busy (self, _("Writing the credentials…"));
  ts_workspace_run_async (self->workspace, write_job, data, change_data_free, g_free,
                          self->op_cancellable, write_cb, g_object_ref (self));
}

static void
credential_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TsDeviceWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TsCredentialInput) input = NULL;
  ChangeData *data;

  input = ts_credential_dialog_run_finish (result, &error);
  if (input == NULL)
    {
      show_error (self, error);
      return;
    }

  data = change_data_new (self, input->sec_tag, 0);
  data->set = g_steal_pointer (&input->set);
  data->window = g_object_ref (self);

  /* The ledger records the change before the modem is touched, and every
   * record needs the workspace passphrase. */
  ts_unlock_async (self->workspace, GTK_WIDGET (self), self->cancellable, write_unlocked_cb, data);
}

static void
add_credential_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  TsDeviceWindow *self = TS_DEVICE_WINDOW (widget);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  if (self->link == NULL)
    {
      show_toast (self, _("The device is not connected. Read the store again first."));
      return;
    }

  ts_credential_dialog_run_async (widget, self->workspace,
                                  g_settings_get_uint (settings, "default-sec-tag"),
                                  self->cancellable, credential_cb, g_object_ref (self));
}

typedef struct
{
  TsDeviceWindow *window;
  guint32         sec_tag;
  guint           type;
} EntryRef;

static void
entry_ref_free (EntryRef *entry)
{
  g_clear_object (&entry->window);
  g_free (entry);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntryRef, entry_ref_free)

static EntryRef *
entry_ref_new (TsDeviceWindow *self,
               GVariant       *param)
{
  EntryRef *entry = g_new0 (EntryRef, 1);

  entry->window = g_object_ref (self);
  g_variant_get (param, "(uu)", &entry->sec_tag, &entry->type);

  return entry;
}

static void
delete_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(TsDeviceWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);

  operation_done (self, error, message);
}

static void
delete_unlocked_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(EntryRef) entry = user_data;
  g_autoptr(GError) error = NULL;
  TsDeviceWindow *self = entry->window;

  if (!ts_unlock_finish (result, &error))
    {
      show_error (self, error);
      return;
    }

  set_busy (self, _("Deleting…"));
  ts_workspace_run_async (self->workspace, delete_job,
                          change_data_new (self, entry->sec_tag, entry->type), change_data_free,
                          g_free, self->op_cancellable, delete_cb, g_object_ref (self));
}

static void
delete_confirmed_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(EntryRef) entry = user_data;
  g_autoptr(GError) error = NULL;
  TsDeviceWindow *self = entry->window;

  if (!ts_confirm_finish (result, &error))
    return;

  ts_unlock_async (self->workspace, GTK_WIDGET (self), self->cancellable, delete_unlocked_cb,
                          g_steal_pointer (&entry));
}

static void
delete_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TsDeviceWindow *self = TS_DEVICE_WINDOW (widget);
  EntryRef *entry = entry_ref_new (self, param);
  g_autofree char *heading = NULL;

  heading = g_strdup_printf (_("Delete the %s of sec_tag %u?"),
                             ts_cred_type_describe (entry->type), entry->sec_tag);
  ts_confirm_async (widget, heading,
                    _("The modem forgets it at once. Connections that rely on it fail until "
                      "it is written again. Certificates issued here stay in the ledger."),
                    _("_Delete"), self->cancellable, delete_confirmed_cb, entry);
}

static gpointer
read_job (TsWorkspace   *workspace,
          gpointer       pointer,
          GCancellable  *cancellable,
          GError       **error)
{
  ChangeData *data = pointer;

  return ts_workspace_read_credential (workspace, data->link, data->sec_tag, data->type,
                                       cancellable, error);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(EntryRef) entry = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) content = NULL;
  g_autofree char *name = NULL;

  content = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  set_busy (entry->window, NULL);
  if (content == NULL)
    {
      show_error (entry->window, error);
      return;
    }

  name = g_strdup_printf ("sec_tag-%u-type-%u.pem", entry->sec_tag, entry->type);
  ts_save_bytes (GTK_WIDGET (entry->window), _("Save the Read-Back Credential"), name, content);
}

static void
read_back_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  TsDeviceWindow *self = TS_DEVICE_WINDOW (widget);
  EntryRef *entry = entry_ref_new (self, param);

  set_busy (self, _("Reading back…"));
  ts_workspace_run_async (self->workspace, read_job,
                          change_data_new (self, entry->sec_tag, entry->type), change_data_free,
                          (GDestroyNotify) g_bytes_unref, self->op_cancellable, read_cb, entry);
}

/* Lifecycle ------------------------------------------------------------------------- */

static gboolean
ts_device_window_close_request (GtkWindow *window)
{
  TsDeviceWindow *self = TS_DEVICE_WINDOW (window);

  g_cancellable_cancel (self->cancellable);
  /* The port is given back as soon as the work in flight lets go of it. */
  g_clear_pointer (&self->link, ts_device_link_unref);

  return GTK_WINDOW_CLASS (ts_device_window_parent_class)->close_request (window);
}

static void
ts_device_window_dispose (GObject *object)
{
  TsDeviceWindow *self = TS_DEVICE_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (object), TS_TYPE_DEVICE_WINDOW);

  G_OBJECT_CLASS (ts_device_window_parent_class)->dispose (object);
}

static void
ts_device_window_finalize (GObject *object)
{
  TsDeviceWindow *self = TS_DEVICE_WINDOW (object);

  /* Work still running holds its own reference to the link; the port closes with the last. */
  g_clear_pointer (&self->link, ts_device_link_unref);
  g_clear_object (&self->workspace);
  g_clear_object (&self->device);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->op_cancellable);
  g_clear_pointer (&self->identity, ts_modem_identity_free);
  g_clear_pointer (&self->dynamic_groups, g_ptr_array_unref);
  g_clear_pointer (&self->wide_actions, g_ptr_array_unref);
  g_clear_pointer (&self->narrow_actions, g_ptr_array_unref);
  g_clear_pointer (&self->at_log, ts_traffic_log_unref);
  g_weak_ref_clear (&self->at_log_window);

  G_OBJECT_CLASS (ts_device_window_parent_class)->finalize (object);
}

static void
history_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  TsDeviceWindow *self = TS_DEVICE_WINDOW (widget);

  if (self->identity != NULL && self->identity->imei != NULL)
    gtk_window_present (GTK_WINDOW (ts_history_window_new (self->workspace, GTK_WINDOW (self),
                                                           self->identity->imei)));
}

static void
revoke_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  TsDeviceWindow *self = TS_DEVICE_WINDOW (widget);

  if (self->identity != NULL && self->identity->imei != NULL)
    ts_revoke_dialog_present (widget, self->workspace, self->identity->imei, g_variant_get_string (parameter, NULL));
}

static void
ts_device_window_class_init (TsDeviceWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = ts_device_window_dispose;
  object_class->finalize = ts_device_window_finalize;
  window_class->close_request = ts_device_window_close_request;

  g_type_ensure (TS_TYPE_MESSAGE_BIN);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/ts-device-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TsDeviceWindow, wide_title);
  gtk_widget_class_bind_template_child (widget_class, TsDeviceWindow, wide_subtitle);
  gtk_widget_class_bind_template_child (widget_class, TsDeviceWindow, header_squeezer);
  gtk_widget_class_bind_template_child (widget_class, TsDeviceWindow, narrow_header);
  gtk_widget_class_bind_template_child (widget_class, TsDeviceWindow, narrow_title);
  gtk_widget_class_bind_template_callback (widget_class, header_changed_cb);
  gtk_widget_class_bind_template_child (widget_class, TsDeviceWindow, progress_revealer);
  gtk_widget_class_bind_template_child (widget_class, TsDeviceWindow, progress_label);
  gtk_widget_class_bind_template_child (widget_class, TsDeviceWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, TsDeviceWindow, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, TsDeviceWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, TsDeviceWindow, error_status);
  gtk_widget_class_bind_template_child (widget_class, TsDeviceWindow, page);
  gtk_widget_class_bind_template_child (widget_class, TsDeviceWindow, identity_group);

  gtk_widget_class_install_action (widget_class, "device.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "device.at-log", NULL, at_log_action);
  gtk_widget_class_install_action (widget_class, "device.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "device.provision", NULL, provision_action);
  gtk_widget_class_install_action (widget_class, "device.rekey", NULL, rekey_action);
  gtk_widget_class_install_action (widget_class, "device.add-credential", NULL,
                                   add_credential_action);
  gtk_widget_class_install_action (widget_class, "device.delete", "(uu)", delete_action);
  gtk_widget_class_install_action (widget_class, "device.read-back", "(uu)", read_back_action);
  gtk_widget_class_install_action (widget_class, "device.cert-details", "(sss)", cert_details_action);
  gtk_widget_class_install_action (widget_class, "device.history", NULL, history_action);
  gtk_widget_class_install_action (widget_class, "device.revoke", "s", revoke_action);
  gtk_widget_class_install_action (widget_class, "device.help", NULL, help_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK,
                                       "device.refresh", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "device.refresh", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F1, 0, "device.help", NULL);
}

static void
ts_device_window_init (TsDeviceWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ts_accessible_fixup (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->dynamic_groups = g_ptr_array_new ();
  self->wide_actions = g_ptr_array_new ();
  self->narrow_actions = g_ptr_array_new ();
  ts_visible_text_watch (self->wide_title);
  ts_visible_text_watch (self->wide_subtitle);
  ts_visible_text_watch (self->narrow_title);
  /* Enough for a long debugging session; the oldest lines go first. */
  self->at_log = ts_traffic_log_new (5000);
  g_weak_ref_init (&self->at_log_window, NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "device.cancel", FALSE);
}

TsDeviceWindow *
ts_device_window_new (GtkWindow    *parent,
                      TsWorkspace  *workspace,
                      TsDeviceItem *device)
{
  TsDeviceWindow *self;

  g_return_val_if_fail (TS_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (TS_IS_DEVICE_ITEM (device), NULL);

  self = g_object_new (TS_TYPE_DEVICE_WINDOW,
                       "transient-for", parent,
                       "application", gtk_window_get_application (parent),
                       NULL);
  self->workspace = g_object_ref (workspace);
  self->device = g_object_ref (device);
  update_title (self);
  ts_device_window_reload (self);

  return self;
}
