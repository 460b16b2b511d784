-- ca-schema-6.sql
--
-- Copyright 2026 The Tagsmith Authors
--
-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Schema version 6: stations. Each bench that shares a ledger is enrolled as a
-- station with its own intermediate CA, so a compromised bench is revoked on its
-- own; a station is revoked exactly when its intermediate is. Certificates,
-- installs and the lot a device was put in record the station they happened at;
-- rows from before stations, or made on a machine that is no station, have none.
CREATE TABLE stations (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,                          -- the name users type (--station NAME)
  authority_id INTEGER NOT NULL UNIQUE REFERENCES authorities(id), -- the station's intermediate
  created_at   INTEGER NOT NULL
) STRICT;
ALTER TABLE certificates ADD COLUMN station_id INTEGER REFERENCES stations(id);
ALTER TABLE installs ADD COLUMN station_id INTEGER REFERENCES stations(id);
ALTER TABLE devices ADD COLUMN lot_station_id INTEGER REFERENCES stations(id); -- where its lot was recorded
