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

/* One link: v1 (ledgers before the audit key) hashed it with SHA-256, which
 * anyone could recompute after editing a row; v2 is an HMAC under the key
 * derived from the workspace passphrase. */
static char *
link_hash (const guint8 *key,
           gint64        id,
           gint64        at,
           const char   *actor,
           const char   *action,
           const char   *imei,
           const char   *details,
           const char   *prev_hash)
{
  g_autofree char *text = g_strdup_printf ("%s\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT "\n%s\n%s\n%s\n%s\n%s",
                                           key != NULL ? "v2" : "v1", id, at, actor, action,
                                           imei != NULL ? imei : "", details, prev_hash);

  if (key == NULL)
    return ca_sha256_hex (text, strlen (text));

  return ca_hmac_sha256_hex (key, text, strlen (text));
}

static gboolean
check_unlocked (CaLedger  *self,
                GError   **error)
{
  if (self->passphrase != NULL)
    return TRUE;

  g_set_error (error, CA_ERROR, CA_ERROR_LOCKED,
               "The ledger is locked. Its audit log is keyed with the workspace passphrase: give it "
               "to change or verify the ledger." CA_ERROR_CLI_HINT "give it with --pass.");

  return FALSE;
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
  CaDbStatus rc;

  if (stmt == NULL)
    return FALSE;

  rc = ca_stmt_step (stmt);
  if (rc == CA_DB_DONE)
    {
      *out_id = 0;
      *out_hash = g_strdup (GENESIS_HASH);
      return TRUE;
    }
  if (rc != CA_DB_ROW)
    return ca_ledger_set_db_error (self, rc, error);

  value = ca_stmt_column_text (stmt, 0);
  colon = value != NULL ? strchr (value, ':') : NULL;
  if (colon == NULL)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN,
                   "The audit log's head record is damaged. Verify the audit log to see what "
                   "else was changed, and restore the ledger from a backup.");
      return FALSE;
    }
  *out_id = g_ascii_strtoll (value, NULL, 10);
  *out_hash = g_strdup (colon + 1);

  return TRUE;
}

void
ca_audit_forget_head (CaLedger *self)
{
  g_clear_pointer (&self->audit_head_hash, g_free);
  self->audit_head_id = 0;
}

/* Rows of audit_log one INSERT writes at most, well within either engine's
 * limit on parameters. */
#define AUDIT_ROWS_PER_INSERT 256

/* Appends @n events in their order; the caller holds an open write transaction,
 * so they commit or roll back with the change they describe. The links are
 * computed here, written a few hundred rows a statement, and the head once at
 * the end. The head written is kept for the next append in the same
 * transaction: the write lock keeps every other writer out until it ends, so a
 * batch reads the head once, not once a certificate. */
gboolean
ca_audit_append_many (CaLedger            *self,
                      const CaAuditEntry  *entries,
                      guint                n,
                      GError             **error)
{
  g_autofree char *prev_hash = NULL;
  g_autofree char *actor = ca_actor ();
  g_autofree char *head = NULL;
  g_autoptr(GPtrArray) hashes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CaStmt) update = NULL;
  gint64 prev_id = 0;
  gint64 at = ca_now ();

  g_assert (ca_db_in_transaction (self->db));

  if (!check_unlocked (self, error))
    return FALSE;
  if (n == 0)
    return TRUE;
  if (self->audit_head_hash != NULL)
    {
      prev_id = self->audit_head_id;
      prev_hash = g_strdup (self->audit_head_hash);
    }
  else if (!read_head (self, &prev_id, &prev_hash, error))
    return FALSE;
  /* Until this append is complete the head is unsure. */
  ca_audit_forget_head (self);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (hashes, link_hash (self->audit_key, prev_id + 1 + i, at, actor, entries[i].action,
                                        entries[i].imei, entries[i].details,
                                        i > 0 ? g_ptr_array_index (hashes, i - 1) : prev_hash));

  for (guint done = 0; done < n; done += AUDIT_ROWS_PER_INSERT)
    {
      guint rows = MIN (n - done, AUDIT_ROWS_PER_INSERT);
      g_autoptr(CaStmt) insert = NULL;

      insert = ca_ledger_prepare_rows (self, "INSERT INTO audit_log (id, at, actor, action, imei, details, "
                                       "prev_hash, hash) VALUES ", "(?, ?, ?, ?, ?, ?, ?, ?)", rows, "", error);
      if (insert == NULL)
        return FALSE;
      for (guint r = 0; r < rows; r++)
        {
          guint i = done + r;
          int p = (int) r * 8;

          ca_stmt_bind_int64 (insert, p + 1, prev_id + 1 + i);
          ca_stmt_bind_int64 (insert, p + 2, at);
          ca_stmt_bind_text (insert, p + 3, actor);
          ca_stmt_bind_text (insert, p + 4, entries[i].action);
          ca_stmt_bind_text (insert, p + 5, entries[i].imei);
          ca_stmt_bind_text (insert, p + 6, entries[i].details);
          ca_stmt_bind_text (insert, p + 7, i > 0 ? g_ptr_array_index (hashes, i - 1) : prev_hash);
          ca_stmt_bind_text (insert, p + 8, g_ptr_array_index (hashes, i));
        }
      if (!ca_ledger_step_done (self, insert, error))
        return FALSE;
    }

  head = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", prev_id + n, (char *) g_ptr_array_index (hashes, n - 1));
  update = ca_ledger_prepare (self, "INSERT INTO meta (key, value) VALUES ('audit_head', ?) "
                                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", error);
  if (update == NULL)
    return FALSE;
  ca_stmt_bind_text (update, 1, head);
  if (!ca_ledger_step_done (self, update, error))
    return FALSE;
  self->audit_head_id = prev_id + n;
  self->audit_head_hash = g_strdup (g_ptr_array_index (hashes, n - 1));

  return TRUE;
}

/* Appends one event, as ca_audit_append_many() does. */
gboolean
ca_audit_append (CaLedger    *self,
                 const char  *action,
                 const char  *imei,
                 const char  *details,
                 GError     **error)
{
  CaAuditEntry entry = { action, imei, details };

  return ca_audit_append_many (self, &entry, 1, error);
}

gpointer
ca_audit_event_from_row (CaStmt *stmt)
{
  CaAuditEvent *event = g_new0 (CaAuditEvent, 1);

  event->id = ca_stmt_column_int64 (stmt, 0);
  event->at = ca_stmt_column_int64 (stmt, 1);
  event->actor = ca_column_dup (stmt, 2);
  event->action = ca_column_dup (stmt, 3);
  event->imei = ca_column_dup (stmt, 4);
  event->details = ca_column_dup (stmt, 5);
  event->hash = ca_column_dup (stmt, 7);

  return event;
}

/* Checks one row against its own hash and against the row before it. */
static gboolean
check_link (const guint8 *key,
            CaStmt       *stmt,
            gint64        expected_id,
            const char   *expected_prev)
{
  g_autofree char *hash = NULL;
  const char *stored_prev = ca_stmt_column_text (stmt, 6);
  const char *stored_hash = ca_stmt_column_text (stmt, 7);

  if (ca_stmt_column_int64 (stmt, 0) != expected_id || stored_prev == NULL || stored_hash == NULL ||
      g_strcmp0 (stored_prev, expected_prev) != 0)
    return FALSE;

  hash = link_hash (key, ca_stmt_column_int64 (stmt, 0), ca_stmt_column_int64 (stmt, 1),
                    ca_stmt_column_text (stmt, 2),
                    ca_stmt_column_text (stmt, 3),
                    ca_stmt_column_text (stmt, 4),
                    ca_stmt_column_text (stmt, 5),
                    stored_prev);

  return g_str_equal (hash, stored_hash);
}


/* Each listed event is marked verified when its own link holds (never while the
 * ledger is locked, since the key is needed); a full check
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
  CaDbStatus rc;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);

  ca_ledger_lock_mutex (self);
  stmt = ca_ledger_prepare (self,
                            "SELECT " CA_AUDIT_EVENT_COLUMNS ", (SELECT hash FROM audit_log p WHERE p.id = ?1) "
                            "FROM audit_log WHERE id > ?1 ORDER BY id LIMIT ?2", error);
  if (stmt == NULL)
    goto out;
  ca_stmt_bind_int64 (stmt, 1, after_id);
  ca_stmt_bind_int64 (stmt, 2, limit == 0 ? G_MAXINT64 : (gint64) limit);

  while ((rc = ca_stmt_step (stmt)) == CA_DB_ROW)
    {
      CaAuditEvent *event = ca_audit_event_from_row (stmt);

      if (prev == NULL)
        prev = after_id == 0 ? g_strdup (GENESIS_HASH) : ca_column_dup (stmt, 8);
      event->verified = prev != NULL && self->passphrase != NULL && check_link (self->audit_key, stmt, expected, prev);
      g_free (prev);
      prev = g_strdup (event->hash);
      expected = event->id + 1;
      g_ptr_array_add (events, event);
    }
  if (rc != CA_DB_DONE)
    {
      ca_ledger_set_db_error (self, rc, error);
      g_clear_pointer (&events, g_ptr_array_unref);
    }

out:
  ca_ledger_unlock_mutex (self);

  return stmt != NULL ? g_steal_pointer (&events) : NULL;
}

/* The state the events describe, rebuilt by replaying them in order. */
typedef struct
{
  GHashTable *certificates;  /* "CA\nSERIAL" → Recorded */
  GHashTable *by_serial;     /* SERIAL → Recorded (borrowed), NULL when two CAs used it */
  GHashTable *authorities;   /* name → Recorded */
  GHashTable *installs;      /* id as text → state */
  char       *verifier;      /* SHA-256 of the last verifier the log recorded */
  char       *problem;       /* the first event that makes no sense */
} Replay;

typedef struct
{
  char *sha256;
  char *key_sha256;
  char *reason;              /* (nullable) revoked for this reason */
} Recorded;

static void
recorded_free (Recorded *recorded)
{
  g_free (recorded->sha256);
  g_free (recorded->key_sha256);
  g_free (recorded->reason);
  g_free (recorded);
}

static void
replay_clear (Replay *replay)
{
  g_clear_pointer (&replay->by_serial, g_hash_table_unref);
  g_clear_pointer (&replay->certificates, g_hash_table_unref);
  g_clear_pointer (&replay->authorities, g_hash_table_unref);
  g_clear_pointer (&replay->installs, g_hash_table_unref);
  g_clear_pointer (&replay->verifier, g_free);
  g_clear_pointer (&replay->problem, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Replay, replay_clear)

/* Columns after CA_AUDIT_EVENT_COLUMNS: the details' fields replay reads. */
#define FIELD(name) "json_extract(CASE WHEN json_valid(details) THEN details ELSE '{}' END, '$." name "')"
enum { F_CA = 8, F_SERIAL, F_SHA256, F_REASON, F_AUTHORITY, F_INSTALL, F_NAME, F_KEY_SHA256, F_VERIFIER };
#define REPLAY_COLUMNS FIELD ("ca") ", " FIELD ("serial") ", " FIELD ("sha256") ", " FIELD ("reason") ", " \
  FIELD ("authority") ", " FIELD ("install") ", " FIELD ("name") ", " FIELD ("key_sha256") ", " FIELD ("verifier")

static const char *
field (CaStmt *stmt,
       int     column)
{
  return ca_stmt_column_text (stmt, column);
}

static Recorded *
lookup_certificate (Replay     *replay,
                    const char *ca,
                    const char *serial)
{
  g_autofree char *key = g_strdup_printf ("%s\n%s", ca, serial);

  return g_hash_table_lookup (replay->certificates, key);
}

/* A superseded certificate's revocation names the CA of its successor, which
 * may not be its own: then the serial alone finds it, when only one CA used it. */
static Recorded *
lookup_revoked (Replay     *replay,
                const char *ca,
                const char *serial)
{
  Recorded *recorded = lookup_certificate (replay, ca, serial);

  if (recorded == NULL && serial != NULL)
    recorded = g_hash_table_lookup (replay->by_serial, serial);

  return recorded;
}

static void
replay_problem (Replay *replay,
                gint64  id,
                const char *what)
{
  if (replay->problem == NULL)
    replay->problem = g_strdup_printf ("event %" G_GINT64_FORMAT " %s", id, what);
}

static void
replay_event (Replay *replay,
              CaStmt *stmt)
{
  gint64 id = ca_stmt_column_int64 (stmt, 0);
  const char *action = field (stmt, 3);
  Recorded *recorded;

  if (g_str_equal (action, "ca.root") || g_str_equal (action, "ca.intermediate") || g_str_equal (action, "ca.import"))
    {
      if (field (stmt, F_NAME) == NULL)
        return replay_problem (replay, id, "creates a CA without a name");
      recorded = g_new0 (Recorded, 1);
      recorded->sha256 = g_strdup (field (stmt, F_SHA256));
      recorded->key_sha256 = g_strdup (field (stmt, F_KEY_SHA256));
      g_hash_table_replace (replay->authorities, g_strdup (field (stmt, F_NAME)), recorded);
    }
  else if (g_str_equal (action, "ca.rewrap"))
    {
      recorded = g_hash_table_lookup (replay->authorities, field (stmt, F_CA) ? field (stmt, F_CA) : "");
      if (recorded == NULL)
        return replay_problem (replay, id, "rewraps the key of a CA the log never created");
      g_free (recorded->key_sha256);
      recorded->key_sha256 = g_strdup (field (stmt, F_KEY_SHA256));
    }
  else if (g_str_equal (action, "issue") || g_str_equal (action, "import.certificate") ||
           g_str_equal (action, "ca.proof") || g_str_equal (action, "ca.sign"))
    {
      recorded = g_new0 (Recorded, 1);
      recorded->sha256 = g_strdup (field (stmt, F_SHA256));
      recorded->reason = g_strdup (field (stmt, F_REASON));
      g_hash_table_replace (replay->certificates,
                            g_strdup_printf ("%s\n%s", field (stmt, F_CA), field (stmt, F_SERIAL)), recorded);
      if (field (stmt, F_SERIAL) != NULL)
        g_hash_table_replace (replay->by_serial, g_strdup (field (stmt, F_SERIAL)),
                              g_hash_table_contains (replay->by_serial, field (stmt, F_SERIAL)) ? NULL : recorded);
    }
  else if (g_str_equal (action, "revoke") || g_str_equal (action, "ca.revoke"))
    {
      recorded = g_str_equal (action, "revoke")
        ? lookup_revoked (replay, field (stmt, F_CA), field (stmt, F_SERIAL))
        : g_hash_table_lookup (replay->authorities, field (stmt, F_AUTHORITY) ? field (stmt, F_AUTHORITY) : "");
      if (recorded == NULL)
        return replay_problem (replay, id, "revokes something the log never issued");
      g_free (recorded->reason);
      recorded->reason = g_strdup (field (stmt, F_REASON));
    }
  else if (g_str_has_prefix (action, "install.") && field (stmt, F_INSTALL) != NULL)
    g_hash_table_replace (replay->installs, g_strdup (field (stmt, F_INSTALL)),
                          g_strdup (action + strlen ("install.")));
  else if (field (stmt, F_VERIFIER) != NULL && (g_str_equal (action, "passphrase.set") ||
                                               g_str_equal (action, "ledger.rekey")))
    {
      g_free (replay->verifier);
      replay->verifier = g_strdup (field (stmt, F_VERIFIER));
    }
}

static char *
reason_of (CaStmt *stmt,
           int     status_column)
{
  if (g_strcmp0 (field (stmt, status_column), "revoked") != 0)
    return NULL;

  return g_strdup (ca_revoke_reason_to_string (ca_stmt_column_int (stmt, status_column + 1)));
}

/* Compares the tables with the replayed events; FALSE with @out_problem set
 * (or @error for a database failure). */
static gboolean
compare_state (CaLedger  *self,
               Replay    *replay,
               char     **out_problem,
               GError   **error)
{
  g_autoptr(CaStmt) certs = NULL;
  g_autoptr(CaStmt) authorities = NULL;
  g_autoptr(CaStmt) installs = NULL;
  g_autofree char *verifier = NULL;
  g_autofree char *verifier_sha = NULL;
  guint seen = 0;
  CaDbStatus rc;

  certs = ca_ledger_prepare (self,
                             "SELECT a.name, c.serial, c.pem, c.sha256_lf, c.status, c.revoke_reason "
                             "FROM certificates c JOIN authorities a ON a.id = c.authority_id", error);
  if (certs == NULL)
    return FALSE;
  while ((rc = ca_stmt_step (certs)) == CA_DB_ROW)
    {
      Recorded *recorded = lookup_certificate (replay, field (certs, 0), field (certs, 1));
      g_autofree char *sha = ca_sha256_hex (field (certs, 2), ca_stmt_column_bytes (certs, 2));
      g_autofree char *reason = reason_of (certs, 4);

      if (recorded == NULL)
        *out_problem = g_strdup_printf ("the certificate with serial %s of the CA %s was never issued "
                                        "according to the log", field (certs, 1), field (certs, 0));
      else if (g_strcmp0 (recorded->sha256, sha) != 0 || g_strcmp0 (field (certs, 3), sha) != 0)
        *out_problem = g_strdup_printf ("the certificate with serial %s of the CA %s is not the one that "
                                        "was issued", field (certs, 1), field (certs, 0));
      else if (g_strcmp0 (recorded->reason, reason) != 0)
        *out_problem = g_strdup_printf ("the certificate with serial %s of the CA %s is %s%s, but the log "
                                        "says %s%s", field (certs, 1), field (certs, 0),
                                        reason != NULL ? "revoked as " : "valid", reason != NULL ? reason : "",
                                        recorded->reason != NULL ? "revoked as " : "valid",
                                        recorded->reason != NULL ? recorded->reason : "");
      if (*out_problem != NULL)
        return FALSE;
      seen++;
    }
  if (rc != CA_DB_DONE)
    return ca_ledger_set_db_error (self, rc, error);
  if (seen != g_hash_table_size (replay->certificates))
    {
      *out_problem = g_strdup_printf ("the log issued %u certificates but the ledger holds %u",
                                      g_hash_table_size (replay->certificates), seen);
      return FALSE;
    }

  seen = 0;
  authorities = ca_ledger_prepare (self,
                                   "SELECT a.name, a.cert_pem, a.sha256_lf, a.key_pkcs8, a.status, a.revoke_reason, "
                                   "p.name, a.serial FROM " CA_AUTHORITY_FROM, error);
  if (authorities == NULL)
    return FALSE;
  while ((rc = ca_stmt_step (authorities)) == CA_DB_ROW)
    {
      Recorded *recorded = g_hash_table_lookup (replay->authorities, field (authorities, 0));
      g_autofree char *sha = ca_sha256_hex (field (authorities, 1), ca_stmt_column_bytes (authorities, 1));
      g_autofree char *key_sha = ca_sha256_hex (field (authorities, 3), ca_stmt_column_bytes (authorities, 3));
      g_autofree char *reason = reason_of (authorities, 4);
      const char *recorded_reason = recorded != NULL ? recorded->reason : NULL;

      /* An imported intermediate arrives revoked when its parent's index lists it so. */
      if (recorded_reason == NULL && field (authorities, 6) != NULL)
        {
          Recorded *as_issued = lookup_certificate (replay, field (authorities, 6), field (authorities, 7));

          recorded_reason = as_issued != NULL ? as_issued->reason : NULL;
        }

      if (recorded == NULL)
        *out_problem = g_strdup_printf ("the CA %s was never created according to the log", field (authorities, 0));
      else if (g_strcmp0 (recorded->sha256, sha) != 0 || g_strcmp0 (field (authorities, 2), sha) != 0)
        *out_problem = g_strdup_printf ("the certificate of the CA %s is not the one it was created with",
                                        field (authorities, 0));
      else if (g_strcmp0 (recorded->key_sha256, key_sha) != 0)
        *out_problem = g_strdup_printf ("the key of the CA %s is not the one the log recorded", field (authorities, 0));
      else if (g_strcmp0 (recorded_reason, reason) != 0)
        *out_problem = g_strdup_printf ("the CA %s is %s, but the log says %s", field (authorities, 0),
                                        reason != NULL ? "revoked" : "valid", recorded_reason != NULL ? "revoked" : "valid");
      if (*out_problem != NULL)
        return FALSE;
      seen++;
    }
  if (rc != CA_DB_DONE)
    return ca_ledger_set_db_error (self, rc, error);
  if (seen != g_hash_table_size (replay->authorities))
    {
      *out_problem = g_strdup_printf ("the log created %u CAs but the ledger holds %u",
                                      g_hash_table_size (replay->authorities), seen);
      return FALSE;
    }

  seen = 0;
  installs = ca_ledger_prepare (self, "SELECT id, state FROM installs", error);
  if (installs == NULL)
    return FALSE;
  while ((rc = ca_stmt_step (installs)) == CA_DB_ROW)
    {
      const char *state = g_hash_table_lookup (replay->installs, field (installs, 0));

      if (g_strcmp0 (state, field (installs, 1)) != 0)
        {
          *out_problem = g_strdup_printf ("install %s is %s, but the log says %s", field (installs, 0),
                                          field (installs, 1), state != NULL ? state : "it never began");
          return FALSE;
        }
      seen++;
    }
  if (rc != CA_DB_DONE)
    return ca_ledger_set_db_error (self, rc, error);
  if (seen != g_hash_table_size (replay->installs))
    {
      *out_problem = g_strdup_printf ("the log began %u installs but the ledger holds %u",
                                      g_hash_table_size (replay->installs), seen);
      return FALSE;
    }

  if (!ca_ledger_read_meta (self, "passphrase_verifier", &verifier, error))
    return FALSE;
  if (verifier == NULL)
    {
      *out_problem = g_strdup ("the passphrase verifier is missing");
      return FALSE;
    }
  verifier_sha = ca_sha256_hex (verifier, strlen (verifier));
  if (g_strcmp0 (verifier_sha, replay->verifier) != 0)
    {
      *out_problem = g_strdup ("the passphrase verifier is not the one the log recorded");
      return FALSE;
    }

  return TRUE;
}

/* Walks the chain, replaying each event, then compares what the events say
 * with the tables; the caller holds a read transaction. */
static gboolean
verify_locked (CaLedger  *self,
               gint64    *out_checked,
               gint64    *out_broken,
               GError   **error)
{
  g_autoptr(CaStmt) stmt = NULL;
  g_autofree char *prev = g_strdup (GENESIS_HASH);
  g_autofree char *head_hash = NULL;
  g_autofree char *problem = NULL;
  g_auto(Replay) replay = {
    .certificates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) recorded_free),
    .by_serial = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
    .authorities = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) recorded_free),
    .installs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
  };
  gint64 head_id = 0;
  CaDbStatus rc;

  if (!read_head (self, &head_id, &head_hash, error) ||
      (stmt = ca_ledger_prepare (self, "SELECT " CA_AUDIT_EVENT_COLUMNS ", " REPLAY_COLUMNS
                                       " FROM audit_log ORDER BY id", error)) == NULL)
    return FALSE;

  while ((rc = ca_stmt_step (stmt)) == CA_DB_ROW)
    {
      if (!check_link (self->audit_key, stmt, *out_checked + 1, prev))
        {
          *out_broken = *out_checked + 1;
          g_set_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN,
                       "The audit log is broken at event %" G_GINT64_FORMAT ": that row was edited, "
                       "reordered or a row before it was deleted. %" G_GINT64_FORMAT " earlier events "
                       "verify. Restore the ledger from a backup and find out who changed it.",
                       *out_broken, *out_checked);
          return FALSE;
        }
      replay_event (&replay, stmt);
      g_free (prev);
      prev = ca_column_dup (stmt, 7);
      (*out_checked)++;
    }
  if (rc != CA_DB_DONE)
    return ca_ledger_set_db_error (self, rc, error);

  if (*out_checked != head_id || (*out_checked > 0 && g_strcmp0 (prev, head_hash) != 0))
    {
      *out_broken = *out_checked + 1;
      g_set_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN,
                   "The audit log ends at event %" G_GINT64_FORMAT " but should end at event %"
                   G_GINT64_FORMAT ": its newest events were deleted or altered. Restore the ledger "
                   "from a backup.", *out_checked, head_id);
      return FALSE;
    }

  if (replay.problem != NULL || !compare_state (self, &replay, &problem, error))
    {
      if (problem == NULL && replay.problem == NULL)
        return FALSE;
      *out_broken = *out_checked + 1;
      g_set_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN,
                   "The ledger does not match its audit log: %s. Someone changed the ledger outside "
                   "Tagsmith; restore it from a backup and find out who.",
                   replay.problem != NULL ? replay.problem : problem);
      return FALSE;
    }

  return TRUE;
}

gboolean
ca_ledger_verify_audit (CaLedger  *self,
                        gint64    *out_checked,
                        gint64    *out_first_broken,
                        GError   **error)
{
  gint64 checked = 0;
  gint64 broken = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (CA_IS_LEDGER (self), FALSE);

  ca_ledger_lock_mutex (self);

  /* One read transaction, so a concurrent append cannot look like a break. */
  if (check_unlocked (self, error) && ca_ledger_check_integrity (self, error) &&
      ca_ledger_exec (self, "BEGIN", error))
    {
      ok = verify_locked (self, &checked, &broken, error);
      ca_ledger_exec (self, "COMMIT", NULL);
    }

  ca_ledger_unlock_mutex (self);

  if (out_checked != NULL)
    *out_checked = checked;
  if (out_first_broken != NULL)
    *out_first_broken = broken;

  return ok;
}

/**
 * ca_ledger_audit_head:
 *
 * The newest audit event's sequence number and hash (0 and 64 zeros for an
 * empty log). Written into lot reports and backups, the pair later tells
 * whether a ledger was rolled back: see ca_ledger_audit_contains().
 */
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

char *
ca_audit_head_to_string (gint64      seq,
                         const char *hash)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT ":%s", seq, hash);
}

gboolean
ca_audit_head_parse (const char  *text,
                     gint64      *out_seq,
                     char       **out_hash,
                     GError     **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text));
  char *colon = strchr (trimmed, ':');
  guint64 seq = 0;

  if (colon != NULL)
    *colon++ = '\0';
  if (colon == NULL || strlen (colon) != 64 || strspn (colon, "0123456789ABCDEFabcdef") != 64 ||
      !g_ascii_string_to_unsigned (trimmed, 10, 0, G_MAXINT64, &seq, NULL))
    {
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an audit head. Give it as SEQ:HASH, as lot reports and backups print it.",
                   text);
      return FALSE;
    }

  *out_seq = (gint64) seq;
  *out_hash = g_ascii_strup (colon, -1);

  return TRUE;
}

/**
 * ca_ledger_audit_contains:
 *
 * Whether the audit log still holds event @seq with @hash: FALSE (with
 * CA_ERROR_AUDIT_BROKEN) when the ledger was rolled back before it or the
 * event was replaced. Verify the whole chain first for this to mean anything.
 */
gboolean
ca_ledger_audit_contains (CaLedger    *self,
                          gint64       seq,
                          const char  *hash,
                          GError     **error)
{
  g_autoptr(CaStmt) stmt = NULL;
  gboolean found = FALSE;
  CaDbStatus rc;

  g_return_val_if_fail (CA_IS_LEDGER (self), FALSE);

  ca_ledger_lock_mutex (self);
  stmt = ca_ledger_prepare (self, "SELECT hash FROM audit_log WHERE id = ?", error);
  if (stmt == NULL)
    goto out;
  ca_stmt_bind_int64 (stmt, 1, seq);
  rc = ca_stmt_step (stmt);
  if (rc != CA_DB_ROW && rc != CA_DB_DONE)
    {
      ca_ledger_set_db_error (self, rc, error);
      goto out;
    }
  found = seq == 0 || (rc == CA_DB_ROW && g_ascii_strcasecmp (field (stmt, 0), hash) == 0);
  if (!found)
    g_set_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN,
                 "The ledger does not contain the audit head %" G_GINT64_FORMAT ":%s: %s. It was rolled "
                 "back to an older copy or replaced; restore the newest backup.", seq, hash,
                 rc == CA_DB_ROW ? "that event has another hash" : "its log ends before that event");

out:
  ca_ledger_unlock_mutex (self);

  return found;
}

/* Walks a chain of ledgers before the audit key (SHA-256 links). */
static gboolean
check_legacy_chain (CaLedger  *self,
                    GError   **error)
{
  g_autoptr(CaStmt) stmt = NULL;
  g_autofree char *prev = g_strdup (GENESIS_HASH);
  g_autofree char *head_hash = NULL;
  gint64 head_id = 0;
  gint64 checked = 0;
  CaDbStatus rc;

  if (!read_head (self, &head_id, &head_hash, error) ||
      (stmt = ca_ledger_prepare (self, "SELECT " CA_AUDIT_EVENT_COLUMNS " FROM audit_log ORDER BY id", error)) == NULL)
    return FALSE;
  while ((rc = ca_stmt_step (stmt)) == CA_DB_ROW && check_link (NULL, stmt, checked + 1, prev))
    {
      g_free (prev);
      prev = ca_column_dup (stmt, 7);
      checked++;
    }
  if (rc != CA_DB_ROW && rc != CA_DB_DONE)
    return ca_ledger_set_db_error (self, rc, error);
  if (rc == CA_DB_ROW || checked != head_id || (checked > 0 && g_strcmp0 (prev, head_hash) != 0))
    {
      g_set_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN,
                   "This ledger's audit log does not verify (after event %" G_GINT64_FORMAT "), so it was "
                   "not upgraded to a log keyed with the passphrase. Restore the ledger from a backup.",
                   checked);
      return FALSE;
    }

  return TRUE;
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

/* Recomputes every link as an HMAC under the (new) audit key. */
static gboolean
rekey_chain (CaLedger  *self,
             GError   **error)
{
  g_autoptr(CaStmt) rows = NULL;
  g_autoptr(CaStmt) update = NULL;
  g_autoptr(CaStmt) head = NULL;
  g_autofree char *prev = g_strdup (GENESIS_HASH);
  g_autofree char *head_text = NULL;
  gint64 last = 0;
  CaDbStatus rc;

  rows = ca_ledger_prepare (self, "SELECT " CA_AUDIT_EVENT_COLUMNS " FROM audit_log ORDER BY id", error);
  update = ca_ledger_prepare (self, "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?", error);
  if (rows == NULL || update == NULL)
    return FALSE;
  while ((rc = ca_stmt_step (rows)) == CA_DB_ROW)
    {
      char *hash = link_hash (self->audit_key, ca_stmt_column_int64 (rows, 0), ca_stmt_column_int64 (rows, 1),
                              field (rows, 2), field (rows, 3), field (rows, 4), field (rows, 5), prev);

      last = ca_stmt_column_int64 (rows, 0);
      ca_stmt_bind_text (update, 1, prev);
      ca_stmt_bind_text (update, 2, hash);
      ca_stmt_bind_int64 (update, 3, last);
      g_free (prev);
      prev = hash;
      if (!ca_ledger_step_done (self, update, error))
        return FALSE;
      ca_stmt_reset (update);
    }
  if (rc != CA_DB_DONE)
    return ca_ledger_set_db_error (self, rc, error);
  if (last == 0)
    return TRUE;

  head_text = ca_audit_head_to_string (last, prev);
  ca_audit_forget_head (self);
  head = ca_ledger_prepare (self, "UPDATE meta SET value = ? WHERE key = 'audit_head'", error);
  if (head == NULL)
    return FALSE;
  ca_stmt_bind_text (head, 1, head_text);

  return ca_ledger_step_done (self, head, error);
}

/* Seals every CA key again with the current scrypt cost and records its digest. */
static gboolean
rewrap_keys (CaLedger    *self,
             const char  *passphrase,
             GError     **error)
{
  g_autoptr(CaStmt) rows = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) pems = g_ptr_array_new_with_free_func (g_free);
  CaDbStatus rc;

  rows = ca_ledger_prepare (self, "SELECT name, key_pkcs8 FROM authorities ORDER BY id", error);
  if (rows == NULL)
    return FALSE;
  while ((rc = ca_stmt_step (rows)) == CA_DB_ROW)
    {
      g_ptr_array_add (names, ca_column_dup (rows, 0));
      g_ptr_array_add (pems, ca_column_dup (rows, 1));
    }
  if (rc != CA_DB_DONE)
    return ca_ledger_set_db_error (self, rc, error);
  g_clear_pointer (&rows, ca_stmt_release);

  for (guint i = 0; i < names->len; i++)
    {
      const char *pem = pems->pdata[i];
      g_autoptr(EVP_PKEY) key = NULL;
      g_autofree char *sealed = NULL;
      g_autofree char *key_sha = NULL;
      g_autofree char *details = NULL;
      g_autoptr(CaStmt) update = NULL;
      GString *builder;

      key = ca_key_is_current_wrap (pem) ? ca_key_decrypt_pem (pem, passphrase, error)
                                         : ca_key_decrypt_legacy_pem (pem, passphrase, error);
      if (key == NULL || (sealed = ca_key_encrypt_pem (key, passphrase, error)) == NULL)
        return FALSE;
      update = ca_ledger_prepare (self, "UPDATE authorities SET key_pkcs8 = ? WHERE name = ?", error);
      if (update == NULL)
        return FALSE;
      ca_stmt_bind_text (update, 1, sealed);
      ca_stmt_bind_text (update, 2, names->pdata[i]);
      if (!ca_ledger_step_done (self, update, error))
        return FALSE;

      key_sha = ca_sha256_hex (sealed, strlen (sealed));
      builder = ca_details_new ();
      ca_details_add (builder, "ca", names->pdata[i]);
      ca_details_add (builder, "key_sha256", key_sha);
      details = ca_details_free (builder);
      if (!ca_audit_append (self, "ca.rewrap", NULL, details, error))
        return FALSE;
    }

  return TRUE;
}

/* The first unlock of a ledger written before the audit key: checks its old
 * chain, then in one transaction gives it a new verifier (the current scrypt
 * cost) and audit key, rewrites every link as an HMAC, rewraps every CA key and
 * records the digests of both. The caller has checked the old verifier and
 * set self->passphrase. */
gboolean
ca_audit_upgrade (CaLedger    *self,
                  const char  *passphrase,
                  GError     **error)
{
  g_autofree char *verifier = NULL;
  g_autofree char *verifier_sha = NULL;
  g_autofree char *details = NULL;
  g_autoptr(CaStmt) stmt = NULL;
  GString *builder;

  if (!ca_ledger_begin (self, error))
    return FALSE;
  if (!check_legacy_chain (self, error) ||
      (verifier = ca_verifier_new (passphrase, self->audit_key, error)) == NULL ||
      (stmt = ca_ledger_prepare (self, "UPDATE meta SET value = ? WHERE key = 'passphrase_verifier'", error)) == NULL)
    goto fail;
  ca_stmt_bind_text (stmt, 1, verifier);
  if (!ca_ledger_step_done (self, stmt, error) || !rekey_chain (self, error) ||
      !rewrap_keys (self, passphrase, error))
    goto fail;

  verifier_sha = ca_sha256_hex (verifier, strlen (verifier));
  builder = ca_details_new ();
  ca_details_add (builder, "verifier", verifier_sha);
  details = ca_details_free (builder);
  if (!ca_audit_append (self, "ledger.rekey", NULL, details, error))
    goto fail;

  if (!ca_ledger_commit (self, error))
    return FALSE;
  g_info ("Upgraded the ledger %s: its audit log is now keyed with the workspace passphrase.", self->path);

  return TRUE;

fail:
  ca_ledger_rollback (self);
  return FALSE;
}
