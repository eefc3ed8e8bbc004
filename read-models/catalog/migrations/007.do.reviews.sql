-- Reviews (aquastream.review.events.v1): one row per review, the latest fact's view of it. The event's
-- `rating` (mean of its ACTIVE reviews, 1 decimal) and `review_count` are recounted from these rows for the
-- events a batch touches, like the seats from the bookings, so they do not depend on the order in which the
-- event and review topics are applied.
CREATE TABLE reviews (
  id text PRIMARY KEY,
  event_id text NOT NULL,
  author_id text NOT NULL,
  author_name text,
  organizer_id text NOT NULL,
  rating smallint NOT NULL,
  text text NOT NULL,
  status text NOT NULL,
  rejection_reason text,
  reply text,
  replied_at timestamptz,
  helpful_count integer NOT NULL DEFAULT 0,
  submitted_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- An event's public reviews by helpfulness and by date; the author's own; the moderation queue by age.
CREATE INDEX reviews_event_helpful_idx ON reviews (event_id, helpful_count DESC, submitted_at DESC, id) WHERE status = 'ACTIVE';
CREATE INDEX reviews_event_date_idx ON reviews (event_id, submitted_at DESC, id) WHERE status = 'ACTIVE';
CREATE INDEX reviews_author_idx ON reviews (author_id, event_id);
CREATE INDEX reviews_status_idx ON reviews (status, submitted_at, id);

ALTER TABLE events ADD COLUMN review_count integer NOT NULL DEFAULT 0;
