-- Tapstand schema, version 4: the mini-program code (小程序码) cache.
--
-- getwxacodeunlimit images with every parameter that changes the picture, so stand artwork can be laid out
-- and exported offline and a code is fetched from WeChat once. A code is found by its scene (which carries
-- the store or terminal id, at most 32 characters), not by a foreign key: the stores/terminals tables
-- (migration 0003) are independent of this one. The sha256 is checked on every read; a damaged row is
-- dropped and fetched again.

CREATE TABLE wxacode_cache (
    id           INTEGER PRIMARY KEY,
    appid        TEXT NOT NULL CHECK (length(appid) BETWEEN 1 AND 64),
    scene        TEXT NOT NULL CHECK (length(scene) BETWEEN 1 AND 32),
    -- '' = the mini program's home page
    page         TEXT NOT NULL DEFAULT '' CHECK (length(page) <= 256),
    width        INTEGER NOT NULL CHECK (width BETWEEN 280 AND 1280),
    env_version  TEXT NOT NULL CHECK (env_version IN ('release', 'trial', 'develop')),
    is_hyaline   INTEGER NOT NULL CHECK (is_hyaline IN (0, 1)),
    auto_color   INTEGER NOT NULL DEFAULT 0 CHECK (auto_color IN (0, 1)),
    -- 'r,g,b' (0–255 each) when a line colour was asked for, '' otherwise
    line_color   TEXT NOT NULL DEFAULT '',
    -- What WeChat sent: JPEG by default, PNG with is_hyaline.
    mime         TEXT NOT NULL CHECK (mime IN ('image/jpeg', 'image/png')),
    bytes        BLOB NOT NULL,
    byte_len     INTEGER NOT NULL,
    -- lower-case hex of sha256(bytes)
    sha256       TEXT NOT NULL CHECK (length(sha256) = 64),
    fetched_at   INTEGER NOT NULL, -- unix milliseconds
    last_used_at INTEGER,          -- unix milliseconds
    CHECK (byte_len = length(bytes) AND byte_len > 0),
    UNIQUE (appid, scene, page, width, env_version, is_hyaline, auto_color, line_color)
) STRICT;

CREATE INDEX wxacode_cache_scene ON wxacode_cache (appid, scene);
