/* ts-fleet-model.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-fleet-model"

#include "config.h"

#include "ts-fleet-model.h"
#include "ts-workspace-ca.h"

/* Rows per fetch, and how many fetched pages stay in memory. A page of 256 rows
 * is one short indexed SQLite range scan; 16 pages cover several screens. */
#define PAGE_SIZE   256
#define MAX_PAGES   16

struct _TsFleetItem
{
  GObject     parent_instance;
  CaFleetRow *row;
};

G_DEFINE_FINAL_TYPE (TsFleetItem, ts_fleet_item, G_TYPE_OBJECT)

static void
ts_fleet_item_finalize (GObject *object)
{
  TsFleetItem *self = TS_FLEET_ITEM (object);

  g_clear_pointer (&self->row, ca_fleet_row_free);

  G_OBJECT_CLASS (ts_fleet_item_parent_class)->finalize (object);
}

static void
ts_fleet_item_class_init (TsFleetItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ts_fleet_item_finalize;
}

static void
ts_fleet_item_init (TsFleetItem *self)
{
}

const CaFleetRow *
ts_fleet_item_get_row (TsFleetItem *self)
{
  g_return_val_if_fail (TS_IS_FLEET_ITEM (self), NULL);

  return self->row;
}

struct _TsFleetModel
{
  GObject        parent_instance;

  TsWorkspace   *workspace;
  GCancellable  *cancellable;  /* the current query's generation */

  /* The query */
  CaFleetFilter  filter;
  int            expiring_days;
  char          *search;
  char          *lot;
  CaFleetSort    sort;
  gboolean       descending;

  /* @n_items is page 0's length until @index lands, then the true count; the
   * index's keys fetch any page directly. */
  guint          n_items;
  CaFleetIndex  *index;
  gboolean       counting;

  /* Fetched pages: page index → GPtrArray of TsFleetItem, most recent last in @lru. */
  GHashTable    *pages;
  GQueue         lru;
  GHashTable    *in_flight;   /* page indexes being fetched */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TsFleetModel, ts_fleet_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_LOADING,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  TsFleetModel *model;
  GCancellable *cancellable;   /* the query generation this fetch belongs to */
  guint         page;
} Fetch;

static Fetch *
fetch_new (TsFleetModel *self,
           guint         page)
{
  Fetch *fetch = g_new0 (Fetch, 1);

  fetch->model = g_object_ref (self);
  fetch->cancellable = g_object_ref (self->cancellable);
  fetch->page = page;

  return fetch;
}

static void
fetch_free (Fetch *fetch)
{
  g_object_unref (fetch->cancellable);
  g_object_unref (fetch->model);
  g_free (fetch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fetch, fetch_free)

/* The current query, copied for a worker thread. */
typedef struct
{
  CaFleetQuery  query;       /* points into the strings below */
  char         *after_imei;
  char         *search;
  char         *lot;
} QueryData;

static QueryData *
query_data_new (TsFleetModel *self,
                const char   *after_imei,
                guint         limit)
{
  QueryData *data = g_new0 (QueryData, 1);

  data->after_imei = g_strdup (after_imei);
  data->search = g_strdup (self->search);
  data->lot = g_strdup (self->lot);
  data->query = (CaFleetQuery) { self->filter, self->expiring_days, data->after_imei, limit,
                                 data->search, data->lot, self->sort, self->descending };

  return data;
}

static void
query_data_free (gpointer pointer)
{
  QueryData *data = pointer;

  g_free (data->after_imei);
  g_free (data->search);
  g_free (data->lot);
  g_free (data);
}

static gpointer
list_fleet_job (TsWorkspace   *workspace,
                gpointer       data,
                GCancellable  *cancellable,
                GError       **error)
{
  return ts_workspace_list_fleet (workspace, &((QueryData *) data)->query, error);
}

static gpointer
fleet_index_job (TsWorkspace   *workspace,
                 gpointer       data,
                 GCancellable  *cancellable,
                 GError       **error)
{
  return ts_workspace_fleet_index (workspace, &((QueryData *) data)->query, PAGE_SIZE, cancellable, error);
}

static void
touch_page (TsFleetModel *self,
            guint         page)
{
  GList *link = g_queue_find (&self->lru, GUINT_TO_POINTER (page));

  if (link != NULL)
    g_queue_delete_link (&self->lru, link);
  g_queue_push_tail (&self->lru, GUINT_TO_POINTER (page));

  while (self->lru.length > MAX_PAGES)
    {
      guint old = GPOINTER_TO_UINT (g_queue_pop_head (&self->lru));

      g_hash_table_remove (self->pages, GUINT_TO_POINTER (old));
    }
}

/* Grows or shrinks the list to @n_items, telling the view. */
static void
set_n_items (TsFleetModel *self,
             guint         n_items)
{
  guint old_n = self->n_items;
  guint common = MIN (old_n, n_items);

  if (n_items == old_n)
    return;

  self->n_items = n_items;
  g_list_model_items_changed (G_LIST_MODEL (self), common, old_n - common, n_items - common);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
fetch_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(Fetch) fetch = user_data;
  TsFleetModel *self = fetch->model;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  GPtrArray *items;
  guint start = fetch->page * PAGE_SIZE;

  rows = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);

  /* A fetch for an earlier query: its rows belong to no list now. */
  if (g_cancellable_is_cancelled (fetch->cancellable))
    return;

  g_hash_table_remove (self->in_flight, GUINT_TO_POINTER (fetch->page));
  if (rows == NULL)
    {
      g_warning ("Could not read the fleet: %s", error->message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
      return;
    }

  items = g_ptr_array_new_full (rows->len, g_object_unref);
  for (guint i = 0; i < rows->len; i++)
    {
      TsFleetItem *item = g_object_new (TS_TYPE_FLEET_ITEM, NULL);

      /* The item takes the row; the slot left NULL is skipped when @rows is freed. */
      item->row = g_steal_pointer (&rows->pdata[i]);
      g_ptr_array_add (items, item);
    }

  g_hash_table_insert (self->pages, GUINT_TO_POINTER (fetch->page), items);
  touch_page (self, fetch->page);

  g_object_freeze_notify (G_OBJECT (self));
  /* Page 0 shows before the count is known. */
  if (self->index == NULL && fetch->page == 0)
    set_n_items (self, MAX (self->n_items, items->len));
  /* Rows shown as placeholders are refreshed. */
  if (start < self->n_items)
    {
      guint shown = MIN (items->len, self->n_items - start);

      g_list_model_items_changed (G_LIST_MODEL (self), start, shown, shown);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
fetch_page (TsFleetModel *self,
            guint         page)
{
  /* Without the index only page 0 has a known key. */
  if ((self->index == NULL ? page > 0 : page >= self->index->page_keys->len) ||
      g_hash_table_contains (self->in_flight, GUINT_TO_POINTER (page)))
    return;

  g_hash_table_add (self->in_flight, GUINT_TO_POINTER (page));

  ts_workspace_run_async (self->workspace, list_fleet_job,
                          query_data_new (self, self->index != NULL ? g_ptr_array_index (self->index->page_keys, page)
                                                                    : NULL, PAGE_SIZE),
                          query_data_free, (GDestroyNotify) g_ptr_array_unref, self->cancellable, fetch_cb,
                          fetch_new (self, page));

  if (g_hash_table_size (self->in_flight) == 1)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
index_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(Fetch) fetch = user_data;
  TsFleetModel *self = fetch->model;
  g_autoptr(GError) error = NULL;
  CaFleetIndex *index;

  index = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  if (g_cancellable_is_cancelled (fetch->cancellable))
    {
      g_clear_pointer (&index, ca_fleet_index_free);
      return;
    }

  self->counting = FALSE;
  if (index == NULL)
    {
      g_warning ("Could not count the fleet: %s", error->message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
      return;
    }

  self->index = index;
  g_object_freeze_notify (G_OBJECT (self));
  set_n_items (self, index->n_rows);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  g_object_thaw_notify (G_OBJECT (self));
}

static GType
ts_fleet_model_get_item_type (GListModel *model)
{
  return TS_TYPE_FLEET_ITEM;
}

static guint
ts_fleet_model_get_n_items (GListModel *model)
{
  return TS_FLEET_MODEL (model)->n_items;
}

static gpointer
ts_fleet_model_get_item (GListModel *model,
                         guint       position)
{
  TsFleetModel *self = TS_FLEET_MODEL (model);
  guint page = position / PAGE_SIZE;
  GPtrArray *items;

  if (position >= self->n_items)
    return NULL;

  items = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (page));
  if (items != NULL)
    {
      touch_page (self, page);
      /* A page shorter than the index said (the ledger changed) leaves placeholders. */
      if (position % PAGE_SIZE < items->len)
        return g_object_ref (g_ptr_array_index (items, position % PAGE_SIZE));
    }
  else
    {
      /* Not fetched or evicted: a placeholder now, the real row when the page lands. */
      fetch_page (self, page);
    }

  return g_object_new (TS_TYPE_FLEET_ITEM, NULL);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = ts_fleet_model_get_item_type;
  iface->get_n_items = ts_fleet_model_get_n_items;
  iface->get_item = ts_fleet_model_get_item;
}

static void
ts_fleet_model_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TsFleetModel *self = TS_FLEET_MODEL (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, ts_fleet_model_is_loading (self));
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, self->n_items);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ts_fleet_model_dispose (GObject *object)
{
  TsFleetModel *self = TS_FLEET_MODEL (object);

  g_cancellable_cancel (self->cancellable);

  G_OBJECT_CLASS (ts_fleet_model_parent_class)->dispose (object);
}

static void
ts_fleet_model_finalize (GObject *object)
{
  TsFleetModel *self = TS_FLEET_MODEL (object);

  g_clear_object (&self->workspace);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->search, g_free);
  g_clear_pointer (&self->lot, g_free);
  g_clear_pointer (&self->index, ca_fleet_index_free);
  g_clear_pointer (&self->pages, g_hash_table_unref);
  g_clear_pointer (&self->in_flight, g_hash_table_unref);
  g_queue_clear (&self->lru);

  G_OBJECT_CLASS (ts_fleet_model_parent_class)->finalize (object);
}

static void
ts_fleet_model_class_init (TsFleetModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ts_fleet_model_dispose;
  object_class->finalize = ts_fleet_model_finalize;
  object_class->get_property = ts_fleet_model_get_property;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ts_fleet_model_init (TsFleetModel *self)
{
  self->cancellable = g_cancellable_new ();
  self->pages = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
  self->in_flight = g_hash_table_new (NULL, NULL);
  g_queue_init (&self->lru);
}

TsFleetModel *
ts_fleet_model_new (TsWorkspace *workspace)
{
  TsFleetModel *self;

  g_return_val_if_fail (TS_IS_WORKSPACE (workspace), NULL);

  self = g_object_new (TS_TYPE_FLEET_MODEL, NULL);
  self->workspace = g_object_ref (workspace);
  ts_fleet_model_reload (self);

  return self;
}

/**
 * ts_fleet_model_set_query:
 * @search: (nullable): IMEI digits (a prefix), a device UUID or a certificate serial
 * @lot: (nullable): only this production lot
 *
 * Starts over with another query; rows and counts of the previous one still in
 * flight are dropped.
 */
void
ts_fleet_model_set_query (TsFleetModel  *self,
                          CaFleetFilter  filter,
                          int            expiring_days,
                          const char    *search,
                          const char    *lot)
{
  g_return_if_fail (TS_IS_FLEET_MODEL (self));

  self->filter = filter;
  self->expiring_days = expiring_days;
  g_free (self->search);
  self->search = search != NULL && *search != '\0' ? g_strdup (search) : NULL;
  g_free (self->lot);
  self->lot = g_strdup (lot);

  ts_fleet_model_reload (self);
}

/**
 * ts_fleet_model_set_sort:
 *
 * Starts over in another order, keeping the query: the page keys of the new
 * count follow it.
 */
void
ts_fleet_model_set_sort (TsFleetModel *self,
                         CaFleetSort   sort,
                         gboolean      descending)
{
  g_return_if_fail (TS_IS_FLEET_MODEL (self));

  if (self->sort == sort && self->descending == descending)
    return;
  self->sort = sort;
  self->descending = descending;

  ts_fleet_model_reload (self);
}

/* Forgets every fetched row, then fetches page 0 and counts the rows at once:
 * page 0 shows as soon as it lands, the full length when the count does. */
void
ts_fleet_model_reload (TsFleetModel *self)
{
  g_return_if_fail (TS_IS_FLEET_MODEL (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  g_clear_pointer (&self->index, ca_fleet_index_free);
  g_hash_table_remove_all (self->pages);
  g_hash_table_remove_all (self->in_flight);
  g_queue_clear (&self->lru);
  set_n_items (self, 0);

  fetch_page (self, 0);
  self->counting = TRUE;
  ts_workspace_run_async (self->workspace, fleet_index_job, query_data_new (self, NULL, 0), query_data_free,
                          (GDestroyNotify) ca_fleet_index_free, self->cancellable, index_cb, fetch_new (self, 0));
}

gboolean
ts_fleet_model_is_loading (TsFleetModel *self)
{
  g_return_val_if_fail (TS_IS_FLEET_MODEL (self), FALSE);

  return self->counting || g_hash_table_size (self->in_flight) > 0;
}

/* TRUE once the rows are counted, so n-items is the full length. */
gboolean
ts_fleet_model_is_complete (TsFleetModel *self)
{
  g_return_val_if_fail (TS_IS_FLEET_MODEL (self), FALSE);

  return self->index != NULL;
}

static gpointer
list_lots_job (TsWorkspace   *workspace,
               gpointer       data,
               GCancellable  *cancellable,
               GError       **error)
{
  return ts_workspace_list_lots (workspace, error);
}

void
ts_fleet_list_lots_async (TsWorkspace         *workspace,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (TS_IS_WORKSPACE (workspace));

  ts_workspace_run_async (workspace, list_lots_job, NULL, NULL, (GDestroyNotify) g_ptr_array_unref,
                          cancellable, callback, user_data);
}
