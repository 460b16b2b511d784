/* ca-ledger-copy.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Moving a ledger between a file and a server, either way. The tables and
 * columns are read from the source database itself (ca_db_describe()), so a
 * table or column a later schema adds is copied without being named here.
 * Every value travels as text (or NULL), which both engines turn back into the
 * column's type; ids are kept, so the audit chain, which hashes them, still
 * verifies, and the encrypted CA keys are copied as the bytes they are. */

#define G_LOG_DOMAIN "ca-ledger"

#include "config.h"

#include <glib/gstdio.h>

#include "ca-private.h"

void
ca_ledger_copy_count_free (CaLedgerCopyCount *count)
{
  if (count == NULL)
    return;
  g_free (count->table);
  g_free (count);
}

/* A foreign key pointing at a table not copied yet (devices and certificates
 * refer to each other): its values are written once every table is there. */
typedef struct
{
  const CaDbTable *table;
  const char      *column;
  GPtrArray       *rows;    /* (element-type GStrv): the value, then the key's values */
} Deferred;

static void
deferred_free (Deferred *deferred)
{
  g_ptr_array_unref (deferred->rows);
  g_free (deferred);
}

typedef struct
{
  CaLedger  *from;
  CaLedger  *to;
  GPtrArray *tables;    /* (element-type CaDbTable) of the source */
  GHashTable *copied;   /* names of the tables copied so far */
  GPtrArray *deferred;  /* (element-type Deferred) */
  GPtrArray *counts;    /* (element-type CaLedgerCopyCount) */
} Copy;

/* A name from the schema as an identifier either engine reads as it is. */
static char *
quote (const char *name)
{
  g_auto(GStrv) parts = g_strsplit (name, "\"", -1);
  g_autofree char *doubled = g_strjoinv ("\"\"", parts);

  return g_strdup_printf ("\"%s\"", doubled);
}

static char *
join_quoted (GPtrArray  *names,
             const char *separator,
             const char *suffix_format)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *name = quote (names->pdata[i]);

      if (i > 0)
        g_string_append (out, separator);
      g_string_append (out, name);
      if (suffix_format != NULL)
        g_string_append_printf (out, suffix_format, i + 2);
    }

  return g_string_free (out, FALSE);
}

/* The rows of a table that belong to the ledger: the schema version a server
 * keeps in meta belongs to the database, and each side has its own. */
static const char *
ledger_rows (const CaDbTable *table)
{
  return g_str_equal (table->name, "meta") ? " WHERE key <> '" CA_DB_VERSION_KEY "'" : "";
}

static gboolean
db_error (CaLedger  *ledger,
          GError   **error)
{
  return ca_ledger_set_db_error (ledger, ca_db_status (ledger->db), error);
}

static const CaDbTable *
find_table (GPtrArray  *tables,
            const char *name)
{
  for (guint i = 0; i < tables->len; i++)
    if (g_str_equal (((CaDbTable *) tables->pdata[i])->name, name))
      return tables->pdata[i];

  return NULL;
}

/* The destination was made by this same Tagsmith, so it has every table and
 * column of a source of the same schema version; anything else is refused
 * before a row is written. */
static gboolean
check_destination (Copy    *copy,
                   GError **error)
{
  g_autoptr(GPtrArray) tables = NULL;
  CaDbStatus rc = ca_db_describe (copy->to->db, &tables);

  if (rc != CA_DB_OK)
    return ca_ledger_set_db_error (copy->to, rc, error);

  for (guint i = 0; i < copy->tables->len; i++)
    {
      const CaDbTable *wanted = copy->tables->pdata[i];
      const CaDbTable *there = find_table (tables, wanted->name);

      for (guint c = 0; there != NULL && c < wanted->columns->len; c++)
        if (!g_ptr_array_find_with_equal_func (there->columns, wanted->columns->pdata[c], g_str_equal, NULL))
          there = NULL;
      if (there == NULL)
        {
          g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                       "The ledger %s has no table %s with the columns of the one in %s, although both "
                       "have the same schema version. Copy into a new file or an empty database instead.",
                       copy->to->path, wanted->name, copy->from->path);
          return FALSE;
        }
    }

  for (guint i = 0; i < tables->len; i++)
    {
      const CaDbTable *table = tables->pdata[i];
      g_autofree char *name = quote (table->name);
      g_autofree char *sql = g_strdup_printf ("SELECT 1 FROM %s%s LIMIT 1", name, ledger_rows (table));
      CaStmt *stmt = ca_db_prepare (copy->to->db, sql);
      CaDbStatus step;

      if (stmt == NULL)
        return db_error (copy->to, error);
      step = ca_stmt_step (stmt);
      ca_stmt_finalize (stmt);
      if (step == CA_DB_ROW)
        {
          g_set_error (error, CA_ERROR, CA_ERROR_EXISTS,
                       "The ledger %s is not empty (its table %s has rows), and a copy never mixes two "
                       "ledgers. Copy into a new file or an empty database.", copy->to->path, table->name);
          return FALSE;
        }
      if (step != CA_DB_DONE)
        return ca_ledger_set_db_error (copy->to, step, error);
    }

  return TRUE;
}

/* The foreign keys of @table that point at a table not copied yet; a table's
 * reference to itself is kept, since rows go in key order and refer back. */
static gboolean
is_deferred (Copy            *copy,
             const CaDbTable *table,
             const char      *column)
{
  const char *target = g_hash_table_lookup (table->references, column);

  return target != NULL && !g_str_equal (target, table->name) && !g_hash_table_contains (copy->copied, target);
}

static gboolean
copy_table (Copy             *copy,
            const CaDbTable  *table,
            GError          **error)
{
  g_autofree char *name = quote (table->name);
  g_autofree char *columns = join_quoted (table->columns, ", ", NULL);
  g_autofree char *order = table->key->len > 0 ? join_quoted (table->key, ", ", NULL) : NULL;
  g_autofree char *select = NULL;
  g_autoptr(GString) insert = g_string_new (NULL);
  g_autoptr(GArray) deferred = g_array_new (FALSE, TRUE, sizeof (Deferred *));
  g_autoptr(GArray) key_places = g_array_new (FALSE, FALSE, sizeof (guint));
  CaLedgerCopyCount *count;
  CaStmt *rows = NULL;
  CaStmt *put = NULL;
  CaDbStatus rc;
  gboolean ok = FALSE;
  guint n = table->columns->len;

  select = g_strdup_printf ("SELECT %s FROM %s%s%s%s", columns, name, ledger_rows (table),
                            order != NULL ? " ORDER BY " : "", order != NULL ? order : "");
  g_string_append_printf (insert, "INSERT INTO %s (%s) VALUES (", name, columns);
  for (guint c = 0; c < n; c++)
    g_string_append_printf (insert, "%s?%u", c > 0 ? ", " : "", c + 1);
  g_string_append (insert, ")");

  g_array_set_size (deferred, n);
  for (guint c = 0; c < n; c++)
    if (is_deferred (copy, table, table->columns->pdata[c]))
      {
        Deferred *later = g_new0 (Deferred, 1);

        if (table->key->len == 0)
          {
            g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                         "The table %s of %s has no primary key to copy it by. Update Tagsmith.",
                         table->name, copy->from->path);
            g_free (later);
            goto out;
          }
        later->table = table;
        later->column = table->columns->pdata[c];
        later->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
        g_array_index (deferred, Deferred *, c) = later;
        g_ptr_array_add (copy->deferred, later);
      }
  for (guint k = 0; k < table->key->len; k++)
    {
      guint place = 0;

      g_ptr_array_find_with_equal_func (table->columns, table->key->pdata[k], g_str_equal, &place);
      g_array_append_val (key_places, place);
    }

  rows = ca_db_prepare (copy->from->db, select);
  if (rows == NULL)
    {
      db_error (copy->from, error);
      goto out;
    }
  put = ca_db_prepare (copy->to->db, insert->str);
  if (put == NULL)
    {
      db_error (copy->to, error);
      goto out;
    }

  count = g_new0 (CaLedgerCopyCount, 1);
  count->table = g_strdup (table->name);
  g_ptr_array_add (copy->counts, count);
  while ((rc = ca_stmt_step (rows)) == CA_DB_ROW)
    {
      CaDbStatus put_rc;

      ca_stmt_reset (put);
      for (guint c = 0; c < n; c++)
        {
          const char *value = ca_stmt_column_text (rows, (int) c);
          Deferred *later = g_array_index (deferred, Deferred *, c);

          if (later != NULL && value != NULL)
            {
              GStrv row = g_new0 (char *, key_places->len + 2);

              row[0] = g_strdup (value);
              for (guint k = 0; k < key_places->len; k++)
                row[k + 1] = g_strdup (ca_stmt_column_text (rows, (int) g_array_index (key_places, guint, k)));
              g_ptr_array_add (later->rows, row);
              value = NULL;
            }
          ca_stmt_bind_text (put, (int) c + 1, value);
        }
      put_rc = ca_stmt_step (put);
      if (put_rc != CA_DB_DONE)
        {
          ca_ledger_set_db_error (copy->to, put_rc, error);
          goto out;
        }
      count->rows++;
    }
  if (rc != CA_DB_DONE)
    {
      ca_ledger_set_db_error (copy->from, rc, error);
      goto out;
    }
  g_hash_table_add (copy->copied, table->name);
  ok = TRUE;

out:
  ca_stmt_finalize (rows);
  ca_stmt_finalize (put);

  return ok;
}

static gboolean
write_deferred (Copy      *copy,
                Deferred  *later,
                GError   **error)
{
  g_autofree char *name = quote (later->table->name);
  g_autofree char *column = quote (later->column);
  g_autofree char *where = join_quoted (later->table->key, " AND ", " = ?%u");
  g_autofree char *sql = g_strdup_printf ("UPDATE %s SET %s = ?1 WHERE %s", name, column, where);
  CaStmt *stmt = ca_db_prepare (copy->to->db, sql);

  if (stmt == NULL)
    return db_error (copy->to, error);

  for (guint r = 0; r < later->rows->len; r++)
    {
      GStrv row = later->rows->pdata[r];
      CaDbStatus rc;

      ca_stmt_reset (stmt);
      for (guint i = 0; row[i] != NULL; i++)
        ca_stmt_bind_text (stmt, (int) i + 1, row[i]);
      rc = ca_stmt_step (stmt);
      if (rc != CA_DB_DONE)
        {
          ca_stmt_finalize (stmt);
          return ca_ledger_set_db_error (copy->to, rc, error);
        }
    }
  ca_stmt_finalize (stmt);

  return TRUE;
}

/* The next table to copy: the first whose references are all there, or, in a
 * cycle, the first left (its forward references are deferred). */
static const CaDbTable *
next_table (Copy *copy)
{
  const CaDbTable *first = NULL;

  for (guint i = 0; i < copy->tables->len; i++)
    {
      const CaDbTable *table = copy->tables->pdata[i];
      gboolean ready = TRUE;

      if (g_hash_table_contains (copy->copied, table->name))
        continue;
      if (first == NULL)
        first = table;
      for (guint c = 0; ready && c < table->columns->len; c++)
        ready = !is_deferred (copy, table, table->columns->pdata[c]);
      if (ready)
        return table;
    }

  return first;
}

/* Called with both ledgers' mutexes held, the source in a read snapshot and
 * the destination in its write transaction. */
/* The destination's planner saw its tables empty, if at all. After the
 * commit, so that nothing it does can undo the copy. */
static void
note_growth (Copy *copy)
{
  g_autoptr(GPtrArray) tables = g_ptr_array_new ();
  guint64 rows = 0;

  for (guint i = 0; i < copy->counts->len; i++)
    {
      const CaLedgerCopyCount *count = copy->counts->pdata[i];

      g_ptr_array_add (tables, count->table);
      rows += count->rows;
    }
  g_ptr_array_add (tables, NULL);
  ca_ledger_note_growth (copy->to, (const char *const *) tables->pdata, rows);
}

static gboolean
copy_rows (Copy    *copy,
           GError **error)
{
  const CaDbTable *table;
  CaDbStatus rc;

  rc = ca_db_describe (copy->from->db, &copy->tables);
  if (rc != CA_DB_OK)
    return ca_ledger_set_db_error (copy->from, rc, error);
  if (!check_destination (copy, error))
    return FALSE;

  while ((table = next_table (copy)) != NULL)
    if (!copy_table (copy, table, error))
      return FALSE;
  for (guint i = 0; i < copy->deferred->len; i++)
    if (!write_deferred (copy, copy->deferred->pdata[i], error))
      return FALSE;

  rc = ca_db_reset_sequences (copy->to->db);

  return rc == CA_DB_OK || ca_ledger_set_db_error (copy->to, rc, error);
}

static gboolean
copy_ledger (Copy    *copy,
             GError **error)
{
  CaDbStatus rc;
  gboolean ok;

  if (copy->from->found_version != CA_LEDGER_SCHEMA_VERSION)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                   "The ledger %s has schema version %d, and this Tagsmith copies only ledgers of "
                   "version %d. Open it once with this Tagsmith (any command that changes it, or the "
                   "window) so it is brought up to date, then copy it again.",
                   copy->from->path, copy->from->found_version, CA_LEDGER_SCHEMA_VERSION);
      return FALSE;
    }

  rc = ca_db_begin_read (copy->from->db);
  if (rc != CA_DB_OK)
    return ca_ledger_set_db_error (copy->from, rc, error);
  if (!ca_ledger_begin (copy->to, error))
    {
      ca_ledger_rollback (copy->from);
      return FALSE;
    }

  ok = copy_rows (copy, error) && ca_ledger_commit (copy->to, error);
  if (ok)
    note_growth (copy);
  else
    ca_ledger_rollback (copy->to);
  ca_ledger_rollback (copy->from);

  return ok;
}

/* A file made for a copy that failed is taken away again, with its journal. */
static void
remove_new_file (const char *path)
{
  static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };

  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);

      g_unlink (file);
    }
}

/**
 * ca_ledger_copy:
 * @source: a ledger file or a postgresql:// URI, opened read-only
 * @destination: a new file, an empty ledger, or the URI of an empty database
 *
 * Copies every row of @source into @destination inside one transaction there,
 * reading one snapshot of @source, so other stations may keep writing to it.
 * Ids are kept and a server's id sequences start past them. A destination that
 * holds anything is refused, and so is a source of another schema version.
 * Nothing is decrypted: the copy needs no passphrase and appends no audit
 * event, so its chain ends where the source's did.
 *
 * Returns: (element-type CaLedgerCopyCount) (transfer full): the rows copied
 *   per table, or %NULL with @error set
 */
GPtrArray *
ca_ledger_copy (const char  *source,
                const char  *destination,
                GError     **error)
{
  g_autoptr(CaLedger) from = NULL;
  g_autoptr(CaLedger) to = NULL;
  g_autoptr(GHashTable) copied = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) deferred = g_ptr_array_new_with_free_func ((GDestroyNotify) deferred_free);
  g_autoptr(GPtrArray) counts = g_ptr_array_new_with_free_func ((GDestroyNotify) ca_ledger_copy_count_free);
  Copy copy = { 0 };
  gboolean created;
  gboolean ok;

  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (destination != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  from = ca_ledger_open_read_only (source, error);
  if (from == NULL)
    return NULL;
  to = ca_ledger_open (destination, error);
  if (to == NULL)
    return NULL;
  created = ca_ledger_was_created (to) && !to->on_server;

  copy = (Copy) { from, to, NULL, copied, deferred, counts };
  ca_ledger_lock_mutex (from);
  ca_ledger_lock_mutex (to);
  ok = copy_ledger (&copy, error);
  ca_ledger_unlock_mutex (to);
  ca_ledger_unlock_mutex (from);
  g_clear_pointer (&copy.tables, g_ptr_array_unref);

  if (!ok)
    {
      g_clear_object (&to);
      if (created)
        remove_new_file (destination);
      return NULL;
    }

  return g_steal_pointer (&counts);
}
