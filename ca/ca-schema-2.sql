-- ca-schema-2.sql
--
-- Copyright 2026 The Tagsmith Authors
--
-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Schema version 2: intermediate CAs can be revoked, so a parent's CRL lists a
-- compromised intermediate. Applied on top of ca-schema.sql (version 1), inside
-- the same transaction, both when a ledger is created and when a version 1
-- ledger is opened. The columns mean what their namesakes in certificates mean.
ALTER TABLE authorities ADD COLUMN status TEXT NOT NULL DEFAULT 'valid'
  CHECK (status IN ('valid', 'revoked'));
ALTER TABLE authorities ADD COLUMN revoke_reason INTEGER;   -- RFC 5280 CRLReason when revoked
ALTER TABLE authorities ADD COLUMN revoked_at INTEGER;
ALTER TABLE authorities ADD COLUMN invalidity_date INTEGER;
-- The parent's CRL looks up its revoked children.
CREATE INDEX authorities_revoked ON authorities (parent_id, status, not_after);
