-- Tapstand schema, version 5: the write station's history (记录).
--
-- station_attempts: every tap, including failures (one row per tag placed on the reader).
-- station_tags: the latest good state of each tag (UID + model_id), updated by each successful attempt.

CREATE TABLE station_attempts (
    id           INTEGER PRIMARY KEY,
    started_at   INTEGER NOT NULL,            -- unix milliseconds
    uid          TEXT NOT NULL DEFAULT '',    -- upper-case hex; '' when the tag could not be read
    chip         TEXT NOT NULL DEFAULT '',
    model_id     TEXT NOT NULL DEFAULT '',
    sn           TEXT NOT NULL DEFAULT '',
    openlink     TEXT,
    -- 'store:<id>', 'terminal:<id>' or 'all'
    target       TEXT NOT NULL,
    target_label TEXT NOT NULL DEFAULT '',
    store_id     INTEGER,
    terminal_id  INTEGER,
    path         TEXT NOT NULL DEFAULT '',
    query        TEXT NOT NULL DEFAULT '',
    reader       TEXT NOT NULL DEFAULT '',
    operator     TEXT NOT NULL DEFAULT '',
    -- 'written', 'already_correct', 'failed', 'needs_confirmation'
    result       TEXT NOT NULL CHECK (result IN ('written', 'already_correct', 'failed', 'needs_confirmation')),
    scheme_source TEXT,                       -- 'ledger', 'generated', 'recovered', …
    error_code   TEXT,
    error_zh     TEXT,
    locked       INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    read_ms      INTEGER NOT NULL DEFAULT 0,
    scheme_ms    INTEGER NOT NULL DEFAULT 0,
    write_ms     INTEGER NOT NULL DEFAULT 0,
    record_ms    INTEGER NOT NULL DEFAULT 0,
    total_ms     INTEGER NOT NULL DEFAULT 0,
    apdus        INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX station_attempts_started ON station_attempts (started_at);
CREATE INDEX station_attempts_uid ON station_attempts (uid);

CREATE TABLE station_tags (
    id           INTEGER PRIMARY KEY,
    uid          TEXT NOT NULL CHECK (length(uid) > 0),
    chip         TEXT NOT NULL,
    model_id     TEXT NOT NULL,
    sn           TEXT NOT NULL,
    openlink     TEXT NOT NULL,
    target       TEXT NOT NULL,
    target_label TEXT NOT NULL DEFAULT '',
    store_id     INTEGER,
    terminal_id  INTEGER,
    path         TEXT NOT NULL DEFAULT '',
    query        TEXT NOT NULL DEFAULT '',
    reader       TEXT NOT NULL DEFAULT '',
    operator     TEXT NOT NULL DEFAULT '',
    locked       INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    first_written_at INTEGER NOT NULL,
    last_verified_at INTEGER NOT NULL,
    verify_count INTEGER NOT NULL DEFAULT 1,
    UNIQUE (uid, model_id)
) STRICT;
