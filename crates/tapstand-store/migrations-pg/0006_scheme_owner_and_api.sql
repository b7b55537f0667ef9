-- Tapstand schema, version 6: who owns a call in flight, and which API a scheme came from (PostgreSQL twin
-- of migrations/0006_scheme_owner_and_api.sql). On PostgreSQL the owner token names a session-level
-- advisory lock the owning database handle holds (tapstand-store's `owner` module), not a lock file.

ALTER TABLE scheme_ledger ADD COLUMN in_flight_owner TEXT;
ALTER TABLE scheme_ledger ADD COLUMN api_base TEXT NOT NULL DEFAULT '';
