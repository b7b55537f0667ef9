-- Tapstand schema, version 2: the NFC scheme ledger.
--
-- A scheme (weixin://dl/business/?t=…) is the merchant's non-recoverable asset: WeChat issues one per
-- model_id+sn, ever, and answers 9800010 afterwards. Every request is recorded here BEFORE the call, and
-- the openlink is stored in the same transaction that records the response. See tapstand-wechat's
-- `scheme` module for the state machine and the crash-safety reasoning.

CREATE TABLE scheme_ledger (
    id              INTEGER PRIMARY KEY,
    appid           TEXT NOT NULL,
    model_id        TEXT NOT NULL CHECK (length(model_id) BETWEEN 1 AND 128),
    -- '' for 一型一码 (one scheme per model_id); the tag's sn for 一机一码.
    sn              TEXT NOT NULL CHECK (length(sn) <= 128),
    -- What was asked for ('' = home page / no query).
    path            TEXT NOT NULL DEFAULT '',
    query           TEXT NOT NULL DEFAULT '',
    env_version     TEXT NOT NULL CHECK (env_version IN ('release', 'trial', 'develop')),
    -- pending:        recorded, no call whose outcome is unknown (safe to call generatenfcscheme)
    -- in_flight:      a call was (maybe) sent at in_flight_since and has not been resolved
    -- unknown:        a call ended without an answer (timeout, dropped connection): WeChat may have
    --                 issued a scheme; only an explicit resolve may call again
    -- issued:         WeChat answered errcode 0 with this openlink
    -- recovered:      WeChat answered 9800010 and the errmsg carried the existing openlink
    -- used_elsewhere: 9800010 without a URL, and no earlier call of ours: another tool used this sn
    -- lost:           9800010 without a URL after a call of ours whose answer never arrived
    state           TEXT NOT NULL CHECK (state IN
                        ('pending', 'in_flight', 'unknown', 'issued', 'recovered', 'used_elsewhere', 'lost')),
    openlink        TEXT CHECK (openlink IS NULL OR openlink LIKE 'weixin://dl/business/?t=_%'),
    -- recovered only: 1 if one of our own calls had left the outcome unknown (it was ours), 0 if not.
    recovered_own   INTEGER CHECK (recovered_own IN (0, 1)),
    attempts        INTEGER NOT NULL DEFAULT 0,
    in_flight_since INTEGER,
    last_errcode    INTEGER,
    last_error      TEXT,
    -- What WeChat says the scheme opens (queryscheme), when checked.
    wx_path         TEXT,
    wx_query        TEXT,
    wx_env_version  TEXT,
    wx_create_time  INTEGER, -- unix seconds
    created_at      INTEGER NOT NULL, -- unix milliseconds
    updated_at      INTEGER NOT NULL,
    issued_at       INTEGER,
    UNIQUE (model_id, sn),
    CHECK ((state IN ('issued', 'recovered')) = (openlink IS NOT NULL)),
    CHECK ((state = 'in_flight') = (in_flight_since IS NOT NULL))
) STRICT;

CREATE INDEX scheme_ledger_openlink ON scheme_ledger (openlink) WHERE openlink IS NOT NULL;
CREATE INDEX scheme_ledger_appid ON scheme_ledger (appid);

-- One row per generatenfcscheme call (including retries inside the client's own backoff), for quota
-- accounting (lifetime vs 100,000; per day vs 500,000) and support.
CREATE TABLE scheme_calls (
    id          INTEGER PRIMARY KEY,
    scheme_id   INTEGER NOT NULL REFERENCES scheme_ledger (id),
    appid       TEXT NOT NULL,
    started_at  INTEGER NOT NULL, -- unix milliseconds
    finished_at INTEGER,
    -- in_flight: not finished (or the process died); issued: errcode 0; exists: 9800010;
    -- failed: another errcode or a failure before sending; unknown: no answer
    outcome     TEXT NOT NULL CHECK (outcome IN ('in_flight', 'issued', 'exists', 'failed', 'unknown')),
    errcode     INTEGER,
    detail      TEXT
) STRICT;

CREATE INDEX scheme_calls_appid_started ON scheme_calls (appid, started_at);
CREATE INDEX scheme_calls_scheme ON scheme_calls (scheme_id);
