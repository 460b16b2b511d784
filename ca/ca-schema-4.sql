-- ca-schema-4.sql
--
-- Copyright 2026 The Tagsmith Authors
--
-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Schema version 4: indexes for searching and filtering the fleet view, so
-- each of its queries is an index lookup or range scan at a million devices.
-- Searching by device UUID, in any case: older ledgers may hold upper-case UUIDs.
CREATE INDEX devices_uuid ON devices (uuid COLLATE NOCASE);
-- A lot's devices in IMEI order (keyset pages within a lot), and the distinct
-- lots one index seek each.
CREATE INDEX devices_lot ON devices (lot, imei);
-- Searching by certificate serial, whichever authority issued it.
CREATE INDEX certificates_serial ON certificates (serial);
-- The authorities' issued-certificate counts (CA_AUTHORITY_COLUMNS), which every
-- page showing authorities reads: covering, so a million certificates are
-- counted from the index alone rather than a million table lookups, which
-- held the ledger for seconds while the Fleet waited.
CREATE INDEX certificates_authority_imei ON certificates (authority_id, imei);
