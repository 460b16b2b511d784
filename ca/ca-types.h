/* ca-types.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#if !defined(CA_INSIDE) && !defined(CA_COMPILATION)
# error "Only <ca.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/* Times are seconds since the Unix epoch (UTC); 0 means "not set". */

typedef enum
{
  CA_KEY_EC_P256,
  CA_KEY_EC_P384,
  CA_KEY_RSA_2048,
  CA_KEY_RSA_3072,
  CA_KEY_RSA_4096,
} CaKeyType;

typedef enum
{
  CA_CERT_STATUS_VALID,
  CA_CERT_STATUS_REVOKED,
  CA_CERT_STATUS_EXPIRED,
} CaCertStatus;

/* RFC 5280 §5.3.1 CRLReason; the values are the DER enumeration. */
typedef enum
{
  CA_REVOKE_UNSPECIFIED            = 0,
  CA_REVOKE_KEY_COMPROMISE         = 1,
  CA_REVOKE_CA_COMPROMISE          = 2,
  CA_REVOKE_AFFILIATION_CHANGED    = 3,
  CA_REVOKE_SUPERSEDED             = 4,
  CA_REVOKE_CESSATION_OF_OPERATION = 5,
  CA_REVOKE_CERTIFICATE_HOLD       = 6,
  CA_REVOKE_REMOVE_FROM_CRL        = 8,
  CA_REVOKE_PRIVILEGE_WITHDRAWN    = 9,
  CA_REVOKE_AA_COMPROMISE          = 10,
} CaRevokeReason;

typedef enum
{
  CA_INSTALL_INTENT,
  CA_INSTALL_WRITTEN,
  CA_INSTALL_VERIFIED,
  CA_INSTALL_FAILED,
  CA_INSTALL_ABANDONED,
  CA_INSTALL_REMOVING,   /* a deletion from the modem is under way */
  CA_INSTALL_REMOVED,    /* no longer on the modem */
} CaInstallState;

/* What a SHA-256 listed by a modem turned out to be. */
typedef enum
{
  CA_SHA_UNKNOWN,
  CA_SHA_DEVICE_CERTIFICATE,
  CA_SHA_CA_CERTIFICATE,
} CaShaKind;

const char *ca_key_type_to_string        (CaKeyType       type);
gboolean    ca_key_type_from_string      (const char     *text,
                                          CaKeyType      *out_type);
const char *ca_cert_status_to_string     (CaCertStatus    status);
const char *ca_revoke_reason_to_string   (CaRevokeReason  reason);
gboolean    ca_revoke_reason_from_string (const char     *text,
                                          CaRevokeReason *out_reason);
const char *ca_install_state_to_string   (CaInstallState  state);
gboolean    ca_install_state_from_string (const char     *text,
                                          CaInstallState *out_state);
char       *ca_time_to_iso8601           (gint64          unix_time);

/* Checks a name a person gives (a CA's name, a registration code): valid UTF-8,
 * 1 to @max_chars characters (not bytes), not blank, no leading or trailing
 * space, and no control or invisible characters that would make two names look
 * alike. @what says what the name is, capitalised ("A CA name"). */
gboolean    ca_name_check                (const char     *what,
                                          const char     *name,
                                          guint           max_chars,
                                          GError        **error);

/* A certificate authority held in the ledger. */
typedef struct
{
  gint64     id;
  char      *name;
  gint64     parent_id;      /* 0 for a root */
  char      *parent_name;    /* (nullable) */
  char      *subject;        /* RFC 2253 */
  CaKeyType  key_type;
  int        path_len;       /* -1 when unlimited */
  gint64     not_before;
  gint64     not_after;
  char      *serial;         /* uppercase hex */
  char      *sha256;         /* uppercase hex of the certificate PEM with LF endings */
  char      *cert_pem;
  /* Counted only in listings (ca_ledger_list_authorities()), 0 elsewhere. */
  gint64     issued_count;   /* device certificates signed by it */
  gint64     device_count;   /* devices (IMEIs) it signed a certificate for: a re-key counts once */
  CaCertStatus   status;           /* revoked by its parent, expired, or valid */
  CaRevokeReason revoke_reason;
  gint64         revoked_at;
  gint64         invalidity_date;
} CaAuthority;

/* A bench enrolled in a shared ledger, with its own intermediate CA. It is
 * revoked exactly when its intermediate is. */
typedef struct
{
  gint64          id;
  char           *name;
  char           *authority_name;  /* its intermediate */
  char           *parent_name;     /* the CA that signed the intermediate */
  CaCertStatus    status;          /* of the intermediate */
  CaRevokeReason  revoke_reason;
  gint64          revoked_at;
  gint64          created_at;
  gint64          device_count;    /* devices whose certificates it issued */
} CaStation;

/* A certificate issued by one of the ledger's authorities. */
typedef struct
{
  gint64          id;
  char           *serial;         /* uppercase hex, unique per issuer */
  char           *imei;           /* (nullable) proof-of-possession certificates have none */
  gint64          authority_id;
  char           *authority_name;
  char           *profile;
  char           *subject;
  gint64          not_before;
  gint64          not_after;
  CaCertStatus    status;         /* expired is computed from not_after */
  CaRevokeReason  revoke_reason;
  gint64          revoked_at;
  gint64          invalidity_date;
  gint64          supersedes_id;  /* 0 when none */
  gint64          superseded_by_id;
  gboolean        host_key;       /* the private key was made on the host */
  gint64          issued_at;
  gint64          installed_at;   /* set when an install was verified */
  char           *sha256_lf;      /* uppercase hex of the PEM with LF endings */
  char           *sha256_crlf;    /* ... and with CRLF endings */
  char           *pem;
  char           *station;        /* (nullable) the station it was issued at */
} CaCertificate;

typedef struct
{
  char   *imei;
  char   *uuid;       /* (nullable) lower-case 8-4-4-4-12 */
  char   *model;      /* (nullable) */
  char   *firmware;   /* (nullable) modem firmware version */
  char   *lot;        /* (nullable) */
  char   *notes;      /* (nullable) */
  gint64  first_seen;
  gint64  last_seen;
  char   *lot_station;  /* (nullable) the station its lot was recorded at */
} CaDevice;

typedef struct
{
  gint64          id;
  char           *imei;
  guint           sec_tag;
  int             cred_type;       /* the modem's %CMNG type number */
  gint64          certificate_id;  /* 0 for server CA installs */
  char           *sha256;          /* uppercase hex of exactly the bytes sent; NULL for a key made by %KEYGEN */
  char           *port;            /* (nullable) */
  CaInstallState  state;
  gboolean        host_key;        /* the private key existed outside the modem */
  char           *detail;          /* (nullable) why it failed or was abandoned */
  gint64          created_at;
  gint64          updated_at;
  char           *station;         /* (nullable) the station it ran at */
} CaInstall;

typedef struct
{
  gint64    id;
  gint64    at;
  char     *actor;      /* OS user@host */
  char     *action;     /* "ca.create", "issue", "revoke", ... */
  char     *imei;       /* (nullable) */
  char     *details;    /* JSON object text */
  char     *hash;       /* uppercase hex link of the chain */
  gboolean  verified;   /* the link checked out when listed */
} CaAuditEvent;

/* One row of the fleet view: a device and its current certificate. */
typedef struct
{
  char         *imei;
  char         *uuid;            /* (nullable) */
  char         *model;           /* (nullable) */
  char         *lot;             /* (nullable) */
  gint64        last_seen;
  char         *serial;          /* (nullable) when no certificate was issued */
  char         *authority_name;  /* (nullable) */
  char         *profile;         /* (nullable) */
  gint64        not_after;
  CaCertStatus  status;
  guint         certificate_count;
} CaFleetRow;

typedef struct
{
  CaShaKind     kind;
  char         *serial;          /* (nullable) device certificates */
  char         *imei;            /* (nullable) */
  char         *authority_name;  /* issuer for device certificates, the CA itself otherwise */
  gint64        not_after;
  CaCertStatus  status;
  gint64        install_id;      /* 0 unless matched through an install's recorded SHA */
} CaShaMatch;

typedef struct
{
  CaDevice  *device;
  GPtrArray *certificates;  /* (element-type CaCertificate), oldest first */
  GPtrArray *installs;      /* (element-type CaInstall), oldest first */
  GPtrArray *events;        /* (element-type CaAuditEvent), oldest first */
} CaDeviceHistory;

void ca_authority_free       (CaAuthority     *authority);
void ca_station_free         (CaStation       *station);
void ca_certificate_free     (CaCertificate   *certificate);
void ca_device_free          (CaDevice        *device);
void ca_install_free         (CaInstall       *install);
void ca_audit_event_free     (CaAuditEvent    *event);
void ca_fleet_row_free       (CaFleetRow      *row);
void ca_sha_match_free       (CaShaMatch      *match);
void ca_device_history_free  (CaDeviceHistory *history);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaAuthority, ca_authority_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaStation, ca_station_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaCertificate, ca_certificate_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaDevice, ca_device_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaInstall, ca_install_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaAuditEvent, ca_audit_event_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaFleetRow, ca_fleet_row_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaShaMatch, ca_sha_match_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaDeviceHistory, ca_device_history_free)

G_END_DECLS
