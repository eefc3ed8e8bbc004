ALTER TABLE events DROP COLUMN review_count;
DROP TABLE reviews;
