/* ca-fleet.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#if !defined(CA_INSIDE) && !defined(CA_COMPILATION)
# error "Only <ca.h> can be included directly."
#endif

#include "ca-ledger.h"
#include "ca-types.h"

G_BEGIN_DECLS

/* A certificate or authority that ends within this many days is expiring: the
 * fleet's "expiring" filter by default, and the "Expires soon" badge. */
#define CA_EXPIRING_DAYS 30

typedef enum
{
  CA_FLEET_ALL,
  CA_FLEET_VALID,
  CA_FLEET_REVOKED,
  CA_FLEET_EXPIRING,   /* valid, ending within expiring_days */
} CaFleetFilter;

/* The orders the fleet can be listed in, each ascending or descending; ties
 * are broken by IMEI, in the same direction. */
typedef enum
{
  CA_FLEET_SORT_IMEI,
  CA_FLEET_SORT_LAST_SEEN,
  CA_FLEET_SORT_EXPIRY,    /* the current certificate's end; devices without one last */
  CA_FLEET_SORT_STATUS,    /* revoked, valid (the expired first, then by expiry), no certificate */
} CaFleetSort;

#define CA_FLEET_N_SORTS (CA_FLEET_SORT_STATUS + 1)

/* Keyset pagination: pass the last IMEI of one page as @after_imei of the next,
 * whatever the sort. */
typedef struct
{
  CaFleetFilter  filter;
  int            expiring_days;  /* 0 for CA_EXPIRING_DAYS */
  const char    *after_imei;     /* (nullable) */
  guint          limit;          /* 0 for 100 */
  const char    *search;         /* (nullable) digits: an IMEI prefix; otherwise the start of
                                  * a device UUID or of the serial of any of the device's
                                  * certificates (hex, any case, colons allowed) */
  const char    *lot;            /* (nullable) exactly this production lot */
  CaFleetSort    sort;
  gboolean       descending;
} CaFleetQuery;

/* "imei", "last-seen", "expiry", "status": the names the CLI and the
 * settings use. */
const char      *ca_fleet_sort_to_string          (CaFleetSort          sort);
/* FALSE when @text names no sort. */
gboolean         ca_fleet_sort_from_string        (const char          *text,
                                                   CaFleetSort         *out_sort);
/* An order as "COLUMN", "COLUMN:asc" or "COLUMN:desc" (the CLI's --sort and the
 * window's remembered order); FALSE when @text is none of those. */
gboolean         ca_fleet_order_from_string       (const char          *text,
                                                   CaFleetSort         *out_sort,
                                                   gboolean            *out_descending);
char            *ca_fleet_order_to_string         (CaFleetSort          sort,
                                                   gboolean             descending);

/* Where a query's pages start, so a view knows its length and can fetch any
 * page by key: page i is the query with after_imei = page_keys[i]. */
typedef struct
{
  guint      n_rows;
  guint      page_size;
  GPtrArray *page_keys;  /* (element-type utf8) NULL first, then the IMEI before each page */
} CaFleetIndex;

void             ca_fleet_index_free              (CaFleetIndex        *index);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaFleetIndex, ca_fleet_index_free)

/* Records that a device was identified: inserts it, or updates last_seen and the
 * non-NULL fields of @device. */
gboolean         ca_ledger_device_seen            (CaLedger            *self,
                                                   const CaDevice      *device,
                                                   GError             **error);
CaDevice        *ca_ledger_get_device             (CaLedger            *self,
                                                   const char          *imei,
                                                   GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* (element-type CaFleetRow), in @query's order */
GPtrArray       *ca_ledger_list_fleet             (CaLedger            *self,
                                                   const CaFleetQuery  *query,
                                                   GError             **error);

/* Counts the rows @query selects (ignoring after_imei and limit) and notes the
 * key of every @page_size-th, in one pass over the matching IMEIs. */
CaFleetIndex    *ca_ledger_fleet_index            (CaLedger            *self,
                                                   const CaFleetQuery  *query,
                                                   guint                page_size,
                                                   GCancellable        *cancellable,
                                                   GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* The engine's plan for a page of @query (SQLite's EXPLAIN QUERY PLAN or
 * PostgreSQL's EXPLAIN, one step a line), to tell which indexes a slow fleet
 * query uses. */
char            *ca_ledger_explain_fleet          (CaLedger            *self,
                                                   const CaFleetQuery  *query,
                                                   GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* The distinct production lots, sorted. (element-type utf8) */
GPtrArray       *ca_ledger_list_lots              (CaLedger            *self,
                                                   GError             **error);

CaDeviceHistory *ca_ledger_get_history            (CaLedger            *self,
                                                   const char          *imei,
                                                   GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* (element-type CaCertificate) valid certificates only when @valid_only */
GPtrArray       *ca_ledger_list_certificates      (CaLedger            *self,
                                                   const char          *imei,
                                                   gboolean             valid_only,
                                                   GError             **error);
CaCertificate   *ca_ledger_get_certificate        (CaLedger            *self,
                                                   gint64               id,
                                                   GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* Installs. Provisioning records the intent before writing anything to a modem
 * (@install's imei, sec_tag, cred_type, certificate_id, sha256, port, host_key),
 * then marks it. Marking VERIFIED also stamps the certificate installed, in the
 * same transaction; marking REMOVED clears that stamp once no verified install
 * of the certificate is left. A deletion marks REMOVING before the modem is
 * touched. Returns the new install's id, or 0 on error. */
gint64           ca_ledger_install_begin          (CaLedger            *self,
                                                   const CaInstall     *install,
                                                   GError             **error);
gboolean         ca_ledger_install_mark           (CaLedger            *self,
                                                   gint64               install_id,
                                                   CaInstallState       state,
                                                   const char          *detail,
                                                   GError             **error);
/* A change to a modem's store, recorded in the audit log (@cred_type -1: all). */
gboolean         ca_ledger_audit_store_change     (CaLedger            *self,
                                                   const char          *action,
                                                   const char          *imei,
                                                   guint32              sec_tag,
                                                   int                  cred_type,
                                                   const char          *port,
                                                   const char          *detail,
                                                   GError             **error);
/* (element-type CaInstall), oldest first; @unfinished_only: intent, written
 * and removing, the states the next listing of the modem settles */
GPtrArray       *ca_ledger_list_installs          (CaLedger            *self,
                                                   const char          *imei,
                                                   gboolean             unfinished_only,
                                                   GError             **error);

/* Says what a modem's listed SHA-256 (64 hex digits, any case) is. Never NULL
 * on success: kind CA_SHA_UNKNOWN when nothing matches. */
CaShaMatch      *ca_ledger_lookup_sha256          (CaLedger            *self,
                                                   const char          *sha256_hex,
                                                   GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* nRF Cloud onboarding CSV rows (§9.4) for devices with a valid certificate,
 * at most 1000 rows per string. (element-type utf8) */
GPtrArray       *ca_ledger_export_nrfcloud_csv    (CaLedger            *self,
                                                   GError             **error);

G_END_DECLS
