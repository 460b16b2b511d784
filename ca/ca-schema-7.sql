-- ca-schema-7.sql
--
-- Copyright 2026 The Tagsmith Authors
--
-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Schema version 7: sorting the fleet view. A page of a sorted fleet is one walk
-- of an index from the previous page's last row (the sort value, then the IMEI
-- that breaks ties), so the first rows come as fast at a million devices as at
-- ten. The current certificate's end and status live in another table, which no
-- index of devices can reach, so each device keeps a copy, refreshed wherever its
-- current certificate or that certificate's status changes (ca-fleet.c,
-- ca_fleet_refresh_sort_keys()). Neither is ever NULL, since the engines put NULLs
-- at opposite ends of an order.
-- The current certificate's not_after; the largest time when it has none, so
-- devices without a certificate come last, as never expiring.
ALTER TABLE devices ADD COLUMN current_not_after INTEGER NOT NULL DEFAULT 9223372036854775807;
-- The current certificate's status, in the order the status column sorts:
-- 0 revoked, 1 valid (expired or not: that depends on the clock, so the
-- expiry that follows it in the index orders the expired first), 2 none.
ALTER TABLE devices ADD COLUMN current_status_rank INTEGER NOT NULL DEFAULT 2;
UPDATE devices SET
  current_not_after = coalesce ((SELECT c.not_after FROM certificates c WHERE c.id = devices.current_certificate_id),
                                9223372036854775807),
  current_status_rank = coalesce ((SELECT CASE c.status WHEN 'revoked' THEN 0 ELSE 1 END FROM certificates c
                                   WHERE c.id = devices.current_certificate_id), 2);
-- One index per sort column, ending with the IMEI that breaks ties; each again
-- after the lot, so a lot's devices are sorted by walking their part of it.
CREATE INDEX devices_last_seen ON devices (last_seen, imei);
CREATE INDEX devices_expiry ON devices (current_not_after, imei);
CREATE INDEX devices_status ON devices (current_status_rank, current_not_after, imei);
CREATE INDEX devices_lot_last_seen ON devices (lot, last_seen, imei);
CREATE INDEX devices_lot_expiry ON devices (lot, current_not_after, imei);
CREATE INDEX devices_lot_status ON devices (lot, current_status_rank, current_not_after, imei);
