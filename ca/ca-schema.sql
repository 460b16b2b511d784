-- ca-schema.sql
--
-- Copyright 2026 The Tagsmith Authors
--
-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- The Tagsmith fleet ledger, schema version 1. One SQLite file holds everything,
-- so backing up a fleet is copying one file. Times are Unix seconds (UTC); SHA-256
-- values are 64 uppercase hex digits; serials are uppercase hex without leading
-- zero octets. This file is applied inside one transaction when a ledger is
-- created, followed by the later versions' steps (ca-schema-2.sql, ...);
-- PRAGMA user_version then records the version.

-- Small key/value facts about the ledger itself:
--   passphrase_verifier  verifier of the workspace passphrase: "scrypt2$N$r$p$salt-hex$check-hex",
--                        check = HKDF-SHA256(scrypt(passphrase, salt), "tagsmith passphrase
--                        verifier"); lets a wrong passphrase be refused before anything
--                        changes. Ledgers before stored "scrypt$N$r$1$salt-hex$scrypt-hex",
--                        replaced on their first unlock
--   audit_head           "<id>:<hash>" of the newest audit event, so deleting the
--                        tail of the chain is detected too
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- Certificate authorities: roots and intermediates.
CREATE TABLE authorities (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,               -- the name users type (--ca NAME)
  parent_id   INTEGER REFERENCES authorities(id), -- the issuer; NULL for a root
  subject     TEXT NOT NULL,                      -- RFC 2253 subject
  key_type    INTEGER NOT NULL,                   -- CaKeyType
  path_len    INTEGER NOT NULL DEFAULT -1,        -- basicConstraints pathLen, -1 for none
  not_before  INTEGER NOT NULL,
  not_after   INTEGER NOT NULL,
  serial      TEXT NOT NULL,                      -- this CA certificate's own serial
  ski         TEXT NOT NULL,                      -- subjectKeyIdentifier, hex
  cert_pem    TEXT NOT NULL,                      -- the CA certificate, PEM, LF endings
  sha256_lf   TEXT NOT NULL,                      -- SHA-256 of cert_pem
  sha256_crlf TEXT NOT NULL,                      -- SHA-256 of cert_pem with CRLF endings
  key_pkcs8   TEXT NOT NULL,                      -- private key: encrypted PKCS#8 PEM
                                                  -- (PBES2, scrypt N=2^14 r=8 p=8,
                                                  -- 16-byte salt, AES-256-CBC)
  crl_number  INTEGER NOT NULL DEFAULT 0,         -- the last CRL number issued
  next_serial TEXT,                               -- imported CAs: serial.txt (kept for reference)
  created_at  INTEGER NOT NULL
) STRICT;

-- Devices, keyed by IMEI (15 digits, Luhn check digit verified before insert).
CREATE TABLE devices (
  imei                   TEXT PRIMARY KEY CHECK (length(imei) = 15 AND imei NOT GLOB '*[^0-9]*'),
  uuid                   TEXT,     -- modem's device UUID, lower-case 8-4-4-4-12
  model                  TEXT,     -- e.g. "nRF9160 DK"
  firmware               TEXT,     -- modem firmware version
  lot                    TEXT,     -- production lot
  notes                  TEXT,
  first_seen             INTEGER NOT NULL,
  last_seen              INTEGER NOT NULL,
  current_certificate_id INTEGER REFERENCES certificates(id) -- newest issued certificate
) STRICT;

-- Every certificate an authority signed (device and proof-of-possession).
CREATE TABLE certificates (
  id              INTEGER PRIMARY KEY,
  authority_id    INTEGER NOT NULL REFERENCES authorities(id),
  serial          TEXT NOT NULL,
  imei            TEXT REFERENCES devices(imei), -- NULL for proof-of-possession certificates
  profile         TEXT NOT NULL,                 -- "generic", "lwm2m", ..., or "proof"
  subject         TEXT NOT NULL,                 -- RFC 2253
  not_before      INTEGER NOT NULL,
  not_after       INTEGER NOT NULL,
  status          TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'revoked')),
                                                 -- expiry is computed from not_after
  revoke_reason   INTEGER,                       -- RFC 5280 CRLReason when revoked
  revoked_at      INTEGER,
  invalidity_date INTEGER,
  supersedes_id   INTEGER REFERENCES certificates(id), -- the IMEI's previous valid certificate
  pubkey_sha256   TEXT NOT NULL,                 -- SHA-256 of the SubjectPublicKeyInfo DER
  host_key        INTEGER NOT NULL DEFAULT 0,    -- 1 when the key was generated on the host
  issued_at       INTEGER NOT NULL,
  installed_at    INTEGER,                       -- set when an install was verified
  pem             TEXT NOT NULL,                 -- LF endings
  sha256_lf       TEXT NOT NULL,                 -- SHA-256 of pem, as a modem lists it
  sha256_crlf     TEXT NOT NULL,                 -- ... of pem with CRLF endings
  UNIQUE (authority_id, serial)
) STRICT;
CREATE INDEX certificates_imei ON certificates (imei, id);
CREATE INDEX certificates_pubkey ON certificates (pubkey_sha256);
CREATE INDEX certificates_sha256_lf ON certificates (sha256_lf);
CREATE INDEX certificates_sha256_crlf ON certificates (sha256_crlf);
CREATE INDEX certificates_supersedes ON certificates (supersedes_id);
CREATE INDEX certificates_revoked ON certificates (authority_id, status, not_after);

-- Credentials written to modems. Provisioning inserts the intent before it writes
-- anything, then moves it to written, verified, failed or abandoned.
CREATE TABLE installs (
  id             INTEGER PRIMARY KEY,
  imei           TEXT NOT NULL REFERENCES devices(imei),
  sec_tag        INTEGER NOT NULL,
  cred_type      INTEGER NOT NULL,                      -- %CMNG credential type
  certificate_id INTEGER REFERENCES certificates(id),  -- NULL for server CA certificates
  sha256         TEXT NOT NULL,                         -- of exactly the bytes sent
  port           TEXT,                                  -- serial port used
  state          TEXT NOT NULL CHECK (state IN ('intent', 'written', 'verified', 'failed', 'abandoned')),
  host_key       INTEGER NOT NULL DEFAULT 0,            -- a private key existed outside the modem
  detail         TEXT,                                  -- why it failed or was abandoned
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX installs_imei ON installs (imei, id);
CREATE INDEX installs_sha256 ON installs (sha256);

-- The audit log: one row per change or CA key use, chained. hash is the
-- HMAC-SHA256 of "v2", id, at, actor, action, imei, details and prev_hash joined
-- by newlines, under HKDF-SHA256(scrypt(passphrase, verifier salt), "tagsmith
-- audit chain key"), so editing, reordering or deleting a row breaks the chain
-- and nobody without the passphrase can recompute it. (Ledgers before used the
-- plain SHA-256 of "v1", ...; they are re-keyed on their first unlock.) The
-- details record what `audit verify` replays against the tables: serial, sha256
-- and reason of certificates, sha256 and key_sha256 (of key_pkcs8) of CAs,
-- install ids, and the SHA-256 of the verifier (passphrase.set, ledger.rekey).
CREATE TABLE audit_log (
  id        INTEGER PRIMARY KEY,
  at        INTEGER NOT NULL,
  actor     TEXT NOT NULL,   -- OS user@host
  action    TEXT NOT NULL,   -- "ca.create", "issue", "revoke", "crl", ...
  imei      TEXT,            -- the device concerned, if any
  details   TEXT NOT NULL,   -- JSON object
  prev_hash TEXT NOT NULL,   -- hash of the previous row, 64 zeros for the first
  hash      TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_imei ON audit_log (imei, id);
