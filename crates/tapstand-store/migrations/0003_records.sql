-- Tapstand schema, version 3: the merchant's records.
-- Mini program profiles (the AppSecret itself is in the OS keychain, never here), WeChat device models
-- (model_id), stores (门店) and front-desk terminals (前台终端).

CREATE TABLE profiles (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE CHECK (length(trim(name)) BETWEEN 1 AND 64),
    appid           TEXT NOT NULL UNIQUE CHECK (length(appid) BETWEEN 1 AND 64),
    env_version     TEXT NOT NULL DEFAULT 'release' CHECK (env_version IN ('release', 'trial', 'develop')),
    -- The membership page the tag opens, and the query template filled per tag ({store_id}, {terminal_no}, {sn}, ...).
    page_path       TEXT NOT NULL DEFAULT '',
    query_template  TEXT NOT NULL DEFAULT '',
    -- Whether an AppSecret was saved in the keychain for this AppID (a flag, not the secret).
    secret_saved    INTEGER NOT NULL DEFAULT 0 CHECK (secret_saved IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE device_models (
    id              INTEGER PRIMARY KEY,
    profile_id      INTEGER REFERENCES profiles (id) ON DELETE RESTRICT,
    -- WeChat assigns the model_id once the registration is approved; empty until then.
    model_id        TEXT UNIQUE CHECK (model_id IS NULL OR length(model_id) BETWEEN 1 AND 64),
    model_name      TEXT NOT NULL CHECK (length(trim(model_name)) BETWEEN 1 AND 64),  -- 型号, e.g. ZHS-NTAG216
    link_type       TEXT NOT NULL DEFAULT 'per_device' CHECK (link_type IN ('per_device', 'per_model')),
    status          TEXT NOT NULL DEFAULT 'registering'
                    CHECK (status IN ('registering', 'registered', 'applying', 'approved', 'rejected')),
    reject_reason   TEXT NOT NULL DEFAULT '',
    notes           TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE stores (
    id              INTEGER PRIMARY KEY,
    org_code        TEXT NOT NULL UNIQUE CHECK (length(trim(org_code)) BETWEEN 1 AND 32),  -- 机构编号
    company         TEXT NOT NULL DEFAULT '',                                             -- 组织/公司
    name            TEXT NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 100),            -- 门店名称
    address         TEXT NOT NULL DEFAULT '',
    archived_at     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX stores_name ON stores (name);

CREATE TABLE terminals (
    id              INTEGER PRIMARY KEY,
    -- NULL: the terminal serves every store (不区分门店).
    store_id        INTEGER REFERENCES stores (id) ON DELETE RESTRICT,
    machine_no      TEXT NOT NULL CHECK (length(trim(machine_no)) BETWEEN 1 AND 32),   -- 机器号
    terminal_no     TEXT NOT NULL UNIQUE CHECK (length(trim(terminal_no)) BETWEEN 1 AND 32),  -- 终端号
    note            TEXT NOT NULL DEFAULT '',                                           -- 备注
    archived_at     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX terminals_store ON terminals (store_id);
