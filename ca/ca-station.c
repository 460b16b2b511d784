/* ca-station.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-station"

#include "config.h"

#include "ca-private.h"

/* The intermediate's name, also its common name, which X.509 caps at 64. */
#define STATION_NAME_MAX 56

#define STATION_COLUMNS \
  "s.id, s.name, a.name, p.name, a.status, a.revoke_reason, a.revoked_at, a.not_after, s.created_at, " \
  "(SELECT count(DISTINCT c.imei) FROM certificates c WHERE c.station_id = s.id), a.serial"
#define STATION_FROM \
  "stations s JOIN authorities a ON a.id = s.authority_id LEFT JOIN authorities p ON p.id = a.parent_id"

static gpointer
station_from_row (CaStmt *stmt)
{
  CaStation *station = g_new0 (CaStation, 1);

  station->id = ca_stmt_column_int64 (stmt, 0);
  station->name = ca_column_dup (stmt, 1);
  station->authority_name = ca_column_dup (stmt, 2);
  station->parent_name = ca_column_dup (stmt, 3);
  station->status = ca_status_from_column (stmt, 4, ca_stmt_column_int64 (stmt, 7));
  station->revoke_reason = ca_stmt_column_int (stmt, 5);
  station->revoked_at = ca_stmt_column_int64 (stmt, 6);
  station->created_at = ca_stmt_column_int64 (stmt, 8);
  station->device_count = ca_stmt_column_int64 (stmt, 9);

  return station;
}

static void
set_no_such_station (const char  *name,
                     GError     **error)
{
  g_set_error (error, CA_ERROR, CA_ERROR_NOT_FOUND,
               "There is no station named “%s” in this ledger. Check the name against the ledger's "
               "stations, or enroll this bench under that name." CA_ERROR_CLI_HINT
               "`tagsmith station list` shows the stations and `tagsmith station enroll %s "
               "--parent CA` enrolls this bench.", name, name);
}

/* The station @name, or NULL with CA_ERROR_NOT_FOUND; @out_serial (nullable)
 * gets its intermediate's serial. Called with the mutex held. */
static CaStation *
get_station_locked (CaLedger    *self,
                    const char  *name,
                    char       **out_serial,
                    GError     **error)
{
  g_autoptr(CaStmt) stmt = ca_ledger_prepare (self, "SELECT " STATION_COLUMNS " FROM " STATION_FROM
                                              " WHERE s.name = ?", error);
  CaDbStatus rc;

  if (stmt == NULL)
    return NULL;
  ca_stmt_bind_text (stmt, 1, name);
  rc = ca_stmt_step (stmt);
  if (rc == CA_DB_ROW)
    {
      if (out_serial != NULL)
        *out_serial = ca_column_dup (stmt, 10);
      return station_from_row (stmt);
    }
  if (rc == CA_DB_DONE)
    set_no_such_station (name, error);
  else
    ca_ledger_set_db_error (self, rc, error);

  return NULL;
}

static gboolean
append_station_event (CaLedger    *self,
                      const char  *action,
                      const char  *name,
                      const char  *authority,
                      const char  *parent,
                      const char  *reason,
                      GError     **error)
{
  g_autofree char *details = NULL;
  GString *builder = ca_details_new ();

  ca_details_add (builder, "station", name);
  ca_details_add (builder, "authority", authority);
  ca_details_add (builder, "parent", parent);
  ca_details_add (builder, "reason", reason);
  details = ca_details_free (builder);

  return ca_audit_append (self, action, NULL, details, error);
}

static gboolean
insert_station (CaLedger    *self,
                const char  *name,
                gint64       authority_id,
                GError     **error)
{
  g_autoptr(CaStmt) stmt = ca_ledger_prepare (self, "INSERT INTO stations (name, authority_id, created_at) "
                                              "VALUES (?, ?, ?)", error);
  CaDbStatus rc;

  if (stmt == NULL)
    return FALSE;
  ca_stmt_bind_text (stmt, 1, name);
  ca_stmt_bind_int64 (stmt, 2, authority_id);
  ca_stmt_bind_int64 (stmt, 3, ca_now ());
  rc = ca_stmt_step (stmt);
  if (rc == CA_DB_UNIQUE)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_EXISTS,
                   "A station named “%s” is already enrolled in this ledger. Choose another name.", name);
      return FALSE;
    }

  return rc == CA_DB_DONE || ca_ledger_set_db_error (self, rc, error);
}

/**
 * ca_ledger_enroll_station:
 *
 * Returns: (transfer full): the new station
 */
CaStation *
ca_ledger_enroll_station (CaLedger    *self,
                          const char  *name,
                          const char  *parent,
                          GError     **error)
{
  g_autoptr(CaAuthority) parent_ca = NULL;
  g_autoptr(CaStation) existing = NULL;
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(GError) lookup_error = NULL;
  g_autofree char *ca_name = NULL;
  CaStation *station = NULL;
  gint64 id;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (parent != NULL, NULL);

  if (!ca_name_check ("A station name", name, STATION_NAME_MAX, error))
    return NULL;
  ca_name = g_strdup_printf ("%s station", name);

  ca_ledger_lock_mutex (self);
  existing = get_station_locked (self, name, NULL, &lookup_error);
  if (existing != NULL)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_EXISTS,
                   "A station named “%s” is already enrolled in this ledger (its CA is “%s”). Choose "
                   "another name.", name, existing->authority_name);
      goto out;
    }
  if (!g_error_matches (lookup_error, CA_ERROR, CA_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&lookup_error));
      goto out;
    }

  parent_ca = ca_ledger_get_authority (self, parent, error);
  if (parent_ca == NULL)
    goto out;
  /* Path length 0: a station signs devices, never another CA. */
  id = ca_authority_create_open (self, &(CaAuthorityRequest) { ca_name, parent, parent_ca->key_type, 0, 0 },
                                 &key, error);
  if (id == 0)
    goto out;
  if (!insert_station (self, name, id, error) ||
      !append_station_event (self, "station.enroll", name, ca_name, parent, NULL, error) ||
      !ca_ledger_commit (self, error))
    {
      ca_ledger_rollback (self);
      goto out;
    }

  g_hash_table_insert (self->keys, g_memdup2 (&id, sizeof id), g_steal_pointer (&key));
  station = get_station_locked (self, name, NULL, error);

out:
  ca_ledger_unlock_mutex (self);

  return station;
}

GPtrArray *
ca_ledger_list_stations (CaLedger  *self,
                         GError   **error)
{
  g_autoptr(CaStmt) stmt = NULL;
  GPtrArray *stations = NULL;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);

  ca_ledger_lock_mutex (self);
  stmt = ca_ledger_prepare (self, "SELECT " STATION_COLUMNS " FROM " STATION_FROM " ORDER BY s.id", error);
  if (stmt != NULL)
    stations = ca_ledger_collect_rows (self, stmt, station_from_row, (GDestroyNotify) ca_station_free, error);
  g_clear_pointer (&stmt, ca_stmt_release);
  ca_ledger_unlock_mutex (self);

  return stations;
}

CaStation *
ca_ledger_get_station (CaLedger    *self,
                       const char  *name,
                       GError     **error)
{
  CaStation *station;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  ca_ledger_lock_mutex (self);
  station = get_station_locked (self, name, NULL, error);
  ca_ledger_unlock_mutex (self);

  return station;
}

/**
 * ca_ledger_revoke_station:
 *
 * Returns: (transfer full): the station, now revoked
 */
CaStation *
ca_ledger_revoke_station (CaLedger        *self,
                          const char      *name,
                          CaRevokeReason   reason,
                          GError         **error)
{
  g_autoptr(CaStation) station = NULL;
  g_autoptr(GPtrArray) revoked = NULL;
  g_autofree char *serial = NULL;
  CaStation *result = NULL;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  ca_ledger_lock_mutex (self);
  if (!ca_ledger_begin (self, error))
    goto out;
  station = get_station_locked (self, name, &serial, error);
  if (station == NULL)
    goto fail;
  if (station->status == CA_CERT_STATUS_REVOKED)
    {
      g_set_error (error, CA_ERROR, CA_ERROR_ALREADY_REVOKED,
                   "The station “%s” is already revoked (%s); nothing was changed.", name,
                   ca_revoke_reason_to_string (station->revoke_reason));
      goto fail;
    }

  revoked = ca_revoke_in_transaction (self, &(CaRevokeRequest) { station->parent_name, .serial = serial,
                                                                 .sec_tag = -1, .reason = reason }, error);
  if (revoked == NULL ||
      !append_station_event (self, "station.revoke", name, station->authority_name, station->parent_name,
                             ca_revoke_reason_to_string (reason), error) ||
      !ca_ledger_commit (self, error))
    goto fail;
  result = get_station_locked (self, name, NULL, error);
  goto out;

fail:
  ca_ledger_rollback (self);
out:
  ca_ledger_unlock_mutex (self);

  return result;
}

gboolean
ca_ledger_use_station (CaLedger    *self,
                       const char  *name,
                       GError     **error)
{
  g_autoptr(CaStation) station = NULL;
  g_autofree char *revoked_at = NULL;

  g_return_val_if_fail (CA_IS_LEDGER (self), FALSE);

  if (name == NULL)
    {
      ca_ledger_lock_mutex (self);
      self->station_id = 0;
      g_clear_pointer (&self->station_name, g_free);
      ca_ledger_unlock_mutex (self);
      return TRUE;
    }

  station = ca_ledger_get_station (self, name, error);
  if (station == NULL)
    return FALSE;
  if (station->status == CA_CERT_STATUS_REVOKED)
    {
      revoked_at = ca_time_to_iso8601 (station->revoked_at);
      g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                   "The station “%s” was revoked (%s, %s), so it can no longer issue or provision. "
                   "Enroll this bench again under a new name and use that name." CA_ERROR_CLI_HINT
                   "`tagsmith station enroll NAME --parent CA` enrolls it.", name,
                   ca_revoke_reason_to_string (station->revoke_reason), revoked_at);
      return FALSE;
    }

  ca_ledger_lock_mutex (self);
  self->station_id = station->id;
  g_free (self->station_name);
  self->station_name = g_strdup (station->name);
  ca_ledger_unlock_mutex (self);

  return TRUE;
}

const char *
ca_ledger_get_station_name (CaLedger *self)
{
  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);

  return self->station_name;
}

void
ca_ledger_bind_station (CaLedger *self,
                        CaStmt   *stmt,
                        int       index)
{
  if (self->station_id != 0)
    ca_stmt_bind_int64 (stmt, index, self->station_id);
}
