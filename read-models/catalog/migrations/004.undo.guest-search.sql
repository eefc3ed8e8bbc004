DROP INDEX events_area_trgm_idx;
DROP INDEX events_public_search_idx;
ALTER TABLE events DROP COLUMN public_search;
