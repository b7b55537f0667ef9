-- Tapstand schema, version 7 (PostgreSQL twin of ../migrations/0007_chip_genuine.sql): the genuine-chip
-- check (NXP originality signature, READ_SIG).
--
-- station_attempts.chip_genuine, station_tags.chip_genuine: the verdict when the tag was read:
--     TRUE = an NXP original, FALSE = not an NXP original (a compatible chip or a copy), NULL = this chip or
--     this reader cannot be checked (and every row recorded before this column existed).
--     A tag's row keeps the last known verdict when a later tap could not check it.
-- profiles.only_genuine: "只写 NXP 原厂芯片": the station refuses every other chip before a link is
--     generated. FALSE = off (the default).

ALTER TABLE station_attempts ADD COLUMN chip_genuine BOOLEAN;
ALTER TABLE station_tags ADD COLUMN chip_genuine BOOLEAN;
ALTER TABLE profiles ADD COLUMN only_genuine BOOLEAN NOT NULL DEFAULT FALSE;
