-- Tapstand schema, version 10: derived sns (a link for every tag).
--
-- In 一机一码 a tag's sn is its UID. When WeChat has issued the scheme of that sn but its answer was lost and
-- its 9800010 comes back without the link (reference §2.1: "the URL may be empty"), the sn can never give a
-- link again. The tag then gets a derived sn, `<UID>-2` (then -3, …): one row here per derived sn, saying
-- which sn it stands in for and why, so the ledger, 记录 and support can tell it from any other sn.
--   reason: 'lost' (our own call's answer was lost) or 'used_elsewhere' (issued by another tool or PC).

CREATE TABLE scheme_derived (
    id INTEGER PRIMARY KEY,
    model_id TEXT NOT NULL,
    sn TEXT NOT NULL,
    derived_from TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('lost', 'used_elsewhere')),
    created_at INTEGER NOT NULL,
    UNIQUE (model_id, sn)
) STRICT;

CREATE INDEX scheme_derived_from ON scheme_derived (model_id, derived_from);
