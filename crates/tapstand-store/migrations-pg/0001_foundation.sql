-- Tapstand schema, version 1: the foundation (PostgreSQL twin of migrations/0001_foundation.sql).

-- Key/value settings the merchant changes in the app (language, operator name, ...). Never secrets:
-- the AppSecret, tag passwords and the database password live only in the OS keychain.
CREATE TABLE settings (
    key         TEXT PRIMARY KEY NOT NULL CHECK (length(key) BETWEEN 1 AND 64),
    value       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL -- unix milliseconds
);
