/* ca-private.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

/* Shared between the files of libca; never installed or included outside ca/. */

#include <openssl/evp.h>
#include <openssl/x509.h>
#include "ca.h"
#include "ca-db.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_CRL, X509_CRL_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_REQ, X509_REQ_free)

struct _CaLedger
{
  GObject     parent_instance;

  char       *path;
  CaDb       *db;
  GRecMutex   mutex;       /* serialises every use of db and the key cache */
  GMutex      statements_lock;
  GHashTable *statements;  /* (mutex statements_lock) GThread → (SQL text → CaStmt) */
  char       *passphrase;  /* (nullable) wiped by ca_ledger_lock() */
  guint8      audit_key[32]; /* keys the audit chain while unlocked; wiped by ca_ledger_lock() */
  GHashTable *keys;        /* authority id → EVP_PKEY, only while unlocked */
  gboolean    read_only;   /* opened by ca_ledger_open_read_only() */
  gboolean    created;     /* the file did not exist before this open */
  gboolean    on_server;   /* a PostgreSQL ledger, named by a URI in path */
  int         found_version; /* the schema version it had when opened, before any migration */
  gint64      station_id;  /* the station this machine is (ca_ledger_use_station()), 0 for none */
  char       *station_name; /* (nullable) its name */
  gint64      audit_head_id; /* the head the open write transaction last appended, */
  char       *audit_head_hash; /* (nullable) so the next append need not read it back */
  gboolean    in_one_transaction; /* inside ca_ledger_run_in_transaction(): begin and commit are its */
};

/* Binds the station this machine is, or NULL when it is none. */
void      ca_ledger_bind_station (CaLedger    *self,
                                  CaStmt      *stmt,
                                  int          index);

/* Statements come from a per-ledger, per-thread cache; g_autoptr(CaStmt) resets them. */
void      ca_stmt_release        (CaStmt *stmt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaStmt, ca_stmt_release)

CaStmt   *ca_ledger_prepare      (CaLedger    *self,
                                  const char  *sql,
                                  GError     **error);
CaStmt   *ca_ledger_prepare_rows (CaLedger    *self,
                                  const char  *head,
                                  const char  *row,
                                  guint        n,
                                  const char  *tail,
                                  GError     **error);
gboolean  ca_ledger_exec         (CaLedger    *self,
                                  const char  *sql,
                                  GError     **error);
/* @rows were just added to each of @tables in bulk (see ca_db_note_growth()). */
void      ca_ledger_note_growth  (CaLedger          *self,
                                  const char *const *tables,
                                  guint64            rows);
/* Reads every page and checks every index against its table (SQLite's integrity_check). */
gboolean  ca_ledger_check_integrity (CaLedger  *self,
                                     GError    **error);
gboolean  ca_ledger_begin        (CaLedger    *self,
                                  GError     **error);
gboolean  ca_ledger_commit       (CaLedger    *self,
                                  GError     **error);
void      ca_ledger_rollback     (CaLedger    *self);
gboolean  ca_ledger_step_done    (CaLedger    *self,
                                  CaStmt      *stmt,
                                  GError     **error);
gboolean  ca_ledger_set_db_error (CaLedger    *self,
                                  CaDbStatus   rc,
                                  GError     **error);
/* Steps @stmt to the end, mapping each row with @from_row; NULL on error. */
typedef gpointer (*CaRowFunc) (CaStmt *stmt);
GPtrArray *ca_ledger_collect_rows (CaLedger       *self,
                                   CaStmt         *stmt,
                                   CaRowFunc       from_row,
                                   GDestroyNotify  free_func,
                                   GError        **error);

/* The decrypted key of an authority; (transfer none), valid while unlocked. */
EVP_PKEY *ca_ledger_get_key      (CaLedger    *self,
                                  gint64       authority_id,
                                  const char  *encrypted_pem,
                                  GError     **error);
void      ca_ledger_lock_mutex   (CaLedger    *self);
void      ca_ledger_unlock_mutex (CaLedger    *self);

/* Audit: appends one event to the hash chain inside the caller's transaction. */
gboolean  ca_audit_append        (CaLedger    *self,
                                  const char  *action,
                                  const char  *imei,
                                  const char  *details,
                                  GError     **error);
/* One event of a group appended together. */
typedef struct
{
  const char *action;
  const char *imei;     /* (nullable) */
  const char *details;
} CaAuditEntry;
/* Appends @n events in their order, in a constant number of statements. */
gboolean  ca_audit_append_many   (CaLedger            *self,
                                  const CaAuditEntry  *entries,
                                  guint                n,
                                  GError             **error);
/* Forgets the audit head ca_audit_append() keeps: a transaction or savepoint
 * ended, or the head was written by other means. */
void      ca_audit_forget_head   (CaLedger    *self);
/* Upgrades a ledger from before the keyed chain on its first unlock (ca-audit.c). */
gboolean  ca_audit_upgrade       (CaLedger    *self,
                                  const char  *passphrase,
                                  GError     **error);
/* A meta value; *out_value is NULL when the key is absent. */
gboolean  ca_ledger_read_meta    (CaLedger    *self,
                                  const char  *key,
                                  char       **out_value,
                                  GError     **error);
/* Copies @imei's current certificate's end and status onto the device, where
 * the fleet's sort indexes reach them (ca-schema-7.sql), inside the caller's
 * transaction: after every change of either. */
gboolean  ca_fleet_refresh_sort_keys (CaLedger  *self,
                                      const char  *imei,
                                      GError     **error);
/* Makes @ids[i] the current certificate of the device @imeis[i], with the
 * sort keys it gives, for @n devices in one statement. */
gboolean  ca_fleet_set_current   (CaLedger           *self,
                                  const char *const  *imeis,
                                  const gint64       *ids,
                                  guint               n,
                                  GError            **error);
/* Building the small JSON objects stored as audit details. */
GString  *ca_details_new         (void);
void      ca_details_add         (GString     *details,
                                  const char  *key,
                                  const char  *value);
void      ca_details_add_int     (GString     *details,
                                  const char  *key,
                                  gint64       value);
char     *ca_details_free        (GString     *details);

/* Crypto helpers (ca-crypto.c). */
EVP_PKEY *ca_key_generate        (CaKeyType    type,
                                  GError     **error);
gboolean  ca_key_describe        (EVP_PKEY    *key,
                                  CaKeyType   *out_type,
                                  GError     **error);
char     *ca_key_encrypt_pem     (EVP_PKEY    *key,
                                  const char  *passphrase,
                                  GError     **error);
EVP_PKEY *ca_key_decrypt_pem     (const char  *pem,
                                  const char  *passphrase,
                                  GError     **error);
/* Keys sealed with the scrypt cost of ledgers before; only for rewrapping them. */
EVP_PKEY *ca_key_decrypt_legacy_pem (const char  *pem,
                                     const char  *passphrase,
                                     GError     **error);
gboolean  ca_key_is_current_wrap (const char  *pem);
char     *ca_key_to_plain_pem    (EVP_PKEY    *key,
                                  GError     **error);
const EVP_MD *ca_key_digest      (EVP_PKEY    *key);
#define CA_AUDIT_KEY_LENGTH 32
char     *ca_verifier_new        (const char  *passphrase,
                                  guint8       out_audit_key[CA_AUDIT_KEY_LENGTH],
                                  GError     **error);
gboolean  ca_verifier_check      (const char  *verifier,
                                  const char  *passphrase,
                                  guint8       out_audit_key[CA_AUDIT_KEY_LENGTH],
                                  gboolean    *out_legacy,
                                  GError     **error);
char     *ca_hmac_sha256_hex     (const guint8 key[CA_AUDIT_KEY_LENGTH],
                                  const char  *text,
                                  gsize        length);
ASN1_INTEGER *ca_serial_new      (char       **out_hex);
/* A serial typed by a person, as the ledger stores it (ca-revoke.c). */
char     *ca_serial_normalise    (const char  *text,
                                  GError     **error);
char     *ca_hex_upper           (const guint8 *data,
                                  gsize         length);
char     *ca_sha256_hex          (const void  *data,
                                  gsize        length);
char     *ca_spki_sha256         (EVP_PKEY    *key);
char     *ca_x509_pubkey_sha256  (const X509_PUBKEY *spki);
gboolean  ca_add_subject_key_id  (X509        *cert,
                                  GError     **error);
const EVP_MD *ca_md_sha1         (void);
const EVP_MD *ca_md_sha256       (void);
const EVP_MD *ca_md_sha384       (void);
char     *ca_x509_to_pem         (X509        *cert);
X509     *ca_x509_from_pem       (const char  *pem,
                                  GError     **error);
void      ca_pem_hashes          (const char  *pem,
                                  char       **out_lf,
                                  char       **out_crlf);
gboolean  ca_set_validity        (X509        *cert,
                                  gint64       not_before,
                                  gint64       not_after);
gboolean  ca_add_extension       (X509        *cert,
                                  X509        *issuer,
                                  int          nid,
                                  const char  *value,
                                  GError     **error);
gboolean  ca_sign                (X509        *cert,
                                  EVP_PKEY    *key,
                                  GError     **error);
void      ca_set_openssl_error   (GError     **error,
                                  int          code,
                                  const char  *what);
gint64    ca_now                 (void);
/* A validity in days given by a person: 0 (the default) or 1 to @maximum.
 * @what names it in the error, e.g. "The validity". */
gboolean  ca_check_days          (int          days,
                                  int          maximum,
                                  const char  *what,
                                  GError     **error);
char     *ca_actor               (void);

/* The X509 inside a parsed CSR, (transfer none). */
X509_REQ *ca_csr_get_req         (CaCsr       *csr);
EVP_PKEY *ca_csr_get_pubkey      (CaCsr       *csr);
const X509_PUBKEY *ca_csr_get_spki (CaCsr     *csr);
CaKeyType ca_csr_get_key_type    (CaCsr       *csr);

/* Fills a CaAuthority/CaCertificate from a row of the column lists below. An
 * authority read so has no counts: only listings fill them, with
 * ca_authorities_count_issued(), since counting reads every certificate. */
#define CA_AUTHORITY_COLUMNS \
  "a.id, a.name, a.parent_id, p.name, a.subject, a.key_type, a.path_len, a.not_before, " \
  "a.not_after, a.serial, a.sha256_lf, a.cert_pem, " \
  "a.status, a.revoke_reason, a.revoked_at, a.invalidity_date"
#define CA_AUTHORITY_FROM "authorities a LEFT JOIN authorities p ON p.id = a.parent_id"
CaAuthority   *ca_authority_from_row   (CaStmt *stmt);
/* Fills the issued and device counts of @authorities (of CaAuthority), with
 * the ledger's mutex held. */
gboolean       ca_authorities_count_issued (CaLedger   *self,
                                            GPtrArray  *authorities,
                                            GError    **error);

#define CA_CERTIFICATE_COLUMNS \
  "c.id, c.serial, c.imei, c.authority_id, a.name, c.profile, c.subject, c.not_before, " \
  "c.not_after, c.status, c.revoke_reason, c.revoked_at, c.invalidity_date, c.supersedes_id, " \
  "(SELECT n.id FROM certificates n WHERE n.supersedes_id = c.id LIMIT 1), c.host_key, " \
  "c.issued_at, c.installed_at, c.sha256_lf, c.sha256_crlf, c.pem, " \
  "(SELECT s.name FROM stations s WHERE s.id = c.station_id)"
#define CA_CERTIFICATE_FROM "certificates c JOIN authorities a ON a.id = c.authority_id"
CaCertificate *ca_certificate_from_row (CaStmt *stmt);

#define CA_AUDIT_EVENT_COLUMNS "id, at, actor, action, imei, details, prev_hash, hash"
gpointer       ca_audit_event_from_row (CaStmt *stmt);

char          *ca_column_dup           (CaStmt *stmt,
                                        int     column);
/* A stored status ("valid" or "revoked") and notAfter as a CaCertStatus. */
CaCertStatus   ca_status_from_column   (CaStmt *stmt,
                                        int     column,
                                        gint64  not_after);

G_END_DECLS

G_BEGIN_DECLS

/* An authority loaded for signing (ca-authority.c). */
typedef struct
{
  gint64          id;
  char           *name;
  X509           *cert;
  EVP_PKEY       *key;             /* (transfer none) owned by the ledger's key cache */
  const EVP_MD   *md;              /* the signature digest for key */
  gint64          not_after;
  char           *revoked_name;    /* (nullable) it, or the nearest issuer above it, when revoked */
  char           *outside_name;    /* (nullable) it, or the nearest issuer, when outside its validity */
  gboolean        outside_not_yet; /* outside_name is not valid yet, rather than expired */
  gint64          chain_not_before;  /* the validity every CA of the chain shares */
  gint64          chain_not_after;
  int             path_room;       /* CAs that may still follow below it; G_MAXINT for no limit */
  X509_EXTENSION *leaf_extensions[4];  /* built once: BC, KU, EKU, AKI */
} CaSigner;

/* CA_ERROR_NOT_FOUND for an authority name nobody created. */
void      ca_set_no_such_authority (GError    **error,
                                    const char *name);
gboolean  ca_signer_load         (CaLedger    *self,
                                  const char  *name,
                                  gboolean     need_key,
                                  CaSigner    *out_signer,
                                  GError     **error);
void      ca_signer_clear        (CaSigner    *signer);
/* Loads @name with its key to sign certificates: refused for a revoked CA,
 * one below a revoked CA, one outside the validity of its chain, or one deeper
 * than a path length above it allows. (Revoking and CRLs go through
 * ca_signer_load(): they only limit the damage.) */
gboolean  ca_signer_load_for_signing (CaLedger    *self,
                                      const char  *name,
                                      CaSigner    *out_signer,
                                      GError     **error);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CaSigner, ca_signer_clear)

/* Reads again the chain's revocations, validity and path length, so a check
 * made inside a write transaction sees what another process changed. */
gboolean  ca_signer_refresh      (CaLedger    *self,
                                  CaSigner    *signer,
                                  GError     **error);
/* Refused with advice when the signer or a CA above it is outside its validity. */
gboolean  ca_signer_check_in_validity (CaSigner  *signer,
                                       GError   **error);
/* Refused when revoked, outside its validity, or deeper than a path length allows. */
gboolean  ca_signer_check_can_issue   (CaSigner  *signer,
                                       GError   **error);

/* An unsigned v3 certificate with a fresh serial, CN=@cn, the public key of
 * @public_key (or @spki as it is) and the validity given; no issuer yet. */
X509     *ca_new_certificate     (const char  *cn,
                                  EVP_PKEY    *public_key,
                                  const X509_PUBKEY *spki,
                                  gint64       not_before,
                                  gint64       not_after,
                                  char       **out_serial,
                                  GError     **error);
/* Signs an end-entity certificate for @public_key (or, faster, the request's
 * @spki as it is) with CN=@cn. The validity ends at @not_after, capped at the
 * end of the signer's chain. */
X509     *ca_signer_sign_leaf    (CaSigner    *signer,
                                  const char  *cn,
                                  EVP_PKEY    *public_key,
                                  const X509_PUBKEY *spki,
                                  gint64       not_after,
                                  char       **out_serial,
                                  GError     **error);

gint64    ca_certificate_insert  (CaLedger             *self,
                                  const CaCertificate  *record,
                                  const char           *pubkey_sha256,
                                  GError              **error);

/* Refuses the recorded CA @id when it sits deeper than a path length above it
 * allows (used on import, where the certificates already exist). */
gboolean  ca_authority_check_depth (CaLedger    *self,
                                    gint64       id,
                                    const char  *name,
                                    GError     **error);

/* Creates @request's CA as ca_ledger_create_authority() does, inside a write
 * transaction it begins and, on success, leaves open for the caller to add to
 * and commit; on failure it is rolled back. Called with the mutex held; the new
 * key goes to @out_key, for the key cache once committed. Returns its id, 0 on error. */
gint64    ca_authority_create_open (CaLedger                  *self,
                                    const CaAuthorityRequest  *request,
                                    EVP_PKEY                 **out_key,
                                    GError                   **error);
/* Revokes what @request names inside the caller's transaction (ca-revoke.c). */
GPtrArray *ca_revoke_in_transaction (CaLedger               *self,
                                     const CaRevokeRequest  *request,
                                     GError                **error);

gint64    ca_authority_insert    (CaLedger    *self,
                                  const char  *name,
                                  gint64       parent_id,
                                  X509        *cert,
                                  EVP_PKEY    *key,
                                  int          path_len,
                                  const char  *action,
                                  GError     **error);

G_END_DECLS
