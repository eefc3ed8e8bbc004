DROP INDEX events_change_xid_idx;
DROP TRIGGER events_stamp_change ON events;
DROP FUNCTION events_stamp_change();
ALTER TABLE events DROP COLUMN change_xid;
