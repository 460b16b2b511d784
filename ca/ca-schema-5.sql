-- ca-schema-5.sql
--
-- Copyright 2026 The Tagsmith Authors
--
-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Schema version 5: installs can be taken off a modem again. A deletion is
-- recorded before the modem is touched ('removing') and settled after it
-- ('removed', or back to 'verified' when the modem refused); a verified install
-- the modem no longer holds when it is next listed becomes 'removed' as well.
-- SQLite cannot change a CHECK in place, so the table is rebuilt as in version 3.
CREATE TABLE installs_v5 (
  id             INTEGER PRIMARY KEY,
  imei           TEXT NOT NULL REFERENCES devices(imei),
  sec_tag        INTEGER NOT NULL,
  cred_type      INTEGER NOT NULL,                      -- %CMNG credential type
  certificate_id INTEGER REFERENCES certificates(id),  -- NULL for server CA certificates and generated keys
  sha256         TEXT,                                  -- of exactly the bytes sent; NULL for a modem-generated key
  port           TEXT,                                  -- serial port used
  state          TEXT NOT NULL CHECK (state IN ('intent', 'written', 'verified', 'failed', 'abandoned',
                                                'removing', 'removed')),
  host_key       INTEGER NOT NULL DEFAULT 0,            -- a private key existed outside the modem
  detail         TEXT,                                  -- why it failed, was abandoned or removed
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;
INSERT INTO installs_v5 SELECT id, imei, sec_tag, cred_type, certificate_id, sha256, port, state, host_key,
  detail, created_at, updated_at FROM installs;
DROP TABLE installs;
ALTER TABLE installs_v5 RENAME TO installs;
CREATE INDEX installs_imei ON installs (imei, id);
CREATE INDEX installs_sha256 ON installs (sha256);
