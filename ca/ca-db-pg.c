/* ca-db-pg.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The PostgreSQL backend of ca-db.h, through libpq: one ledger shared by
 * several machines. libca's SQL is written for both engines; the few words
 * only SQLite knows are translated here (dialect()), and nowhere else. */

#include "config.h"

#include <libpq-fe.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "ca-db.h"

#define BOOLOID  16
#define BYTEAOID 17
#define TEXTOID  25

/* Every write transaction takes this lock first, so writers from every station
 * queue one after another as on a SQLite file: the audit chain keeps one head. */
#define WRITE_LOCK_KEY "7461677370"

/* How long a station waits for a lock (the write lock above or a row's) before
 * it gives up with CA_DB_BUSY: as long as a file ledger's busy timeout
 * (ca-ledger.c), where a stuck station must not hang the others for good. */
#define LOCK_TIMEOUT "15s"

typedef struct
{
  CaDb        base;
  PGconn     *conn;
  char       *message;     /* of the last failure */
  gint64      changes;
  guint       next_name;
  gboolean    read_only;
  gboolean    transaction; /* the caller's transaction is open, even on a lost connection */
  guint       generation;  /* counts reconnections; statements prepared before are prepared again */
  GHashTable *prepared;    /* SQL as the server runs it → Prepared */
  guint64     grown;       /* rows added in bulk since the tables were last counted */
  gint64      counted;     /* the most rows the planner knew of in them then; -1 until read */
} PgDb;

/* A statement prepared on the server once per connection and shared by every
 * CaStmt of the same SQL (the ledger keeps one per thread), so a thread's
 * first use of a statement costs no round trip of its own. */
typedef struct
{
  char     *name;
  char     *sql;        /* as the server runs it; the key in PgDb.prepared */
  Oid      *types;
  int       n_params;
  guint     generation; /* of the connection it was prepared on */
  guint     users;      /* the CaStmts that run it */
} Prepared;

typedef struct
{
  CaStmt    base;
  Prepared *prepared;
  int       n_params;
  char    **values;
  int      *lengths;
  int      *formats;
  PGresult *result;   /* (nullable) until the first step */
  int       row;
  int       rows;
  guint8   *blob;     /* the last bytea column read, unescaped */
} PgStmt;

#define PG(db)     ((PgDb *) (db))
#define PGSTMT(s)  ((PgStmt *) (s))

static void
set_message (PgDb       *db,
             const char *message)
{
  g_free (db->message);
  db->message = g_strstrip (g_strdup (message != NULL && *message != '\0' ? message : "no answer from the server"));
}

static CaDbStatus
status_from_sqlstate (const char *state)
{
  if (state == NULL)
    return CA_DB_CANT_OPEN;   /* no answer: the connection is gone */
  if (strcmp (state, "23505") == 0)
    return CA_DB_UNIQUE;
  if (strcmp (state, "23503") == 0)
    return CA_DB_FOREIGN_KEY;
  if (strcmp (state, "40001") == 0 || strcmp (state, "40P01") == 0 || strcmp (state, "55P03") == 0)
    return CA_DB_BUSY;
  if (strcmp (state, "25006") == 0 || strcmp (state, "42501") == 0)
    return CA_DB_READ_ONLY;
  if (g_str_has_prefix (state, "08") || g_str_has_prefix (state, "57P"))
    return CA_DB_CANT_OPEN;
  if (strcmp (state, "XX001") == 0 || strcmp (state, "XX002") == 0)
    return CA_DB_CORRUPT;
  if (g_str_has_prefix (state, "53") || g_str_has_prefix (state, "58"))
    return CA_DB_FULL;

  return CA_DB_ERROR;
}

/* Keeps @result's rows or its error; consumes a failed @result. */
static CaDbStatus
check_result (PgDb     *db,
              PGresult *result)
{
  ExecStatusType status = PQresultStatus (result);
  CaDbStatus mapped;

  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    {
      const char *tuples = PQcmdTuples (result);

      db->changes = tuples != NULL && *tuples != '\0' ? g_ascii_strtoll (tuples, NULL, 10) : 0;
      return CA_DB_OK;
    }

  set_message (db, result != NULL ? PQresultErrorMessage (result) : PQerrorMessage (db->conn));
  mapped = status_from_sqlstate (result != NULL ? PQresultErrorField (result, PG_DIAG_SQLSTATE) : NULL);
  /* Whatever the server said last (say, that it is shutting down), the connection is gone. */
  if (PQstatus (db->conn) != CONNECTION_OK)
    mapped = CA_DB_LOST;
  PQclear (result);

  return mapped;
}

static void
pg_close (CaDb *db)
{
  PQfinish (PG (db)->conn);
  g_clear_pointer (&PG (db)->prepared, g_hash_table_unref);
  g_free (PG (db)->message);
  g_free (db);
}

static const char *
pg_message (CaDb *db)
{
  return PG (db)->message != NULL ? PG (db)->message : PQerrorMessage (PG (db)->conn);
}

static CaDbStatus
run (PgDb       *db,
     const char *sql)
{
  PGresult *result = PQexec (db->conn, sql);
  CaDbStatus status;

  db->base.statements++;
  status = check_result (db, result);

  if (status == CA_DB_OK)
    PQclear (result);

  return status;
}

static CaDbStatus
configure_session (PgDb *db)
{
  return run (db, db->read_only ? "SET default_transaction_read_only = on; SET client_min_messages = warning; "
                                  "SET lock_timeout = '" LOCK_TIMEOUT "'"
                                : "SET client_min_messages = warning; SET lock_timeout = '" LOCK_TIMEOUT "'");
}

/* Between calls the server says nothing, unless it ended the connection (a
 * restart, an administrator): then its last words and the end of the stream
 * wait on the socket. Reads them without blocking. */
static gboolean
server_hung_up (PGconn *conn)
{
  struct pollfd waiting = { .fd = PQsocket (conn), .events = POLLIN };

  while (poll (&waiting, 1, 0) > 0 && PQconsumeInput (conn))
    ;

  return PQstatus (conn) != CONNECTION_OK;
}

/* A connection the server dropped (a restart, a network fault) is made again
 * before the next call once it is known to be gone, but never inside the
 * caller's transaction: the server rolled that back, and the caller must hear
 * so rather than go on outside it. Statements prepared before are prepared
 * again when next run. */
static CaDbStatus
ensure_connected (PgDb *db)
{
  if (PQstatus (db->conn) == CONNECTION_OK && !server_hung_up (db->conn))
    return CA_DB_OK;
  if (db->transaction)
    {
      set_message (db, "the connection to the server broke in the middle of a change");
      return CA_DB_LOST;
    }
  PQreset (db->conn);
  if (PQstatus (db->conn) != CONNECTION_OK)
    {
      set_message (db, PQerrorMessage (db->conn));
      return CA_DB_LOST;
    }
  db->generation++;

  return configure_session (db);
}

static gboolean
ends_transaction (const char *sql)
{
  return g_ascii_strcasecmp (sql, "COMMIT") == 0 || g_ascii_strcasecmp (sql, "ROLLBACK") == 0;
}

static CaDbStatus
pg_exec (CaDb       *db,
         const char *sql)
{
  CaDbStatus status;

  if (ends_transaction (sql))
    {
      gboolean open = PG (db)->transaction;

      PG (db)->transaction = FALSE;
      /* The server rolled back the transaction of a connection that broke;
       * a COMMIT is never sent on a new one, where it would commit nothing. */
      if (open && PQstatus (PG (db)->conn) != CONNECTION_OK)
        {
          if (g_ascii_strcasecmp (sql, "ROLLBACK") == 0)
            return CA_DB_OK;
          set_message (PG (db), "the connection to the server broke before the change was saved");
          return CA_DB_LOST;
        }
    }
  status = ensure_connected (PG (db));
  if (status != CA_DB_OK)
    return status;
  status = run (PG (db), sql);
  if (status == CA_DB_OK && g_ascii_strncasecmp (sql, "BEGIN", 5) == 0)
    PG (db)->transaction = TRUE;

  return status;
}

static gboolean
pg_in_transaction (CaDb *db)
{
  PGTransactionStatusType status = PQtransactionStatus (PG (db)->conn);

  return PG (db)->transaction ||
         status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

/* BEGIN writes nothing, so a connection found broken there is made again and
 * BEGIN sent once more: a long-running program carries on after a restart. */
static CaDbStatus
begin (CaDb       *db,
       const char *sql)
{
  CaDbStatus status = pg_exec (db, sql);

  if (status == CA_DB_LOST && !PG (db)->transaction)
    status = pg_exec (db, sql);

  return status;
}

/* One round trip: the lock is asked for in the same message as BEGIN. When it
 * is refused, the transaction BEGIN opened stays open (failed) until rolled back. */
static CaDbStatus
pg_begin_write (CaDb *db)
{
  CaDbStatus status = begin (db, "BEGIN; SELECT pg_advisory_xact_lock (" WRITE_LOCK_KEY ")");

  if (status != CA_DB_OK && pg_in_transaction (db))
    {
      PG (db)->transaction = TRUE;
      pg_exec (db, "ROLLBACK");
    }

  return status;
}

static gint64
pg_changes (CaDb *db)
{
  return PG (db)->changes;
}

/* The first column of the first row of @sql, or NULL. */
static CaDbStatus
query_text (CaDb        *db,
            const char  *sql,
            char       **out_value)
{
  PGresult *result;
  CaDbStatus status;

  *out_value = NULL;
  status = ensure_connected (PG (db));
  if (status != CA_DB_OK)
    return status;
  result = PQexec (PG (db)->conn, sql);
  db->statements++;
  status = check_result (PG (db), result);
  if (status != CA_DB_OK)
    return status;
  if (PQntuples (result) > 0 && !PQgetisnull (result, 0, 0))
    *out_value = g_strdup (PQgetvalue (result, 0, 0));
  PQclear (result);

  return CA_DB_OK;
}

/* PostgreSQL has no user_version: the version is a row of meta. */
static CaDbStatus
pg_read_version (CaDb *db,
                 int  *out_version)
{
  g_autofree char *table = NULL;
  g_autofree char *text = NULL;
  CaDbStatus status;

  *out_version = 0;
  status = query_text (db, "SELECT to_regclass ('meta')::text", &table);
  if (status != CA_DB_OK || table == NULL)
    return status;
  status = query_text (db, "SELECT value FROM meta WHERE key = 'schema_version'", &text);
  *out_version = text != NULL ? atoi (text) : 0;

  return status;
}

static CaDbStatus
pg_write_version (CaDb *db,
                  int   version)
{
  g_autofree char *sql = g_strdup_printf ("INSERT INTO meta (key, value) VALUES ('schema_version', '%d') "
                                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value", version);

  return pg_exec (db, sql);
}

static char *
replace_all (const char *text,
             const char *pattern,
             const char *replacement)
{
  g_autoptr(GRegex) regex = g_regex_new (pattern, G_REGEX_OPTIMIZE, 0, NULL);
  char *replaced;

  g_assert (regex != NULL);
  replaced = g_regex_replace (regex, text, -1, 0, replacement, 0, NULL);
  g_assert (replaced != NULL);

  return replaced;
}

/* What SQLite says that PostgreSQL says otherwise: case-blind comparison
 * (an index on lower() serves it), the unary + that keeps a (text) column off
 * an index (an expression does that: dropping the + let the server's generic
 * plan of a sorted Fleet page walk every IMEI and sort them), reading a field
 * of a JSON text, and in the schema STRICT tables, 32-bit INTEGER (times and
 * ids need 64), rowid keys and GLOB. */
static char *
dialect (const char *sql)
{
  static const struct { const char *pattern; const char *replacement; } rules[] = {
    { "\\((\\w+) COLLATE NOCASE\\)", "(lower(\\1))" },
    { "([\\w.]+) (<=|>=|=|<|>) (\\$\\d+) COLLATE NOCASE", "lower(\\1) \\2 lower(\\3)" },
    { " \\+([a-z_]+\\.[a-z_]+)", " (\\1 || '')" },
    { "json_extract\\(CASE WHEN json_valid\\((\\w+)\\) THEN \\w+ ELSE '\\{\\}' END, '\\$\\.(\\w+)'\\)",
      "(CASE WHEN \\1 ~ '^[{].*[}]$' THEN \\1::jsonb ->> '\\2' END)" },
    { "\\)\\s*STRICT\\s*;", ");" },
    { "\\bINTEGER PRIMARY KEY\\b", "BIGSERIAL PRIMARY KEY" },
    { "\\bINTEGER\\b", "BIGINT" },
    { "(\\w+) NOT GLOB '\\*\\[\\^0-9\\]\\*'", "\\1 !~ '[^0-9]'" },
  };
  char *text = g_strdup (sql);

  for (gsize i = 0; i < G_N_ELEMENTS (rules); i++)
    {
      char *next = replace_all (text, rules[i].pattern, rules[i].replacement);

      g_free (text);
      text = next;
    }

  return text;
}

/* SQLite lets a table refer to one made after it (devices and certificates
 * refer to each other); PostgreSQL does not, so such a reference becomes a
 * foreign key added once every table of the step exists. */
static gboolean
made_later (char       **lines,
            GMatchInfo  *reference)
{
  g_autofree char *target = g_match_info_fetch (reference, 3);
  g_autofree char *create = g_strdup_printf ("CREATE TABLE %s ", target);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], create))
      return TRUE;

  return FALSE;
}

static char *
pg_schema_sql (CaDb       *db,
               const char *sql)
{
  g_autoptr(GRegex) table = g_regex_new ("^CREATE TABLE (\\w+)", 0, 0, NULL);
  g_autoptr(GRegex) reference = g_regex_new ("^(\\s+(\\w+)\\s.*?) REFERENCES (\\w+)\\((\\w+)\\)", 0, 0, NULL);
  g_auto(GStrv) lines = g_strsplit (sql, "\n", -1);
  g_autofree char *current = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GString) keys = g_string_new (NULL);
  g_autofree char *joined = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GMatchInfo) match = NULL;

      if (g_regex_match (table, lines[i], 0, &match))
        {
          g_free (current);
          current = g_match_info_fetch (match, 1);
        }
      g_clear_pointer (&match, g_match_info_free);
      if (current != NULL && g_regex_match (reference, lines[i], 0, &match) && made_later (lines + i + 1, match))
        {
          g_autofree char *head = g_match_info_fetch (match, 1);
          g_autofree char *column = g_match_info_fetch (match, 2);
          g_autofree char *target = g_match_info_fetch (match, 3);
          g_autofree char *target_column = g_match_info_fetch (match, 4);
          int end = 0;

          g_match_info_fetch_pos (match, 0, NULL, &end);
          g_string_append_printf (out, "%s%s\n", head, lines[i] + end);
          g_string_append_printf (keys, "ALTER TABLE %s ADD FOREIGN KEY (%s) REFERENCES %s (%s);\n",
                                  current, column, target, target_column);
          continue;
        }
      g_string_append_printf (out, "%s\n", lines[i]);
    }
  g_string_append (out, keys->str);
  joined = g_string_free (g_steal_pointer (&out), FALSE);

  return dialect (joined);
}

/* Numbers the placeholders as PostgreSQL does ($N), outside quotes: `?N` keeps
 * its number and a bare `?` takes the next one. @out_used marks the numbers
 * present, since a parameter never mentioned has no type to infer. */
static char *
number_placeholders (const char  *sql,
                     int         *out_count,
                     GArray     **out_used)
{
  GString *out = g_string_new (NULL);
  GArray *used = g_array_new (FALSE, TRUE, sizeof (gboolean));
  char quote = 0;
  int highest = 0;

  for (const char *p = sql; *p != '\0'; p++)
    {
      int number;

      if (quote != 0)
        {
          if (*p == quote)
            quote = 0;
          g_string_append_c (out, *p);
          continue;
        }
      if (*p == '\'' || *p == '"')
        {
          quote = *p;
          g_string_append_c (out, *p);
          continue;
        }
      if (*p != '?')
        {
          g_string_append_c (out, *p);
          continue;
        }

      if (g_ascii_isdigit (p[1]))
        {
          char *end = NULL;

          number = (int) strtol (p + 1, &end, 10);
          p = end - 1;
        }
      else
        number = highest + 1;
      highest = MAX (highest, number);
      if ((guint) number > used->len)
        g_array_set_size (used, number);
      g_array_index (used, gboolean, number - 1) = TRUE;
      g_string_append_printf (out, "$%d", number);
    }

  *out_count = highest;
  *out_used = used;

  return g_string_free (out, FALSE);
}

static void
prepared_free (Prepared *prepared)
{
  g_free (prepared->name);
  g_free (prepared->sql);
  g_free (prepared->types);
  g_free (prepared);
}

/* Prepares @prepared on the server unless this connection already has it. */
static CaDbStatus
ensure_prepared (PgDb     *db,
                 Prepared *prepared)
{
  PGresult *result;
  CaDbStatus status;

  if (prepared->generation == db->generation)
    return CA_DB_OK;
  result = PQprepare (db->conn, prepared->name, prepared->sql, prepared->n_params, prepared->types);
  db->base.statements++;
  status = check_result (db, result);
  if (status != CA_DB_OK)
    return status;
  PQclear (result);
  prepared->generation = db->generation;

  return CA_DB_OK;
}

static CaStmt *
pg_prepare (CaDb       *db,
            const char *sql)
{
  g_autofree char *numbered = NULL;
  g_autofree char *translated = NULL;
  g_autoptr(GArray) used = NULL;
  Prepared *prepared;
  CaDbStatus status;
  PgStmt *stmt;
  int count = 0;

  numbered = number_placeholders (sql, &count, &used);
  translated = dialect (numbered);

  status = ensure_connected (PG (db));
  if (status != CA_DB_OK)
    {
      db->status = status;
      return NULL;
    }
  prepared = g_hash_table_lookup (PG (db)->prepared, translated);
  if (prepared == NULL)
    {
      prepared = g_new0 (Prepared, 1);
      prepared->name = g_strdup_printf ("ca_%u", PG (db)->next_name++);
      prepared->n_params = count;
      prepared->types = g_new0 (Oid, MAX (count, 1));
      for (int i = 0; i < count; i++)
        prepared->types[i] = g_array_index (used, gboolean, i) ? 0 : TEXTOID;
      prepared->generation = PG (db)->generation - 1;   /* not on the server yet */
      prepared->sql = g_steal_pointer (&translated);
      status = ensure_prepared (PG (db), prepared);
      if (status != CA_DB_OK)
        {
          db->status = status;
          prepared_free (prepared);
          return NULL;
        }
      g_hash_table_insert (PG (db)->prepared, prepared->sql, prepared);
    }
  prepared->users++;

  stmt = g_new0 (PgStmt, 1);
  stmt->base.db = db;
  stmt->prepared = prepared;
  stmt->n_params = count;
  stmt->values = g_new0 (char *, MAX (count, 1));
  stmt->lengths = g_new0 (int, MAX (count, 1));
  stmt->formats = g_new0 (int, MAX (count, 1));

  return &stmt->base;
}

static void
pg_reset (CaStmt *base)
{
  PgStmt *stmt = PGSTMT (base);

  g_clear_pointer (&stmt->result, PQclear);
  g_clear_pointer (&stmt->blob, PQfreemem);
  for (int i = 0; i < stmt->n_params; i++)
    {
      g_clear_pointer (&stmt->values[i], g_free);
      stmt->lengths[i] = 0;
      stmt->formats[i] = 0;
    }
}

/* The server's statement goes with the last CaStmt that runs it. */
static void
pg_finalize (CaStmt *base)
{
  PgStmt *stmt = PGSTMT (base);
  PgDb *db = PG (base->db);
  Prepared *prepared = stmt->prepared;

  pg_reset (base);
  if (--prepared->users == 0)
    {
      g_autofree char *sql = g_strdup_printf ("DEALLOCATE %s", prepared->name);

      /* Inside a failed transaction the server refuses it; the name dies with the connection. */
      if (PQstatus (db->conn) == CONNECTION_OK && PQtransactionStatus (db->conn) == PQTRANS_IDLE &&
          prepared->generation == db->generation)
        {
          PQclear (PQexec (db->conn, sql));
          db->base.statements++;
        }
      g_hash_table_remove (db->prepared, prepared->sql);
    }
  g_free (stmt->values);
  g_free (stmt->lengths);
  g_free (stmt->formats);
  g_free (stmt);
}

static void
set_param (CaStmt *base,
           int     index,
           char   *value,
           int     length,
           int     format)
{
  PgStmt *stmt = PGSTMT (base);

  if (index < 1 || index > stmt->n_params)
    {
      g_free (value);
      return;
    }
  g_free (stmt->values[index - 1]);
  stmt->values[index - 1] = value;
  stmt->lengths[index - 1] = length;
  stmt->formats[index - 1] = format;
}

static void
pg_bind_int64 (CaStmt *stmt,
               int     index,
               gint64  value)
{
  set_param (stmt, index, g_strdup_printf ("%" G_GINT64_FORMAT, value), 0, 0);
}

static void
pg_bind_text (CaStmt     *stmt,
              int         index,
              const char *text)
{
  set_param (stmt, index, g_strdup (text), 0, 0);
}

static void
pg_bind_blob (CaStmt     *stmt,
              int         index,
              const void *data,
              gsize       length)
{
  set_param (stmt, index, g_memdup2 (data, MAX (length, 1)), (int) length, 1);
}

static void
pg_bind_null (CaStmt *stmt,
              int     index)
{
  set_param (stmt, index, NULL, 0, 0);
}

/* The whole result arrives with the first step; later steps walk its rows. */
static CaDbStatus
pg_step (CaStmt *base)
{
  PgStmt *stmt = PGSTMT (base);
  PgDb *db = PG (base->db);

  if (stmt->result == NULL)
    {
      PGresult *result;
      CaDbStatus status = ensure_connected (db);

      if (status == CA_DB_OK)
        status = ensure_prepared (db, stmt->prepared);
      if (status != CA_DB_OK)
        return status;
      result = PQexecPrepared (db->conn, stmt->prepared->name, stmt->n_params,
                               (const char *const *) stmt->values, stmt->lengths, stmt->formats, 0);
      db->base.statements++;
      status = check_result (db, result);
      if (status != CA_DB_OK)
        return status;
      stmt->result = result;
      stmt->rows = PQresultStatus (result) == PGRES_TUPLES_OK ? PQntuples (result) : 0;
      stmt->row = -1;
    }

  g_clear_pointer (&stmt->blob, PQfreemem);
  if (stmt->row < stmt->rows)
    stmt->row++;

  return stmt->row < stmt->rows ? CA_DB_ROW : CA_DB_DONE;
}

static gboolean
pg_column_is_null (CaStmt *base,
                   int     column)
{
  PgStmt *stmt = PGSTMT (base);

  return stmt->result == NULL || stmt->row >= stmt->rows || column >= PQnfields (stmt->result) ||
         PQgetisnull (stmt->result, stmt->row, column);
}

static gint64
pg_column_int64 (CaStmt *base,
                 int     column)
{
  PgStmt *stmt = PGSTMT (base);
  const char *value;

  if (pg_column_is_null (base, column))
    return 0;
  value = PQgetvalue (stmt->result, stmt->row, column);
  /* SQLite's truth values are integers; PostgreSQL's are booleans. */
  if (PQftype (stmt->result, column) == BOOLOID)
    return value[0] == 't';

  return g_ascii_strtoll (value, NULL, 10);
}

static const char *
pg_column_text (CaStmt *base,
                int     column)
{
  PgStmt *stmt = PGSTMT (base);

  if (pg_column_is_null (base, column))
    return NULL;
  if (PQftype (stmt->result, column) == BOOLOID)
    return PQgetvalue (stmt->result, stmt->row, column)[0] == 't' ? "1" : "0";

  return PQgetvalue (stmt->result, stmt->row, column);
}

static const void *
pg_column_blob (CaStmt *base,
                int     column,
                gsize  *out_length)
{
  PgStmt *stmt = PGSTMT (base);
  size_t length = 0;

  *out_length = 0;
  if (pg_column_is_null (base, column))
    return NULL;
  if (PQftype (stmt->result, column) != BYTEAOID)
    {
      *out_length = PQgetlength (stmt->result, stmt->row, column);
      return PQgetvalue (stmt->result, stmt->row, column);
    }
  g_clear_pointer (&stmt->blob, PQfreemem);
  stmt->blob = PQunescapeBytea ((const unsigned char *) PQgetvalue (stmt->result, stmt->row, column), &length);
  *out_length = length;

  return stmt->blob;
}

static CaDbStatus
pg_count_tables (CaDb *db,
                 int  *out_all,
                 int  *out_ours)
{
  g_autofree char *all = NULL;
  g_autofree char *ours = NULL;
  CaDbStatus status;

  status = query_text (db, "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema ()", &all);
  if (status == CA_DB_OK)
    status = query_text (db, "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema () "
                             "AND tablename IN ('meta', 'authorities', 'audit_log')", &ours);
  *out_all = all != NULL ? atoi (all) : 0;
  *out_ours = ours != NULL ? atoi (ours) : 0;

  return status;
}

/* REPEATABLE READ: every statement of the transaction sees its first snapshot. */
static CaDbStatus
pg_begin_read (CaDb *db)
{
  return begin (db, "BEGIN ISOLATION LEVEL REPEATABLE READ");
}

/* A BIGSERIAL column's sequence knows nothing of ids written explicitly. */
static CaDbStatus
pg_reset_sequences (CaDb *db)
{
  return pg_exec (db,
                  "DO $$ DECLARE c record; BEGIN "
                  "FOR c IN SELECT table_name, column_name, "
                  "pg_get_serial_sequence (format ('%I.%I', table_schema, table_name), column_name) AS sequence "
                  "FROM information_schema.columns WHERE table_schema = current_schema () LOOP "
                  "IF c.sequence IS NOT NULL THEN "
                  "EXECUTE format ('SELECT setval (%L, COALESCE ((SELECT max (%I) FROM %I), 0) + 1, false)', "
                  "c.sequence, c.column_name, c.table_name); "
                  "END IF; END LOOP; END $$");
}

/* The rows the planner last counted in the largest of @list's tables. */
static CaDbStatus
counted_rows (CaDb       *db,
              const char *list,
              gint64     *out_rows)
{
  g_autofree char *sql = g_strdup_printf ("SELECT greatest (coalesce (max (reltuples), 0), 0)::bigint "
                                          "FROM pg_catalog.pg_class WHERE oid = ANY (ARRAY['%s']::regclass[])", list);
  g_autofree char *rows = NULL;
  CaDbStatus status = query_text (db, sql, &rows);

  if (status == CA_DB_OK)
    *out_rows = rows != NULL ? g_ascii_strtoll (rows, NULL, 10) : 0;

  return status;
}

/* Before adding this many rows, a bulk writer never counts again. */
#define GROWTH_MIN_ROWS 1000

/* The planner knows a table by its last ANALYZE, and autovacuum runs one only
 * about a minute after a table changed a lot. A new ledger's first large batch
 * was planned all along as the empty tables of its start: every group scanned
 * all the certificates for its lookups, and the batch slowed as it grew. Once
 * the rows added here outnumber the rows counted, they are counted again: a
 * few times as a new ledger grows, seldom on a large one. */
static CaDbStatus
pg_note_growth (CaDb              *db,
                const char *const *tables,
                guint64            rows)
{
  PgDb *self = PG (db);
  g_autofree char *list = g_strjoinv ("', '", (char **) tables);
  g_autofree char *names = g_strjoinv (", ", (char **) tables);
  g_autofree char *analyze = NULL;
  CaDbStatus status;

  self->grown += rows;
  if (self->grown < GROWTH_MIN_ROWS)
    return CA_DB_OK;
  if (self->counted < 0)
    {
      status = counted_rows (db, list, &self->counted);
      if (status != CA_DB_OK)
        return status;
    }
  if (self->grown < (guint64) self->counted)
    return CA_DB_OK;

  /* A table another writer is counting already is left to it. */
  analyze = g_strconcat ("ANALYZE (SKIP_LOCKED) ", names, NULL);
  status = pg_exec (db, analyze);
  if (status == CA_DB_OK)
    status = counted_rows (db, list, &self->counted);
  self->grown = 0;

  return status;
}

static const CaDbBackend pg_backend = {
  .close = pg_close,
  .message = pg_message,
  .exec = pg_exec,
  .begin_write = pg_begin_write,
  .in_transaction = pg_in_transaction,
  .changes = pg_changes,
  .read_version = pg_read_version,
  .write_version = pg_write_version,
  .schema_sql = pg_schema_sql,
  .count_tables = pg_count_tables,
  .begin_read = pg_begin_read,
  .reset_sequences = pg_reset_sequences,
  .note_growth = pg_note_growth,
  .tables_sql = "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema () ORDER BY tablename",
  .columns_sql = "SELECT a.attname, COALESCE ((SELECT k.place FROM pg_catalog.pg_index i, "
                 "unnest (i.indkey::int2[]) WITH ORDINALITY AS k (attnum, place) "
                 "WHERE i.indrelid = a.attrelid AND i.indisprimary AND k.attnum = a.attnum), 0) "
                 "FROM pg_catalog.pg_attribute a "
                 "WHERE a.attrelid = to_regclass (?1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
  .references_sql = "SELECT a.attname, c.confrelid::regclass::text FROM pg_catalog.pg_constraint c "
                    "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) "
                    "WHERE c.contype = 'f' AND c.conrelid = to_regclass (?1)",
  .prepare = pg_prepare,
  .finalize = pg_finalize,
  .reset = pg_reset,
  .bind_int64 = pg_bind_int64,
  .bind_text = pg_bind_text,
  .bind_blob = pg_bind_blob,
  .bind_null = pg_bind_null,
  .step = pg_step,
  .column_is_null = pg_column_is_null,
  .column_int64 = pg_column_int64,
  .column_text = pg_column_text,
  .column_blob = pg_column_blob,
};

gboolean
ca_db_is_pg_uri (const char *location)
{
  return location != NULL &&
         (g_str_has_prefix (location, "postgresql://") || g_str_has_prefix (location, "postgres://"));
}

/* Credentials come the libpq way (service file, PGPASSFILE), never in @uri
 * given on a command line. Notices (e.g. "table exists, skipping") stay quiet. */
static void
ignore_notice (void       *data,
               const char *message)
{
}

CaDb *
ca_db_pg_open (const char  *uri,
               gboolean     read_only,
               CaDbStatus  *out_status,
               char       **out_message)
{
  PGconn *conn = PQconnectdb (uri);
  PgDb *db;

  if (PQstatus (conn) != CONNECTION_OK)
    {
      *out_status = CA_DB_CANT_OPEN;
      *out_message = g_strstrip (g_strdup (PQerrorMessage (conn)));
      PQfinish (conn);
      return NULL;
    }
  PQsetNoticeProcessor (conn, ignore_notice, NULL);

  db = g_new0 (PgDb, 1);
  db->base.backend = &pg_backend;
  db->conn = conn;
  db->read_only = read_only;
  db->counted = -1;
  db->prepared = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) prepared_free);

  *out_status = configure_session (db);
  if (*out_status != CA_DB_OK)
    {
      *out_message = g_strdup (db->message);
      pg_close (&db->base);
      return NULL;
    }
  *out_message = NULL;

  return &db->base;
}
