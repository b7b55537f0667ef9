-- Tapstand schema, version 12 (PostgreSQL only; the SQLite twin is a no-op): 换标签 on a store's PC.
--
-- A writer PC (tapstand-cli db init-roles) may not DELETE from station_tags. 换标签 moves one row of it to
-- retired_tags, and only once the stand's link is registered on the new tag: this function does exactly that
-- move, with the rights of its owner (the head-office role after init-roles), and nothing else. A writer gets
-- EXECUTE on it; the row is never lost (it lands in retired_tags), and a tag whose link is not on another
-- registered tag cannot be retired this way (42501, told as db.team.not_permitted).

CREATE FUNCTION tapstand_retire_tag(p_id BIGINT, p_reason TEXT, p_replaced_by TEXT, p_operator TEXT, p_now BIGINT)
RETURNS BOOLEAN
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    old public.station_tags;
BEGIN
    SELECT * INTO old FROM public.station_tags WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN FALSE;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM public.station_tags n
        WHERE n.uid = p_replaced_by AND n.model_id = old.model_id AND n.openlink = old.openlink AND n.id <> old.id
    ) THEN
        RAISE EXCEPTION 'tag % does not hold the link of the stand being retired', p_replaced_by
            USING ERRCODE = '42501';
    END IF;
    DELETE FROM public.station_tags WHERE id = p_id;
    INSERT INTO public.retired_tags (uid, chip, model_id, sn, openlink, target, target_label, store_id,
                                     terminal_id, first_written_at, retired_at, reason, replaced_by, operator)
    VALUES (old.uid, old.chip, old.model_id, old.sn, old.openlink, old.target, old.target_label, old.store_id,
            old.terminal_id, old.first_written_at, p_now, p_reason, p_replaced_by, p_operator);
    RETURN TRUE;
END;
$$;

REVOKE ALL ON FUNCTION tapstand_retire_tag(BIGINT, TEXT, TEXT, TEXT, BIGINT) FROM PUBLIC;
