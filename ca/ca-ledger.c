/* ca-ledger.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-ledger"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ca-private.h"
#include "ca-resources.h"

/* Where the command line names the ledger; the window names it in Preferences. */
#define CHOOSE_LEDGER_HINT CA_ERROR_CLI_HINT "choose it with --db or TAGSMITH_DB."

#define BUSY_TIMEOUT_MSEC 15000

G_DEFINE_FINAL_TYPE (CaLedger, ca_ledger, G_TYPE_OBJECT)

static void
ca_ledger_finalize (GObject *object)
{
  CaLedger *self = CA_LEDGER (object);

  ca_ledger_lock (self);
  g_clear_pointer (&self->keys, g_hash_table_unref);
  g_clear_pointer (&self->statements, g_hash_table_unref);
  g_clear_pointer (&self->db, ca_db_close);
  g_free (self->path);
  g_free (self->station_name);
  ca_audit_forget_head (self);
  g_rec_mutex_clear (&self->mutex);
  g_mutex_clear (&self->statements_lock);

  G_OBJECT_CLASS (ca_ledger_parent_class)->finalize (object);
}

static void
ca_ledger_class_init (CaLedgerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ca_ledger_finalize;
}

static void
ca_ledger_init (CaLedger *self)
{
  g_rec_mutex_init (&self->mutex);
  g_mutex_init (&self->statements_lock);
  self->statements = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                            (GDestroyNotify) g_hash_table_unref);
  self->keys = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                      (GDestroyNotify) EVP_PKEY_free);
}

void
ca_ledger_lock_mutex (CaLedger *self)
{
  g_rec_mutex_lock (&self->mutex);
}

void
ca_ledger_unlock_mutex (CaLedger *self)
{
  g_rec_mutex_unlock (&self->mutex);
}

/* Turns a database failure into advice. Always returns FALSE. */
static gboolean
set_error_with_detail (CaLedger    *self,
                       CaDbStatus   rc,
                       const char  *engine_detail,
                       GError     **error)
{
  /* The engine quotes what it read: in a damaged file, any bytes at all. */
  g_autofree char *detail = g_utf8_make_valid (engine_detail != NULL ? engine_detail : "", -1);

  switch (rc)
    {
    case CA_DB_CANT_OPEN:
      if (self->on_server)
        {
          g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                       "The ledger server %s cannot be reached (%s). Check the URI, that the server "
                       "runs, and your credentials (a service file or PGPASSFILE).", self->path, detail);
          break;
        }
      G_GNUC_FALLTHROUGH;
    case CA_DB_READ_ONLY:
      g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                   "The ledger %s cannot be written (%s). Check that the file and its folder "
                   "are writable by you, or choose another ledger (Preferences in the window)."
                   CHOOSE_LEDGER_HINT, self->path, detail);
      break;
    case CA_DB_LOST:
      g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                   "The connection to the ledger server %s was lost (%s). Check that the server runs "
                   "and can be reached, then try again. What was reported done is in the ledger; work "
                   "cut short is settled on the next run, as after a crash.", self->path, detail);
      break;
    case CA_DB_BUSY:
      g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                   "The ledger %s stayed locked by another program for %d seconds (%s). "
                   "Wait for it to finish and try again.", self->path, BUSY_TIMEOUT_MSEC / 1000, detail);
      break;
    case CA_DB_CORRUPT:
      g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                   "The ledger %s is damaged or is not a Tagsmith ledger (%s). Restore it from "
                   "a backup.", self->path, detail);
      break;
    case CA_DB_FULL:
      g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                   "Writing the ledger %s failed (%s). Check the free disk space; what was "
                   "being written is not in the ledger.", self->path, detail);
      break;
    default:
      g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                   "The ledger %s reported an error: %s.", self->path, detail);
      break;
    }

  return FALSE;
}

gboolean
ca_ledger_set_db_error (CaLedger    *self,
                        CaDbStatus   rc,
                        GError     **error)
{
  return set_error_with_detail (self, rc, ca_db_message (self->db), error);
}

void
ca_stmt_release (CaStmt *stmt)
{
  ca_stmt_reset (stmt);
}

static void
clear_statements (CaLedger *self)
{
  g_mutex_lock (&self->statements_lock);
  g_hash_table_remove_all (self->statements);
  g_mutex_unlock (&self->statements_lock);
}

/* Prepared statements are cached by their SQL text, which is always a literal, and by
 * thread: a g_autoptr(CaStmt) is reset when its scope ends, which is often just after the
 * ledger mutex was released, so a statement shared between threads could be reset under
 * another thread's feet. A thread that ends leaves its statements for a later thread that
 * gets the same GThread address, which is harmless because they are always reset. */
CaStmt *
ca_ledger_prepare (CaLedger    *self,
                   const char  *sql,
                   GError     **error)
{
  GHashTable *mine;
  CaStmt *stmt;

  g_mutex_lock (&self->statements_lock);
  mine = g_hash_table_lookup (self->statements, g_thread_self ());
  if (mine == NULL)
    {
      mine = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) ca_stmt_finalize);
      g_hash_table_insert (self->statements, g_thread_self (), mine);
    }
  stmt = g_hash_table_lookup (mine, sql);
  g_mutex_unlock (&self->statements_lock);

  if (stmt != NULL)
    return stmt;

  stmt = ca_db_prepare (self->db, sql);
  if (stmt == NULL)
    {
      ca_ledger_set_db_error (self, ca_db_status (self->db), error);
      return NULL;
    }

  g_mutex_lock (&self->statements_lock);
  g_hash_table_insert (mine, (gpointer) sql, stmt);
  g_mutex_unlock (&self->statements_lock);

  return stmt;
}

/* @head, then @row @n times with commas between, then @tail: one statement
 * for a group of @n rows. The text is interned, as the cache keeps it as its
 * key; a group's statement is prepared once per size. */
CaStmt *
ca_ledger_prepare_rows (CaLedger    *self,
                        const char  *head,
                        const char  *row,
                        guint        n,
                        const char  *tail,
                        GError     **error)
{
  g_autoptr(GString) sql = g_string_new (head);

  g_assert (n > 0);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (sql, "%s%s", i > 0 ? ", " : "", row);
  g_string_append (sql, tail);

  return ca_ledger_prepare (self, g_intern_string (sql->str), error);
}

gboolean
ca_ledger_exec (CaLedger    *self,
                const char  *sql,
                GError     **error)
{
  CaDbStatus rc;

  /* COMMIT, ROLLBACK, ROLLBACK TO and schema changes all leave the kept head unsure. */
  ca_audit_forget_head (self);
  rc = ca_db_exec (self->db, sql);
  if (rc != CA_DB_OK)
    return ca_ledger_set_db_error (self, rc, error);

  return TRUE;
}

void
ca_ledger_note_growth (CaLedger          *self,
                       const char *const *tables,
                       guint64            rows)
{
  /* Only the plans are at stake: what was written stays written. */
  if (ca_db_note_growth (self->db, tables, rows) != CA_DB_OK)
    g_debug ("The ledger's tables were not counted again: %s", ca_db_message (self->db));
}

/* Runs a statement that returns no rows. */
GPtrArray *
ca_ledger_collect_rows (CaLedger        *self,
                        CaStmt          *stmt,
                        CaRowFunc        from_row,
                        GDestroyNotify   free_func,
                        GError         **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  CaDbStatus rc;

  while ((rc = ca_stmt_step (stmt)) == CA_DB_ROW)
    g_ptr_array_add (rows, from_row (stmt));
  if (rc != CA_DB_DONE)
    {
      ca_ledger_set_db_error (self, rc, error);
      return NULL;
    }

  return g_steal_pointer (&rows);
}

gboolean
ca_ledger_step_done (CaLedger  *self,
                     CaStmt    *stmt,
                     GError   **error)
{
  CaDbStatus rc = ca_stmt_step (stmt);

  if (rc != CA_DB_DONE && rc != CA_DB_ROW)
    return ca_ledger_set_db_error (self, rc, error);

  return TRUE;
}

/* The write lock is taken up front, so two processes never both read the same
 * audit head or serial state and then race to write. */
gboolean
ca_ledger_begin (CaLedger  *self,
                 GError   **error)
{
  CaDbStatus rc;

  if (self->in_one_transaction)
    {
      if (ca_db_in_transaction (self->db))
        return TRUE;
      g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                   "An earlier step of this change failed and was undone, so nothing of it was "
                   "saved in the ledger %s. Try again.", self->path);
      return FALSE;
    }
  ca_audit_forget_head (self);
  rc = ca_db_begin_write (self->db);

  return rc == CA_DB_OK || ca_ledger_set_db_error (self, rc, error);
}

gboolean
ca_ledger_commit (CaLedger  *self,
                  GError   **error)
{
  if (self->in_one_transaction)
    return TRUE;
  if (!ca_ledger_exec (self, "COMMIT", error))
    {
      ca_ledger_rollback (self);
      return FALSE;
    }

  return TRUE;
}

void
ca_ledger_rollback (CaLedger *self)
{
  ca_audit_forget_head (self);
  if (ca_db_in_transaction (self->db))
    ca_db_exec (self->db, "ROLLBACK");
}

/* Inside, ca_ledger_begin() and ca_ledger_commit() join the open transaction;
 * ca_ledger_rollback() ends it, and every later step fails. */
gboolean
ca_ledger_run_in_transaction (CaLedger      *self,
                              CaLedgerWork   work,
                              gpointer       data,
                              GError       **error)
{
  gboolean ok;

  g_return_val_if_fail (CA_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (work != NULL, FALSE);

  ca_ledger_lock_mutex (self);
  g_assert (!self->in_one_transaction);
  ok = ca_ledger_begin (self, error);
  if (ok)
    {
      self->in_one_transaction = TRUE;
      ok = work (self, data, error) && ca_ledger_begin (self, error);
      self->in_one_transaction = FALSE;
      if (ok)
        ok = ca_ledger_commit (self, error);
      else
        ca_ledger_rollback (self);
    }
  ca_ledger_unlock_mutex (self);

  return ok;
}

static gboolean
read_schema_version (CaLedger  *self,
                     int       *out_version,
                     GError   **error)
{
  CaDbStatus rc = ca_db_read_version (self->db, out_version);

  return rc == CA_DB_OK || ca_ledger_set_db_error (self, rc, error);
}

static gboolean
refuse_newer (CaLedger  *self,
              int        version,
              GError   **error)
{
  if (version <= CA_LEDGER_SCHEMA_VERSION)
    return TRUE;

  g_set_error (error, CA_ERROR, CA_ERROR_SCHEMA_TOO_NEW,
               "The ledger %s was written by a newer Tagsmith (schema version %d; this one "
               "understands up to %d). Update Tagsmith to use it; it was not changed.",
               self->path, version, CA_LEDGER_SCHEMA_VERSION);

  return FALSE;
}

/* Runs the schema step that brings a ledger to @version: ca-schema.sql for
 * version 1, ca-schema-<version>.sql after it. */
static gboolean
apply_schema_step (CaLedger  *self,
                   int        version,
                   GError   **error)
{
  g_autofree char *resource = NULL;
  g_autoptr(GBytes) step = NULL;
  g_autofree char *sql = NULL;

  resource = version == 1 ? g_strdup ("/io/github/tagsmith/ca/ca-schema.sql")
                          : g_strdup_printf ("/io/github/tagsmith/ca/ca-schema-%d.sql", version);

  step = g_resource_lookup_data (ca_get_resource (), resource, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_assert (step != NULL);
  sql = ca_db_schema_sql (self->db, g_bytes_get_data (step, NULL));

  return ca_ledger_exec (self, sql, error);
}

/* Creates or migrates the schema inside one transaction, one step per version,
 * so a new ledger and a migrated one end up the same. */
static gboolean
migrate (CaLedger  *self,
         GError   **error)
{
  CaDbStatus rc;
  int version = 0;

  if (!read_schema_version (self, &version, error) || !refuse_newer (self, version, error))
    return FALSE;
  self->found_version = version;
  if (version == CA_LEDGER_SCHEMA_VERSION)
    return TRUE;

  if (!ca_ledger_begin (self, error))
    return FALSE;

  /* Another process may have created or migrated it while we waited for the lock. */
  if (!read_schema_version (self, &version, error) || !refuse_newer (self, version, error))
    goto fail;
  if (version == CA_LEDGER_SCHEMA_VERSION)
    return ca_ledger_commit (self, error);

  for (int step = version + 1; step <= CA_LEDGER_SCHEMA_VERSION; step++)
    if (!apply_schema_step (self, step, error))
      goto fail;
  rc = ca_db_write_version (self->db, CA_LEDGER_SCHEMA_VERSION);
  if (rc != CA_DB_OK)
    {
      ca_ledger_set_db_error (self, rc, error);
      goto fail;
    }
  if (version > 0)
    g_info ("Migrated the ledger %s from schema version %d to %d.", self->path, version,
            CA_LEDGER_SCHEMA_VERSION);

  return ca_ledger_commit (self, error);

fail:
  ca_ledger_rollback (self);
  return FALSE;
}

/* Called with the mutex held. */
gboolean
ca_ledger_check_integrity (CaLedger  *self,
                           GError   **error)
{
  g_autofree char *check = NULL;
  CaDbStatus rc;

  /* The server keeps its own pages whole (and checksums them when asked to). */
  if (self->on_server)
    return TRUE;
  rc = ca_db_sqlite_integrity_check (self->db, &check);
  if (rc != CA_DB_OK)
    return ca_ledger_set_db_error (self, rc, error);
  if (g_strcmp0 (check, "ok") != 0)
    {
      g_autofree char *shown = g_utf8_make_valid (check != NULL ? check : "no answer", -1);

      g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                   "The ledger %s failed its integrity check (%s). Restore it from a backup.",
                   self->path, shown);
      return FALSE;
    }

  return TRUE;
}

/* Tells a Tagsmith ledger from an empty file, another program's database or a
 * new SQLite file before anything is written to it. Called with a connection
 * whose header has been read. */
static gboolean
check_is_ledger (CaLedger  *self,
                 GError   **error)
{
  CaDbStatus rc;
  int tables = 0;
  int ours = 0;
  int version = 0;

  if (!read_schema_version (self, &version, error))
    return FALSE;
  rc = ca_db_count_tables (self->db, &tables, &ours);
  if (rc != CA_DB_OK)
    return ca_ledger_set_db_error (self, rc, error);

  /* A database with no tables at all is one this Tagsmith may have just created. */
  if ((version == 0 && tables == 0) || (version > 0 && ours == 3))
    return TRUE;

  g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
               "%s is a database of another program, not a Tagsmith ledger. It was left as it "
               "is; choose the ledger's file (--db or TAGSMITH_DB on the command line, "
               "Preferences in the window).", self->path);

  return FALSE;
}

static gboolean
configure_connection (CaLedger  *self,
                      GError   **error)
{
  g_autofree char *mode = NULL;
  CaDbStatus rc;

  /* Opening read the header, so a file that is not a database failed there. The
   * full check reads every page (seconds for a million devices), so it runs where
   * the ledger is verified, not on every open. */
  if (!check_is_ledger (self, error))
    return FALSE;

  if (self->on_server)
    return TRUE;
  rc = ca_db_sqlite_configure (self->db, self->read_only, &mode);
  if (rc != CA_DB_OK)
    return ca_ledger_set_db_error (self, rc, error);
  if (!self->read_only && g_ascii_strcasecmp (mode != NULL ? mode : "", "wal") != 0)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                   "The ledger %s could not switch to write-ahead logging (it stayed in %s mode). "
                   "Check that its folder is writable.", self->path, mode != NULL ? mode : "an unknown");
      return FALSE;
    }

  return TRUE;
}

/* An existing path must be a non-empty regular file: SQLite would happily turn an
 * empty file into a new ledger, hiding a wrong --db or a truncated copy. */
static gboolean
check_existing_file (CaLedger  *self,
                     gboolean  *out_exists,
                     GError   **error)
{
  GStatBuf st;

  if (g_stat (self->path, &st) != 0)
    {
      int saved = errno;

      *out_exists = FALSE;
      if (saved == ENOENT)
        return TRUE;
      g_set_error (error, CA_ERROR, CA_ERROR_DATABASE, "The ledger %s cannot be opened (%s).",
                   self->path, g_strerror (saved));
      return FALSE;
    }

  *out_exists = TRUE;
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                   "%s is not a file, so it cannot be a ledger. Choose the ledger's file (Preferences "
                   "in the window)." CHOOSE_LEDGER_HINT, self->path);
      return FALSE;
    }
  if (st.st_size == 0)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                   "%s is empty (0 bytes), so it is not a Tagsmith ledger; it was left as it is. "
                   "Restore the ledger from a backup, or remove the empty file to start a new one.",
                   self->path);
      return FALSE;
    }

  return TRUE;
}

/* A ledger opened read-only that must change to be read (an older schema, an
 * audit log from before the passphrase key) changes in a private copy in
 * memory: the file keeps its bytes. */
static gboolean
copy_to_memory (CaLedger  *self,
                GError   **error)
{
  CaDbStatus rc;

  if (self->on_server)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                   "The ledger %s was opened read-only but must be changed first (its schema or "
                   "audit log is older than this Tagsmith). Open it once for writing.", self->path);
      return FALSE;
    }

  /* The cached statements belong to the file's connection. */
  clear_statements (self);
  rc = ca_db_sqlite_copy_to_memory (self->db);

  return rc == CA_DB_OK || ca_ledger_set_db_error (self, rc, error);
}

/* Changes a read-only ledger needs only to be read go to the copy in memory. */
static gboolean
ensure_writable (CaLedger  *self,
                 GError   **error)
{
  return !self->read_only || copy_to_memory (self, error);
}

static gboolean
migrate_in_memory (CaLedger  *self,
                   GError   **error)
{
  g_autofree char *mode = NULL;
  int version = 0;
  CaDbStatus rc;

  if (!read_schema_version (self, &version, error) || !refuse_newer (self, version, error))
    return FALSE;
  self->found_version = version;
  if (version == CA_LEDGER_SCHEMA_VERSION)
    return TRUE;

  if (!copy_to_memory (self, error) || !migrate (self, error))
    return FALSE;
  rc = ca_db_sqlite_configure (self->db, TRUE, &mode);

  return rc == CA_DB_OK || ca_ledger_set_db_error (self, rc, error);
}

/* A URI may carry a password; messages show it without. */
static char *
uri_for_messages (const char *uri)
{
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED, NULL);

  return parsed != NULL ? g_uri_to_string_partial (parsed, G_URI_HIDE_PASSWORD) : g_strdup ("(the server URI)");
}

static CaLedger *
open_server_ledger (const char  *uri,
                    gboolean     read_only,
                    GError     **error)
{
  g_autoptr(CaLedger) self = g_object_new (CA_TYPE_LEDGER, NULL);
  g_autofree char *message = NULL;
  CaDbStatus rc;
  int version = 0;

  self->path = uri_for_messages (uri);
  self->read_only = read_only;
  self->on_server = TRUE;
  self->db = ca_db_pg_open (uri, read_only, &rc, &message);
  if (self->db == NULL)
    {
      set_error_with_detail (self, rc, message, error);
      return NULL;
    }
  if (!check_is_ledger (self, error) || !read_schema_version (self, &version, error))
    return NULL;
  if (read_only && version == 0)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_NOT_FOUND,
                   "There is no ledger in the database %s yet, and reading never creates one. Check the "
                   "ledger's URI (Preferences in the window)." CHOOSE_LEDGER_HINT,
                   self->path);
      return NULL;
    }
  if (read_only ? !migrate_in_memory (self, error) : !migrate (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

/* A URI names a server ledger and is never taken for a file name. */
gboolean
ca_ledger_location_is_server (const char *location)
{
  return ca_db_is_pg_uri (location);
}

static CaLedger *
open_ledger (const char  *path,
             gboolean     read_only,
             GError     **error)
{
  g_autoptr(CaLedger) self = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *message = NULL;
  CaDbSqliteFlags flags = 0;
  gboolean existed;
  CaDbStatus rc;

  if (ca_db_is_pg_uri (path))
    return open_server_ledger (path, read_only, error);

  self = g_object_new (CA_TYPE_LEDGER, NULL);
  self->path = g_strdup (path);
  self->read_only = read_only;

  if (!check_existing_file (self, &existed, error))
    return NULL;
  if (!existed && read_only)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_NOT_FOUND,
                   "There is no ledger at %s, and reading never creates one. Check the ledger's file "
                   "name (Preferences in the window)." CHOOSE_LEDGER_HINT, path);
      return NULL;
    }

  if (read_only)
    {
      flags = CA_DB_SQLITE_READ_ONLY;
    }
  else
    {
      folder = g_path_get_dirname (path);
      if (g_mkdir_with_parents (folder, 0700) != 0)
        {
          int saved = errno;

          g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                       "The folder %s for the ledger cannot be created (%s). Choose another "
                       "ledger (Preferences in the window)." CHOOSE_LEDGER_HINT,
                       folder, g_strerror (saved));
          return NULL;
        }
      flags = existed ? 0 : CA_DB_SQLITE_CREATE;
    }
  self->db = ca_db_sqlite_open (path, flags, BUSY_TIMEOUT_MSEC, &rc, &message);
  if (self->db == NULL)
    {
      set_error_with_detail (self, rc, message, error);
      return NULL;
    }
  if (!existed)
    {
      g_chmod (path, 0600);
      self->created = TRUE;
    }

  if (!configure_connection (self, error))
    return NULL;
  if (read_only ? !migrate_in_memory (self, error) : !migrate (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * ca_ledger_open:
 * @path: the ledger file, created (mode 0600, folder 0700) when missing; or a
 *   libpq URI (postgresql://, postgres://) of a database on a server, whose
 *   credentials come from a service file or PGPASSFILE
 *
 * Opens a ledger for reading and writing. An empty file, a folder or another
 * program's database is refused and left as it is.
 *
 * Returns: (transfer full): the ledger, its schema current
 */
CaLedger *
ca_ledger_open (const char  *path,
                GError     **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return open_ledger (path, FALSE, error);
}

/**
 * ca_ledger_open_read_only:
 * @path: an existing ledger file
 *
 * Opens a ledger without ever creating, migrating or writing it, so it works on
 * write-protected media. Every call that would change it fails.
 *
 * Returns: (transfer full): the ledger
 */
CaLedger *
ca_ledger_open_read_only (const char  *path,
                          GError     **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return open_ledger (path, TRUE, error);
}

/* TRUE when ca_ledger_open() created the file, so a caller can say so. */
gboolean
ca_ledger_was_created (CaLedger *self)
{
  g_return_val_if_fail (CA_IS_LEDGER (self), FALSE);

  return self->created;
}

const char *
ca_ledger_get_path (CaLedger *self)
{
  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);

  return self->path;
}

gboolean
ca_ledger_read_meta (CaLedger    *self,
                     const char  *key,
                     char       **out_value,
                     GError     **error)
{
  g_autoptr(CaStmt) stmt = ca_ledger_prepare (self, "SELECT value FROM meta WHERE key = ?", error);
  CaDbStatus rc;

  *out_value = NULL;
  if (stmt == NULL)
    return FALSE;
  ca_stmt_bind_text (stmt, 1, key);
  rc = ca_stmt_step (stmt);
  if (rc == CA_DB_ROW)
    *out_value = ca_column_dup (stmt, 0);
  else if (rc != CA_DB_DONE)
    return ca_ledger_set_db_error (self, rc, error);

  return TRUE;
}

gboolean
ca_ledger_has_passphrase (CaLedger *self)
{
  g_autofree char *verifier = NULL;

  g_return_val_if_fail (CA_IS_LEDGER (self), FALSE);

  ca_ledger_lock_mutex (self);
  ca_ledger_read_meta (self, "passphrase_verifier", &verifier, NULL);
  ca_ledger_unlock_mutex (self);

  return verifier != NULL;
}

/* The first unlock of a new ledger records the verifier of its passphrase. A
 * ledger that already has CAs or history lost its verifier to someone's edit:
 * taking a new passphrase then would hand it over, so that is refused. */
static gboolean
set_passphrase (CaLedger    *self,
                const char  *passphrase,
                GError     **error)
{
  g_autofree char *verifier = NULL;
  g_autofree char *existing = NULL;
  g_autofree char *verifier_sha = NULL;
  g_autofree char *details = NULL;
  g_autoptr(CaStmt) used = NULL;
  g_autoptr(CaStmt) stmt = NULL;
  gboolean legacy = FALSE;
  GString *builder;

  if (strlen (passphrase) < CA_PASSPHRASE_MIN_LENGTH)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_WEAK_PASSPHRASE,
                   "The workspace passphrase must be at least %d characters long; it protects "
                   "every CA key in this ledger.", CA_PASSPHRASE_MIN_LENGTH);
      return FALSE;
    }

  verifier = ca_verifier_new (passphrase, self->audit_key, error);
  if (verifier == NULL || !ca_ledger_begin (self, error))
    return FALSE;

  /* Someone else may have set it meanwhile; then theirs counts. */
  if (!ca_ledger_read_meta (self, "passphrase_verifier", &existing, error))
    goto fail;
  if (existing != NULL)
    {
      ca_ledger_rollback (self);
      return ca_verifier_check (existing, passphrase, self->audit_key, &legacy, error) &&
             (!legacy || ca_audit_upgrade (self, passphrase, error));
    }

  used = ca_ledger_prepare (self, "SELECT EXISTS (SELECT 1 FROM authorities) OR EXISTS (SELECT 1 FROM audit_log)",
                            error);
  if (used == NULL || ca_stmt_step (used) != CA_DB_ROW)
    goto fail;
  if (ca_stmt_column_int (used, 0) != 0)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN,
                   "The ledger %s holds CAs or history but its passphrase verifier is missing: someone "
                   "removed it. A new passphrase cannot take the ledger over; restore it from a backup.",
                   self->path);
      goto fail;
    }
  g_clear_pointer (&used, ca_stmt_release);

  stmt = ca_ledger_prepare (self, "INSERT INTO meta (key, value) VALUES ('passphrase_verifier', ?)", error);
  if (stmt == NULL)
    goto fail;
  ca_stmt_bind_text (stmt, 1, verifier);
  verifier_sha = ca_sha256_hex (verifier, strlen (verifier));
  builder = ca_details_new ();
  ca_details_add (builder, "verifier", verifier_sha);
  details = ca_details_free (builder);
  if (!ca_ledger_step_done (self, stmt, error) ||
      !ca_audit_append (self, "passphrase.set", NULL, details, error))
    goto fail;

  return ca_ledger_commit (self, error);

fail:
  ca_ledger_rollback (self);
  return FALSE;
}

/**
 * ca_ledger_unlock:
 *
 * Checks @passphrase against the ledger's verifier (or sets it on a new ledger)
 * and keeps a copy and the audit key, wiped by ca_ledger_lock(), so that each
 * CA key is decrypted at most once per process. The first unlock of a ledger
 * from before the keyed audit log upgrades it (ca_audit_upgrade()).
 */
gboolean
ca_ledger_unlock (CaLedger    *self,
                  const char  *passphrase,
                  GError     **error)
{
  g_autofree char *verifier = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean legacy = FALSE;
  gboolean ok;

  g_return_val_if_fail (CA_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (passphrase != NULL, FALSE);

  ca_ledger_lock_mutex (self);

  /* Appending the passphrase and upgrade events needs the passphrase in place. */
  ca_ledger_lock (self);
  self->passphrase = g_strdup (passphrase);

  if (!ca_ledger_read_meta (self, "passphrase_verifier", &verifier, &local_error))
    ok = FALSE;
  else if (verifier == NULL)
    ok = ensure_writable (self, &local_error) && set_passphrase (self, passphrase, &local_error);
  else
    ok = ca_verifier_check (verifier, passphrase, self->audit_key, &legacy, &local_error) &&
         (!legacy || (ensure_writable (self, &local_error) && ca_audit_upgrade (self, passphrase, &local_error)));

  if (!ok)
    ca_ledger_lock (self);

  ca_ledger_unlock_mutex (self);

  if (!ok)
    g_propagate_error (error, g_steal_pointer (&local_error));

  return ok;
}

gboolean
ca_ledger_is_unlocked (CaLedger *self)
{
  g_return_val_if_fail (CA_IS_LEDGER (self), FALSE);

  return self->passphrase != NULL;
}

/* Forgets the passphrase and every decrypted key. */
void
ca_ledger_lock (CaLedger *self)
{
  g_return_if_fail (CA_IS_LEDGER (self));

  ca_ledger_lock_mutex (self);
  g_clear_pointer (&self->passphrase, ca_secret_free);
  OPENSSL_cleanse (self->audit_key, sizeof self->audit_key);
  if (self->keys != NULL)
    g_hash_table_remove_all (self->keys);
  ca_ledger_unlock_mutex (self);
}

EVP_PKEY *
ca_ledger_get_key (CaLedger    *self,
                   gint64       authority_id,
                   const char  *encrypted_pem,
                   GError     **error)
{
  EVP_PKEY *key;

  if (self->passphrase == NULL)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_LOCKED,
                   "The CA keys are locked. Give the workspace passphrase to use them."
                   CA_ERROR_CLI_HINT "give it with --pass.");
      return NULL;
    }

  key = g_hash_table_lookup (self->keys, &authority_id);
  if (key != NULL)
    return key;

  key = ca_key_decrypt_pem (encrypted_pem, self->passphrase, error);
  if (key == NULL)
    return NULL;

  g_hash_table_insert (self->keys, g_memdup2 (&authority_id, sizeof authority_id), key);

  return key;
}

guint64
ca_ledger_statement_count (CaLedger *self)
{
  guint64 count;

  g_return_val_if_fail (CA_IS_LEDGER (self), 0);

  ca_ledger_lock_mutex (self);
  count = ca_db_statement_count (self->db);
  ca_ledger_unlock_mutex (self);

  return count;
}

/**
 * ca_ledger_backup:
 *
 * Copies the live ledger to @destination page by page with SQLite's online
 * backup, so other processes may keep writing meanwhile.
 */
gboolean
ca_ledger_backup (CaLedger    *self,
                  const char  *destination,
                  GError     **error)
{
  g_autofree char *message = NULL;
  CaDbStatus rc;
  int fd;

  g_return_val_if_fail (CA_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (destination != NULL, FALSE);

  if (self->on_server)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                   "The ledger %s lives on a PostgreSQL server; back it up with the server's own "
                   "tools (pg_dump), not into a file.", self->path);
      return FALSE;
    }

  /* Created here, exclusively and without following a symlink, so that a link
   * planted at the destination never redirects the copy of the keys elsewhere. */
  fd = open (destination, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      if (saved == EEXIST || saved == ELOOP)
        g_set_error (error, CA_ERROR, CA_ERROR_EXISTS,
                     "%s already exists%s. Choose a new file name for the backup.", destination,
                     g_file_test (destination, G_FILE_TEST_IS_SYMLINK) ? " as a symbolic link" : "");
      else
        g_set_error (error, CA_ERROR, CA_ERROR_DATABASE, "The backup file %s cannot be created: %s.",
                     destination, g_strerror (saved));
      return FALSE;
    }
  close (fd);

  ca_ledger_lock_mutex (self);
  rc = ca_db_sqlite_backup (self->db, destination, &message);
  ca_ledger_unlock_mutex (self);

  if (rc != CA_DB_OK)
    {
      if (rc == CA_DB_CANT_OPEN)
        g_set_error (error, CA_ERROR, CA_ERROR_DATABASE, "The backup file %s cannot be created: %s.",
                     destination, message);
      else
        g_set_error (error, CA_ERROR, CA_ERROR_DATABASE, "Backing up the ledger to %s failed: %s.",
                     destination, message);
      g_unlink (destination);
      return FALSE;
    }

  return TRUE;
}
