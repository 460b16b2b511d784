/* ts-fleet-model.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-fleet-model"

#include "config.h"

#include "ts-fleet-model.h"

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

  CaLedger      *ledger;
  GCancellable  *cancellable;

  /* The query */
  CaFleetFilter  filter;
  int            expiring_days;
  char          *prefix;

  /* What is known: @n_items rows, in pages whose first keys are @page_keys
   * (the IMEI just before each page; NULL for the first). */
  guint          n_items;
  gboolean       complete;
  GPtrArray     *page_keys;

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

static void fetch_page (TsFleetModel *self,
                        guint         page);

/* The first key of an IMEI prefix search: a string just below every IMEI that
 * starts with @prefix ("3526" → "3525~", since '~' sorts after every digit). */
static char *
prefix_start_key (const char *prefix)
{
  char *key;
  gsize len = strlen (prefix);

  if (len == 0)
    return NULL;

  key = g_strdup_printf ("%s~", prefix);
  key[len - 1] -= 1;

  return key;
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

static gboolean
row_matches_prefix (TsFleetModel     *self,
                    const CaFleetRow *row)
{
  return self->prefix == NULL || g_str_has_prefix (row->imei, self->prefix);
}

static void
fetch_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Fetch *fetch = user_data;
  TsFleetModel *self = fetch->model;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  GPtrArray *items;
  guint start = fetch->page * PAGE_SIZE;
  guint old_n = self->n_items;
  gboolean stale = g_cancellable_is_cancelled (fetch->cancellable);

  rows = ca_ledger_list_fleet_finish (CA_LEDGER (object), result, &error);

  if (!stale)
    g_hash_table_remove (self->in_flight, GUINT_TO_POINTER (fetch->page));

  if (stale || rows == NULL)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not read the fleet: %s", error->message);
      if (!stale)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
      goto out;
    }

  items = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < rows->len; i++)
    {
      CaFleetRow *row = g_ptr_array_index (rows, i);
      TsFleetItem *item;

      if (!row_matches_prefix (self, row))
        break;

      /* The item takes the row; the slot left NULL is skipped when @rows is freed. */
      item = g_object_new (TS_TYPE_FLEET_ITEM, NULL);
      item->row = row;
      rows->pdata[i] = NULL;
      g_ptr_array_add (items, item);
    }

  g_hash_table_insert (self->pages, GUINT_TO_POINTER (fetch->page), items);
  touch_page (self, fetch->page);

  /* The furthest page so far: learn how many rows exist and where the next page starts. */
  if (fetch->page + 1 == self->page_keys->len)
    {
      self->n_items = start + items->len;
      self->complete = items->len < PAGE_SIZE;
      if (!self->complete)
        g_ptr_array_add (self->page_keys,
                         g_strdup (ts_fleet_item_get_row (g_ptr_array_index (items, items->len - 1))->imei));
    }

  g_object_freeze_notify (G_OBJECT (self));
  if (self->n_items != old_n)
    {
      /* Rows of this page already shown as placeholders are refreshed, the rest appended. */
      guint refreshed = MIN (old_n - MIN (old_n, start), items->len);

      g_list_model_items_changed (G_LIST_MODEL (self), start, refreshed,
                                  self->n_items - start);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }
  else if (items->len > 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), start, items->len, items->len);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  g_object_thaw_notify (G_OBJECT (self));

out:
  g_object_unref (fetch->cancellable);
  g_object_unref (fetch->model);
  g_free (fetch);
}

static void
fetch_page (TsFleetModel *self,
            guint         page)
{
  CaFleetQuery query = { 0 };
  Fetch *fetch;

  if (page >= self->page_keys->len ||
      g_hash_table_contains (self->in_flight, GUINT_TO_POINTER (page)))
    return;

  g_hash_table_add (self->in_flight, GUINT_TO_POINTER (page));

  query.filter = self->filter;
  query.expiring_days = self->expiring_days;
  query.after_imei = g_ptr_array_index (self->page_keys, page);
  query.limit = PAGE_SIZE;

  fetch = g_new0 (Fetch, 1);
  fetch->model = g_object_ref (self);
  fetch->cancellable = g_object_ref (self->cancellable);
  fetch->page = page;

  ca_ledger_list_fleet_async (self->ledger, &query, self->cancellable, fetch_cb, fetch);

  if (g_hash_table_size (self->in_flight) == 1)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
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

  /* Reaching the last known page fetches the next one, so scrolling never waits at the end. */
  if (!self->complete && page + 2 >= self->page_keys->len)
    fetch_page (self, self->page_keys->len - 1);

  items = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (page));
  if (items != NULL && position % PAGE_SIZE < items->len)
    return g_object_ref (g_ptr_array_index (items, position % PAGE_SIZE));

  /* An evicted page: a placeholder now, the real rows when the fetch lands. */
  fetch_page (self, page);
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

  g_clear_object (&self->ledger);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->prefix, g_free);
  g_clear_pointer (&self->page_keys, g_ptr_array_unref);
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
  self->page_keys = g_ptr_array_new_with_free_func (g_free);
  self->pages = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
  self->in_flight = g_hash_table_new (NULL, NULL);
  g_queue_init (&self->lru);
}

TsFleetModel *
ts_fleet_model_new (CaLedger *ledger)
{
  TsFleetModel *self;

  g_return_val_if_fail (CA_IS_LEDGER (ledger), NULL);

  self = g_object_new (TS_TYPE_FLEET_MODEL, NULL);
  self->ledger = g_object_ref (ledger);
  ts_fleet_model_reload (self);

  return self;
}

/**
 * ts_fleet_model_set_query:
 * @imei_prefix: (nullable): only IMEIs starting with these digits
 *
 * Starts over with another filter; rows of the previous query still in flight
 * are dropped.
 */
void
ts_fleet_model_set_query (TsFleetModel  *self,
                          CaFleetFilter  filter,
                          int            expiring_days,
                          const char    *imei_prefix)
{
  g_return_if_fail (TS_IS_FLEET_MODEL (self));

  self->filter = filter;
  self->expiring_days = expiring_days;
  g_free (self->prefix);
  self->prefix = imei_prefix != NULL && *imei_prefix != '\0' ? g_strdup (imei_prefix) : NULL;

  ts_fleet_model_reload (self);
}

/* Forgets every fetched row and fetches the first page again. */
void
ts_fleet_model_reload (TsFleetModel *self)
{
  guint old_n;

  g_return_if_fail (TS_IS_FLEET_MODEL (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  old_n = self->n_items;
  self->n_items = 0;
  self->complete = FALSE;
  g_ptr_array_set_size (self->page_keys, 0);
  g_ptr_array_add (self->page_keys, self->prefix != NULL ? prefix_start_key (self->prefix) : NULL);
  g_hash_table_remove_all (self->pages);
  g_hash_table_remove_all (self->in_flight);
  g_queue_clear (&self->lru);

  if (old_n > 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }

  fetch_page (self, 0);
}

gboolean
ts_fleet_model_is_loading (TsFleetModel *self)
{
  g_return_val_if_fail (TS_IS_FLEET_MODEL (self), FALSE);

  return g_hash_table_size (self->in_flight) > 0;
}

/* TRUE once the last page has been fetched, so n-items is the full count. */
gboolean
ts_fleet_model_is_complete (TsFleetModel *self)
{
  g_return_val_if_fail (TS_IS_FLEET_MODEL (self), FALSE);

  return self->complete;
}
