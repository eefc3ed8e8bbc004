-- Fact tables: one row per domain fact, written by the analytics sink (infra/clickhouse/analytics-sink.ts).
-- Every row keeps its source coordinates (partition and offset in its topic); the sink never writes a
-- coordinate twice (stored offsets plus insert deduplication tokens), and the ReplacingMergeTree sorting
-- keys end with the coordinates so that even a foreign duplicate collapses on merge. The sink writes
-- JSONCompactEachRow rows in the column order below (infra/clickhouse/facts.ts). Partitions are years, not
-- months: a batch of a replay spans many months, and every partition it touches costs a part per insert.
-- Times are UTC; money is in kopecks.

CREATE TABLE IF NOT EXISTS {{database}}.event_facts
(
    source_partition UInt32,
    source_offset UInt64,
    event_id String,
    version UInt64,
    type LowCardinality(String),
    status LowCardinality(String),
    organizer_id String,
    title String,
    place String,
    categories Array(String),
    capacity Int32,
    seats_taken Int32,
    starts_at DateTime64(3, 'UTC'),
    ends_at DateTime64(3, 'UTC'),
    occurred_at DateTime64(3, 'UTC'),
    actor_user_id String,
    request_id String,
    detail String,
    price_option_ids Array(String),
    price_option_names Array(String),
    price_option_prices Array(Int64),
    price_option_allotments Array(Int32)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYear(occurred_at)
ORDER BY (event_id, source_partition, source_offset)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {{database}}.booking_facts
(
    source_partition UInt32,
    source_offset UInt64,
    event_id String,
    booking_id String,
    user_id String,
    type LowCardinality(String),
    status LowCardinality(String),
    price_option_id String,
    seats Int32,
    amount_minor Int64,
    paid_minor Int64,
    refund_minor Int64,
    promo_code String,
    reason_code LowCardinality(String),
    request_id String,
    occurred_at DateTime64(3, 'UTC'),
    event_seats_taken Int32,
    -- What the fact changed of its booking, computed by the sink from the booking's earlier facts (a fact
    -- carries the booking as it is after it): seats taken from the event (a pending top-up's included, 0
    -- once ended), confirmed seats, and paid_minor. 0 for REJECTED and waiting-list facts.
    seats_delta Int32,
    confirmed_seats_delta Int32,
    paid_delta_minor Int64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYear(occurred_at)
ORDER BY (event_id, source_partition, source_offset)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {{database}}.payment_facts
(
    source_partition UInt32,
    source_offset UInt64,
    event_id String,
    booking_id String,
    payment_id String,
    status LowCardinality(String),
    amount_minor Int64,
    occurred_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYear(occurred_at)
ORDER BY (event_id, source_partition, source_offset)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {{database}}.refund_facts
(
    source_partition UInt32,
    source_offset UInt64,
    event_id String,
    refund_id String,
    booking_id String,
    user_id String,
    payment_id String,
    amount_minor Int64,
    reason LowCardinality(String),
    request_id String,
    occurred_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYear(occurred_at)
ORDER BY (event_id, source_partition, source_offset)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {{database}}.view_facts
(
    source_partition UInt32,
    source_offset UInt64,
    view_id String,
    event_id String,
    user_id String,
    session_id String,
    viewer String,
    occurred_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYear(occurred_at)
ORDER BY (event_id, source_partition, source_offset)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {{database}}.favorite_facts
(
    source_partition UInt32,
    source_offset UInt64,
    event_id String,
    user_id String,
    action LowCardinality(String),
    occurred_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYear(occurred_at)
ORDER BY (event_id, source_partition, source_offset)
SETTINGS non_replicated_deduplication_window = 1000;

-- The sink's own positions: per topic-partition, the batch it is writing (kind 'intent': first and next
-- offset) and the last batch it finished (kind 'commit'). Reads take the maximum, so merges never matter.
CREATE TABLE IF NOT EXISTS {{database}}.sink_offsets
(
    topic LowCardinality(String),
    partition UInt32,
    kind LowCardinality(String),
    first_offset UInt64,
    next_offset UInt64,
    written_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(next_offset)
ORDER BY (topic, partition, kind);
