-- Daily aggregates (UTC days), kept by materialized views as the facts arrive.
--
--   event_daily            per event and day: the funnel (views -> booking requests -> holds -> confirmed),
--                          favorites, bookings by outcome, seats, revenue, refunds, promo uses, payments
--   platform_daily         the same per day over all events (cascaded from event_daily)
--   organizer_daily        a view: event_daily summed per organizer through event_dim (see docs/analytics.md)
--   booking_status_daily   booking facts per event, day, type, status and reason code (cancellations, rejections)
--   booking_status_platform_daily  the same over all events (cascaded from booking_status_daily)
--   price_option_daily     confirmations, seats, revenue and revenue refunds per event, day and price option
--   promo_daily            promo code uses per event, day and code
--   refund_daily           refund requests per event, day and reason
--
-- Definitions (docs/analytics.md): a booking request is a REQUEST command decided (HELD, REJECTED, or
-- CONFIRMED at once when free: a CONFIRMED fact carrying a request ID); a hold is a granted request (HELD
-- or free CONFIRMED); confirmed counts CONFIRMED facts (paid, or free); revenue is the amount paid at
-- confirmation; revenue refunds are the refunds of CANCELED and SEATS_CHANGED facts; refunds are every
-- refund request (any reason, late and duplicate payments included).

CREATE TABLE IF NOT EXISTS {{database}}.event_daily
(
    event_id String,
    day Date,
    views SimpleAggregateFunction(sum, UInt64),
    unique_viewers AggregateFunction(uniq, String),
    favorites_added SimpleAggregateFunction(sum, UInt64),
    favorites_removed SimpleAggregateFunction(sum, UInt64),
    requests SimpleAggregateFunction(sum, UInt64),
    holds SimpleAggregateFunction(sum, UInt64),
    confirmed SimpleAggregateFunction(sum, UInt64),
    rejected SimpleAggregateFunction(sum, UInt64),
    canceled SimpleAggregateFunction(sum, UInt64),
    expired SimpleAggregateFunction(sum, UInt64),
    payment_failed SimpleAggregateFunction(sum, UInt64),
    seats_held SimpleAggregateFunction(sum, Int64),
    seats_confirmed SimpleAggregateFunction(sum, Int64),
    seats_released SimpleAggregateFunction(sum, Int64),
    revenue_minor SimpleAggregateFunction(sum, Int64),
    revenue_refund_minor SimpleAggregateFunction(sum, Int64),
    promo_uses SimpleAggregateFunction(sum, UInt64),
    refunds SimpleAggregateFunction(sum, UInt64),
    refund_minor SimpleAggregateFunction(sum, Int64),
    payments_completed SimpleAggregateFunction(sum, UInt64),
    payments_failed SimpleAggregateFunction(sum, UInt64),
    events_published SimpleAggregateFunction(sum, UInt64),
    events_canceled SimpleAggregateFunction(sum, UInt64),
    seats_taken AggregateFunction(argMax, Int32, Tuple(DateTime64(3, 'UTC'), UInt64))
)
ENGINE = AggregatingMergeTree
ORDER BY (event_id, day)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.event_daily_bookings_mv TO {{database}}.event_daily AS
SELECT
    event_id,
    toDate(occurred_at) AS day,
    countIf(type IN ('HELD', 'REJECTED') OR (type = 'CONFIRMED' AND request_id != '')) AS requests,
    countIf(type = 'HELD' OR (type = 'CONFIRMED' AND request_id != '')) AS holds,
    countIf(type = 'CONFIRMED') AS confirmed,
    countIf(type = 'REJECTED') AS rejected,
    countIf(type = 'CANCELED') AS canceled,
    countIf(type = 'EXPIRED') AS expired,
    countIf(type = 'PAYMENT_FAILED') AS payment_failed,
    toInt64(sumIf(seats, type = 'HELD' OR (type = 'CONFIRMED' AND request_id != ''))) AS seats_held,
    toInt64(sumIf(seats, type = 'CONFIRMED')) AS seats_confirmed,
    toInt64(sumIf(seats, type IN ('CANCELED', 'EXPIRED', 'PAYMENT_FAILED'))) AS seats_released,
    sumIf(paid_minor, type = 'CONFIRMED') AS revenue_minor,
    sumIf(refund_minor, type IN ('CANCELED', 'SEATS_CHANGED')) AS revenue_refund_minor,
    countIf(promo_code != '' AND (type = 'HELD' OR (type = 'CONFIRMED' AND request_id != ''))) AS promo_uses,
    argMaxState(event_seats_taken, (occurred_at, source_offset)) AS seats_taken
FROM {{database}}.booking_facts
GROUP BY event_id, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.event_daily_views_mv TO {{database}}.event_daily AS
SELECT event_id, toDate(occurred_at) AS day, count() AS views, uniqState(viewer) AS unique_viewers
FROM {{database}}.view_facts
GROUP BY event_id, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.event_daily_favorites_mv TO {{database}}.event_daily AS
SELECT
    event_id,
    toDate(occurred_at) AS day,
    countIf(action = 'ADDED') AS favorites_added,
    countIf(action = 'REMOVED') AS favorites_removed
FROM {{database}}.favorite_facts
GROUP BY event_id, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.event_daily_refunds_mv TO {{database}}.event_daily AS
SELECT event_id, toDate(occurred_at) AS day, count() AS refunds, sum(amount_minor) AS refund_minor
FROM {{database}}.refund_facts
GROUP BY event_id, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.event_daily_payments_mv TO {{database}}.event_daily AS
SELECT
    event_id,
    toDate(occurred_at) AS day,
    countIf(status = 'COMPLETED') AS payments_completed,
    countIf(status = 'FAILED') AS payments_failed
FROM {{database}}.payment_facts
GROUP BY event_id, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.event_daily_events_mv TO {{database}}.event_daily AS
SELECT
    event_id,
    toDate(occurred_at) AS day,
    countIf(type = 'PUBLISHED') AS events_published,
    countIf(type = 'CANCELED') AS events_canceled
FROM {{database}}.event_facts
GROUP BY event_id, day;

CREATE TABLE IF NOT EXISTS {{database}}.platform_daily
(
    day Date,
    views SimpleAggregateFunction(sum, UInt64),
    unique_viewers AggregateFunction(uniq, String),
    favorites_added SimpleAggregateFunction(sum, UInt64),
    favorites_removed SimpleAggregateFunction(sum, UInt64),
    requests SimpleAggregateFunction(sum, UInt64),
    holds SimpleAggregateFunction(sum, UInt64),
    confirmed SimpleAggregateFunction(sum, UInt64),
    rejected SimpleAggregateFunction(sum, UInt64),
    canceled SimpleAggregateFunction(sum, UInt64),
    expired SimpleAggregateFunction(sum, UInt64),
    payment_failed SimpleAggregateFunction(sum, UInt64),
    seats_held SimpleAggregateFunction(sum, Int64),
    seats_confirmed SimpleAggregateFunction(sum, Int64),
    seats_released SimpleAggregateFunction(sum, Int64),
    revenue_minor SimpleAggregateFunction(sum, Int64),
    revenue_refund_minor SimpleAggregateFunction(sum, Int64),
    promo_uses SimpleAggregateFunction(sum, UInt64),
    refunds SimpleAggregateFunction(sum, UInt64),
    refund_minor SimpleAggregateFunction(sum, Int64),
    payments_completed SimpleAggregateFunction(sum, UInt64),
    payments_failed SimpleAggregateFunction(sum, UInt64),
    events_published SimpleAggregateFunction(sum, UInt64),
    events_canceled SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
ORDER BY day
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.platform_daily_mv TO {{database}}.platform_daily AS
SELECT
    day,
    sum(views) AS views,
    uniqMergeState(unique_viewers) AS unique_viewers,
    sum(favorites_added) AS favorites_added,
    sum(favorites_removed) AS favorites_removed,
    sum(requests) AS requests,
    sum(holds) AS holds,
    sum(confirmed) AS confirmed,
    sum(rejected) AS rejected,
    sum(canceled) AS canceled,
    sum(expired) AS expired,
    sum(payment_failed) AS payment_failed,
    sum(seats_held) AS seats_held,
    sum(seats_confirmed) AS seats_confirmed,
    sum(seats_released) AS seats_released,
    sum(revenue_minor) AS revenue_minor,
    sum(revenue_refund_minor) AS revenue_refund_minor,
    sum(promo_uses) AS promo_uses,
    sum(refunds) AS refunds,
    sum(refund_minor) AS refund_minor,
    sum(payments_completed) AS payments_completed,
    sum(payments_failed) AS payments_failed,
    sum(events_published) AS events_published,
    sum(events_canceled) AS events_canceled
FROM {{database}}.event_daily
GROUP BY day;

CREATE TABLE IF NOT EXISTS {{database}}.booking_status_daily
(
    event_id String,
    day Date,
    type LowCardinality(String),
    status LowCardinality(String),
    reason_code LowCardinality(String),
    bookings UInt64,
    seats Int64,
    amount_minor Int64,
    refund_minor Int64
)
ENGINE = SummingMergeTree
ORDER BY (event_id, day, type, status, reason_code)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.booking_status_daily_mv TO {{database}}.booking_status_daily AS
SELECT
    event_id,
    toDate(occurred_at) AS day,
    type,
    status,
    reason_code,
    count() AS bookings,
    toInt64(sum(seats)) AS seats,
    sum(amount_minor) AS amount_minor,
    sum(refund_minor) AS refund_minor
FROM {{database}}.booking_facts
GROUP BY event_id, day, type, status, reason_code;

CREATE TABLE IF NOT EXISTS {{database}}.booking_status_platform_daily
(
    day Date,
    type LowCardinality(String),
    status LowCardinality(String),
    reason_code LowCardinality(String),
    bookings UInt64,
    seats Int64,
    amount_minor Int64,
    refund_minor Int64
)
ENGINE = SummingMergeTree
ORDER BY (day, type, status, reason_code)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.booking_status_platform_daily_mv
TO {{database}}.booking_status_platform_daily AS
SELECT
    day,
    type,
    status,
    reason_code,
    sum(bookings) AS bookings,
    sum(seats) AS seats,
    sum(amount_minor) AS amount_minor,
    sum(refund_minor) AS refund_minor
FROM {{database}}.booking_status_daily
GROUP BY day, type, status, reason_code;

CREATE TABLE IF NOT EXISTS {{database}}.price_option_daily
(
    event_id String,
    day Date,
    price_option_id String,
    holds UInt64,
    confirmed UInt64,
    canceled UInt64,
    seats_confirmed Int64,
    revenue_minor Int64,
    revenue_refund_minor Int64
)
ENGINE = SummingMergeTree
ORDER BY (event_id, day, price_option_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.price_option_daily_mv TO {{database}}.price_option_daily AS
SELECT
    event_id,
    toDate(occurred_at) AS day,
    price_option_id,
    countIf(type = 'HELD' OR (type = 'CONFIRMED' AND request_id != '')) AS holds,
    countIf(type = 'CONFIRMED') AS confirmed,
    countIf(type = 'CANCELED') AS canceled,
    toInt64(sumIf(seats, type = 'CONFIRMED')) AS seats_confirmed,
    sumIf(paid_minor, type = 'CONFIRMED') AS revenue_minor,
    sumIf(refund_minor, type IN ('CANCELED', 'SEATS_CHANGED')) AS revenue_refund_minor
FROM {{database}}.booking_facts
WHERE price_option_id != ''
GROUP BY event_id, day, price_option_id;

CREATE TABLE IF NOT EXISTS {{database}}.promo_daily
(
    event_id String,
    day Date,
    promo_code String,
    uses UInt64,
    seats Int64,
    amount_minor Int64
)
ENGINE = SummingMergeTree
ORDER BY (event_id, day, promo_code)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.promo_daily_mv TO {{database}}.promo_daily AS
SELECT
    event_id,
    toDate(occurred_at) AS day,
    promo_code,
    count() AS uses,
    toInt64(sum(seats)) AS seats,
    sum(amount_minor) AS amount_minor
FROM {{database}}.booking_facts
WHERE promo_code != '' AND (type = 'HELD' OR (type = 'CONFIRMED' AND request_id != ''))
GROUP BY event_id, day, promo_code;

CREATE TABLE IF NOT EXISTS {{database}}.refund_daily
(
    event_id String,
    day Date,
    reason LowCardinality(String),
    refunds UInt64,
    amount_minor Int64
)
ENGINE = SummingMergeTree
ORDER BY (event_id, day, reason)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.refund_daily_mv TO {{database}}.refund_daily AS
SELECT event_id, toDate(occurred_at) AS day, reason, count() AS refunds, sum(amount_minor) AS amount_minor
FROM {{database}}.refund_facts
GROUP BY event_id, day, reason;

CREATE VIEW IF NOT EXISTS {{database}}.organizer_daily AS
SELECT
    dim.organizer_id AS organizer_id,
    d.day AS day,
    sum(d.views) AS views,
    uniqMerge(d.unique_viewers) AS unique_viewers,
    sum(d.favorites_added) AS favorites_added,
    sum(d.favorites_removed) AS favorites_removed,
    sum(d.requests) AS requests,
    sum(d.holds) AS holds,
    sum(d.confirmed) AS confirmed,
    sum(d.rejected) AS rejected,
    sum(d.canceled) AS canceled,
    sum(d.expired) AS expired,
    sum(d.payment_failed) AS payment_failed,
    sum(d.seats_held) AS seats_held,
    sum(d.seats_confirmed) AS seats_confirmed,
    sum(d.seats_released) AS seats_released,
    sum(d.revenue_minor) AS revenue_minor,
    sum(d.revenue_refund_minor) AS revenue_refund_minor,
    sum(d.promo_uses) AS promo_uses,
    sum(d.refunds) AS refunds,
    sum(d.refund_minor) AS refund_minor,
    sum(d.payments_completed) AS payments_completed,
    sum(d.payments_failed) AS payments_failed,
    sum(d.events_published) AS events_published,
    sum(d.events_canceled) AS events_canceled
FROM {{database}}.event_daily AS d
INNER JOIN (SELECT event_id, any(organizer_id) AS organizer_id FROM {{database}}.event_dim GROUP BY event_id) AS dim
    ON d.event_id = dim.event_id
GROUP BY organizer_id, day;
