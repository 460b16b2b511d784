/* ts-fleet-page.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-fleet-page"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-application.h"
#include "ts-fleet-model.h"
#include "ts-fleet-page.h"
#include "ts-gui-util.h"
#include "ts-history-window.h"

struct _TsFleetPage
{
  AdwBin          parent_instance;

  /* Template widgets */
  GtkSearchEntry *search_entry;
  GtkDropDown    *filter_dropdown;
  GtkSpinButton  *days_spin;
  GtkStack       *stack;
  GtkColumnView  *column_view;
  GtkLabel       *count_label;

  /* Owned references */
  TsFleetModel   *model;
};

G_DEFINE_FINAL_TYPE (TsFleetPage, ts_fleet_page, ADW_TYPE_BIN)

typedef enum
{
  COLUMN_IMEI,
  COLUMN_STATUS,
  COLUMN_CERTIFICATE,
  COLUMN_EXPIRES,
  COLUMN_LOT,
  COLUMN_LAST_SEEN,
} Column;

static const struct
{
  Column      column;
  const char *title;
  gboolean    expand;
} columns[] = {
  { COLUMN_IMEI, N_("IMEI"), FALSE },
  { COLUMN_STATUS, N_("Status"), FALSE },
  { COLUMN_CERTIFICATE, N_("Certificate"), TRUE },
  { COLUMN_EXPIRES, N_("Expires"), FALSE },
  { COLUMN_LOT, N_("Lot"), FALSE },
  { COLUMN_LAST_SEEN, N_("Last Seen"), FALSE },
};

static void
cell_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  Column column = GPOINTER_TO_INT (user_data);
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (column == COLUMN_IMEI)
    gtk_widget_add_css_class (label, "monospace");
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
  gtk_widget_remove_css_class (label, "warning");
  gtk_widget_remove_css_class (label, "success");
  gtk_widget_remove_css_class (label, "dim-label");

  if (row == NULL)
    {
      /* A page still on its way from the ledger. */
      gtk_label_set_text (GTK_LABEL (label), column == COLUMN_IMEI ? "…" : "");
      gtk_widget_add_css_class (label, "dim-label");
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
          text = g_strdup (row->status == CA_CERT_STATUS_REVOKED ? _("Revoked")
                           : row->status == CA_CERT_STATUS_EXPIRED ? _("Expired")
                           : _("Valid"));
          gtk_widget_add_css_class (label, row->status == CA_CERT_STATUS_VALID ? "success"
                                                                                : "error");
        }
      break;

    case COLUMN_CERTIFICATE:
      if (row->serial != NULL)
        text = g_strdup_printf (_("%s · %s · %s"), row->serial,
                                row->authority_name ? row->authority_name : "?",
                                row->profile ? row->profile : "?");
      break;

    case COLUMN_EXPIRES:
      text = row->serial != NULL ? ts_format_date (row->not_after) : NULL;
      break;

    case COLUMN_LOT:
      text = g_strdup (row->lot);
      break;

    case COLUMN_LAST_SEEN:
      text = ts_format_date (row->last_seen);
      break;

    default:
      g_assert_not_reached ();
    }

  gtk_label_set_text (GTK_LABEL (label), text != NULL ? text : "");
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
      gtk_column_view_append_column (self->column_view, column);
      g_object_unref (column);
    }
}

static gboolean
query_is_filtered (TsFleetPage *self)
{
  return *gtk_editable_get_text (GTK_EDITABLE (self->search_entry)) != '\0' ||
         gtk_drop_down_get_selected (self->filter_dropdown) != 0;
}

static void
model_changed_cb (TsFleetPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  g_autofree char *count = NULL;

  if (n > 0)
    gtk_stack_set_visible_child_name (self->stack, "list");
  else if (!ts_fleet_model_is_loading (self->model))
    gtk_stack_set_visible_child_name (self->stack, query_is_filtered (self) ? "no-match" : "empty");

  /* The ledger pages by key, so the full count is known only once scrolled to the end. */
  if (ts_fleet_model_is_complete (self->model))
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u device", "%u devices", n), n);
  else
    count = g_strdup_printf (_("%u devices loaded, more as you scroll"), n);
  gtk_label_set_text (self->count_label, count);
}

static void
query_changed_cb (TsFleetPage *self)
{
  static const CaFleetFilter filters[] = {
    CA_FLEET_ALL, CA_FLEET_VALID, CA_FLEET_REVOKED, CA_FLEET_EXPIRING,
  };
  guint selected = gtk_drop_down_get_selected (self->filter_dropdown);
  g_autofree char *digits = NULL;
  const char *text;

  gtk_widget_set_visible (GTK_WIDGET (self->days_spin), selected == 3);
  if (self->model == NULL)
    return;

  /* IMEIs are digits only: anything else typed is ignored rather than matching nothing. */
  text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  digits = g_strdup (text);
  g_strcanon (digits, "0123456789", ' ');
  g_strdelimit (digits, " ", '\0');

  ts_fleet_model_set_query (self->model,
                            filters[MIN (selected, G_N_ELEMENTS (filters) - 1)],
                            gtk_spin_button_get_value_as_int (self->days_spin),
                            *text != '\0' ? digits : NULL);
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

  history = ts_history_window_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), row->imei);
  gtk_window_present (GTK_WINDOW (history));
}

/* Enter in the search opens the history of the first match: type an IMEI, press Enter. */
static void
search_activate_cb (TsFleetPage *self)
{
  if (self->model != NULL && g_list_model_get_n_items (G_LIST_MODEL (self->model)) > 0)
    row_activated_cb (self, 0);
}

static void
ledger_changed_cb (TsFleetPage *self)
{
  CaLedger *ledger = ts_application_get_ledger (ts_application_get_default ());

  if (ledger == NULL)
    return;

  if (self->model == NULL)
    {
      g_autoptr(GtkSelectionModel) selection = NULL;

      self->model = ts_fleet_model_new (ledger);
      g_signal_connect_object (self->model, "notify::n-items", G_CALLBACK (model_changed_cb),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->model, "notify::loading", G_CALLBACK (model_changed_cb),
                               self, G_CONNECT_SWAPPED);
      selection = GTK_SELECTION_MODEL (gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->model))));
      gtk_single_selection_set_autoselect (GTK_SINGLE_SELECTION (selection), FALSE);
      gtk_column_view_set_model (self->column_view, selection);
      query_changed_cb (self);
      return;
    }

  ts_fleet_model_reload (self->model);
}

static void
ts_fleet_page_dispose (GObject *object)
{
  TsFleetPage *self = TS_FLEET_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (object), TS_TYPE_FLEET_PAGE);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (ts_fleet_page_parent_class)->dispose (object);
}

static void
ts_fleet_page_class_init (TsFleetPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ts_fleet_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/ts-fleet-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TsFleetPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, TsFleetPage, filter_dropdown);
  gtk_widget_class_bind_template_child (widget_class, TsFleetPage, days_spin);
  gtk_widget_class_bind_template_child (widget_class, TsFleetPage, stack);
  gtk_widget_class_bind_template_child (widget_class, TsFleetPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, TsFleetPage, count_label);
  gtk_widget_class_bind_template_callback (widget_class, query_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
}

static void
ts_fleet_page_init (TsFleetPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  ts_fleet_page_add_columns (self);
  g_signal_connect_object (ts_application_get_default (), "ledger-changed",
                           G_CALLBACK (ledger_changed_cb), self, G_CONNECT_SWAPPED);
  ledger_changed_cb (self);
}
