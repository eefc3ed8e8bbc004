-- Seat figures that change without touching an index. Every booking moves its event's seats_taken and
-- seats_available; with seats_available in four indexes (the "has free seats" filter's partial indexes
-- and its own), each move was an update Postgres could not do in place (HOT): a new entry in every one of
-- the row's twenty indexes, three of them GIN. That was a third of the embedded database's time under
-- bookings, and after a restart each event's first booking read those indexes' pages from disk
-- (bench/RESULTS.md, "Restart after SIGKILL"). The indexes now hold `has_seats`, which changes only when an
-- event sells out or frees up; and pages keep room for the new row versions a HOT update writes beside the
-- old one.
-- The fill factor first: adding a stored column rewrites the table, and the rewrite leaves that room.
ALTER TABLE events SET (fillfactor = 70);
ALTER TABLE events ADD COLUMN has_seats boolean GENERATED ALWAYS AS (seats_available > 0) STORED;

DROP INDEX events_listed_seats_idx;
DROP INDEX events_listed_seats_starts_idx;
DROP INDEX events_listed_seats_price_idx;
DROP INDEX events_listed_seats_price_desc_idx;
CREATE INDEX events_listed_has_seats_idx ON events (has_seats) WHERE listed;
CREATE INDEX events_listed_seats_starts_idx ON events (starts_at, id) WHERE listed AND has_seats;
CREATE INDEX events_listed_seats_price_idx ON events (price_from, id) WHERE listed AND has_seats;
CREATE INDEX events_listed_seats_price_desc_idx ON events (price_from DESC NULLS LAST, id DESC)
  WHERE listed AND has_seats;
