/* ca-db.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

/* The one way libca talks to its database, private to ca/. SQL is written once
 * with `?` or `?N` placeholders in the dialect both engines accept; what they
 * cannot share (opening, schema DDL and version, write locking, backups) is a
 * backend operation here. */

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CaDb        CaDb;
typedef struct _CaStmt      CaStmt;
typedef struct _CaDbBackend CaDbBackend;

/* What a step or a command ended with; the errors are those libca reacts to. */
typedef enum
{
  CA_DB_OK,
  CA_DB_ROW,          /* a row is ready to be read */
  CA_DB_DONE,         /* the statement ran to its end */
  CA_DB_UNIQUE,       /* a unique constraint refused the change */
  CA_DB_FOREIGN_KEY,  /* a foreign key refused the change */
  CA_DB_BUSY,         /* another connection held the lock past the timeout */
  CA_DB_READ_ONLY,    /* the database or its folder cannot be written */
  CA_DB_CANT_OPEN,    /* the database cannot be reached or opened */
  CA_DB_LOST,         /* the connection to the server broke during the call */
  CA_DB_CORRUPT,      /* damaged, or not a database at all */
  CA_DB_FULL,         /* the disk is full or failed */
  CA_DB_ERROR,        /* anything else; ca_db_message() says what */
} CaDbStatus;

/* Every connection and statement starts with these, so the calls below reach
 * the backend that made them. */
struct _CaDb
{
  const CaDbBackend *backend;
  CaDbStatus         status;    /* of the last call that failed or stepped */
  guint64            statements; /* counted by the backend: see ca_db_statement_count() */
};

struct _CaStmt
{
  CaDb     *db;
};

struct _CaDbBackend
{
  void          (*close)          (CaDb *db);
  const char   *(*message)        (CaDb *db);
  CaDbStatus    (*exec)           (CaDb *db, const char *sql);
  CaDbStatus    (*begin_write)    (CaDb *db);
  gboolean      (*in_transaction) (CaDb *db);
  gint64        (*changes)        (CaDb *db);
  CaDbStatus    (*read_version)   (CaDb *db, int *out_version);
  CaDbStatus    (*write_version)  (CaDb *db, int version);
  char         *(*schema_sql)     (CaDb *db, const char *sql);
  CaDbStatus    (*count_tables)   (CaDb *db, int *out_all, int *out_ours);
  CaDbStatus    (*begin_read)     (CaDb *db);
  CaDbStatus    (*reset_sequences) (CaDb *db);
  CaDbStatus    (*note_growth)    (CaDb *db, const char *const *tables, guint64 rows);
  /* Describing the schema (ca_db_describe()): the tables; a table's columns
   * (?1 the table) as name and place in the primary key (0 outside it), in
   * their order; a table's foreign keys (?1) as column and table referred to. */
  const char    *tables_sql;
  const char    *columns_sql;
  const char    *references_sql;

  CaStmt       *(*prepare)        (CaDb *db, const char *sql);
  void          (*finalize)       (CaStmt *stmt);
  void          (*reset)          (CaStmt *stmt);
  void          (*bind_int64)     (CaStmt *stmt, int index, gint64 value);
  void          (*bind_text)      (CaStmt *stmt, int index, const char *text);
  void          (*bind_blob)      (CaStmt *stmt, int index, const void *data, gsize length);
  void          (*bind_null)      (CaStmt *stmt, int index);
  CaDbStatus    (*step)           (CaStmt *stmt);
  gboolean      (*column_is_null) (CaStmt *stmt, int column);
  gint64        (*column_int64)   (CaStmt *stmt, int column);
  const char   *(*column_text)    (CaStmt *stmt, int column);
  const void   *(*column_blob)    (CaStmt *stmt, int column, gsize *out_length);
};

/* Connections. */
void          ca_db_close          (CaDb        *db);
CaDbStatus    ca_db_status         (CaDb        *db);
/* The engine's own words for the last failure. */
const char   *ca_db_message        (CaDb        *db);
/* Runs one or more statements that return no rows. */
CaDbStatus    ca_db_exec           (CaDb        *db,
                                    const char  *sql);
/* Starts a transaction that holds the write lock from its start, so two
 * connections never both read the audit head or a serial and then race. */
CaDbStatus    ca_db_begin_write    (CaDb        *db);
gboolean      ca_db_in_transaction (CaDb        *db);
/* The statements this connection has run so far: on a server each message
 * it waited for an answer to (a round trip), on a file each run of a statement
 * from its start. */
guint64       ca_db_statement_count (CaDb       *db);
/* Rows changed by the last INSERT, UPDATE or DELETE. */
gint64        ca_db_changes        (CaDb        *db);
/* The schema version the ledger records (0 for a new database). */
CaDbStatus    ca_db_read_version   (CaDb        *db,
                                    int         *out_version);
CaDbStatus    ca_db_write_version  (CaDb        *db,
                                    int          version);
/* One schema step's SQL (written for SQLite) as this engine runs it. */
char         *ca_db_schema_sql     (CaDb        *db,
                                    const char  *sql);
/* Counts all tables, and which of those every ledger has (meta, authorities,
 * audit_log) are there, to tell a ledger from another program's database. */
CaDbStatus    ca_db_count_tables   (CaDb        *db,
                                    int         *out_all,
                                    int         *out_ours);

/* Starts a transaction that reads one snapshot of the whole database. */
CaDbStatus    ca_db_begin_read     (CaDb        *db);
/* After rows were written with their ids: the next id each table hands out
 * lies past the largest there. */
CaDbStatus    ca_db_reset_sequences (CaDb       *db);
/* @rows were just added to each of @tables (NULL-terminated) in bulk. An
 * engine that plans by statistics counts the tables again once such rows
 * outnumber what it counted last, so that its plans keep to the indexes. */
CaDbStatus    ca_db_note_growth    (CaDb              *db,
                                    const char *const *tables,
                                    guint64            rows);

/* PostgreSQL keeps the schema version as this row of meta, which belongs to
 * the database rather than to the ledger's contents. */
#define CA_DB_VERSION_KEY "schema_version"

/* One table of the schema, read from the database itself. */
typedef struct
{
  char       *name;
  GPtrArray  *columns;     /* (element-type utf8) in the table's order */
  GPtrArray  *key;         /* (element-type utf8) the primary key's columns, in order */
  GHashTable *references;  /* column → the table its foreign key refers to */
} CaDbTable;

void          ca_db_table_free     (CaDbTable   *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaDbTable, ca_db_table_free)
/* Every table of the database, by name. */
CaDbStatus    ca_db_describe       (CaDb        *db,
                                    GPtrArray  **out_tables);

/* Statements: indexes of parameters and columns count as in SQLite (from 1
 * and from 0). Texts are copied when bound; NULL text binds NULL. */
CaStmt       *ca_db_prepare        (CaDb        *db,
                                    const char  *sql);
void          ca_stmt_finalize     (CaStmt      *stmt);
/* Ready to run again, every parameter NULL. */
void          ca_stmt_reset        (CaStmt      *stmt);
void          ca_stmt_bind_int64   (CaStmt      *stmt,
                                    int          index,
                                    gint64       value);
void          ca_stmt_bind_text    (CaStmt      *stmt,
                                    int          index,
                                    const char  *text);
void          ca_stmt_bind_blob    (CaStmt      *stmt,
                                    int          index,
                                    const void  *data,
                                    gsize        length);
void          ca_stmt_bind_null    (CaStmt      *stmt,
                                    int          index);
CaDbStatus    ca_stmt_step         (CaStmt      *stmt);
gboolean      ca_stmt_column_is_null (CaStmt    *stmt,
                                      int        column);
/* 0 for NULL. */
gint64        ca_stmt_column_int64 (CaStmt      *stmt,
                                    int          column);
int           ca_stmt_column_int   (CaStmt      *stmt,
                                    int          column);
/* (transfer none) valid until the next step or reset; NULL for NULL. */
const char   *ca_stmt_column_text  (CaStmt      *stmt,
                                    int          column);
gsize         ca_stmt_column_bytes (CaStmt      *stmt,
                                    int          column);
const void   *ca_stmt_column_blob  (CaStmt      *stmt,
                                    int          column,
                                    gsize       *out_length);

/* The PostgreSQL backend (ca-db-pg.c). */
/* TRUE for a postgresql:// or postgres:// URI, which is never a file name. */
gboolean      ca_db_is_pg_uri      (const char  *location);
/* @read_only makes every transaction read-only. */
CaDb         *ca_db_pg_open        (const char  *uri,
                                    gboolean     read_only,
                                    CaDbStatus  *out_status,
                                    char       **out_message);

/* The SQLite backend (ca-db-sqlite.c). */
typedef enum
{
  CA_DB_SQLITE_CREATE    = 1 << 0,  /* make the file when missing */
  CA_DB_SQLITE_READ_ONLY = 1 << 1,  /* never write; immutable when even the -shm cannot be made */
} CaDbSqliteFlags;

CaDb         *ca_db_sqlite_open    (const char      *path,
                                    CaDbSqliteFlags  flags,
                                    int              busy_timeout_msec,
                                    CaDbStatus      *out_status,
                                    char           **out_message);
/* Write-ahead logging, full sync, foreign keys, untrusted schema; or for
 * @read_only, no writes. @out_journal_mode says which journal it uses. */
CaDbStatus    ca_db_sqlite_configure (CaDb      *db,
                                      gboolean   read_only,
                                      char     **out_journal_mode);
/* Moves @db's contents into a private database in memory that may be written. */
CaDbStatus    ca_db_sqlite_copy_to_memory (CaDb *db);
/* PRAGMA integrity_check: "ok" or the first problem. */
CaDbStatus    ca_db_sqlite_integrity_check (CaDb   *db,
                                            char  **out_result);
/* Copies the live database page by page into the new empty file @destination. */
CaDbStatus    ca_db_sqlite_backup  (CaDb        *db,
                                    const char  *destination,
                                    char       **out_message);

G_END_DECLS
