-- The change feed of the in-memory search index (search-index.ts): every insert or update of an event
-- stamps the row with the ID of the transaction that wrote it. An index that last read the table under a
-- snapshot reads the rows stamped by the transactions that snapshot did not see: those at or past its
-- xmax and those in its xip list (running then). A sequence would not do: its values commit out of
-- order, so a reader that moved past a later value would skip an earlier one committed after it.
ALTER TABLE events ADD COLUMN change_xid bigint NOT NULL DEFAULT 0;

CREATE FUNCTION events_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.change_xid := txid_current();
  RETURN NEW;
END
$$;
CREATE TRIGGER events_stamp_change BEFORE INSERT OR UPDATE ON events
  FOR EACH ROW EXECUTE FUNCTION events_stamp_change();

CREATE INDEX events_change_xid_idx ON events (change_xid);
