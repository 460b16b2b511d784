/* ca-db.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

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
