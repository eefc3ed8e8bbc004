-- Guests see an event's area, never its exact meeting point (`place` after the first comma): their
-- full-text search and place filter run on what they may see, so that a match (and the page's `total`)
-- cannot reveal the hidden part one character at a time. Signed-in viewers keep `search` and `place`.
-- Weights as in `search`: title A, description B, area C.
ALTER TABLE events ADD COLUMN public_search tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('russian', title), 'A') ||
  setweight(to_tsvector('russian', description), 'B') ||
  setweight(to_tsvector('simple', area), 'C')
) STORED;

CREATE INDEX events_public_search_idx ON events USING gin (public_search);
CREATE INDEX events_area_trgm_idx ON events USING gin (area public.gin_trgm_ops);
