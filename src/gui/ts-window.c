/* ts-window.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-window"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-activity-page.h"
#include "ts-authorities-page.h"
#include "ts-devices-page.h"
#include "ts-first-start.h"
#include "ts-fleet-page.h"
#include "ts-gui-util.h"
#include "ts-message-bin.h"
#include "ts-production-page.h"
#include "ts-unlock.h"
#include "ts-window.h"

struct _TsWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwLeaflet           *leaflet;
  GtkStack             *stack;
  GtkWidget            *sidebar_pane;
  GtkListBox           *sidebar_list;
  AdwWindowTitle       *content_title;
  GtkButton            *lock_button;
  GtkRevealer          *ledger_banner;
  GtkLabel             *ledger_banner_label;
  AdwStatusPage        *ledger_status;
  TsDevicesPage        *devices_page;
  TsFleetPage          *fleet_page;
  TsAuthoritiesPage    *authorities_page;
  TsProductionPage     *production_page;
  TsActivityPage       *activity_page;

  /* Owned references */
  TsWorkspace          *workspace;
};

G_DEFINE_FINAL_TYPE (TsWindow, ts_window, ADW_TYPE_APPLICATION_WINDOW)

/* The sidebar mirrors the stack's pages. A list box rather than GtkStackSidebar, so that
 * every row carries an accessible name that screen readers (and our AT-SPI tests) can use. */
static void
ts_window_populate_sidebar (TsWindow *self)
{
  g_autoptr(GtkSelectionModel) pages = gtk_stack_get_pages (self->stack);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (pages));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (pages), i);
      GtkStackPage *page = GTK_STACK_PAGE (item);
      GtkWidget *row = gtk_list_box_row_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
      const char *title = gtk_stack_page_get_title (page);

      gtk_box_append (GTK_BOX (box), gtk_image_new_from_icon_name (gtk_stack_page_get_icon_name (page)));
      gtk_box_append (GTK_BOX (box), gtk_label_new (title));
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
      gtk_widget_set_name (row, gtk_stack_page_get_name (page));
      gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                      -1);
      gtk_list_box_append (self->sidebar_list, row);
    }
}

/* On a narrow screen the sidebar and the page take turns: picking a page
 * slides to it, even the one already chosen. */
static void
show_page (TsWindow   *self,
           const char *name)
{
  gtk_stack_set_visible_child_name (self->stack, name);
  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
}

static void
sidebar_row_activated_cb (TsWindow      *self,
                          GtkListBoxRow *row,
                          GtkListBox    *list)
{
  show_page (self, gtk_widget_get_name (GTK_WIDGET (row)));
}

static void
sidebar_row_selected_cb (TsWindow      *self,
                         GtkListBoxRow *row,
                         GtkListBox    *list)
{
  g_assert (TS_IS_WINDOW (self));

  if (row != NULL)
    gtk_stack_set_visible_child_name (self->stack, gtk_widget_get_name (GTK_WIDGET (row)));
}

/* Tab leaves the sidebar for the page on show, and Shift+Tab for the sidebar's
 * header, instead of walking the rows: a row that takes the focus is selected,
 * so walking them would switch the page at every step. Arrows, Enter and a
 * click still pick a page. */
static gboolean
sidebar_key_pressed_cb (TsWindow              *self,
                        guint                  keyval,
                        guint                  keycode,
                        GdkModifierType        state,
                        GtkEventControllerKey *controller)
{
  GtkWidget *sidebar_header;

  if (keyval == GDK_KEY_Tab || keyval == GDK_KEY_KP_Tab)
    return gtk_widget_get_mapped (GTK_WIDGET (self->stack)) &&
           gtk_widget_child_focus (GTK_WIDGET (self->stack), GTK_DIR_TAB_FORWARD);

  if (keyval == GDK_KEY_ISO_Left_Tab)
    {
      sidebar_header = gtk_widget_get_first_child (GTK_WIDGET (self->sidebar_pane));
      return gtk_widget_child_focus (sidebar_header, GTK_DIR_TAB_BACKWARD);
    }

  return FALSE;
}

/* A ledger that did not open is said at the top of every page, with the way
 * to choose another; the pages that show ledger data say it instead of an
 * empty state that would read as "nothing yet". The Devices page works
 * without a ledger. */
static void
update_ledger_state (TsWindow *self)
{
  const char *page;
  gboolean failed;
  gboolean replaced;

  failed = self->workspace != NULL && ts_workspace_get_state (self->workspace) == TS_WORKSPACE_FAILED;
  if (failed)
    {
      const char *path = ts_workspace_get_ledger_path (self->workspace);
      const GError *error = ts_workspace_get_error (self->workspace);
      g_autofree char *advice = NULL;
      g_autofree char *description = NULL;

      advice = g_strdup_printf (_("The fleet ledger “%s” could not be opened. %s"),
                                path, error != NULL ? error->message : "");
      gtk_label_set_text (self->ledger_banner_label, advice);
      description = g_strdup_printf (_("Nothing in “%s” can be shown. The message above says "
                                       "why, and what to do."), path);
      adw_status_page_set_description (self->ledger_status, description);
    }
  else
    {
      /* A hidden revealer's child still reaches screen readers. */
      gtk_label_set_text (self->ledger_banner_label, "");
    }
  gtk_revealer_set_reveal_child (self->ledger_banner, failed);

  /* Hidden rather than stacked, so that screen readers skip the empty state. */
  page = gtk_stack_get_visible_child_name (self->stack);
  replaced = failed && g_strcmp0 (page, "devices") != 0;
  gtk_widget_set_visible (GTK_WIDGET (self->stack), !replaced);
  gtk_widget_set_visible (GTK_WIDGET (self->ledger_status), replaced);
}

static void
visible_page_changed_cb (TsWindow   *self,
                         GParamSpec *pspec,
                         GtkStack   *stack)
{
  GtkWidget *child;
  GtkStackPage *page;

  g_assert (TS_IS_WINDOW (self));

  child = gtk_stack_get_visible_child (stack);
  if (child == NULL)
    return;

  page = gtk_stack_get_page (stack, child);
  adw_window_title_set_title (self->content_title, gtk_stack_page_get_title (page));

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->sidebar_list));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (g_strcmp0 (gtk_widget_get_name (row), gtk_stack_page_get_name (page)) == 0)
      gtk_list_box_select_row (self->sidebar_list, GTK_LIST_BOX_ROW (row));

  update_ledger_state (self);

  /* On a narrow screen picking a page in the sidebar slides to it. */
  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
}

static void
go_back_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  TsWindow *self = TS_WINDOW (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* The header says whether the authorities can sign, and locks or unlocks them. */
static void
update_lock_button (TsWindow *self)
{
  TsWorkspaceState state = ts_workspace_get_state (self->workspace);
  gboolean unlocked = state == TS_WORKSPACE_UNLOCKED;
  const char *name = unlocked ? _("Authorities Unlocked. Lock Them")
                              : _("Authorities Locked. Unlock Them");

  gtk_widget_set_visible (GTK_WIDGET (self->lock_button),
                          unlocked || state == TS_WORKSPACE_LOCKED);
  gtk_button_set_icon_name (self->lock_button, unlocked ? "changes-allow-symbolic"
                                                        : "changes-prevent-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->lock_button), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->lock_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                  -1);
}

static void
unlocked_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TsWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!ts_unlock_finish (result, &error))
    ts_show_error (GTK_WIDGET (gtk_stack_get_visible_child (self->stack)), error);
}

static void
lock_clicked_cb (TsWindow  *self,
                 GtkButton *button)
{
  g_assert (TS_IS_WINDOW (self));

  if (ts_workspace_is_unlocked (self->workspace))
    gtk_widget_activate_action (GTK_WIDGET (self), "app.lock", NULL);
  else
    ts_unlock_async (self->workspace, GTK_WIDGET (self), NULL, unlocked_cb, g_object_ref (self));
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  TsWindow *self = TS_WINDOW (widget);
  const char *name = g_variant_get_string (param, NULL);

  if (gtk_stack_get_child_by_name (self->stack, name) != NULL)
    show_page (self, name);
}

/* F1 opens the help page of the page on show (data/help/C, page ids are the
 * stack's page names). */
static void
help_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  TsWindow *self = TS_WINDOW (widget);
  const char *page = gtk_stack_get_visible_child_name (self->stack);
  g_autofree char *uri = page != NULL ? g_strconcat ("help:tagsmith/", page, NULL) : g_strdup ("help:tagsmith");

  ts_show_help (GTK_WINDOW (self), uri);
}

/* From the first-start buttons of the pages and the provision dialog. */
static void
create_authority_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *param)
{
  TsWindow *self = TS_WINDOW (widget);

  gtk_stack_set_visible_child_name (self->stack, "authorities");
  gtk_widget_activate_action (GTK_WIDGET (self->authorities_page), "authorities.create", NULL);
}

/* Window size and the last page come back the way the user left them. */
static void
ts_window_bind_settings (TsWindow  *self,
                         GSettings *settings)
{
  g_autofree char *last_page = NULL;

  g_settings_bind (settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);

  last_page = g_settings_get_string (settings, "last-page");
  if (gtk_stack_get_child_by_name (self->stack, last_page) != NULL)
    gtk_stack_set_visible_child_name (self->stack, last_page);
  g_settings_bind (settings, "last-page", self->stack, "visible-child-name",
                   G_SETTINGS_BIND_SET);
}

static void
ts_window_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), TS_TYPE_WINDOW);
  g_clear_object (&TS_WINDOW (object)->workspace);

  G_OBJECT_CLASS (ts_window_parent_class)->dispose (object);
}

static void
ts_window_class_init (TsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ts_window_dispose;

  g_type_ensure (TS_TYPE_ACTIVITY_PAGE);
  g_type_ensure (TS_TYPE_AUTHORITIES_PAGE);
  g_type_ensure (TS_TYPE_DEVICES_PAGE);
  g_type_ensure (TS_TYPE_FLEET_PAGE);
  g_type_ensure (TS_TYPE_PRODUCTION_PAGE);

  g_type_ensure (TS_TYPE_MESSAGE_BIN);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/ts-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TsWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, TsWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, TsWindow, content_title);
  gtk_widget_class_bind_template_child (widget_class, TsWindow, sidebar_pane);
  gtk_widget_class_bind_template_child (widget_class, TsWindow, lock_button);
  gtk_widget_class_bind_template_child (widget_class, TsWindow, sidebar_list);
  gtk_widget_class_bind_template_child (widget_class, TsWindow, ledger_banner);
  gtk_widget_class_bind_template_child (widget_class, TsWindow, ledger_banner_label);
  gtk_widget_class_bind_template_child (widget_class, TsWindow, ledger_status);
  gtk_widget_class_bind_template_child (widget_class, TsWindow, devices_page);
  gtk_widget_class_bind_template_child (widget_class, TsWindow, fleet_page);
  gtk_widget_class_bind_template_child (widget_class, TsWindow, authorities_page);
  gtk_widget_class_bind_template_child (widget_class, TsWindow, production_page);
  gtk_widget_class_bind_template_child (widget_class, TsWindow, activity_page);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_row_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_key_pressed_cb);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, visible_page_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, lock_clicked_cb);

  gtk_widget_class_install_action (widget_class, "win.go-back", NULL, go_back_action);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  gtk_widget_class_install_action (widget_class, "win.help", NULL, help_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F1, 0, "win.help", NULL);
  gtk_widget_class_install_action (widget_class, "win.create-authority", NULL,
                                   create_authority_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK,
                                       "win.show-page", "s", "devices");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK,
                                       "win.show-page", "s", "fleet");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK,
                                       "win.show-page", "s", "authorities");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_4, GDK_ALT_MASK,
                                       "win.show-page", "s", "production");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_5, GDK_ALT_MASK,
                                       "win.show-page", "s", "activity");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "window.close", NULL);
}

static void
ts_window_init (TsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  ts_window_populate_sidebar (self);
  ts_accessible_fixup (GTK_WIDGET (self));
  visible_page_changed_cb (self, NULL, self->stack);
}

/**
 * ts_window_new:
 * @workspace: what every page of the window shows and works on
 * @devices: the kits plugged in, for the Devices page
 * @settings: the application's settings (window size, last page)
 */
TsWindow *
ts_window_new (GtkApplication *application,
               TsWorkspace    *workspace,
               TsDeviceMonitor *devices,
               GSettings      *settings)
{
  TsWindow *self;

  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (TS_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (TS_TYPE_WINDOW, "application", application, NULL);
  ts_window_bind_settings (self, settings);

  ts_devices_page_set_devices (self->devices_page, devices);
  ts_window_set_workspace (self, workspace);

  return self;
}

/**
 * ts_window_set_workspace:
 *
 * Shows @workspace in every page: at first, and when another ledger is chosen.
 */
void
ts_window_set_workspace (TsWindow    *self,
                         TsWorkspace *workspace)
{
  g_return_if_fail (TS_IS_WINDOW (self));
  g_return_if_fail (TS_IS_WORKSPACE (workspace));

  if (self->workspace != NULL)
    g_signal_handlers_disconnect_by_data (self->workspace, self);
  g_set_object (&self->workspace, workspace);
  g_signal_connect_object (workspace, "notify::state",
                           G_CALLBACK (update_ledger_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (workspace, "notify::state",
                           G_CALLBACK (update_lock_button), self, G_CONNECT_SWAPPED);

  ts_devices_page_set_workspace (self->devices_page, workspace);
  ts_fleet_page_set_workspace (self->fleet_page, workspace);
  ts_authorities_page_set_workspace (self->authorities_page, workspace);
  ts_production_page_set_workspace (self->production_page, workspace);
  ts_activity_page_set_workspace (self->activity_page, workspace);
  ts_first_start_watch (GTK_WIDGET (self), workspace);

  update_ledger_state (self);
  update_lock_button (self);
}
