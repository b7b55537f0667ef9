-- Tapstand schema, version 7: the genuine-chip check (NXP originality signature, READ_SIG).
--
-- station_attempts.chip_genuine, station_tags.chip_genuine: the verdict when the tag was read:
--     1 = an NXP original, 0 = not an NXP original (a compatible chip or a copy), NULL = this chip or this
--     reader cannot be checked (and every row recorded before this column existed).
--     A tag's row keeps the last known verdict when a later tap could not check it.
-- profiles.only_genuine: "只写 NXP 原厂芯片": the station refuses every other chip before a link is
--     generated. 0 = off (the default).

ALTER TABLE station_attempts ADD COLUMN chip_genuine INTEGER CHECK (chip_genuine IN (0, 1));
ALTER TABLE station_tags ADD COLUMN chip_genuine INTEGER CHECK (chip_genuine IN (0, 1));
ALTER TABLE profiles ADD COLUMN only_genuine INTEGER NOT NULL DEFAULT 0 CHECK (only_genuine IN (0, 1));
