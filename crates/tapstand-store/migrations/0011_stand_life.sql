-- Tapstand schema, version 11: the stand after the write (换标签, re-point, 巡检).
--
-- retired_tags: a stand's tag that was replaced by another (broken, lost, tampered with). The row left
--   station_tags (which holds the tags in service) and keeps what the tag held, when and why it was retired
--   and the UID of the tag that took its place. The link itself stays the stand's: it was written onto the
--   new tag (a WeChat link is a URL, not tied to the chip), so no link is spent.
-- retired_links: a link a stand no longer opens because the stand was re-pointed to another target. WeChat
--   never deletes or changes a link (9800010): the old link still opens the old page forever, so it must not
--   be printed or written again. One row per retired link, with the link that replaced it.
-- audits: one row per 巡检 (audit) of a store; `report` is the audit as JSON
--   (tapstand_station::audit::AuditReport), rewritten after every tap so a stopped audit loses nothing.

CREATE TABLE retired_tags (
    id               INTEGER PRIMARY KEY,
    uid              TEXT NOT NULL,
    chip             TEXT NOT NULL DEFAULT '',
    model_id         TEXT NOT NULL,
    sn               TEXT NOT NULL,
    openlink         TEXT NOT NULL,
    target           TEXT NOT NULL,
    target_label     TEXT NOT NULL DEFAULT '',
    store_id         INTEGER,
    terminal_id      INTEGER,
    first_written_at INTEGER NOT NULL,
    retired_at       INTEGER NOT NULL, -- unix milliseconds
    reason           TEXT NOT NULL CHECK (reason IN ('broken', 'lost', 'tampered', 'other')),
    replaced_by      TEXT NOT NULL,    -- the new tag's UID
    operator         TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX retired_tags_uid ON retired_tags (uid);

CREATE TABLE retired_links (
    id               INTEGER PRIMARY KEY,
    model_id         TEXT NOT NULL,
    sn               TEXT NOT NULL,
    openlink         TEXT NOT NULL UNIQUE,
    target           TEXT NOT NULL,
    target_label     TEXT NOT NULL DEFAULT '',
    uid              TEXT NOT NULL,    -- the stand's tag when its link was retired
    new_openlink     TEXT NOT NULL,
    new_target       TEXT NOT NULL,
    new_target_label TEXT NOT NULL DEFAULT '',
    retired_at       INTEGER NOT NULL, -- unix milliseconds
    operator         TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE audits (
    id          INTEGER PRIMARY KEY,
    store_id    INTEGER NOT NULL,
    store_label TEXT NOT NULL,
    started_at  INTEGER NOT NULL,      -- unix milliseconds
    finished_at INTEGER,
    operator    TEXT NOT NULL DEFAULT '',
    report      TEXT NOT NULL
) STRICT;

CREATE INDEX audits_started ON audits (started_at);
