-- Team mode: another PC's changes appear within 2 s. Every insert, update or delete on the tables the
-- merchant's lists show sends NOTIFY tapstand_changes with the table's name (delivered at commit, once per
-- statement); Db::watch_changes (LISTEN) turns them into change events for the app.
CREATE FUNCTION tapstand_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tapstand_changes', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER stores_notify AFTER INSERT OR UPDATE OR DELETE ON stores
    FOR EACH STATEMENT EXECUTE FUNCTION tapstand_notify_change();
CREATE TRIGGER terminals_notify AFTER INSERT OR UPDATE OR DELETE ON terminals
    FOR EACH STATEMENT EXECUTE FUNCTION tapstand_notify_change();
CREATE TRIGGER station_tags_notify AFTER INSERT OR UPDATE OR DELETE ON station_tags
    FOR EACH STATEMENT EXECUTE FUNCTION tapstand_notify_change();
CREATE TRIGGER profiles_notify AFTER INSERT OR UPDATE OR DELETE ON profiles
    FOR EACH STATEMENT EXECUTE FUNCTION tapstand_notify_change();
CREATE TRIGGER device_models_notify AFTER INSERT OR UPDATE OR DELETE ON device_models
    FOR EACH STATEMENT EXECUTE FUNCTION tapstand_notify_change();
