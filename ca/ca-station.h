/* ca-station.h
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

/* Stations: the benches that share one ledger. Each gets its own intermediate
 * CA (named "NAME station") below a parent, so a compromised bench is revoked
 * on its own, and the certificates, installs and lots made on it record it. */

/* Creates the station's intermediate (the parent's key type, path length 0) and
 * records the station, with its audit events, in one transaction. */
CaStation   *ca_ledger_enroll_station     (CaLedger        *self,
                                           const char      *name,
                                           const char      *parent,
                                           GError         **error) G_GNUC_WARN_UNUSED_RESULT;
/* (element-type CaStation) in enrolment order */
GPtrArray   *ca_ledger_list_stations      (CaLedger        *self,
                                           GError         **error);
CaStation   *ca_ledger_get_station        (CaLedger        *self,
                                           const char      *name,
                                           GError         **error) G_GNUC_WARN_UNUSED_RESULT;
/* Revokes the station's intermediate on its parent, with its audit event, in
 * one transaction; a CRL of the parent then lists it (ca_ledger_generate_crl()). */
CaStation   *ca_ledger_revoke_station     (CaLedger        *self,
                                           const char      *name,
                                           CaRevokeReason   reason,
                                           GError         **error) G_GNUC_WARN_UNUSED_RESULT;

/* Says which station this machine is (NULL: none), so that what this ledger
 * records from now on names it. An unknown or revoked station is refused. */
gboolean     ca_ledger_use_station        (CaLedger        *self,
                                           const char      *name,
                                           GError         **error);
/* (nullable) the station given to ca_ledger_use_station() */
const char  *ca_ledger_get_station_name   (CaLedger        *self);

G_END_DECLS
