-- PostgreSQL twin of migrations/0007_chip_genuine.sql (the genuine-chip check). See README.md for the rule.
--
-- station_attempts.chip_genuine, station_tags.chip_genuine: TRUE = an NXP original, FALSE = not, NULL = not
--     checkable (and every row recorded before this column existed).
-- profiles.only_genuine: "只写 NXP 原厂芯片"; FALSE = off (the default).

ALTER TABLE station_attempts ADD COLUMN chip_genuine BOOLEAN;
ALTER TABLE station_tags ADD COLUMN chip_genuine BOOLEAN;
ALTER TABLE profiles ADD COLUMN only_genuine BOOLEAN NOT NULL DEFAULT FALSE;
