-- Twin of migrations-pg/0009_notify.sql (change notifications for team mode). A SQLite database has one
-- PC and the app itself refreshes its lists after its own changes: nothing to add here.
SELECT 1;
