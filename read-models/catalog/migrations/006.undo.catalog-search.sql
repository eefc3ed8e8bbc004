DROP INDEX events_listed_seats_price_desc_idx;
DROP INDEX events_listed_seats_price_idx;
DROP INDEX events_listed_seats_starts_idx;
DROP INDEX events_title_search_idx;
ALTER TABLE events DROP COLUMN title_search;
