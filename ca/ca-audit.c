/* ca-audit.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-audit"

#include "config.h"

#include <openssl/crypto.h>
#include <string.h>

#include "ca-private.h"

#define GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"

static char *
link_hash (gint64      id,
           gint64      at,
           const char *actor,
           const char *action,
           const char *imei,
           const char *details,
           const char *prev_hash)
{
  g_autofree char *text = g_strdup_printf ("v1\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT "\n%s\n%s\n%s\n%s\n%s",
                                           id, at, actor, action, imei != NULL ? imei : "",
                                           details, prev_hash);

  return ca_sha256_hex (text, strlen (text));
}

/* The head is "<id>:<hash>" in meta; it moves with every append. */
static gboolean
read_head (CaLedger  *self,
           gint64    *out_id,
           char     **out_hash,
           GError   **error)
{
  g_autoptr(CaStmt) stmt = ca_ledger_prepare (self, "SELECT value FROM meta WHERE key = 'audit_head'", error);
  const char *value;
  const char *colon;
  int rc;

  if (stmt == NULL)
    return FALSE;

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      *out_id = 0;
      *out_hash = g_strdup (GENESIS_HASH);
      return TRUE;
    }
  if (rc != SQLITE_ROW)
    return ca_ledger_set_db_error (self, rc, error);

  value = (const char *) sqlite3_column_text (stmt, 0);
  colon = value != NULL ? strchr (value, ':') : NULL;
  if (colon == NULL)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN,
                   "The audit log's head record is damaged. Run `tagsmith audit verify` and "
                   "restore the ledger from a backup.");
      return FALSE;
    }
  *out_id = g_ascii_strtoll (value, NULL, 10);
  *out_hash = g_strdup (colon + 1);

  return TRUE;
}

/* Appends an event; the caller holds an open write transaction, so the event
 * commits or rolls back with the change it describes. */
gboolean
ca_audit_append (CaLedger    *self,
                 const char  *action,
                 const char  *imei,
                 const char  *details,
                 GError     **error)
{
  g_autofree char *prev_hash = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *actor = ca_actor ();
  g_autofree char *head = NULL;
  g_autoptr(CaStmt) insert = NULL;
  g_autoptr(CaStmt) update = NULL;
  gint64 prev_id = 0;
  gint64 id;
  gint64 at = ca_now ();

  g_assert (!sqlite3_get_autocommit (self->db));

  if (!read_head (self, &prev_id, &prev_hash, error))
    return FALSE;

  id = prev_id + 1;
  hash = link_hash (id, at, actor, action, imei, details, prev_hash);

  insert = ca_ledger_prepare (self,
                              "INSERT INTO audit_log (id, at, actor, action, imei, details, prev_hash, hash) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (insert == NULL)
    return FALSE;
  sqlite3_bind_int64 (insert, 1, id);
  sqlite3_bind_int64 (insert, 2, at);
  sqlite3_bind_text (insert, 3, actor, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 4, action, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 5, imei, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 6, details, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 7, prev_hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 8, hash, -1, SQLITE_STATIC);
  if (!ca_ledger_step_done (self, insert, error))
    return FALSE;

  head = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", id, hash);
  update = ca_ledger_prepare (self, "INSERT OR REPLACE INTO meta (key, value) VALUES ('audit_head', ?)", error);
  if (update == NULL)
    return FALSE;
  sqlite3_bind_text (update, 1, head, -1, SQLITE_STATIC);

  return ca_ledger_step_done (self, update, error);
}

gpointer
ca_audit_event_from_row (CaStmt *stmt)
{
  CaAuditEvent *event = g_new0 (CaAuditEvent, 1);

  event->id = sqlite3_column_int64 (stmt, 0);
  event->at = sqlite3_column_int64 (stmt, 1);
  event->actor = ca_column_dup (stmt, 2);
  event->action = ca_column_dup (stmt, 3);
  event->imei = ca_column_dup (stmt, 4);
  event->details = ca_column_dup (stmt, 5);
  event->hash = ca_column_dup (stmt, 7);

  return event;
}

/* Checks one row against its own hash and against the row before it. */
static gboolean
check_link (CaStmt      *stmt,
            gint64       expected_id,
            const char  *expected_prev)
{
  g_autofree char *hash = NULL;
  const char *stored_prev = (const char *) sqlite3_column_text (stmt, 6);
  const char *stored_hash = (const char *) sqlite3_column_text (stmt, 7);

  if (sqlite3_column_int64 (stmt, 0) != expected_id || stored_prev == NULL || stored_hash == NULL ||
      g_strcmp0 (stored_prev, expected_prev) != 0)
    return FALSE;

  hash = link_hash (sqlite3_column_int64 (stmt, 0), sqlite3_column_int64 (stmt, 1),
                    (const char *) sqlite3_column_text (stmt, 2),
                    (const char *) sqlite3_column_text (stmt, 3),
                    (const char *) sqlite3_column_text (stmt, 4),
                    (const char *) sqlite3_column_text (stmt, 5),
                    stored_prev);

  return g_str_equal (hash, stored_hash);
}


/* Each listed event is marked verified when its own link holds; a full check
 * of the chain (ordering, deletions, the head) is ca_ledger_verify_audit(). */
GPtrArray *
ca_ledger_list_audit (CaLedger  *self,
                      gint64     after_id,
                      guint      limit,
                      GError   **error)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) ca_audit_event_free);
  g_autoptr(CaStmt) stmt = NULL;
  g_autofree char *prev = NULL;
  gint64 expected = after_id + 1;
  int rc;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);

  ca_ledger_lock_mutex (self);
  stmt = ca_ledger_prepare (self,
                            "SELECT " CA_AUDIT_EVENT_COLUMNS ", (SELECT hash FROM audit_log p WHERE p.id = ?1) "
                            "FROM audit_log WHERE id > ?1 ORDER BY id LIMIT ?2", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_int64 (stmt, 1, after_id);
  sqlite3_bind_int64 (stmt, 2, limit == 0 ? -1 : (gint64) limit);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CaAuditEvent *event = ca_audit_event_from_row (stmt);

      if (prev == NULL)
        prev = after_id == 0 ? g_strdup (GENESIS_HASH) : ca_column_dup (stmt, 8);
      event->verified = prev != NULL && check_link (stmt, expected, prev);
      g_free (prev);
      prev = g_strdup (event->hash);
      expected = event->id + 1;
      g_ptr_array_add (events, event);
    }
  if (rc != SQLITE_DONE)
    {
      ca_ledger_set_db_error (self, rc, error);
      g_clear_pointer (&events, g_ptr_array_unref);
    }

out:
  ca_ledger_unlock_mutex (self);

  return stmt != NULL ? g_steal_pointer (&events) : NULL;
}

gboolean
ca_ledger_verify_audit (CaLedger  *self,
                        gint64    *out_checked,
                        gint64    *out_first_broken,
                        GError   **error)
{
  g_autoptr(CaStmt) stmt = NULL;
  g_autofree char *prev = g_strdup (GENESIS_HASH);
  g_autofree char *head_hash = NULL;
  gint64 head_id = 0;
  gint64 checked = 0;
  gint64 broken = 0;
  gboolean ok = FALSE;
  int rc;

  g_return_val_if_fail (CA_IS_LEDGER (self), FALSE);

  ca_ledger_lock_mutex (self);

  /* One read transaction, so a concurrent append cannot look like a break. */
  if (!ca_ledger_check_integrity (self, error) || !ca_ledger_exec (self, "BEGIN", error))
    goto out;
  if (!read_head (self, &head_id, &head_hash, error) ||
      (stmt = ca_ledger_prepare (self, "SELECT " CA_AUDIT_EVENT_COLUMNS " FROM audit_log ORDER BY id", error)) == NULL)
    goto done;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (!check_link (stmt, checked + 1, prev))
        {
          broken = checked + 1;
          break;
        }
      g_free (prev);
      prev = ca_column_dup (stmt, 7);
      checked++;
    }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      ca_ledger_set_db_error (self, rc, error);
      goto done;
    }

  if (broken != 0)
    g_set_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN,
                 "The audit log is broken at event %" G_GINT64_FORMAT ": that row was edited, "
                 "reordered or a row before it was deleted. %" G_GINT64_FORMAT " earlier events "
                 "verify. Restore the ledger from a backup and find out who changed it.",
                 broken, checked);
  else if (checked != head_id || (checked > 0 && g_strcmp0 (prev, head_hash) != 0))
    {
      broken = checked + 1;
      g_set_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN,
                   "The audit log ends at event %" G_GINT64_FORMAT " but should end at event %"
                   G_GINT64_FORMAT ": its newest events were deleted or altered. Restore the ledger "
                   "from a backup.", checked, head_id);
    }
  else
    ok = TRUE;

done:
  g_clear_pointer (&stmt, ca_stmt_release);
  ca_ledger_exec (self, "COMMIT", NULL);
out:
  ca_ledger_unlock_mutex (self);

  if (out_checked != NULL)
    *out_checked = checked;
  if (out_first_broken != NULL)
    *out_first_broken = broken;

  return ok;
}

typedef struct
{
  gint64 checked;
  gint64 broken;
} VerifyResult;

static gpointer
verify_thread (CaLedger  *self,
               gpointer   data,
               GError   **error)
{
  VerifyResult *result = g_new0 (VerifyResult, 1);
  g_autoptr(GError) local_error = NULL;

  /* The counts matter even when the chain is broken, so the error rides along. */
  if (!ca_ledger_verify_audit (self, &result->checked, &result->broken, &local_error) &&
      local_error->code != CA_ERROR_AUDIT_BROKEN)
    {
      g_free (result);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  return result;
}

void
ca_ledger_verify_audit_async (CaLedger            *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (CA_IS_LEDGER (self));

  ca_task_run (self, ca_ledger_verify_audit_async, verify_thread, NULL, NULL, g_free,
               cancellable, callback, user_data);
}

gboolean
ca_ledger_verify_audit_finish (CaLedger      *self,
                               GAsyncResult  *result,
                               gint64        *out_checked,
                               gint64        *out_first_broken,
                               GError       **error)
{
  g_autofree VerifyResult *verify = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  verify = g_task_propagate_pointer (G_TASK (result), error);
  if (verify == NULL)
    return FALSE;

  if (out_checked != NULL)
    *out_checked = verify->checked;
  if (out_first_broken != NULL)
    *out_first_broken = verify->broken;

  if (verify->broken != 0)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN,
                   "The audit log is broken at event %" G_GINT64_FORMAT ". Run `tagsmith audit "
                   "verify` for details and restore the ledger from a backup.", verify->broken);
      return FALSE;
    }

  return TRUE;
}

gboolean
ca_ledger_audit_head (CaLedger  *ledger,
                      gint64    *seq,
                      char     **hash,
                      GError   **error)
{
  gboolean ok;

  g_return_val_if_fail (CA_IS_LEDGER (ledger), FALSE);
  g_return_val_if_fail (seq != NULL && hash != NULL, FALSE);

  ca_ledger_lock_mutex (ledger);
  ok = read_head (ledger, seq, hash, error);
  ca_ledger_unlock_mutex (ledger);

  return ok;
}

gboolean
ca_ledger_record_key_evidence (CaLedger    *self,
                               gint64       certificate_id,
                               const char  *evidence_json,
                               GError     **error)
{
  g_autoptr(CaCertificate) certificate = NULL;
  g_autofree char *details = NULL;
  GString *builder;
  gsize length;
  gboolean ok = FALSE;

  g_return_val_if_fail (CA_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (evidence_json != NULL, FALSE);

  /* Stored verbatim inside the details object, so it must be one object. */
  length = strlen (evidence_json);
  g_return_val_if_fail (length >= 2 && evidence_json[0] == '{' && evidence_json[length - 1] == '}', FALSE);

  certificate = ca_ledger_get_certificate (self, certificate_id, error);
  if (certificate == NULL)
    return FALSE;

  builder = ca_details_new ();
  ca_details_add (builder, "ca", certificate->authority_name);
  ca_details_add (builder, "serial", certificate->serial);
  g_string_append_printf (builder, ",\"evidence\":%s", evidence_json);
  details = ca_details_free (builder);

  ca_ledger_lock_mutex (self);
  if (!ca_ledger_begin (self, error))
    goto out;
  if (!ca_audit_append (self, "key.evidence", certificate->imei, details, error) ||
      !ca_ledger_commit (self, error))
    {
      ca_ledger_rollback (self);
      goto out;
    }
  ok = TRUE;
out:
  ca_ledger_unlock_mutex (self);

  return ok;
}
