-- Twin of migrations-pg/0012_retire_tag_fn.sql (换标签 on a writer PC of a team database). A SQLite database
-- has no roles: Db::stand_retire_tag moves the row itself. Nothing to add here.
SELECT 1;
