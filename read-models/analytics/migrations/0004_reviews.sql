-- Review facts (aquastream.review.events.v1): one row per fact, like the other fact tables (coordinates at
-- the end of the sorting key, written once by the sink). A fact carries the review as it is after it;
-- review-stats.ts takes each review's latest fact for the aggregates (ratings are recounted, not copied).
CREATE TABLE IF NOT EXISTS {{database}}.review_facts
(
    source_partition UInt32,
    source_offset UInt64,
    event_id String,
    review_id String,
    type LowCardinality(String),
    status LowCardinality(String),
    author_id String,
    organizer_id String,
    rating UInt8,
    helpful_count Int32,
    voter_user_id String,
    submitted_at DateTime64(3, 'UTC'),
    occurred_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYear(occurred_at)
ORDER BY (event_id, source_partition, source_offset)
SETTINGS non_replicated_deduplication_window = 1000;
