-- Browsing a category, sorted: one row per event and category it is found under (its own categories and
-- their ancestors, so a search in a category, which includes the subcategories, is one equality), with
-- the event's sort keys beside it. An index per sort then walks only the category's events in order:
-- `events.categories && subtree` cannot share an index with a sort, and in a sort that correlates with
-- the category (titles name the activity) the sort index walked 25,000 rows of other categories for one
-- page (110 ms). With the listing and "has free seats" beside the keys, the catalog's usual filters and
-- the bounded count need no row of `events` (a count joined to it took 27 ms under load). Kept by
-- triggers from `events` (a write that changes the categories, the listing, a sort key, or sells out or
-- frees the last seat) and `categories` (a new, moved or deleted category changes its events' ancestors);
-- other seat changes do not touch it. Everything else about an event is read from `events`.
CREATE TABLE event_category_keys (
  category_id text NOT NULL,
  event_id text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  listed boolean NOT NULL,
  has_seats boolean NOT NULL,
  title text NOT NULL,
  starts_at timestamptz NOT NULL,
  price_from bigint,
  created_at timestamptz NOT NULL,
  rating double precision,
  PRIMARY KEY (category_id, event_id)
);

-- The rows of the events `ids` of the schema `target`, written again from `events` and the category tree.
-- The schema is passed on (not taken from the search path): a rebuild copies the categories into a fresh
-- schema from a connection whose search path is the live one.
CREATE FUNCTION event_category_keys_refresh(target text, ids text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DELETE FROM %I.event_category_keys WHERE event_id = ANY($1)', target) USING ids;
  EXECUTE format($sql$
    WITH RECURSIVE up(event_id, category_id) AS (
      SELECT e.id, c.id FROM %1$I.events e CROSS JOIN LATERAL unnest(e.categories) AS c(id) WHERE e.id = ANY($1)
      UNION
      SELECT up.event_id, k.parent_id FROM up JOIN %1$I.categories k ON k.id = up.category_id
      WHERE k.parent_id IS NOT NULL
    )
    INSERT INTO %1$I.event_category_keys (category_id, event_id, listed, has_seats, title, starts_at,
      price_from, created_at, rating)
    SELECT up.category_id, e.id, e.listed, e.seats_available > 0, e.title, e.starts_at, e.price_from,
      e.created_at, e.rating
    FROM up JOIN %1$I.events e ON e.id = up.event_id
  $sql$, target) USING ids;
END
$$;

CREATE FUNCTION event_category_keys_of_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM event_category_keys_refresh(TG_TABLE_SCHEMA, ARRAY(SELECT id FROM new_rows));
  ELSE
    PERFORM event_category_keys_refresh(TG_TABLE_SCHEMA, ARRAY[NEW.id]);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER event_category_keys_on_insert AFTER INSERT ON events
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_category_keys_of_events();
-- Per row, with the test in the trigger's WHEN: an update of seats only (every booking) costs a comparison,
-- not a call (a statement-level trigger with transition tables doubled a one-row seat update, 1 → 2 ms).
CREATE TRIGGER event_category_keys_on_update AFTER UPDATE ON events FOR EACH ROW
  WHEN ((NEW.categories, NEW.listed, NEW.seats_available > 0, NEW.title, NEW.starts_at, NEW.price_from,
         NEW.created_at, NEW.rating)
    IS DISTINCT FROM (OLD.categories, OLD.listed, OLD.seats_available > 0, OLD.title, OLD.starts_at,
         OLD.price_from, OLD.created_at, OLD.rating))
  EXECUTE FUNCTION event_category_keys_of_events();

-- A category inserted, moved or deleted: its events (those under it or its subcategories) again.
CREATE FUNCTION event_category_keys_of_categories() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed text[];
  ids text[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    changed := ARRAY(SELECT id FROM new_rows);
  ELSIF TG_OP = 'DELETE' THEN
    changed := ARRAY(SELECT id FROM old_rows);
  ELSE
    changed := ARRAY(SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
                     WHERE n.parent_id IS DISTINCT FROM o.parent_id);
  END IF;
  IF cardinality(changed) = 0 THEN
    RETURN NULL;
  END IF;
  EXECUTE format($sql$
    WITH RECURSIVE down(id) AS (
      SELECT unnest($1::text[])
      UNION
      SELECT k.id FROM %1$I.categories k JOIN down ON k.parent_id = down.id
    )
    SELECT ARRAY(SELECT e.id FROM %1$I.events e WHERE e.categories && ARRAY(SELECT id FROM down))
  $sql$, TG_TABLE_SCHEMA) INTO ids USING changed;
  PERFORM event_category_keys_refresh(TG_TABLE_SCHEMA, ids);
  RETURN NULL;
END
$$;
CREATE TRIGGER event_category_keys_on_category_insert AFTER INSERT ON categories
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_category_keys_of_categories();
CREATE TRIGGER event_category_keys_on_category_update AFTER UPDATE ON categories
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION event_category_keys_of_categories();
CREATE TRIGGER event_category_keys_on_category_delete AFTER DELETE ON categories
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION event_category_keys_of_categories();

-- The events already projected (before the indexes: one build each instead of row by row).
SELECT event_category_keys_refresh(current_schema(), ARRAY(SELECT id FROM events));
CREATE INDEX event_category_keys_event_idx ON event_category_keys (event_id);
CREATE INDEX event_category_keys_starts_idx ON event_category_keys (category_id, starts_at, event_id)
  INCLUDE (price_from, has_seats) WHERE listed;
CREATE INDEX event_category_keys_price_idx ON event_category_keys (category_id, price_from, event_id)
  INCLUDE (has_seats) WHERE listed;
CREATE INDEX event_category_keys_price_desc_idx ON event_category_keys (category_id, price_from DESC NULLS LAST, event_id DESC)
  INCLUDE (has_seats) WHERE listed;
CREATE INDEX event_category_keys_title_idx ON event_category_keys (category_id, title, event_id)
  INCLUDE (price_from, has_seats) WHERE listed;
CREATE INDEX event_category_keys_created_idx ON event_category_keys (category_id, created_at, event_id)
  INCLUDE (price_from, has_seats) WHERE listed;
CREATE INDEX event_category_keys_rating_idx ON event_category_keys (category_id, rating, event_id)
  INCLUDE (price_from, has_seats) WHERE listed;
CREATE INDEX event_category_keys_rating_desc_idx ON event_category_keys (category_id, rating DESC NULLS LAST, event_id DESC)
  INCLUDE (price_from, has_seats) WHERE listed;

-- The bounded count of a full-text search (at most 1,001 matches) in the listed catalog: with the GIN
-- index of every event the planner had to AND it with another index to drop the unlisted ones, found a
-- sequential scan cheaper, and rechecked the text of 16,000 rows for a word in 6 % of them (180 ms under
-- load); the listed events' own GIN index reads the matches only (11 ms).
CREATE INDEX events_listed_public_search_idx ON events USING gin (public_search) WHERE listed;
CREATE INDEX events_listed_search_idx ON events USING gin (search) WHERE listed;
