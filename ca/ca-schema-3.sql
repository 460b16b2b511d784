-- ca-schema-3.sql
--
-- Copyright 2026 The Tagsmith Authors
--
-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Schema version 3: installs.sha256 may be NULL, for the intent recorded before
-- %KEYGEN makes a key in the modem, whose hash no one knows. SQLite cannot drop
-- NOT NULL in place, so the table is rebuilt with the same columns and indexes.
CREATE TABLE installs_v3 (
  id             INTEGER PRIMARY KEY,
  imei           TEXT NOT NULL REFERENCES devices(imei),
  sec_tag        INTEGER NOT NULL,
  cred_type      INTEGER NOT NULL,                      -- %CMNG credential type
  certificate_id INTEGER REFERENCES certificates(id),  -- NULL for server CA certificates and generated keys
  sha256         TEXT,                                  -- of exactly the bytes sent; NULL for a modem-generated key
  port           TEXT,                                  -- serial port used
  state          TEXT NOT NULL CHECK (state IN ('intent', 'written', 'verified', 'failed', 'abandoned')),
  host_key       INTEGER NOT NULL DEFAULT 0,            -- a private key existed outside the modem
  detail         TEXT,                                  -- why it failed or was abandoned
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;
INSERT INTO installs_v3 SELECT id, imei, sec_tag, cred_type, certificate_id, sha256, port, state, host_key,
  detail, created_at, updated_at FROM installs;
DROP TABLE installs;
ALTER TABLE installs_v3 RENAME TO installs;
CREATE INDEX installs_imei ON installs (imei, id);
CREATE INDEX installs_sha256 ON installs (sha256);
