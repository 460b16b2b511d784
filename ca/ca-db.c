/* ca-db.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ca-db.h"

/* Each call goes to the backend that made the connection; the status of the
 * last one is kept for the caller that reports it later. */

static CaDbStatus
keep (CaDb       *db,
      CaDbStatus  status)
{
  db->status = status;

  return status;
}

void
ca_db_close (CaDb *db)
{
  if (db != NULL)
    db->backend->close (db);
}

CaDbStatus
ca_db_status (CaDb *db)
{
  return db->status;
}

const char *
ca_db_message (CaDb *db)
{
  return db->backend->message (db);
}

CaDbStatus
ca_db_exec (CaDb       *db,
            const char *sql)
{
  return keep (db, db->backend->exec (db, sql));
}

CaDbStatus
ca_db_begin_write (CaDb *db)
{
  return keep (db, db->backend->begin_write (db));
}

gboolean
ca_db_in_transaction (CaDb *db)
{
  return db->backend->in_transaction (db);
}

guint64
ca_db_statement_count (CaDb *db)
{
  return db->statements;
}

gint64
ca_db_changes (CaDb *db)
{
  return db->backend->changes (db);
}

CaDbStatus
ca_db_read_version (CaDb *db,
                    int  *out_version)
{
  return keep (db, db->backend->read_version (db, out_version));
}

CaDbStatus
ca_db_write_version (CaDb *db,
                     int   version)
{
  return keep (db, db->backend->write_version (db, version));
}

char *
ca_db_schema_sql (CaDb       *db,
                  const char *sql)
{
  return db->backend->schema_sql (db, sql);
}

CaDbStatus
ca_db_count_tables (CaDb *db,
                    int  *out_all,
                    int  *out_ours)
{
  return keep (db, db->backend->count_tables (db, out_all, out_ours));
}

CaStmt *
ca_db_prepare (CaDb       *db,
               const char *sql)
{
  CaStmt *stmt = db->backend->prepare (db, sql);

  if (stmt != NULL)
    db->status = CA_DB_OK;

  return stmt;
}

void
ca_stmt_finalize (CaStmt *stmt)
{
  if (stmt != NULL)
    stmt->db->backend->finalize (stmt);
}

void
ca_stmt_reset (CaStmt *stmt)
{
  stmt->db->backend->reset (stmt);
}

void
ca_stmt_bind_int64 (CaStmt *stmt,
                    int     index,
                    gint64  value)
{
  stmt->db->backend->bind_int64 (stmt, index, value);
}

void
ca_stmt_bind_text (CaStmt     *stmt,
                   int         index,
                   const char *text)
{
  if (text == NULL)
    stmt->db->backend->bind_null (stmt, index);
  else
    stmt->db->backend->bind_text (stmt, index, text);
}

void
ca_stmt_bind_blob (CaStmt     *stmt,
                   int         index,
                   const void *data,
                   gsize       length)
{
  if (data == NULL)
    stmt->db->backend->bind_null (stmt, index);
  else
    stmt->db->backend->bind_blob (stmt, index, data, length);
}

void
ca_stmt_bind_null (CaStmt *stmt,
                   int     index)
{
  stmt->db->backend->bind_null (stmt, index);
}

CaDbStatus
ca_stmt_step (CaStmt *stmt)
{
  return keep (stmt->db, stmt->db->backend->step (stmt));
}

gboolean
ca_stmt_column_is_null (CaStmt *stmt,
                        int     column)
{
  return stmt->db->backend->column_is_null (stmt, column);
}

gint64
ca_stmt_column_int64 (CaStmt *stmt,
                      int     column)
{
  return stmt->db->backend->column_int64 (stmt, column);
}

int
ca_stmt_column_int (CaStmt *stmt,
                    int     column)
{
  return (int) stmt->db->backend->column_int64 (stmt, column);
}

const char *
ca_stmt_column_text (CaStmt *stmt,
                     int     column)
{
  return stmt->db->backend->column_text (stmt, column);
}

gsize
ca_stmt_column_bytes (CaStmt *stmt,
                      int     column)
{
  const char *text = stmt->db->backend->column_text (stmt, column);

  return text != NULL ? strlen (text) : 0;
}

const void *
ca_stmt_column_blob (CaStmt *stmt,
                     int     column,
                     gsize  *out_length)
{
  return stmt->db->backend->column_blob (stmt, column, out_length);
}

CaDbStatus
ca_db_begin_read (CaDb *db)
{
  return keep (db, db->backend->begin_read (db));
}

CaDbStatus
ca_db_reset_sequences (CaDb *db)
{
  return keep (db, db->backend->reset_sequences (db));
}

CaDbStatus
ca_db_note_growth (CaDb              *db,
                   const char *const *tables,
                   guint64            rows)
{
  return keep (db, db->backend->note_growth (db, tables, rows));
}

void
ca_db_table_free (CaDbTable *table)
{
  if (table == NULL)
    return;
  g_free (table->name);
  g_ptr_array_unref (table->columns);
  g_ptr_array_unref (table->key);
  g_hash_table_unref (table->references);
  g_free (table);
}

/* The rows of @sql with @table bound to ?1, two text columns each. */
static CaDbStatus
read_pairs (CaDb        *db,
            const char  *sql,
            const char  *table,
            GPtrArray   *out_pairs)
{
  CaStmt *stmt = ca_db_prepare (db, sql);
  CaDbStatus rc;

  if (stmt == NULL)
    return ca_db_status (db);
  if (table != NULL)
    ca_stmt_bind_text (stmt, 1, table);
  while ((rc = ca_stmt_step (stmt)) == CA_DB_ROW)
    {
      g_ptr_array_add (out_pairs, g_strdup (ca_stmt_column_text (stmt, 0)));
      g_ptr_array_add (out_pairs, g_strdup (ca_stmt_column_text (stmt, 1)));
    }
  ca_stmt_finalize (stmt);

  return rc == CA_DB_DONE ? CA_DB_OK : rc;
}

static CaDbStatus
describe_table (CaDb       *db,
                const char *name,
                CaDbTable **out_table)
{
  g_autoptr(CaDbTable) table = g_new0 (CaDbTable, 1);
  g_autoptr(GPtrArray) columns = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) references = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) places = g_array_new (FALSE, TRUE, sizeof (char *));
  CaDbStatus rc;

  table->name = g_strdup (name);
  table->columns = g_ptr_array_new_with_free_func (g_free);
  table->key = g_ptr_array_new_with_free_func (g_free);
  table->references = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  rc = read_pairs (db, db->backend->columns_sql, name, columns);
  if (rc == CA_DB_OK)
    rc = read_pairs (db, db->backend->references_sql, name, references);
  if (rc != CA_DB_OK)
    return rc;

  for (guint i = 0; i < columns->len; i += 2)
    {
      const char *column = columns->pdata[i];
      int place = atoi (columns->pdata[i + 1] != NULL ? columns->pdata[i + 1] : "0");

      g_ptr_array_add (table->columns, g_strdup (column));
      if (place > 0)
        {
          if ((guint) place > places->len)
            g_array_set_size (places, place);
          g_array_index (places, char *, place - 1) = (char *) column;
        }
    }
  for (guint i = 0; i < places->len; i++)
    if (g_array_index (places, char *, i) != NULL)
      g_ptr_array_add (table->key, g_strdup (g_array_index (places, char *, i)));
  for (guint i = 0; i < references->len; i += 2)
    g_hash_table_insert (table->references, g_strdup (references->pdata[i]), g_strdup (references->pdata[i + 1]));

  *out_table = g_steal_pointer (&table);

  return CA_DB_OK;
}

/**
 * ca_db_describe:
 *
 * Reads the tables, columns, primary keys and foreign keys from the database,
 * so code that handles every table follows the schema without naming them.
 */
CaDbStatus
ca_db_describe (CaDb       *db,
                GPtrArray **out_tables)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) tables = g_ptr_array_new_with_free_func ((GDestroyNotify) ca_db_table_free);
  CaStmt *stmt = ca_db_prepare (db, db->backend->tables_sql);
  CaDbStatus rc;

  *out_tables = NULL;
  if (stmt == NULL)
    return ca_db_status (db);
  while ((rc = ca_stmt_step (stmt)) == CA_DB_ROW)
    g_ptr_array_add (names, g_strdup (ca_stmt_column_text (stmt, 0)));
  ca_stmt_finalize (stmt);
  if (rc != CA_DB_DONE)
    return rc;

  for (guint i = 0; i < names->len; i++)
    {
      CaDbTable *table = NULL;

      rc = describe_table (db, names->pdata[i], &table);
      if (rc != CA_DB_OK)
        return keep (db, rc);
      g_ptr_array_add (tables, table);
    }
  *out_tables = g_steal_pointer (&tables);

  return CA_DB_OK;
}
