-- Tapstand schema, version 1: the foundation.
-- Every later feature adds its own numbered migration; applied migrations are never edited.

-- Key/value settings the merchant changes in the app (language, operator name, ...). Never secrets:
-- the AppSecret and tag passwords live only in the OS keychain.
CREATE TABLE settings (
    key         TEXT PRIMARY KEY NOT NULL CHECK (length(key) BETWEEN 1 AND 64),
    value       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL -- unix milliseconds
) STRICT;
