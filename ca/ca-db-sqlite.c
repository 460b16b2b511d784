/* ca-db-sqlite.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The SQLite backend of ca-db.h: a ledger in one file. */

#include "config.h"

#include <sqlite3.h>
#include <stdlib.h>

#include "ca-db.h"

typedef struct
{
  CaDb     base;
  sqlite3 *handle;
} SqliteDb;

typedef struct
{
  CaStmt        base;
  sqlite3_stmt *handle;
} SqliteStmt;

#define HANDLE(db)   (((SqliteDb *) (db))->handle)
#define STMT(stmt)   (((SqliteStmt *) (stmt))->handle)

static const CaDbBackend sqlite_backend;

static CaDbStatus
status_from_code (int rc)
{
  switch (rc)
    {
    case SQLITE_OK:
      return CA_DB_OK;
    case SQLITE_ROW:
      return CA_DB_ROW;
    case SQLITE_DONE:
      return CA_DB_DONE;
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return CA_DB_UNIQUE;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return CA_DB_FOREIGN_KEY;
    default:
      break;
    }

  switch (rc & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return CA_DB_BUSY;
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return CA_DB_READ_ONLY;
    case SQLITE_CANTOPEN:
      return CA_DB_CANT_OPEN;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return CA_DB_CORRUPT;
    case SQLITE_FULL:
    case SQLITE_IOERR:
      return CA_DB_FULL;
    default:
      return CA_DB_ERROR;
    }
}

static void
sqlite_close (CaDb *db)
{
  sqlite3_close_v2 (HANDLE (db));
  g_free (db);
}

static const char *
sqlite_message (CaDb *db)
{
  return sqlite3_errmsg (HANDLE (db));
}

static CaDbStatus
sqlite_exec (CaDb       *db,
             const char *sql)
{
  db->statements++;
  return status_from_code (sqlite3_exec (HANDLE (db), sql, NULL, NULL, NULL));
}

/* IMMEDIATE takes the write lock up front. */
static CaDbStatus
sqlite_begin_write (CaDb *db)
{
  return sqlite_exec (db, "BEGIN IMMEDIATE");
}

static gboolean
sqlite_in_transaction (CaDb *db)
{
  return !sqlite3_get_autocommit (HANDLE (db));
}

static gint64
sqlite_changes (CaDb *db)
{
  return sqlite3_changes64 (HANDLE (db));
}

/* The first column of the first row of @sql, or NULL when there is none. */
static CaDbStatus
query_text (CaDb        *db,
            const char  *sql,
            char       **out_value)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  db->statements++;
  rc = sqlite3_prepare_v2 (HANDLE (db), sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    *out_value = rc == SQLITE_ROW ? g_strdup ((const char *) sqlite3_column_text (stmt, 0)) : NULL;
  sqlite3_finalize (stmt);

  return rc == SQLITE_ROW || rc == SQLITE_DONE ? CA_DB_OK : status_from_code (rc);
}

static CaDbStatus
sqlite_read_version (CaDb *db,
                     int  *out_version)
{
  g_autofree char *text = NULL;
  CaDbStatus status = query_text (db, "PRAGMA user_version", &text);

  *out_version = text != NULL ? atoi (text) : 0;

  return status;
}

static CaDbStatus
sqlite_write_version (CaDb *db,
                      int   version)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA user_version = %d", version);

  return sqlite_exec (db, sql);
}

/* The schema files are written for SQLite. */
static char *
sqlite_schema_sql (CaDb       *db,
                   const char *sql)
{
  return g_strdup (sql);
}

static CaStmt *
sqlite_prepare (CaDb       *db,
                const char *sql)
{
  sqlite3_stmt *handle = NULL;
  SqliteStmt *stmt;
  int rc;

  rc = sqlite3_prepare_v3 (HANDLE (db), sql, -1, SQLITE_PREPARE_PERSISTENT, &handle, NULL);
  if (rc != SQLITE_OK)
    {
      db->status = status_from_code (rc);
      return NULL;
    }

  stmt = g_new0 (SqliteStmt, 1);
  stmt->base.db = db;
  stmt->handle = handle;

  return &stmt->base;
}

static void
sqlite_finalize (CaStmt *stmt)
{
  sqlite3_finalize (STMT (stmt));
  g_free (stmt);
}

static void
sqlite_reset (CaStmt *stmt)
{
  sqlite3_reset (STMT (stmt));
  sqlite3_clear_bindings (STMT (stmt));
}

static void
sqlite_bind_int64 (CaStmt *stmt,
                   int     index,
                   gint64  value)
{
  sqlite3_bind_int64 (STMT (stmt), index, value);
}

static void
sqlite_bind_text (CaStmt     *stmt,
                  int         index,
                  const char *text)
{
  sqlite3_bind_text (STMT (stmt), index, text, -1, SQLITE_TRANSIENT);
}

static void
sqlite_bind_blob (CaStmt     *stmt,
                  int         index,
                  const void *data,
                  gsize       length)
{
  sqlite3_bind_blob64 (STMT (stmt), index, data, length, SQLITE_TRANSIENT);
}

static void
sqlite_bind_null (CaStmt *stmt,
                  int     index)
{
  sqlite3_bind_null (STMT (stmt), index);
}

static CaDbStatus
sqlite_step (CaStmt *stmt)
{
  int rc;

  if (!sqlite3_stmt_busy (STMT (stmt)))
    stmt->db->statements++;
  rc = sqlite3_step (STMT (stmt));

  /* A failed step reports the general code; the connection has the precise one. */
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    rc = sqlite3_extended_errcode (HANDLE (stmt->db));

  return status_from_code (rc);
}

static gboolean
sqlite_column_is_null (CaStmt *stmt,
                       int     column)
{
  return sqlite3_column_type (STMT (stmt), column) == SQLITE_NULL;
}

static gint64
sqlite_column_int64 (CaStmt *stmt,
                     int     column)
{
  return sqlite3_column_int64 (STMT (stmt), column);
}

static const char *
sqlite_column_text (CaStmt *stmt,
                    int     column)
{
  return (const char *) sqlite3_column_text (STMT (stmt), column);
}

static const void *
sqlite_column_blob (CaStmt *stmt,
                    int     column,
                    gsize  *out_length)
{
  const void *data = sqlite3_column_blob (STMT (stmt), column);

  *out_length = sqlite3_column_bytes (STMT (stmt), column);

  return data;
}

static CaDbStatus
sqlite_count_tables (CaDb *db,
                     int  *out_all,
                     int  *out_ours)
{
  g_autofree char *all = NULL;
  g_autofree char *ours = NULL;
  CaDbStatus status;

  status = query_text (db, "SELECT count(*) FROM sqlite_schema", &all);
  if (status == CA_DB_OK)
    status = query_text (db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                             "name IN ('meta', 'authorities', 'audit_log')", &ours);
  *out_all = all != NULL ? atoi (all) : 0;
  *out_ours = ours != NULL ? atoi (ours) : 0;

  return status;
}

/* A deferred transaction: its first read takes the snapshot the rest see. */
static CaDbStatus
sqlite_begin_read (CaDb *db)
{
  return sqlite_exec (db, "BEGIN");
}

/* An INTEGER PRIMARY KEY hands out one more than the largest there already. */
static CaDbStatus
sqlite_reset_sequences (CaDb *db)
{
  return CA_DB_OK;
}

/* Without statistics SQLite's planner prefers an index that fits: nothing to
 * count. */
static CaDbStatus
sqlite_note_growth (CaDb              *db,
                    const char *const *tables,
                    guint64            rows)
{
  return CA_DB_OK;
}

static const CaDbBackend sqlite_backend = {
  .close = sqlite_close,
  .message = sqlite_message,
  .exec = sqlite_exec,
  .begin_write = sqlite_begin_write,
  .in_transaction = sqlite_in_transaction,
  .changes = sqlite_changes,
  .read_version = sqlite_read_version,
  .write_version = sqlite_write_version,
  .schema_sql = sqlite_schema_sql,
  .count_tables = sqlite_count_tables,
  .begin_read = sqlite_begin_read,
  .reset_sequences = sqlite_reset_sequences,
  .note_growth = sqlite_note_growth,
  .tables_sql = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name",
  .columns_sql = "SELECT name, pk FROM pragma_table_info (?1) ORDER BY cid",
  .references_sql = "SELECT \"from\", \"table\" FROM pragma_foreign_key_list (?1)",
  .prepare = sqlite_prepare,
  .finalize = sqlite_finalize,
  .reset = sqlite_reset,
  .bind_int64 = sqlite_bind_int64,
  .bind_text = sqlite_bind_text,
  .bind_blob = sqlite_bind_blob,
  .bind_null = sqlite_bind_null,
  .step = sqlite_step,
  .column_is_null = sqlite_column_is_null,
  .column_int64 = sqlite_column_int64,
  .column_text = sqlite_column_text,
  .column_blob = sqlite_column_blob,
};

static SqliteDb *
wrap (sqlite3 *handle)
{
  SqliteDb *db = g_new0 (SqliteDb, 1);

  db->base.backend = &sqlite_backend;
  db->handle = handle;

  return db;
}

/* A read-only connection needs the -shm file; on write-protected media it cannot
 * be created, and there nobody else can write the ledger either, so SQLite may
 * treat it as immutable. */
static int
open_read_only (const char  *path,
                sqlite3    **out_handle)
{
  g_autofree char *escaped = g_uri_escape_string (path, "/", FALSE);
  int rc = SQLITE_CANTOPEN;

  for (guint attempt = 0; attempt < 2; attempt++)
    {
      g_autofree char *uri = g_strdup_printf ("file:%s?mode=ro%s", escaped, attempt == 0 ? "" : "&immutable=1");

      rc = sqlite3_open_v2 (uri, out_handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX, NULL);
      if (rc == SQLITE_OK)
        rc = sqlite3_exec (*out_handle, "PRAGMA schema_version", NULL, NULL, NULL);
      if ((rc & 0xff) != SQLITE_CANTOPEN)
        return rc;
      sqlite3_close_v2 (g_steal_pointer (out_handle));
    }

  return rc;
}

/* Reading the schema cookie parses the header: a file that is not a database
 * fails here. */
CaDb *
ca_db_sqlite_open (const char       *path,
                   CaDbSqliteFlags   flags,
                   int               busy_timeout_msec,
                   CaDbStatus       *out_status,
                   char            **out_message)
{
  sqlite3 *handle = NULL;
  int rc;

  if (flags & CA_DB_SQLITE_READ_ONLY)
    rc = open_read_only (path, &handle);
  else
    rc = sqlite3_open_v2 (path, &handle,
                          SQLITE_OPEN_READWRITE | ((flags & CA_DB_SQLITE_CREATE) ? SQLITE_OPEN_CREATE : 0) |
                          SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_busy_timeout (handle, busy_timeout_msec);
      sqlite3_extended_result_codes (handle, TRUE);
      rc = sqlite3_exec (handle, "PRAGMA schema_version", NULL, NULL, NULL);
    }
  if (rc != SQLITE_OK)
    {
      *out_status = status_from_code (rc);
      *out_message = g_strdup (handle != NULL ? sqlite3_errmsg (handle) : sqlite3_errstr (rc));
      sqlite3_close_v2 (handle);
      return NULL;
    }

  *out_status = CA_DB_OK;
  *out_message = NULL;

  return &wrap (handle)->base;
}

CaDbStatus
ca_db_sqlite_configure (CaDb      *db,
                        gboolean   read_only,
                        char     **out_journal_mode)
{
  CaDbStatus status;

  *out_journal_mode = NULL;
  if (read_only)
    return db->status = sqlite_exec (db, "PRAGMA query_only = ON; PRAGMA trusted_schema = OFF;");

  status = query_text (db, "PRAGMA journal_mode = WAL", out_journal_mode);
  if (status == CA_DB_OK)
    status = sqlite_exec (db,
                          "PRAGMA synchronous = FULL;"
                          "PRAGMA foreign_keys = ON;"
                          "PRAGMA trusted_schema = OFF;");

  return db->status = status;
}

/* The copy may be written (query_only off) until ca_db_sqlite_configure() makes
 * it read-only again. The caller finalizes every statement of @db first: they
 * belong to the file's connection, which this closes. */
CaDbStatus
ca_db_sqlite_copy_to_memory (CaDb *db)
{
  sqlite3 *memory = NULL;
  sqlite3_backup *backup;
  const char *file = sqlite3_db_filename (HANDLE (db), "main");
  int rc;

  if (file == NULL || *file == '\0')
    return db->status = sqlite_exec (db, "PRAGMA query_only = OFF");

  rc = sqlite3_open_v2 (":memory:", &memory, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc == SQLITE_OK)
    {
      backup = sqlite3_backup_init (memory, "main", HANDLE (db), "main");
      rc = backup != NULL ? sqlite3_backup_step (backup, -1) : sqlite3_errcode (memory);
      if (backup != NULL)
        sqlite3_backup_finish (backup);
    }
  if (rc != SQLITE_DONE)
    {
      sqlite3_close_v2 (memory);
      return db->status = status_from_code (rc);
    }

  sqlite3_close_v2 (HANDLE (db));
  HANDLE (db) = memory;
  sqlite3_extended_result_codes (memory, TRUE);

  return db->status = sqlite_exec (db, "PRAGMA foreign_keys = ON; PRAGMA query_only = OFF;");
}

CaDbStatus
ca_db_sqlite_integrity_check (CaDb   *db,
                              char  **out_result)
{
  /* Not quick_check: that one leaves an index's copy of a column unchecked, and
   * lookups by serial or IMEI read those copies. */
  return db->status = query_text (db, "PRAGMA integrity_check(1)", out_result);
}

/* SQLite's online backup, so other processes may keep writing meanwhile. */
CaDbStatus
ca_db_sqlite_backup (CaDb        *db,
                     const char  *destination,
                     char       **out_message)
{
  sqlite3 *target = NULL;
  sqlite3_backup *backup;
  int rc;

  *out_message = NULL;
  rc = sqlite3_open_v2 (destination, &target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
  if (rc != SQLITE_OK)
    {
      *out_message = g_strdup (target != NULL ? sqlite3_errmsg (target) : sqlite3_errstr (rc));
      sqlite3_close (target);
      return CA_DB_CANT_OPEN;
    }
  else
    {
      backup = sqlite3_backup_init (target, "main", HANDLE (db), "main");
      if (backup == NULL)
        rc = sqlite3_errcode (target);
      else
        {
          do
            {
              rc = sqlite3_backup_step (backup, 256);
              if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
                sqlite3_sleep (50);
            }
          while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
          sqlite3_backup_finish (backup);
        }
    }
  if (rc != SQLITE_DONE && rc != SQLITE_OK)
    *out_message = g_strdup (target != NULL ? sqlite3_errmsg (target) : sqlite3_errstr (rc));
  sqlite3_close (target);

  return rc == SQLITE_DONE ? CA_DB_OK : status_from_code (rc == SQLITE_OK ? SQLITE_ERROR : rc);
}
