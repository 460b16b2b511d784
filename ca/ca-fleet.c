/* ca-fleet.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-fleet"

#include "config.h"

#include <openssl/x509.h>
#include <string.h>

#include "ca-private.h"

#define DEFAULT_PAGE          100
#define DEFAULT_EXPIRING_DAYS CA_EXPIRING_DAYS
#define NRFCLOUD_ROWS_PER_FILE 1000

/* TRUE when @device is new or changes one of the stored descriptive fields. */
static gboolean
device_changes (CaLedger        *self,
                const CaDevice  *device,
                gboolean        *out_changes,
                GError         **error)
{
  g_autoptr(CaStmt) stmt = ca_ledger_prepare (self, "SELECT uuid, model, firmware, lot, notes FROM devices "
                                              "WHERE imei = ?", error);
  const char *given[] = { device->uuid, device->model, device->firmware, device->lot, device->notes };
  CaDbStatus rc;

  if (stmt == NULL)
    return FALSE;
  ca_stmt_bind_text (stmt, 1, device->imei);
  rc = ca_stmt_step (stmt);
  if (rc != CA_DB_ROW && rc != CA_DB_DONE)
    return ca_ledger_set_db_error (self, rc, error);

  *out_changes = rc == CA_DB_DONE;
  for (int i = 0; rc == CA_DB_ROW && i < (int) G_N_ELEMENTS (given); i++)
    if (given[i] != NULL && g_strcmp0 (given[i], ca_stmt_column_text (stmt, i)) != 0)
      *out_changes = TRUE;

  return TRUE;
}

/**
 * ca_ledger_device_seen:
 *
 * Provisioning calls this when it identifies a modem. The audit log records
 * only first sightings and changes of the descriptive fields, so a bench
 * re-reading a device does not flood it.
 */
gboolean
ca_ledger_device_seen (CaLedger        *self,
                       const CaDevice  *device,
                       GError         **error)
{
  g_autoptr(CaStmt) stmt = NULL;
  g_autofree char *details = NULL;
  GString *builder;
  gboolean ok = FALSE;
  gboolean changes = FALSE;

  g_return_val_if_fail (CA_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (device != NULL, FALSE);

  if (!ca_imei_validate (device->imei, error))
    return FALSE;

  ca_ledger_lock_mutex (self);
  if (!ca_ledger_begin (self, error) || !device_changes (self, device, &changes, error))
    goto fail;

  stmt = ca_ledger_prepare (self,
                            "INSERT INTO devices (imei, uuid, model, firmware, lot, notes, first_seen, last_seen, "
                            "lot_station_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8) ON CONFLICT (imei) DO UPDATE SET "
                            "uuid = coalesce (excluded.uuid, devices.uuid), model = coalesce (excluded.model, devices.model), "
                            "firmware = coalesce (excluded.firmware, devices.firmware), "
                            "lot = coalesce (excluded.lot, devices.lot), notes = coalesce (excluded.notes, devices.notes), "
                            "lot_station_id = CASE WHEN excluded.lot IS NULL THEN devices.lot_station_id "
                            "ELSE excluded.lot_station_id END, last_seen = excluded.last_seen", error);
  if (stmt == NULL)
    goto fail;
  ca_stmt_bind_text (stmt, 1, device->imei);
  ca_stmt_bind_text (stmt, 2, device->uuid);
  ca_stmt_bind_text (stmt, 3, device->model);
  ca_stmt_bind_text (stmt, 4, device->firmware);
  ca_stmt_bind_text (stmt, 5, device->lot);
  ca_stmt_bind_text (stmt, 6, device->notes);
  ca_stmt_bind_int64 (stmt, 7, ca_now ());
  /* The station is that of the lot: a sighting that gives no lot keeps both. */
  if (device->lot != NULL)
    ca_ledger_bind_station (self, stmt, 8);
  if (!ca_ledger_step_done (self, stmt, error))
    goto fail;

  builder = ca_details_new ();
  ca_details_add (builder, "uuid", device->uuid);
  ca_details_add (builder, "model", device->model);
  ca_details_add (builder, "firmware", device->firmware);
  ca_details_add (builder, "lot", device->lot);
  ca_details_add (builder, "notes", device->notes);
  details = ca_details_free (builder);
  if (changes && !ca_audit_append (self, "device.seen", device->imei, details, error))
    goto fail;

  ok = ca_ledger_commit (self, error);
  goto out;

fail:
  ca_ledger_rollback (self);
out:
  ca_ledger_unlock_mutex (self);

  return ok;
}

#define DEVICE_COLUMNS "imei, uuid, model, firmware, lot, notes, first_seen, last_seen, " \
  "(SELECT s.name FROM stations s WHERE s.id = lot_station_id)"

static CaDevice *
device_from_row (CaStmt *stmt)
{
  CaDevice *device = g_new0 (CaDevice, 1);

  device->imei = ca_column_dup (stmt, 0);
  device->uuid = ca_column_dup (stmt, 1);
  device->model = ca_column_dup (stmt, 2);
  device->firmware = ca_column_dup (stmt, 3);
  device->lot = ca_column_dup (stmt, 4);
  device->notes = ca_column_dup (stmt, 5);
  device->first_seen = ca_stmt_column_int64 (stmt, 6);
  device->last_seen = ca_stmt_column_int64 (stmt, 7);
  device->lot_station = ca_column_dup (stmt, 8);

  return device;
}

static CaDevice *
get_device_locked (CaLedger    *self,
                   const char  *imei,
                   GError     **error)
{
  g_autoptr(CaStmt) stmt = NULL;
  CaDbStatus rc;

  if (!ca_imei_validate (imei, error))
    return NULL;

  stmt = ca_ledger_prepare (self, "SELECT " DEVICE_COLUMNS " FROM devices WHERE imei = ?", error);
  if (stmt == NULL)
    return NULL;
  ca_stmt_bind_text (stmt, 1, imei);
  rc = ca_stmt_step (stmt);
  if (rc == CA_DB_ROW)
    return device_from_row (stmt);
  if (rc == CA_DB_DONE)
    g_set_error (error, CA_ERROR, CA_ERROR_NOT_FOUND,
                 "The device %s is not in this ledger: it was never identified or issued a certificate.",
                 imei);
  else
    ca_ledger_set_db_error (self, rc, error);

  return NULL;
}

CaDevice *
ca_ledger_get_device (CaLedger    *self,
                      const char  *imei,
                      GError     **error)
{
  CaDevice *device;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);

  ca_ledger_lock_mutex (self);
  device = get_device_locked (self, imei, error);
  ca_ledger_unlock_mutex (self);

  return device;
}

static gpointer
fleet_row_from_row (CaStmt *stmt)
{
  CaFleetRow *row = g_new0 (CaFleetRow, 1);

  row->imei = ca_column_dup (stmt, 0);
  row->uuid = ca_column_dup (stmt, 1);
  row->model = ca_column_dup (stmt, 2);
  row->lot = ca_column_dup (stmt, 3);
  row->last_seen = ca_stmt_column_int64 (stmt, 4);
  row->serial = ca_column_dup (stmt, 5);
  row->authority_name = ca_column_dup (stmt, 6);
  row->profile = ca_column_dup (stmt, 7);
  row->not_after = ca_stmt_column_int64 (stmt, 8);
  /* A device without a certificate counts as valid, not expired. */
  row->status = ca_status_from_column (stmt, 9, row->serial != NULL ? row->not_after : G_MAXINT64);
  row->certificate_count = ca_stmt_column_int (stmt, 10);

  return row;
}

/* What a query's search selects, resolved once: an IMEI range, and for a
 * UUID or serial the identity to look up. A UUID or serial may be given in
 * part, from its start: each is then a range of its index, like the IMEIs. */
typedef struct
{
  char     *lower;         /* IMEIs above this (exclusive) ... */
  char     *upper;         /* ... and below this (exclusive) */
  gboolean  identity;      /* only the devices a UUID or certificate serial names */
  char     *uuid_lower;    /* UUIDs from this (inclusive, any case) ... */
  char     *uuid_upper;    /* ... and below this */
  char     *serial;        /* (nullable) the whole serial, normalised; NULL when not hex */
  char     *serial_lower;  /* (nullable) serials from this hex prefix ... */
  char     *serial_upper;  /* ... and below this */
} FleetScope;

static void
fleet_scope_clear (FleetScope *scope)
{
  g_free (scope->lower);
  g_free (scope->upper);
  g_free (scope->uuid_lower);
  g_free (scope->uuid_upper);
  g_free (scope->serial);
  g_free (scope->serial_lower);
  g_free (scope->serial_upper);
}

static gboolean
is_digits (const char *text)
{
  for (; *text != '\0'; text++)
    if (!g_ascii_isdigit (*text))
      return FALSE;

  return TRUE;
}

/* The start of a serial as the ledger stores serials (upper-case hex, no
 * separators), or NULL when @text is not hex. Unlike ca_serial_normalise()
 * nothing is padded or stripped: "0A1" is the start of "0A1B…". */
static char *
serial_prefix (const char *text)
{
  g_autoptr(GString) hex = g_string_new (NULL);

  if (g_str_has_prefix (text, "0x") || g_str_has_prefix (text, "0X"))
    text += 2;
  for (; *text != '\0'; text++)
    {
      if (*text == ':' || *text == ' ')
        continue;
      if (!g_ascii_isxdigit (*text))
        return NULL;
      g_string_append_c (hex, g_ascii_toupper (*text));
    }

  return hex->len > 0 ? g_string_free (g_steal_pointer (&hex), FALSE) : NULL;
}

static void
fleet_scope_init (FleetScope         *scope,
                  const CaFleetQuery *query)
{
  g_autofree char *search = g_strstrip (g_strdup (query->search != NULL ? query->search : ""));
  gsize len = strlen (search);

  memset (scope, 0, sizeof *scope);

  if (len > 0 && is_digits (search))
    {
      /* IMEIs are 15 digits and ':' and '~' sort after every digit, so "3526"
       * selects the range ("3525~", "3526:"), one walk of the primary key. */
      scope->lower = g_strdup_printf ("%s~", search);
      scope->lower[len - 1] -= 1;
      scope->upper = g_strconcat (search, ":", NULL);
    }
  else
    {
      scope->lower = g_strdup ("");
      scope->upper = g_strdup (":");
      if (len > 0)
        {
          scope->identity = TRUE;
          /* '~' sorts after every character of a UUID or a serial, so a
           * prefix P selects [P, P~). */
          scope->uuid_lower = g_strdup (search);
          scope->uuid_upper = g_strconcat (search, "~", NULL);
          /* Serials are stored as ca_serial_normalise() writes them. */
          scope->serial = ca_serial_normalise (search, NULL);
          scope->serial_lower = serial_prefix (search);
          if (scope->serial_lower != NULL)
            scope->serial_upper = g_strconcat (scope->serial_lower, "~", NULL);
        }
    }

  /* In IMEI order the page key narrows the range from the side the walk
   * starts at; other orders start after it through the sort's index. */
  if (query->after_imei == NULL || query->sort != CA_FLEET_SORT_IMEI)
    return;
  if (!query->descending && strcmp (query->after_imei, scope->lower) > 0)
    {
      g_free (scope->lower);
      scope->lower = g_strdup (query->after_imei);
    }
  else if (query->descending && strcmp (query->after_imei, scope->upper) < 0)
    {
      g_free (scope->upper);
      scope->upper = g_strdup (query->after_imei);
    }
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FleetScope, fleet_scope_clear)

/* The statements come in four shapes, by whether a lot and an identity search
 * narrow them, so each shape gets its own plan: (lot, sort key, imei) for a
 * lot, the UUID and serial indexes for an identity, the sort's own index
 * otherwise (ca-schema-4.sql, ca-schema-7.sql). Each shape comes once per sort
 * and direction. SQL texts must be literals for ca_ledger_prepare(). */
#define FLEET_ROW_SELECT \
  "SELECT d.imei, d.uuid, d.model, d.lot, d.last_seen, c.serial, a.name, c.profile, c.not_after, c.status, " \
  "(SELECT count(*) FROM certificates n WHERE n.imei = d.imei) FROM devices d " \
  "LEFT JOIN certificates c ON c.id = d.current_certificate_id " \
  "LEFT JOIN authorities a ON a.id = c.authority_id "
#define FLEET_KEY_SELECT \
  "SELECT d.imei FROM devices d LEFT JOIN certificates c ON c.id = d.current_certificate_id "
#define FLEET_LOT      " AND d.lot = ?3"
/* With an identity the few devices it names are checked for the lot, never
 * the whole lot walked: '+' keeps the lot off the index. */
#define FLEET_IDENTITY_LOT " AND +d.lot = ?3"
#define FLEET_IDENTITY \
  " AND d.imei IN (SELECT imei FROM devices WHERE uuid >= ?4 COLLATE NOCASE AND uuid < ?10 COLLATE NOCASE " \
  "UNION SELECT imei FROM certificates WHERE serial = ?5 " \
  "UNION SELECT imei FROM certificates WHERE serial >= ?11 AND serial < ?12)"
#define FLEET_STATUS \
  " AND (?6 = 0 " \
  "  OR (?6 = 1 AND c.status = 'valid' AND c.not_after > ?7) " \
  "  OR (?6 = 2 AND c.status = 'revoked') " \
  "  OR (?6 = 3 AND c.status = 'valid' AND c.not_after > ?7 AND c.not_after <= ?8))"
/* In IMEI order the IMEI range (the search's, narrowed by the page key) is
 * the walk itself. In any other order it only filters the walk of the sort's
 * index ('+' keeps it off the primary key, which would need every match
 * sorted first), which starts after the key's row: the sort values of the
 * device @after_imei names, or a sentinel beyond every row for the first page
 * (?13 NULL, ?14 and ?15 from sort_sentinels()). */
#define FLEET_IMEI_RANGE "WHERE d.imei > ?1 AND d.imei < ?2"
#define FLEET_IMEI_FILTER "WHERE +d.imei > ?1 AND +d.imei < ?2"
#define FLEET_AFTER(column) "coalesce ((SELECT k." column " FROM devices k WHERE k.imei = ?13), ?14)"
#define FLEET_AFTER_IMEI "coalesce (?13, ?15)"
#define FLEET_KEYSET1(op, column) \
  " AND (d." column ", d.imei) " op " (" FLEET_AFTER (column) ", " FLEET_AFTER_IMEI ")"
#define FLEET_KEYSET2(op, first, second) \
  " AND (d." first ", d." second ", d.imei) " op " (" FLEET_AFTER (first) ", " FLEET_AFTER (second) ", " \
  FLEET_AFTER_IMEI ")"
#define FLEET_SQL(select, range, narrowing, status, keyset, order) \
  select range narrowing status keyset " ORDER BY " order " LIMIT ?9"
#define FLEET_SHAPES(select, status, range, keyset, order) \
  { FLEET_SQL (select, range, "", status, keyset, order), \
    FLEET_SQL (select, range, FLEET_LOT, status, keyset, order), \
    FLEET_SQL (select, range, FLEET_IDENTITY, status, keyset, order), \
    FLEET_SQL (select, range, FLEET_IDENTITY_LOT FLEET_IDENTITY, status, keyset, order) }
#define FLEET_ORDER1(column, dir) "d." column dir ", d.imei" dir
#define FLEET_ORDER2(first, second, dir) "d." first dir ", d." second dir ", d.imei" dir
/* Indexed by sort * 2 + descending, then by shape. */
#define FLEET_SORTS(select, status) { \
  FLEET_SHAPES (select, status, FLEET_IMEI_RANGE, "", "d.imei"), \
  FLEET_SHAPES (select, status, FLEET_IMEI_RANGE, "", "d.imei DESC"), \
  FLEET_SHAPES (select, status, FLEET_IMEI_FILTER, FLEET_KEYSET1 (">", "last_seen"), \
                FLEET_ORDER1 ("last_seen", "")), \
  FLEET_SHAPES (select, status, FLEET_IMEI_FILTER, FLEET_KEYSET1 ("<", "last_seen"), \
                FLEET_ORDER1 ("last_seen", " DESC")), \
  FLEET_SHAPES (select, status, FLEET_IMEI_FILTER, FLEET_KEYSET1 (">", "current_not_after"), \
                FLEET_ORDER1 ("current_not_after", "")), \
  FLEET_SHAPES (select, status, FLEET_IMEI_FILTER, FLEET_KEYSET1 ("<", "current_not_after"), \
                FLEET_ORDER1 ("current_not_after", " DESC")), \
  FLEET_SHAPES (select, status, FLEET_IMEI_FILTER, \
                FLEET_KEYSET2 (">", "current_status_rank", "current_not_after"), \
                FLEET_ORDER2 ("current_status_rank", "current_not_after", "")), \
  FLEET_SHAPES (select, status, FLEET_IMEI_FILTER, \
                FLEET_KEYSET2 ("<", "current_status_rank", "current_not_after"), \
                FLEET_ORDER2 ("current_status_rank", "current_not_after", " DESC")) }

typedef const char *const FleetStatements[CA_FLEET_N_SORTS * 2][4];

static FleetStatements row_sql = FLEET_SORTS (FLEET_ROW_SELECT, FLEET_STATUS);
static FleetStatements explain_sql = FLEET_SORTS ("EXPLAIN QUERY PLAN " FLEET_ROW_SELECT, FLEET_STATUS);
static FleetStatements pg_explain_sql = FLEET_SORTS ("EXPLAIN " FLEET_ROW_SELECT, FLEET_STATUS);
static FleetStatements key_sql = FLEET_SORTS (FLEET_KEY_SELECT, FLEET_STATUS);
/* With no status filter the keys need not touch the certificates at all. */
static FleetStatements all_key_sql = FLEET_SORTS ("SELECT d.imei FROM devices d ", "");

static const char *const sort_names[] = { "imei", "last-seen", "expiry", "status" };
G_STATIC_ASSERT (G_N_ELEMENTS (sort_names) == CA_FLEET_N_SORTS);

const char *
ca_fleet_sort_to_string (CaFleetSort sort)
{
  g_return_val_if_fail ((guint) sort < CA_FLEET_N_SORTS, NULL);

  return sort_names[sort];
}

gboolean
ca_fleet_sort_from_string (const char  *text,
                           CaFleetSort *out_sort)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (sort_names); i++)
    if (strcmp (text, sort_names[i]) == 0)
      {
        *out_sort = i;
        return TRUE;
      }

  return FALSE;
}

gboolean
ca_fleet_order_from_string (const char  *text,
                            CaFleetSort *out_sort,
                            gboolean    *out_descending)
{
  g_auto(GStrv) parts = NULL;

  if (text == NULL)
    return FALSE;
  parts = g_strsplit (text, ":", 2);
  if (!ca_fleet_sort_from_string (parts[0], out_sort))
    return FALSE;
  *out_descending = parts[1] != NULL && strcmp (parts[1], "desc") == 0;

  return parts[1] == NULL || *out_descending || strcmp (parts[1], "asc") == 0;
}

char *
ca_fleet_order_to_string (CaFleetSort sort,
                          gboolean    descending)
{
  g_return_val_if_fail ((guint) sort < CA_FLEET_N_SORTS, NULL);

  return g_strconcat (sort_names[sort], descending ? ":desc" : "", NULL);
}

/* What the fleet sorts a device on, from the current certificate whose id
 * is the SQL expression @id: the same copies as ca-schema-7.sql's migration
 * makes. */
#define SORT_KEYS_FROM(id) \
  "current_not_after = coalesce ((SELECT c.not_after FROM certificates c WHERE c.id = " id "), " \
  "9223372036854775807), current_status_rank = coalesce ((SELECT CASE c.status WHEN 'revoked' THEN 0 " \
  "ELSE 1 END FROM certificates c WHERE c.id = " id "), 2)"

gboolean
ca_fleet_refresh_sort_keys (CaLedger    *self,
                            const char  *imei,
                            GError     **error)
{
  g_autoptr(CaStmt) stmt = ca_ledger_prepare (self,
                                              "UPDATE devices SET " SORT_KEYS_FROM ("devices.current_certificate_id")
                                              " WHERE imei = ?", error);

  if (stmt == NULL)
    return FALSE;
  ca_stmt_bind_text (stmt, 1, imei);

  return ca_ledger_step_done (self, stmt, error);
}

gboolean
ca_fleet_set_current (CaLedger           *self,
                      const char *const  *imeis,
                      const gint64       *ids,
                      guint               n,
                      GError            **error)
{
  g_autoptr(CaStmt) stmt = NULL;

  if (n == 0)
    return TRUE;
  stmt = ca_ledger_prepare_rows (self, "UPDATE devices SET current_certificate_id = v.column2, "
                                 SORT_KEYS_FROM ("v.column2") " FROM (VALUES ",
                                 "(CAST (? AS TEXT), CAST (? AS INTEGER))", n,
                                 ") AS v WHERE devices.imei = v.column1", error);
  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      ca_stmt_bind_text (stmt, (int) i * 2 + 1, imeis[i]);
      ca_stmt_bind_int64 (stmt, (int) i * 2 + 2, ids[i]);
    }

  return ca_ledger_step_done (self, stmt, error);
}

static CaStmt *
prepare_fleet (CaLedger            *self,
               FleetStatements      statements,
               const CaFleetQuery  *query,
               const FleetScope    *scope,
               gint64               limit,
               GError             **error)
{
  guint sort = (guint) query->sort < CA_FLEET_N_SORTS ? query->sort : CA_FLEET_SORT_IMEI;
  guint shape = (query->lot != NULL ? 1 : 0) | (scope->identity ? 2 : 0);
  CaStmt *stmt = ca_ledger_prepare (self, statements[sort * 2 + (query->descending ? 1 : 0)][shape], error);
  gint64 now = ca_now ();
  int expiring = query->expiring_days > 0 ? query->expiring_days : DEFAULT_EXPIRING_DAYS;

  if (stmt == NULL)
    return NULL;
  ca_stmt_bind_text (stmt, 1, scope->lower);
  ca_stmt_bind_text (stmt, 2, scope->upper);
  ca_stmt_bind_text (stmt, 3, query->lot);
  ca_stmt_bind_text (stmt, 4, scope->uuid_lower);
  ca_stmt_bind_text (stmt, 5, scope->serial);
  ca_stmt_bind_int64 (stmt, 6, query->filter);
  ca_stmt_bind_int64 (stmt, 7, now);
  ca_stmt_bind_int64 (stmt, 8, now + (gint64) expiring * 86400);
  ca_stmt_bind_int64 (stmt, 9, limit);
  ca_stmt_bind_text (stmt, 10, scope->uuid_upper);
  ca_stmt_bind_text (stmt, 11, scope->serial_lower);
  ca_stmt_bind_text (stmt, 12, scope->serial_upper);
  if (sort != CA_FLEET_SORT_IMEI)
    {
      /* Before the first row: below every sort value and IMEI ascending, above
       * them descending (':' follows every digit). */
      ca_stmt_bind_text (stmt, 13, query->after_imei);
      ca_stmt_bind_int64 (stmt, 14, query->descending ? G_MAXINT64 : G_MININT64);
      ca_stmt_bind_text (stmt, 15, query->descending ? ":" : "");
    }

  return stmt;
}

/**
 * ca_ledger_list_fleet:
 *
 * One page of devices in @query's order, each with its newest certificate.
 * The query walks an index from @query->after_imei (keyset pagination: the
 * row's sort value, then its IMEI), so a page costs the same at the millionth
 * device as at the first.
 *
 * Returns: (transfer full) (element-type CaFleetRow)
 */
GPtrArray *
ca_ledger_list_fleet (CaLedger            *self,
                      const CaFleetQuery  *query,
                      GError             **error)
{
  g_auto(FleetScope) scope = { 0 };
  g_autoptr(CaStmt) stmt = NULL;
  GPtrArray *rows = NULL;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  fleet_scope_init (&scope, query);

  ca_ledger_lock_mutex (self);
  stmt = prepare_fleet (self, row_sql, query, &scope, query->limit > 0 ? query->limit : DEFAULT_PAGE, error);
  if (stmt != NULL)
    rows = ca_ledger_collect_rows (self, stmt, fleet_row_from_row, (GDestroyNotify) ca_fleet_row_free, error);
  g_clear_pointer (&stmt, ca_stmt_release);
  ca_ledger_unlock_mutex (self);

  return rows;
}

char *
ca_ledger_explain_fleet (CaLedger            *self,
                         const CaFleetQuery  *query,
                         GError             **error)
{
  g_auto(FleetScope) scope = { 0 };
  g_autoptr(CaStmt) stmt = NULL;
  g_autoptr(GString) plan = g_string_new (NULL);
  CaDbStatus rc = CA_DB_ERROR;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  fleet_scope_init (&scope, query);

  ca_ledger_lock_mutex (self);
  stmt = prepare_fleet (self, self->on_server ? pg_explain_sql : explain_sql, query, &scope, 1, error);
  if (stmt != NULL)
    {
      /* SQLite's detail is its fourth column, PostgreSQL's plan line its only one. */
      while ((rc = ca_stmt_step (stmt)) == CA_DB_ROW)
        g_string_append_printf (plan, "%s\n", ca_stmt_column_text (stmt, self->on_server ? 0 : 3));
      if (rc != CA_DB_DONE)
        ca_ledger_set_db_error (self, rc, error);
    }
  g_clear_pointer (&stmt, ca_stmt_release);
  ca_ledger_unlock_mutex (self);

  return rc == CA_DB_DONE ? g_string_free (g_steal_pointer (&plan), FALSE) : NULL;
}

void
ca_fleet_index_free (CaFleetIndex *index)
{
  if (index == NULL)
    return;
  g_clear_pointer (&index->page_keys, g_ptr_array_unref);
  g_free (index);
}

/* Rows per walk of the index pass; the ledger is unlocked between walks so a
 * view's page fetches are not held up behind a million-row count. */
#define INDEX_CHUNK 32768

/**
 * ca_ledger_fleet_index:
 *
 * One pass over the IMEIs @query selects, in its order and keyset chunks, counting them and
 * keeping the key before every @page_size-th: with it a view knows its length
 * and fetches any page directly (ca_ledger_list_fleet() with that key as
 * after_imei). @query's after_imei and limit are ignored.
 *
 * Returns: (transfer full): the index, or NULL on error or cancellation
 */
CaFleetIndex *
ca_ledger_fleet_index (CaLedger            *self,
                       const CaFleetQuery  *query,
                       guint                page_size,
                       GCancellable        *cancellable,
                       GError             **error)
{
  g_autoptr(CaFleetIndex) index = g_new0 (CaFleetIndex, 1);
  g_autofree char *after = NULL;
  CaFleetQuery chunk = *query;
  guint got;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  index->page_size = page_size > 0 ? page_size : DEFAULT_PAGE;
  index->page_keys = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (index->page_keys, NULL);

  do
    {
      g_auto(FleetScope) scope = { 0 };
      g_autoptr(CaStmt) stmt = NULL;
      CaDbStatus rc;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      chunk.after_imei = after;
      fleet_scope_init (&scope, &chunk);
      got = 0;

      ca_ledger_lock_mutex (self);
      stmt = prepare_fleet (self, query->filter == CA_FLEET_ALL ? all_key_sql : key_sql, &chunk, &scope,
                            INDEX_CHUNK, error);
      rc = stmt != NULL ? CA_DB_ROW : CA_DB_ERROR;
      while (stmt != NULL && (rc = ca_stmt_step (stmt)) == CA_DB_ROW)
        {
          const char *imei = ca_stmt_column_text (stmt, 0);

          got++;
          if (++index->n_rows % index->page_size == 0)
            g_ptr_array_add (index->page_keys, g_strdup (imei));
          if (got == INDEX_CHUNK)
            {
              g_free (after);
              after = g_strdup (imei);
            }
        }
      if (stmt != NULL && rc != CA_DB_DONE)
        ca_ledger_set_db_error (self, rc, error);
      g_clear_pointer (&stmt, ca_stmt_release);
      ca_ledger_unlock_mutex (self);

      if (rc != CA_DB_DONE)
        return NULL;
    }
  while (got == INDEX_CHUNK);

  /* A key after the very last row would start an empty page. */
  if (index->n_rows > 0 && index->n_rows % index->page_size == 0)
    g_ptr_array_remove_index (index->page_keys, index->page_keys->len - 1);

  return g_steal_pointer (&index);
}

static gpointer
lot_from_row (CaStmt *stmt)
{
  return ca_column_dup (stmt, 0);
}

/**
 * ca_ledger_list_lots:
 *
 * Skips through the (lot, imei) index one lot at a time, so a million devices
 * in a dozen lots cost a dozen index seeks.
 *
 * Returns: (transfer full) (element-type utf8)
 */
GPtrArray *
ca_ledger_list_lots (CaLedger  *self,
                     GError   **error)
{
  g_autoptr(CaStmt) stmt = NULL;
  GPtrArray *lots = NULL;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);

  ca_ledger_lock_mutex (self);
  stmt = ca_ledger_prepare (self,
                            "WITH RECURSIVE lots (lot) AS (SELECT min (lot) FROM devices UNION ALL "
                            "SELECT (SELECT min (lot) FROM devices WHERE lot > lots.lot) FROM lots "
                            "WHERE lots.lot IS NOT NULL) SELECT lot FROM lots WHERE lot IS NOT NULL", error);
  if (stmt != NULL)
    lots = ca_ledger_collect_rows (self, stmt, lot_from_row, g_free, error);
  g_clear_pointer (&stmt, ca_stmt_release);
  ca_ledger_unlock_mutex (self);

  return lots;
}

static gpointer
certificate_from_row (CaStmt *stmt)
{
  return ca_certificate_from_row (stmt);
}

static GPtrArray *
list_certificates_locked (CaLedger    *self,
                          const char  *imei,
                          gboolean     valid_only,
                          GError     **error)
{
  g_autoptr(CaStmt) stmt = ca_ledger_prepare (self,
                                              "SELECT " CA_CERTIFICATE_COLUMNS " FROM " CA_CERTIFICATE_FROM
                                              " WHERE c.imei = ?1 AND (?2 = 0 OR (c.status = 'valid' AND "
                                              "c.not_after > ?3)) ORDER BY c.id", error);

  if (stmt == NULL)
    return NULL;
  ca_stmt_bind_text (stmt, 1, imei);
  ca_stmt_bind_int64 (stmt, 2, valid_only);
  ca_stmt_bind_int64 (stmt, 3, ca_now ());

  return ca_ledger_collect_rows (self, stmt, certificate_from_row, (GDestroyNotify) ca_certificate_free, error);
}

GPtrArray *
ca_ledger_list_certificates (CaLedger    *self,
                             const char  *imei,
                             gboolean     valid_only,
                             GError     **error)
{
  GPtrArray *certificates = NULL;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);

  if (!ca_imei_validate (imei, error))
    return NULL;

  ca_ledger_lock_mutex (self);
  certificates = list_certificates_locked (self, imei, valid_only, error);
  ca_ledger_unlock_mutex (self);

  return certificates;
}

CaCertificate *
ca_ledger_get_certificate (CaLedger  *self,
                           gint64     id,
                           GError   **error)
{
  g_autoptr(CaStmt) stmt = NULL;
  CaCertificate *cert = NULL;
  CaDbStatus rc;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);

  ca_ledger_lock_mutex (self);
  stmt = ca_ledger_prepare (self, "SELECT " CA_CERTIFICATE_COLUMNS " FROM " CA_CERTIFICATE_FROM
                            " WHERE c.id = ?", error);
  if (stmt != NULL)
    {
      ca_stmt_bind_int64 (stmt, 1, id);
      rc = ca_stmt_step (stmt);
      if (rc == CA_DB_ROW)
        cert = ca_certificate_from_row (stmt);
      else if (rc == CA_DB_DONE)
        g_set_error (error, CA_ERROR, CA_ERROR_NOT_FOUND, "No certificate has the id %" G_GINT64_FORMAT ".", id);
      else
        ca_ledger_set_db_error (self, rc, error);
    }
  g_clear_pointer (&stmt, ca_stmt_release);
  ca_ledger_unlock_mutex (self);

  return cert;
}

#define INSTALL_COLUMNS \
  "id, imei, sec_tag, cred_type, certificate_id, sha256, port, state, host_key, detail, created_at, updated_at, " \
  "(SELECT s.name FROM stations s WHERE s.id = installs.station_id)"

static gpointer
install_from_row (CaStmt *stmt)
{
  CaInstall *install = g_new0 (CaInstall, 1);

  install->id = ca_stmt_column_int64 (stmt, 0);
  install->imei = ca_column_dup (stmt, 1);
  install->sec_tag = ca_stmt_column_int (stmt, 2);
  install->cred_type = ca_stmt_column_int (stmt, 3);
  install->certificate_id = ca_stmt_column_int64 (stmt, 4);
  install->sha256 = ca_column_dup (stmt, 5);
  install->port = ca_column_dup (stmt, 6);
  ca_install_state_from_string (ca_stmt_column_text (stmt, 7), &install->state);
  install->host_key = ca_stmt_column_int (stmt, 8);
  install->detail = ca_column_dup (stmt, 9);
  install->created_at = ca_stmt_column_int64 (stmt, 10);
  install->updated_at = ca_stmt_column_int64 (stmt, 11);
  install->station = ca_column_dup (stmt, 12);

  return install;
}

static GPtrArray *
list_installs_locked (CaLedger    *self,
                      const char  *imei,
                      gboolean     unfinished_only,
                      GError     **error)
{
  g_autoptr(CaStmt) stmt = ca_ledger_prepare (self,
                                              "SELECT " INSTALL_COLUMNS " FROM installs WHERE imei = ?1 "
                                              "AND (?2 = 0 OR state IN ('intent', 'written', 'removing')) ORDER BY id",
                                              error);

  if (stmt == NULL)
    return NULL;
  ca_stmt_bind_text (stmt, 1, imei);
  ca_stmt_bind_int64 (stmt, 2, unfinished_only);

  return ca_ledger_collect_rows (self, stmt, install_from_row, (GDestroyNotify) ca_install_free, error);
}

GPtrArray *
ca_ledger_list_installs (CaLedger    *self,
                         const char  *imei,
                         gboolean     unfinished_only,
                         GError     **error)
{
  GPtrArray *installs;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);

  if (!ca_imei_validate (imei, error))
    return NULL;

  ca_ledger_lock_mutex (self);
  installs = list_installs_locked (self, imei, unfinished_only, error);
  ca_ledger_unlock_mutex (self);

  return installs;
}

static gboolean
is_sha256_hex (const char *text)
{
  if (text == NULL || strlen (text) != 64)
    return FALSE;
  for (int i = 0; i < 64; i++)
    if (!g_ascii_isxdigit (text[i]))
      return FALSE;

  return TRUE;
}

gint64
ca_ledger_install_begin (CaLedger         *self,
                         const CaInstall  *install,
                         GError          **error)
{
  g_autoptr(CaStmt) stmt = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *details = NULL;
  GString *builder;
  gint64 id = 0;
  gint64 now = ca_now ();

  g_return_val_if_fail (CA_IS_LEDGER (self), 0);
  g_return_val_if_fail (install != NULL, 0);

  if (!ca_imei_validate (install->imei, error))
    return 0;
  /* Only a key the modem generates (%KEYGEN) has no hash known in advance. */
  if (install->sha256 == NULL ? install->cred_type != 2 || install->host_key : !is_sha256_hex (install->sha256))
    {
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT,
                   "An install needs the SHA-256 (64 hex digits) of the bytes that will be sent.");
      return 0;
    }
  sha = install->sha256 != NULL ? g_ascii_strup (install->sha256, -1) : NULL;

  ca_ledger_lock_mutex (self);
  if (!ca_ledger_begin (self, error))
    goto out;

  stmt = ca_ledger_prepare (self,
                            "INSERT INTO installs (imei, sec_tag, cred_type, certificate_id, sha256, port, "
                            "state, host_key, created_at, updated_at, station_id) "
                            "VALUES (?, ?, ?, ?, ?, ?, 'intent', ?, ?, ?, ?) "
                            "RETURNING id",
                            error);
  if (stmt == NULL)
    goto fail;
  ca_stmt_bind_text (stmt, 1, install->imei);
  ca_stmt_bind_int64 (stmt, 2, install->sec_tag);
  ca_stmt_bind_int64 (stmt, 3, install->cred_type);
  if (install->certificate_id != 0)
    ca_stmt_bind_int64 (stmt, 4, install->certificate_id);
  ca_stmt_bind_text (stmt, 5, sha);
  ca_stmt_bind_text (stmt, 6, install->port);
  ca_stmt_bind_int64 (stmt, 7, install->host_key);
  ca_stmt_bind_int64 (stmt, 8, now);
  ca_stmt_bind_int64 (stmt, 9, now);
  ca_ledger_bind_station (self, stmt, 10);
  if (ca_stmt_step (stmt) != CA_DB_ROW)
    {
      CaDbStatus code = ca_db_status (self->db);

      if (code == CA_DB_FOREIGN_KEY)
        g_set_error (error, CA_ERROR, CA_ERROR_NOT_FOUND,
                     "The device %s (or the certificate) is not in the ledger; record the device first.",
                     install->imei);
      else
        ca_ledger_set_db_error (self, code, error);
      goto fail;
    }
  id = ca_stmt_column_int64 (stmt, 0);
  g_clear_pointer (&stmt, ca_stmt_release);

  builder = ca_details_new ();
  ca_details_add_int (builder, "install", id);
  ca_details_add_int (builder, "sec_tag", install->sec_tag);
  ca_details_add_int (builder, "type", install->cred_type);
  ca_details_add (builder, "sha256", sha);
  ca_details_add (builder, "port", install->port);
  ca_details_add (builder, "station", self->station_name);
  details = ca_details_free (builder);
  if (!ca_audit_append (self, "install.intent", install->imei, details, error) ||
      !ca_ledger_commit (self, error))
    {
      id = 0;
      goto fail;
    }
  goto out;

fail:
  ca_ledger_rollback (self);
out:
  ca_ledger_unlock_mutex (self);

  return id;
}

gboolean
ca_ledger_install_mark (CaLedger        *self,
                        gint64           install_id,
                        CaInstallState   state,
                        const char      *detail,
                        GError         **error)
{
  g_autoptr(CaStmt) update = NULL;
  g_autoptr(CaStmt) stamp = NULL;
  g_autofree char *imei = NULL;
  g_autofree char *details = NULL;
  g_autofree char *action = NULL;
  GString *builder;
  gint64 certificate_id;
  gboolean ok = FALSE;
  gint64 now = ca_now ();

  g_return_val_if_fail (CA_IS_LEDGER (self), FALSE);

  if (state == CA_INSTALL_INTENT)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT,
                   "An install cannot go back to being an intent.");
      return FALSE;
    }

  ca_ledger_lock_mutex (self);
  if (!ca_ledger_begin (self, error))
    goto out;

  update = ca_ledger_prepare (self,
                              "UPDATE installs SET state = ?, detail = coalesce (?, detail), updated_at = ? "
                              "WHERE id = ? RETURNING imei, certificate_id", error);
  if (update == NULL)
    goto fail;
  ca_stmt_bind_text (update, 1, ca_install_state_to_string (state));
  ca_stmt_bind_text (update, 2, detail);
  ca_stmt_bind_int64 (update, 3, now);
  ca_stmt_bind_int64 (update, 4, install_id);
  if (ca_stmt_step (update) != CA_DB_ROW)
    {
      if (ca_db_status (self->db) == CA_DB_DONE)
        g_set_error (error, CA_ERROR, CA_ERROR_NOT_FOUND, "There is no install %" G_GINT64_FORMAT ".", install_id);
      else
        ca_ledger_set_db_error (self, ca_db_status (self->db), error);
      goto fail;
    }
  imei = ca_column_dup (update, 0);
  certificate_id = ca_stmt_column_int64 (update, 1);
  ca_ledger_step_done (self, update, NULL);
  g_clear_pointer (&update, ca_stmt_release);

  /* Verified: the certificate is now on the device, in the same transaction.
   * Removed: it is on no device any more once no verified install is left. */
  if (state == CA_INSTALL_VERIFIED && certificate_id != 0)
    stamp = ca_ledger_prepare (self, "UPDATE certificates SET installed_at = ?1 WHERE id = ?2", error);
  else if (state == CA_INSTALL_REMOVED && certificate_id != 0)
    stamp = ca_ledger_prepare (self, "UPDATE certificates SET installed_at = NULL WHERE id = ?2 AND "
                               "NOT EXISTS (SELECT 1 FROM installs WHERE certificate_id = ?2 AND "
                               "state IN ('verified', 'removing'))", error);
  if ((state == CA_INSTALL_VERIFIED || state == CA_INSTALL_REMOVED) && certificate_id != 0)
    {
      if (stamp == NULL)
        goto fail;
      if (state == CA_INSTALL_VERIFIED)
        ca_stmt_bind_int64 (stamp, 1, now);
      ca_stmt_bind_int64 (stamp, 2, certificate_id);
      if (!ca_ledger_step_done (self, stamp, error))
        goto fail;
    }

  builder = ca_details_new ();
  ca_details_add_int (builder, "install", install_id);
  ca_details_add (builder, "detail", detail);
  details = ca_details_free (builder);
  action = g_strconcat ("install.", ca_install_state_to_string (state), NULL);
  if (!ca_audit_append (self, action, imei, details, error))
    goto fail;

  ok = ca_ledger_commit (self, error);
  goto out;

fail:
  ca_ledger_rollback (self);
out:
  ca_ledger_unlock_mutex (self);

  return ok;
}

/**
 * ca_ledger_audit_store_change:
 * @action: "store.delete", "store.deleted", "store.delete-failed", ...
 * @cred_type: the %CMNG type, or -1 for every type of @sec_tag
 * @detail: (nullable): what happened, in words
 *
 * Records a change to a modem's credential store in the audit log, also one
 * that touches no install the ledger knows (a vendor's credential).
 */
gboolean
ca_ledger_audit_store_change (CaLedger    *self,
                              const char  *action,
                              const char  *imei,
                              guint32      sec_tag,
                              int          cred_type,
                              const char  *port,
                              const char  *detail,
                              GError     **error)
{
  g_autofree char *details = NULL;
  GString *builder;
  gboolean ok = FALSE;

  g_return_val_if_fail (CA_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (action != NULL, FALSE);

  if (!ca_imei_validate (imei, error))
    return FALSE;

  builder = ca_details_new ();
  ca_details_add_int (builder, "sec_tag", sec_tag);
  if (cred_type >= 0)
    ca_details_add_int (builder, "type", cred_type);
  ca_details_add (builder, "port", port);
  ca_details_add (builder, "detail", detail);
  details = ca_details_free (builder);

  ca_ledger_lock_mutex (self);
  if (ca_ledger_begin (self, error))
    {
      ok = ca_audit_append (self, action, imei, details, error) && ca_ledger_commit (self, error);
      if (!ok)
        ca_ledger_rollback (self);
    }
  ca_ledger_unlock_mutex (self);

  return ok;
}

/**
 * ca_ledger_get_history:
 *
 * Returns: (transfer full): the device with every certificate, install and
 *   audit event that names it
 */
CaDeviceHistory *
ca_ledger_get_history (CaLedger    *self,
                       const char  *imei,
                       GError     **error)
{
  g_autoptr(CaDeviceHistory) history = g_new0 (CaDeviceHistory, 1);
  g_autoptr(CaStmt) events = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);

  ca_ledger_lock_mutex (self);
  history->device = get_device_locked (self, imei, error);
  if (history->device == NULL)
    goto out;
  history->certificates = list_certificates_locked (self, imei, FALSE, error);
  if (history->certificates == NULL)
    goto out;
  history->installs = list_installs_locked (self, imei, FALSE, error);
  if (history->installs == NULL)
    goto out;
  events = ca_ledger_prepare (self, "SELECT " CA_AUDIT_EVENT_COLUMNS " FROM audit_log "
                              "WHERE imei = ? ORDER BY id", error);
  if (events == NULL)
    goto out;
  ca_stmt_bind_text (events, 1, imei);
  history->events = ca_ledger_collect_rows (self, events, ca_audit_event_from_row, (GDestroyNotify) ca_audit_event_free, error);
  ok = history->events != NULL;

out:
  g_clear_pointer (&events, ca_stmt_release);
  ca_ledger_unlock_mutex (self);

  return ok ? g_steal_pointer (&history) : NULL;
}

static CaShaMatch *
match_certificate (CaStmt *stmt,
                   gint64  install_id)
{
  g_autoptr(CaCertificate) cert = ca_certificate_from_row (stmt);
  CaShaMatch *match = g_new0 (CaShaMatch, 1);

  match->kind = CA_SHA_DEVICE_CERTIFICATE;
  match->serial = g_steal_pointer (&cert->serial);
  match->imei = g_steal_pointer (&cert->imei);
  match->authority_name = g_steal_pointer (&cert->authority_name);
  match->not_after = cert->not_after;
  match->status = cert->status;
  match->install_id = install_id;

  return match;
}

/* Device certificates by their stored LF/CRLF hashes, then CA certificates,
 * then installs' recorded hashes (whatever bytes were actually sent). Each
 * step is an index lookup. */
static CaShaMatch *
lookup_locked (CaLedger    *self,
               const char  *sha,
               GError     **error)
{
  g_autoptr(CaStmt) certs = NULL;
  g_autoptr(CaStmt) cas = NULL;
  g_autoptr(CaStmt) installs = NULL;
  CaDbStatus rc;

  certs = ca_ledger_prepare (self, "SELECT " CA_CERTIFICATE_COLUMNS " FROM " CA_CERTIFICATE_FROM
                             " WHERE c.sha256_lf = ?1 UNION ALL SELECT " CA_CERTIFICATE_COLUMNS " FROM "
                             CA_CERTIFICATE_FROM " WHERE c.sha256_crlf = ?1 LIMIT 1", error);
  if (certs == NULL)
    return NULL;
  ca_stmt_bind_text (certs, 1, sha);
  rc = ca_stmt_step (certs);
  if (rc == CA_DB_ROW)
    return match_certificate (certs, 0);
  if (rc != CA_DB_DONE)
    goto db_error;

  cas = ca_ledger_prepare (self, "SELECT name, not_after FROM authorities WHERE sha256_lf = ?1 OR sha256_crlf = ?1",
                           error);
  if (cas == NULL)
    return NULL;
  ca_stmt_bind_text (cas, 1, sha);
  rc = ca_stmt_step (cas);
  if (rc == CA_DB_ROW)
    {
      CaShaMatch *match = g_new0 (CaShaMatch, 1);

      match->kind = CA_SHA_CA_CERTIFICATE;
      match->authority_name = ca_column_dup (cas, 0);
      match->not_after = ca_stmt_column_int64 (cas, 1);
      match->status = match->not_after > ca_now () ? CA_CERT_STATUS_VALID : CA_CERT_STATUS_EXPIRED;
      return match;
    }
  if (rc != CA_DB_DONE)
    goto db_error;

  installs = ca_ledger_prepare (self, "SELECT id, certificate_id FROM installs WHERE sha256 = ? AND "
                                "certificate_id IS NOT NULL ORDER BY id DESC LIMIT 1", error);
  if (installs == NULL)
    return NULL;
  ca_stmt_bind_text (installs, 1, sha);
  rc = ca_stmt_step (installs);
  if (rc == CA_DB_ROW)
    {
      gint64 install_id = ca_stmt_column_int64 (installs, 0);
      g_autoptr(CaStmt) by_id = ca_ledger_prepare (self, "SELECT " CA_CERTIFICATE_COLUMNS " FROM "
                                                   CA_CERTIFICATE_FROM " WHERE c.id = ?", error);

      if (by_id == NULL)
        return NULL;
      ca_stmt_bind_int64 (by_id, 1, ca_stmt_column_int64 (installs, 1));
      if (ca_stmt_step (by_id) == CA_DB_ROW)
        return match_certificate (by_id, install_id);
    }
  else if (rc != CA_DB_DONE)
    goto db_error;

  return g_new0 (CaShaMatch, 1);

db_error:
  ca_ledger_set_db_error (self, rc, error);
  return NULL;
}

CaShaMatch *
ca_ledger_lookup_sha256 (CaLedger    *self,
                         const char  *sha256_hex,
                         GError     **error)
{
  g_autofree char *sha = NULL;
  CaShaMatch *match;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);

  if (!is_sha256_hex (sha256_hex))
    {
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a SHA-256: it should be 64 hex digits as %%CMNG lists them.",
                   sha256_hex != NULL ? sha256_hex : "");
      return NULL;
    }
  sha = g_ascii_strup (sha256_hex, -1);

  ca_ledger_lock_mutex (self);
  match = lookup_locked (self, sha, error);
  ca_ledger_unlock_mutex (self);

  return match;
}

/* A CSV field per RFC 4180 / Python's QUOTE_MINIMAL. */
static void
append_csv_field (GString    *out,
                  const char *value)
{
  if (strpbrk (value, ",\"\r\n") == NULL)
    {
      g_string_append (out, value);
      return;
    }

  g_string_append_c (out, '"');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

/**
 * ca_ledger_export_nrfcloud_csv:
 *
 * nRF Cloud's onboarding CSV (PROTOCOL.md §9.4): no header,
 * `deviceId,subType,tags,fwTypes,certificatePEM`, the device ID being the
 * certificate's common name, at most 1000 rows per file.
 *
 * Returns: (transfer full) (element-type utf8): one string per file
 */
GPtrArray *
ca_ledger_export_nrfcloud_csv (CaLedger  *self,
                               GError   **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) current = g_string_new (NULL);
  g_autoptr(CaStmt) stmt = NULL;
  guint rows = 0;
  CaDbStatus rc = CA_DB_ERROR;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);

  ca_ledger_lock_mutex (self);
  stmt = ca_ledger_prepare (self,
                            "SELECT c.pem FROM devices d JOIN certificates c ON c.id = d.current_certificate_id "
                            "WHERE c.status = 'valid' AND c.not_after > ? ORDER BY d.imei", error);
  if (stmt != NULL)
    {
      ca_stmt_bind_int64 (stmt, 1, ca_now ());
      while ((rc = ca_stmt_step (stmt)) == CA_DB_ROW)
        {
          const char *pem = ca_stmt_column_text (stmt, 0);
          g_autoptr(X509) cert = ca_x509_from_pem (pem, NULL);
          g_autofree char *cn = cert != NULL ? ca_name_get_entry (X509_get_subject_name (cert), NID_commonName) : NULL;

          if (cn == NULL)
            continue;
          append_csv_field (current, cn);
          g_string_append (current, ",,,APP|MODEM,");
          append_csv_field (current, pem);
          g_string_append_c (current, '\n');
          if (++rows % NRFCLOUD_ROWS_PER_FILE == 0)
            {
              g_ptr_array_add (files, g_strdup (current->str));
              g_string_truncate (current, 0);
            }
        }
      if (rc != CA_DB_DONE)
        ca_ledger_set_db_error (self, rc, error);
    }
  ca_ledger_unlock_mutex (self);

  if (rc != CA_DB_DONE)
    return NULL;
  if (current->len > 0)
    g_ptr_array_add (files, g_strdup (current->str));

  return g_steal_pointer (&files);
}
