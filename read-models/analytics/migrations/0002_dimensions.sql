-- Dimensions derived from the event facts: the latest snapshot of every event (its organizer scopes the
-- stats) and of every price option (names for revenue by price option). ReplacingMergeTree on the
-- event version: read with FINAL or argMax; the organizer of an event never changes.

CREATE TABLE IF NOT EXISTS {{database}}.event_dim
(
    event_id String,
    organizer_id String,
    title String,
    status LowCardinality(String),
    capacity Int32,
    seats_taken Int32,
    starts_at DateTime64(3, 'UTC'),
    ends_at DateTime64(3, 'UTC'),
    version UInt64,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY event_id
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.event_dim_mv TO {{database}}.event_dim AS
SELECT
    event_id,
    organizer_id,
    title,
    status,
    capacity,
    seats_taken,
    starts_at,
    ends_at,
    version,
    occurred_at AS updated_at
FROM {{database}}.event_facts;

CREATE TABLE IF NOT EXISTS {{database}}.price_option_dim
(
    event_id String,
    price_option_id String,
    name String,
    price_minor Int64,
    allotment Int32,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (event_id, price_option_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.price_option_dim_mv TO {{database}}.price_option_dim AS
SELECT
    event_id,
    price_option_id,
    name,
    price_minor,
    allotment,
    version
FROM {{database}}.event_facts
ARRAY JOIN
    price_option_ids AS price_option_id,
    price_option_names AS name,
    price_option_prices AS price_minor,
    price_option_allotments AS allotment;
