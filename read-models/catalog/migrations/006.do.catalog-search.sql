-- Catalog search under visitors' traffic: the most common filter, "has free seats", served together with
-- the sorts it comes with. A partial index per sort holds only the bookable events with seats, so a page
-- sorted by start or price walks rows that all match instead of filtering sold-out ones off the heap, and
-- a keyset cursor ((starts_at, id) > (…)) is a range of the same index.
CREATE INDEX events_listed_seats_starts_idx ON events (starts_at, id) WHERE listed AND seats_available > 0;
CREATE INDEX events_listed_seats_price_idx ON events (price_from, id) WHERE listed AND seats_available > 0;
CREATE INDEX events_listed_seats_price_desc_idx ON events (price_from DESC NULLS LAST, id DESC)
  WHERE listed AND seats_available > 0;
