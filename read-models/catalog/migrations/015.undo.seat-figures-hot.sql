DROP INDEX events_listed_seats_price_desc_idx;
DROP INDEX events_listed_seats_price_idx;
DROP INDEX events_listed_seats_starts_idx;
DROP INDEX events_listed_has_seats_idx;
CREATE INDEX events_listed_seats_idx ON events (seats_available) WHERE listed;
CREATE INDEX events_listed_seats_starts_idx ON events (starts_at, id) WHERE listed AND seats_available > 0;
CREATE INDEX events_listed_seats_price_idx ON events (price_from, id) WHERE listed AND seats_available > 0;
CREATE INDEX events_listed_seats_price_desc_idx ON events (price_from DESC NULLS LAST, id DESC)
  WHERE listed AND seats_available > 0;
ALTER TABLE events RESET (fillfactor);
ALTER TABLE events DROP COLUMN has_seats;
