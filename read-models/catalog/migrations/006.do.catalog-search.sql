-- Catalog search under visitors' traffic.
--
-- Relevance (the default order with `q`): events whose title matches come first, then the others, each
-- tier in start order. The title's own vector tells the tiers apart (the same 'russian' configuration as
-- `search` and `public_search`; the title is public, so guests and signed-in viewers share it), and its
-- GIN index finds the title matches of a rare word without reading the other matches.
ALTER TABLE events ADD COLUMN title_search tsvector GENERATED ALWAYS AS (to_tsvector('russian', title)) STORED;
CREATE INDEX events_title_search_idx ON events USING gin (title_search);

-- The most common filter, "has free seats", served together with the sorts it comes with: a partial index
-- per sort holds only the bookable events with seats, so a page sorted by start or price walks rows that
-- all match instead of filtering sold-out ones off the heap, and a keyset cursor ((starts_at, id) > (…)) is
-- a range of the same index.
CREATE INDEX events_listed_seats_starts_idx ON events (starts_at, id) WHERE listed AND seats_available > 0;
CREATE INDEX events_listed_seats_price_idx ON events (price_from, id) WHERE listed AND seats_available > 0;
CREATE INDEX events_listed_seats_price_desc_idx ON events (price_from DESC NULLS LAST, id DESC)
  WHERE listed AND seats_available > 0;
