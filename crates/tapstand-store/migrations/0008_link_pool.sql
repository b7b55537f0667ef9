-- Tapstand schema, version 8: pre-generated links (the pool, 团队模式).
--
-- A PC with the AppSecret generates links for a target ahead of time; a PC without it writes tags by
-- claiming one link per tag. Each link's sn is a serial (the target's prefix + a sequence, e.g.
-- "1001-000017"), not a tag UID, and its scheme lives in scheme_ledger like every other (model_id, sn).
--
-- link_pool.openlink is NULL between recording the row and WeChat's answer (a crash there is finished by
--     the next `pool generate`, through the ledger: never a second call for one sn).
-- claimed_uid: the tag this link was handed to, set once and never changed: a link is never written to two
--     tags. A tag torn or pulled off mid-write keeps its claim, so its next tap gets the same link.

CREATE TABLE link_pool (
    id           INTEGER PRIMARY KEY,
    appid        TEXT NOT NULL,
    model_id     TEXT NOT NULL,
    -- 'store:<id>', 'terminal:<id>' or 'all' (as station_attempts.target)
    target       TEXT NOT NULL,
    target_label TEXT NOT NULL DEFAULT '',
    seq          INTEGER NOT NULL CHECK (seq > 0),
    sn           TEXT NOT NULL CHECK (length(sn) BETWEEN 1 AND 32),
    path         TEXT NOT NULL DEFAULT '',
    query        TEXT NOT NULL DEFAULT '',
    openlink     TEXT CHECK (openlink IS NULL OR openlink LIKE 'weixin://dl/business/?t=_%'),
    created_at   INTEGER NOT NULL,            -- unix milliseconds
    generated_by TEXT NOT NULL DEFAULT '',    -- the PC (host name) that generated it
    claimed_uid  TEXT CHECK (claimed_uid IS NULL OR length(claimed_uid) > 0),
    claimed_at   INTEGER,
    claimed_by   TEXT,                        -- the PC that claimed it
    CHECK ((claimed_uid IS NULL) = (claimed_at IS NULL)),
    CHECK (claimed_uid IS NULL OR openlink IS NOT NULL),
    UNIQUE (model_id, sn),
    UNIQUE (model_id, target, seq),
    UNIQUE (model_id, target, claimed_uid)
) STRICT;

CREATE INDEX link_pool_free ON link_pool (model_id, target, id) WHERE claimed_uid IS NULL;
