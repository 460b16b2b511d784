/* ts-fleet-page.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-fleet-page"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ts-badge.h"
#include "ts-cert-details.h"
#include "ts-fleet-model.h"
#include "ts-fleet-page.h"
#include "ts-gui-util.h"
#include "ts-export-dialog.h"
#include "ts-history-window.h"
#include "ts-revoke-dialog.h"
#include "ts-workspace-ca.h"

struct _TsFleetPage
{
  AdwBin             parent_instance;

  /* Template widgets */
  GtkSearchEntry    *search_entry;
  GtkDropDown       *filter_dropdown;
  GtkDropDown       *lot_dropdown;
  GtkStringList     *lots;
  GtkSpinButton     *days_spin;
  GtkStack          *stack;
  GtkScrolledWindow *scroller;
  GtkColumnView     *column_view;
  GtkLabel          *count_label;
  GtkColumnViewColumn *columns[6];  /* by Column */

  /* Owned references */
  TsWorkspace       *workspace;
  TsFleetModel      *model;
  GCancellable      *lots_cancellable;
  GSettings         *settings;

  gboolean           filling_lots;  /* the lot list is being replaced: not a query change */
  gboolean           open_first;    /* Enter came before the search's first match: open it when it lands */
  gboolean           stale;         /* the ledger changed while the page was hidden */
  int                width;         /* the width the columns were chosen for */
  int                probed;        /* the column whose sorter ran first in sort_changed_cb(), or -1 */
  guint              columns_idle;  /* choosing them again, after this allocation */

  /* TAGSMITH_BENCH: what tests/bench/bench-fleet has been told */
  gboolean           bench_rows_told;
  guint              bench_jump;     /* TAGSMITH_BENCH_JUMP: the row to scroll to once counted */
  gboolean           bench_jumped;
};

G_DEFINE_FINAL_TYPE (TsFleetPage, ts_fleet_page, ADW_TYPE_BIN)

/* TAGSMITH_BENCH set: a monotonic timestamp line on stderr for the benchmark. */
static void
bench_mark (const char *what,
            guint       value)
{
  if (g_getenv ("TAGSMITH_BENCH") != NULL)
    g_printerr ("tagsmith-bench %s %" G_GINT64_FORMAT " %u\n", what, g_get_monotonic_time (), value);
}

typedef enum
{
  COLUMN_IMEI,
  COLUMN_STATUS,
  COLUMN_EXPIRES,
  COLUMN_AUTHORITY,
  COLUMN_LOT,
  COLUMN_LAST_SEEN,
} Column;

/* @min_width: the list's width below which the column gives way, so the IMEI
 * and status always show whole, down to a phone's 360 px. @sort: the ledger's
 * order a click on the header asks for, -1 for none. */
static const struct
{
  Column      column;
  const char *title;
  gboolean    expand;
  int         min_width;
  int         sort;
} columns[] = {
  { COLUMN_IMEI, N_("IMEI"), FALSE, 0, CA_FLEET_SORT_IMEI },
  { COLUMN_STATUS, N_("Status"), FALSE, 0, CA_FLEET_SORT_STATUS },
  { COLUMN_EXPIRES, N_("Expires"), FALSE, 360, CA_FLEET_SORT_EXPIRY },
  { COLUMN_AUTHORITY, N_("Authority"), TRUE, 720, -1 },
  { COLUMN_LOT, N_("Lot"), FALSE, 600, -1 },
  { COLUMN_LAST_SEEN, N_("Last Seen"), FALSE, 840, CA_FLEET_SORT_LAST_SEEN },
};

static void
cell_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  Column column = GPOINTER_TO_INT (user_data);
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  /* An IMEI is never cut: other columns give way (update_columns_cb). */
  if (column == COLUMN_IMEI)
    gtk_widget_add_css_class (label, "monospace");
  else
    gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (column == COLUMN_STATUS)
    {
      gtk_widget_set_halign (label, GTK_ALIGN_START);
      gtk_widget_add_css_class (label, "ts-badge");
    }
  gtk_list_item_set_child (list_item, label);
}

static void
cell_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  Column column = GPOINTER_TO_INT (user_data);
  GtkWidget *label = gtk_list_item_get_child (list_item);
  const CaFleetRow *row = ts_fleet_item_get_row (gtk_list_item_get_item (list_item));
  g_autofree char *text = NULL;

  gtk_widget_remove_css_class (label, "error");
  gtk_widget_remove_css_class (label, "success");
  gtk_widget_remove_css_class (label, "warning");
  gtk_widget_remove_css_class (label, "dim-label");
  gtk_widget_set_visible (label, TRUE);

  if (row == NULL)
    {
      /* A page still on its way from the ledger. */
      gtk_label_set_text (GTK_LABEL (label), column == COLUMN_IMEI ? "…" : "");
      gtk_widget_add_css_class (label, "dim-label");
      gtk_widget_set_visible (label, column != COLUMN_STATUS);
      return;
    }

  switch (column)
    {
    case COLUMN_IMEI:
      text = g_strdup (row->imei);
      break;

    case COLUMN_STATUS:
      if (row->serial == NULL)
        {
          text = g_strdup (_("No certificate"));
          gtk_widget_add_css_class (label, "dim-label");
        }
      else
        {
          TsBadge badge = ts_badge_for_certificate (row->status, row->not_after);

          text = g_strdup (badge.label);
          gtk_widget_add_css_class (label, badge.style);
        }
      break;

    case COLUMN_EXPIRES:
      text = row->serial != NULL ? ts_format_date (row->not_after) : NULL;
      break;

    case COLUMN_AUTHORITY:
      text = g_strdup (row->authority_name);
      break;

    case COLUMN_LOT:
      text = g_strdup (row->lot);
      break;

    case COLUMN_LAST_SEEN:
      text = ts_format_relative (row->last_seen);
      break;

    default:
      g_assert_not_reached ();
    }

  gtk_label_set_text (GTK_LABEL (label), text != NULL ? text : "");
}

/* The ledger sorts, never the view: a column's sorter only tells which
 * column the header made primary. sort_changed_cb() asks the view's sorter to
 * compare two rows, and the first column sorter it consults is the primary. */
static int
probe_compare_cb (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  TsFleetPage *self = g_object_get_data (G_OBJECT (a), "ts-fleet-page");
  int column = GPOINTER_TO_INT (user_data);

  if (self != NULL && self->probed < 0)
    self->probed = column;

  return GTK_ORDERING_SMALLER;
}

static gboolean
primary_sort (TsFleetPage *self,
              CaFleetSort *out_sort,
              gboolean    *out_descending)
{
  g_autoptr(GObject) a = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GObject) b = g_object_new (G_TYPE_OBJECT, NULL);
  GtkOrdering order;

  g_object_set_data (a, "ts-fleet-page", self);
  g_object_set_data (b, "ts-fleet-page", self);
  self->probed = -1;
  order = gtk_sorter_compare (gtk_column_view_get_sorter (self->column_view), a, b);
  if (self->probed < 0 || order == GTK_ORDERING_EQUAL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    if ((int) columns[i].column == self->probed)
      *out_sort = columns[i].sort;
  *out_descending = order == GTK_ORDERING_LARGER;

  return TRUE;
}

/* A click on a header: the ledger lists the fleet in that order from the top,
 * and so does the window next time. */
static void
sort_changed_cb (TsFleetPage *self)
{
  g_autofree char *order = NULL;
  g_autofree char *remembered = NULL;
  CaFleetSort sort;
  gboolean descending;

  if (!primary_sort (self, &sort, &descending))
    return;
  order = ca_fleet_order_to_string (sort, descending);
  remembered = g_settings_get_string (self->settings, "fleet-sort");
  if (strcmp (order, remembered) != 0)
    g_settings_set_string (self->settings, "fleet-sort", order);
  if (self->model == NULL)
    return;
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scroller), 0);
  ts_fleet_model_set_sort (self->model, sort, descending);
}

/* The order the Fleet had last time; IMEI order when none was chosen. */
static void
restore_sort (TsFleetPage *self)
{
  g_autofree char *order = g_settings_get_string (self->settings, "fleet-sort");
  CaFleetSort sort = CA_FLEET_SORT_IMEI;
  gboolean descending = FALSE;
  Column column = COLUMN_IMEI;

  if (!ca_fleet_order_from_string (order, &sort, &descending))
    sort = CA_FLEET_SORT_IMEI, descending = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    if (columns[i].sort == (int) sort)
      column = columns[i].column;
  gtk_column_view_sort_by_column (self->column_view, self->columns[column],
                                  descending ? GTK_SORT_DESCENDING : GTK_SORT_ASCENDING);
}

static void
ts_fleet_page_add_columns (TsFleetPage *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      GtkColumnViewColumn *column;

      g_signal_connect (factory, "setup", G_CALLBACK (cell_setup_cb),
                        GINT_TO_POINTER (columns[i].column));
      g_signal_connect (factory, "bind", G_CALLBACK (cell_bind_cb),
                        GINT_TO_POINTER (columns[i].column));
      column = gtk_column_view_column_new (_(columns[i].title), factory);
      gtk_column_view_column_set_expand (column, columns[i].expand);
      gtk_column_view_column_set_resizable (column, TRUE);
      if (columns[i].sort >= 0)
        {
          g_autoptr(GtkCustomSorter) sorter = gtk_custom_sorter_new (probe_compare_cb,
                                                                    GINT_TO_POINTER (columns[i].column), NULL);

          gtk_column_view_column_set_sorter (column, GTK_SORTER (sorter));
        }
      gtk_column_view_append_column (self->column_view, column);
      self->columns[columns[i].column] = column;
      g_object_unref (column);
    }
}

/* The last column: a button that opens the row's certificate details. */
static void
details_setup_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  gpointer                  user_data)
{
  GtkWidget *button = gtk_button_new_from_icon_name ("application-certificate-symbolic");

  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_halign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, _("Certificate Details"));
  gtk_list_item_set_child (list_item, button);
}

static void
details_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 gpointer                  user_data)
{
  GtkWidget *button = gtk_list_item_get_child (list_item);
  const CaFleetRow *row = ts_fleet_item_get_row (gtk_list_item_get_item (list_item));
  g_autofree char *name = NULL;

  gtk_widget_set_visible (button, row != NULL && row->serial != NULL);
  if (row == NULL || row->serial == NULL)
    return;

  name = g_strdup_printf (_("Certificate details of %s"), row->imei);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "(sss)", row->imei, row->serial,
                                    row->authority_name != NULL ? row->authority_name : "");
  /* Named once the target is set: without one the action cannot take the button. */
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "fleet.details");
}

static void
details_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  TsFleetPage *self = TS_FLEET_PAGE (widget);
  const char *imei;
  const char *serial;
  const char *authority;

  g_variant_get (param, "(&s&s&s)", &imei, &serial, &authority);
  ts_cert_details_show_from_ledger (widget, self->workspace, imei, serial,
                                    *authority != '\0' ? authority : NULL);
}

static void
ts_fleet_page_add_details_column (TsFleetPage *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *column = gtk_column_view_column_new (NULL, factory);

  g_signal_connect (factory, "setup", G_CALLBACK (details_setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (details_bind_cb), NULL);
  gtk_column_view_append_column (self->column_view, column);
  g_object_unref (column);
}

static gboolean
update_columns_cb (gpointer user_data)
{
  TsFleetPage *self = TS_FLEET_PAGE (user_data);

  self->columns_idle = 0;
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    gtk_column_view_column_set_visible (self->columns[columns[i].column], self->width >= columns[i].min_width);

  return G_SOURCE_REMOVE;
}

/* Which columns show depends on the width the list was given, known when the
 * scroller is allocated; they change after that allocation, as a resize must
 * not start from inside one. */
static void
list_width_cb (TsFleetPage   *self,
               GParamSpec    *pspec,
               GtkAdjustment *adjustment)
{
  int width = (int) gtk_adjustment_get_page_size (adjustment);

  if (width != self->width && self->columns_idle == 0)
    self->columns_idle = g_idle_add (update_columns_cb, self);
  self->width = width;
}

/* For the benchmark: the first rows with data, and the rows at the jump target. */
static void
bench_bind_cb (TsFleetPage *self,
               GtkListItem *list_item)
{
  guint position = gtk_list_item_get_position (list_item);

  if (ts_fleet_item_get_row (gtk_list_item_get_item (list_item)) == NULL)
    return;
  if (!self->bench_rows_told)
    {
      self->bench_rows_told = TRUE;
      bench_mark ("fleet-rows", position);
    }
  if (self->bench_jumped && self->bench_jump > 0 && position + 1000 >= self->bench_jump &&
      position <= self->bench_jump + 1000)
    {
      self->bench_jump = 0;
      bench_mark ("fleet-jump-rows", position);
    }
}

static const char *
selected_lot (TsFleetPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->lot_dropdown);

  /* The first entry is "All Lots". */
  if (selected == 0 || selected == GTK_INVALID_LIST_POSITION)
    return NULL;

  return gtk_string_list_get_string (self->lots, selected);
}

static gboolean
query_is_filtered (TsFleetPage *self)
{
  return *gtk_editable_get_text (GTK_EDITABLE (self->search_entry)) != '\0' ||
         gtk_drop_down_get_selected (self->filter_dropdown) != 0 ||
         selected_lot (self) != NULL;
}

/* Once the list has been laid out at its full length, moves the scroll bar to
 * where dragging it to the jump row would put it. */
static gboolean
bench_jump_tick_cb (GtkWidget     *widget,
                    GdkFrameClock *clock,
                    gpointer       user_data)
{
  TsFleetPage *self = TS_FLEET_PAGE (user_data);
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  double span = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));

  if (span < n)
    return G_SOURCE_CONTINUE;

  self->bench_jumped = TRUE;
  bench_mark ("fleet-jump", self->bench_jump);
  gtk_adjustment_set_value (adjustment, span * self->bench_jump / n);

  return G_SOURCE_REMOVE;
}

static void
bench_jump (TsFleetPage *self,
            guint        n)
{
  if (self->bench_jump == 0 || self->bench_jumped || n <= self->bench_jump)
    return;

  gtk_widget_add_tick_callback (GTK_WIDGET (self->column_view), bench_jump_tick_cb, self, NULL);
  self->bench_jumped = TRUE;
}

static gboolean open_first_match (TsFleetPage *self);

static void
model_changed_cb (TsFleetPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  g_autofree char *count = NULL;

  if (n > 0)
    gtk_stack_set_visible_child_name (self->stack, "list");
  else if (!ts_fleet_model_is_loading (self->model))
    gtk_stack_set_visible_child_name (self->stack, query_is_filtered (self) ? "no-match" : "empty");

  if (ts_fleet_model_is_complete (self->model))
    {
      /* %'u: digits grouped as the locale does, "1,000,000 devices" */
      if (query_is_filtered (self))
        count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u matching device", "%'u matching devices", n), n);
      else
        count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u device", "%'u devices", n), n);
      bench_mark ("fleet-counted", n);
      bench_jump (self, n);
    }
  else
    {
      count = g_strdup (_("Counting devices…"));
    }
  gtk_label_set_text (self->count_label, count);

  if (self->open_first && (open_first_match (self) || !ts_fleet_model_is_loading (self->model)))
    self->open_first = FALSE;
}

static void
query_changed_cb (TsFleetPage *self)
{
  static const CaFleetFilter filters[] = {
    CA_FLEET_ALL, CA_FLEET_VALID, CA_FLEET_REVOKED, CA_FLEET_EXPIRING,
  };
  guint selected = gtk_drop_down_get_selected (self->filter_dropdown);
  g_autofree char *search = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->days_spin), selected == 3);
  if (self->model == NULL || self->filling_lots)
    return;

  search = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->search_entry))));
  ts_fleet_model_set_query (self->model,
                            filters[MIN (selected, G_N_ELEMENTS (filters) - 1)],
                            gtk_spin_button_get_value_as_int (self->days_spin),
                            search, selected_lot (self));
}

static void
lots_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TsFleetPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lots = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  g_autofree char *kept = NULL;
  guint selected = 0;

  if (lots == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not list the production lots: %s", error->message);
      return;
    }

  /* Replacing the entries keeps the chosen lot chosen, if it is still there. */
  kept = g_strdup (selected_lot (self));
  g_ptr_array_add (lots, NULL);
  self->filling_lots = TRUE;
  gtk_string_list_splice (self->lots, 1, g_list_model_get_n_items (G_LIST_MODEL (self->lots)) - 1,
                          (const char *const *) lots->pdata);
  for (guint i = 0; kept != NULL && i + 1 < lots->len; i++)
    if (g_strcmp0 (lots->pdata[i], kept) == 0)
      selected = i + 1;
  gtk_drop_down_set_selected (self->lot_dropdown, selected);
  self->filling_lots = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->lot_dropdown), lots->len > 1);

  /* The chosen lot is gone from the ledger: show every lot again. */
  if (kept != NULL && selected == 0)
    query_changed_cb (self);
}

static void
load_lots (TsFleetPage *self)
{
  g_cancellable_cancel (self->lots_cancellable);
  g_clear_object (&self->lots_cancellable);
  self->lots_cancellable = g_cancellable_new ();
  ts_fleet_list_lots_async (self->workspace, self->lots_cancellable, lots_cb, g_object_ref (self));
}

static void
row_activated_cb (TsFleetPage *self,
                  guint        position)
{
  g_autoptr(TsFleetItem) item = g_list_model_get_item (G_LIST_MODEL (self->model), position);
  const CaFleetRow *row = item != NULL ? ts_fleet_item_get_row (item) : NULL;
  TsHistoryWindow *history;

  if (row == NULL)
    return;

  history = ts_history_window_new (self->workspace, GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                   row->imei);
  gtk_window_present (GTK_WINDOW (history));
}

/* The first match, once it is fetched. */
static gboolean
open_first_match (TsFleetPage *self)
{
  g_autoptr(TsFleetItem) first = NULL;

  if (self->model == NULL || g_list_model_get_n_items (G_LIST_MODEL (self->model)) == 0)
    return FALSE;
  first = g_list_model_get_item (G_LIST_MODEL (self->model), 0);
  if (ts_fleet_item_get_row (first) == NULL)
    return FALSE;

  row_activated_cb (self, 0);
  return TRUE;
}

/* Enter in the search opens the history of the first match: type an IMEI, press
 * Enter. Enter right after typing may come before the matches do. */
static void
search_activate_cb (TsFleetPage *self)
{
  self->open_first = !open_first_match (self) && self->model != NULL && ts_fleet_model_is_loading (self->model);
}

/* The row on which Revoke… acts: the selected device, when it has a certificate. */
static const CaFleetRow *
selected_row (TsFleetPage *self)
{
  GtkSelectionModel *selection = gtk_column_view_get_model (self->column_view);
  gpointer item = selection != NULL ? gtk_single_selection_get_selected_item (GTK_SINGLE_SELECTION (selection)) : NULL;

  return item != NULL ? ts_fleet_item_get_row (item) : NULL;
}

static void
selection_changed_cb (TsFleetPage *self)
{
  const CaFleetRow *row = selected_row (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "fleet.revoke",
                                 row != NULL && row->serial != NULL && row->status != CA_CERT_STATUS_REVOKED);
}

/* The ledger is read only while the page shows: a window that never shows the
 * Fleet never counts a million devices, and what changed while it was hidden is
 * read when it shows again. */
static void
ledger_changed_cb (TsFleetPage *self)
{
  gboolean open = self->workspace != NULL && ts_workspace_is_open (self->workspace);

  if (open)
    bench_mark ("ledger-ready", 0);
  self->stale = !gtk_widget_get_mapped (GTK_WIDGET (self));
  if (!open || self->stale)
    return;

  load_lots (self);

  if (self->model == NULL)
    {
      g_autoptr(GtkSelectionModel) selection = NULL;

      self->model = ts_fleet_model_new (self->workspace);
      g_signal_connect_object (self->model, "notify::n-items", G_CALLBACK (model_changed_cb),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->model, "notify::loading", G_CALLBACK (model_changed_cb),
                               self, G_CONNECT_SWAPPED);
      selection = GTK_SELECTION_MODEL (gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->model))));
      gtk_single_selection_set_autoselect (GTK_SINGLE_SELECTION (selection), FALSE);
      g_signal_connect_object (selection, "notify::selected", G_CALLBACK (selection_changed_cb), self,
                               G_CONNECT_SWAPPED);
      gtk_column_view_set_model (self->column_view, selection);
      sort_changed_cb (self);
      query_changed_cb (self);
      return;
    }

  ts_fleet_model_reload (self->model);
}

static void
revoke_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  TsFleetPage *self = TS_FLEET_PAGE (widget);
  const CaFleetRow *row = selected_row (self);

  if (row != NULL && row->serial != NULL)
    ts_revoke_dialog_present (widget, self->workspace, row->imei, row->serial);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  ts_export_dialog_present (widget, TS_FLEET_PAGE (widget)->workspace);
}

static void
ts_fleet_page_map (GtkWidget *widget)
{
  TsFleetPage *self = TS_FLEET_PAGE (widget);

  GTK_WIDGET_CLASS (ts_fleet_page_parent_class)->map (widget);

  bench_mark ("fleet-shown", 0);
  if (self->model == NULL || self->stale)
    ledger_changed_cb (self);
  /* While the Fleet shows, typing anywhere in the window searches it; the
   * sidebar keeps the focus so arrow keys still move between pages. */
  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (gtk_widget_get_root (widget)));
}

static void
ts_fleet_page_unmap (GtkWidget *widget)
{
  gtk_search_entry_set_key_capture_widget (TS_FLEET_PAGE (widget)->search_entry, NULL);

  GTK_WIDGET_CLASS (ts_fleet_page_parent_class)->unmap (widget);
}

/* Typing captured from elsewhere moves on in the search, so Enter opens the first match. */
static void
search_started_cb (TsFleetPage *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* Escape in the search clears it, and the whole fleet shows again. */
static void
search_stopped_cb (TsFleetPage *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
}

static void
ts_fleet_page_dispose (GObject *object)
{
  TsFleetPage *self = TS_FLEET_PAGE (object);

  g_cancellable_cancel (self->lots_cancellable);
  g_clear_handle_id (&self->columns_idle, g_source_remove);
  /* The columns going away change the sorter: that is no order a person chose. */
  if (self->column_view != NULL)
    g_signal_handlers_disconnect_by_func (gtk_column_view_get_sorter (self->column_view), sort_changed_cb, self);
  gtk_widget_dispose_template (GTK_WIDGET (object), TS_TYPE_FLEET_PAGE);
  g_clear_object (&self->model);
  g_clear_object (&self->lots_cancellable);
  g_clear_object (&self->workspace);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ts_fleet_page_parent_class)->dispose (object);
}

static void
ts_fleet_page_class_init (TsFleetPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ts_fleet_page_dispose;
  widget_class->map = ts_fleet_page_map;
  widget_class->unmap = ts_fleet_page_unmap;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/ts-fleet-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TsFleetPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, TsFleetPage, filter_dropdown);
  gtk_widget_class_bind_template_child (widget_class, TsFleetPage, lot_dropdown);
  gtk_widget_class_bind_template_child (widget_class, TsFleetPage, lots);
  gtk_widget_class_bind_template_child (widget_class, TsFleetPage, days_spin);
  gtk_widget_class_bind_template_child (widget_class, TsFleetPage, stack);
  gtk_widget_class_bind_template_child (widget_class, TsFleetPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, TsFleetPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, TsFleetPage, count_label);
  gtk_widget_class_bind_template_callback (widget_class, query_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_started_cb);
  gtk_widget_class_install_action (widget_class, "fleet.details", "(sss)", details_action);
  gtk_widget_class_install_action (widget_class, "fleet.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "fleet.revoke", NULL, revoke_action);
  gtk_widget_class_bind_template_callback (widget_class, search_stopped_cb);
}

static void
ts_fleet_page_init (TsFleetPage *self)
{
  const char *jump = g_getenv ("TAGSMITH_BENCH_JUMP");

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "fleet.revoke", FALSE);
  self->settings = g_settings_new (APP_ID);

  ts_fleet_page_add_columns (self);
  ts_fleet_page_add_details_column (self);
  restore_sort (self);
  g_signal_connect_object (gtk_column_view_get_sorter (self->column_view), "changed",
                           G_CALLBACK (sort_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_scrolled_window_get_hadjustment (self->scroller), "notify::page-size",
                           G_CALLBACK (list_width_cb), self, G_CONNECT_SWAPPED);
  if (g_getenv ("TAGSMITH_BENCH") != NULL)
    {
      /* Marks rows as they are bound, after the columns' own binds. */
      g_autoptr(GtkColumnViewColumn) first = g_list_model_get_item (gtk_column_view_get_columns (self->column_view),
                                                                     0);

      g_signal_connect_object (gtk_column_view_column_get_factory (first), "bind", G_CALLBACK (bench_bind_cb), self,
                               G_CONNECT_SWAPPED | G_CONNECT_AFTER);
      self->bench_jump = jump != NULL ? (guint) g_ascii_strtoull (jump, NULL, 10) : 0;
    }
}

/* Pages show what the workspace holds, and reload when it opens or changes. */
void
ts_fleet_page_set_workspace (TsFleetPage *self,
                             TsWorkspace *workspace)
{
  g_return_if_fail (TS_IS_FLEET_PAGE (self));
  g_return_if_fail (TS_IS_WORKSPACE (workspace));

  if (self->workspace != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->workspace, self);
      /* The model reads the ledger it was made on: the next load makes one on the new. */
      gtk_column_view_set_model (self->column_view, NULL);
      g_clear_object (&self->model);
    }
  g_set_object (&self->workspace, workspace);
  g_signal_connect_object (workspace, "changed",
                           G_CALLBACK (ledger_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (workspace, "notify::state",
                           G_CALLBACK (ledger_changed_cb), self, G_CONNECT_SWAPPED);
  ledger_changed_cb (self);
}
