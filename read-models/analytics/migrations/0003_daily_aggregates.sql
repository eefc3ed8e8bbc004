-- Daily aggregates (UTC days), kept by materialized views as the facts arrive. One wide table per event
-- and day holds every measure, the breakdowns included, so an insert of facts writes one aggregate part,
-- plus the two small rollups cascaded from it:
--
--   event_daily      per event and day: the funnel (views -> booking requests -> holds -> confirmed),
--                    favorites, bookings by outcome, seats, revenue, refunds, promo uses, payments, seats
--                    taken, and the breakdowns (sumMap tuples: first array the keys, then one array per
--                    measure, in the order below):
--                      outcomes       key (type, status, reason_code): bookings, seats, amount_minor, refund_minor
--                      price_options  key price_option_id: holds, confirmed, canceled, seats_confirmed,
--                                     revenue_minor, revenue_refund_minor
--                      promos         key promo_code: uses, seats, amount_minor
--                      refund_reasons key reason: refunds, amount_minor
--   platform_daily   per day over all events (cascaded from event_daily): the measures, outcomes and
--                    refund_reasons
--   event_monthly    per calendar month and event (cascaded from event_daily): the plain measures, to
--                    rank thousands of events over whole months without reading every event-day
--
-- Views for dashboards (nothing stored; they read the tables above): organizer_daily (event_daily per
-- organizer through event_dim), and the breakdowns as rows: booking_status_daily,
-- booking_status_platform_daily, price_option_daily, promo_daily, refund_daily. Rows of the tables and views
-- are partial until merges: always sum (and uniqCombinedMerge) them.
--
-- Definitions (docs/analytics.md): a booking request is a REQUEST command decided (HELD, REJECTED, or
-- CONFIRMED at once when free: a CONFIRMED fact carrying a request ID); a hold is a granted request (HELD
-- or free CONFIRMED); confirmed counts CONFIRMED facts (paid, or free); revenue is what a booking's
-- payments brought at its confirmation and at a paid seat top-up (the paid_minor increase of CONFIRMED and
-- SEATS_CHANGED facts, paid_delta_minor); revenue refunds are the refunds of CANCELED and SEATS_CHANGED
-- (seat reduction) facts; refunds are every refund request (any reason, late and duplicate payments
-- included). Seats held: granted by holds, seat top-ups and seat additions; seats confirmed: confirmed by
-- CONFIRMED facts, paid top-ups and free additions; seats released: every decrease of the seats a booking
-- takes (CANCELED, EXPIRED, PAYMENT_FAILED with a pending top-up's seats, SEATS_CHANGE_RELEASED, seat
-- reductions). Reconfirmed counts RECONFIRMED facts. Unique viewers are approximate
-- (uniqCombined(14): exact for small sets, about 1% error beyond tens of thousands).

CREATE TABLE IF NOT EXISTS {{database}}.event_daily
(
    event_id String,
    day Date,
    views SimpleAggregateFunction(sum, UInt64),
    unique_viewers AggregateFunction(uniqCombined(14), String),
    favorites_added SimpleAggregateFunction(sum, UInt64),
    favorites_removed SimpleAggregateFunction(sum, UInt64),
    requests SimpleAggregateFunction(sum, UInt64),
    holds SimpleAggregateFunction(sum, UInt64),
    confirmed SimpleAggregateFunction(sum, UInt64),
    rejected SimpleAggregateFunction(sum, UInt64),
    canceled SimpleAggregateFunction(sum, UInt64),
    expired SimpleAggregateFunction(sum, UInt64),
    payment_failed SimpleAggregateFunction(sum, UInt64),
    reconfirmed SimpleAggregateFunction(sum, UInt64),
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
    seats_taken AggregateFunction(argMax, Int32, Tuple(DateTime64(3, 'UTC'), UInt64)),
    outcomes SimpleAggregateFunction(sumMap,
        Tuple(Array(Tuple(String, String, String)), Array(UInt64), Array(Int64), Array(Int64), Array(Int64))),
    price_options SimpleAggregateFunction(sumMap,
        Tuple(Array(String), Array(UInt64), Array(UInt64), Array(UInt64), Array(Int64), Array(Int64), Array(Int64))),
    promos SimpleAggregateFunction(sumMap, Tuple(Array(String), Array(UInt64), Array(Int64), Array(Int64))),
    refund_reasons SimpleAggregateFunction(sumMap, Tuple(Array(String), Array(UInt64), Array(Int64)))
)
ENGINE = AggregatingMergeTree
ORDER BY (event_id, day)
SETTINGS index_granularity = 1024, non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.event_daily_bookings_mv TO {{database}}.event_daily AS
SELECT
    event_id,
    toDate(occurred_at) AS day,
    countIf(is_hold OR type = 'REJECTED') AS requests,
    countIf(is_hold) AS holds,
    countIf(type = 'CONFIRMED') AS confirmed,
    countIf(type = 'REJECTED') AS rejected,
    countIf(type = 'CANCELED') AS canceled,
    countIf(type = 'EXPIRED') AS expired,
    countIf(type = 'PAYMENT_FAILED') AS payment_failed,
    countIf(type = 'RECONFIRMED') AS reconfirmed,
    toInt64(sumIf(seats, is_hold)) + toInt64(sumIf(greatest(seats_delta, 0), is_change)) AS seats_held,
    toInt64(sumIf(greatest(confirmed_seats_delta, 0), is_confirmation)) AS seats_confirmed,
    toInt64(sum(greatest(-seats_delta, 0))) AS seats_released,
    sumIf(paid_delta_minor, is_confirmation) AS revenue_minor,
    sumIf(refund_minor, type IN ('CANCELED', 'SEATS_CHANGED')) AS revenue_refund_minor,
    countIf(is_hold AND promo_code != '') AS promo_uses,
    argMaxState(event_seats_taken, (occurred_at, source_offset)) AS seats_taken,
    sumMap([(toString(type), toString(status), toString(reason_code))], [toUInt64(1)], [toInt64(seats)],
        [amount_minor], [refund_minor]) AS outcomes,
    sumMapIf([price_option_id], [toUInt64(is_hold)], [toUInt64(type = 'CONFIRMED')], [toUInt64(type = 'CANCELED')],
        [toInt64(if(is_confirmation, greatest(confirmed_seats_delta, 0), 0))],
        [if(is_confirmation, paid_delta_minor, 0)],
        [if(type IN ('CANCELED', 'SEATS_CHANGED'), refund_minor, 0)], price_option_id != '') AS price_options,
    sumMapIf([promo_code], [toUInt64(1)], [toInt64(seats)], [amount_minor], is_hold AND promo_code != '') AS promos
FROM
(
    SELECT
        *,
        type = 'HELD' OR (type = 'CONFIRMED' AND request_id != '') AS is_hold,
        type IN ('SEATS_CHANGE_HELD', 'SEATS_CHANGED') AS is_change,
        type IN ('CONFIRMED', 'SEATS_CHANGED') AS is_confirmation
    FROM {{database}}.booking_facts
)
GROUP BY event_id, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.event_daily_views_mv TO {{database}}.event_daily AS
SELECT event_id, toDate(occurred_at) AS day, count() AS views, uniqCombinedState(14)(viewer) AS unique_viewers
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
SELECT
    event_id,
    toDate(occurred_at) AS day,
    count() AS refunds,
    sum(amount_minor) AS refund_minor,
    sumMap([toString(reason)], [toUInt64(1)], [amount_minor]) AS refund_reasons
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
    unique_viewers AggregateFunction(uniqCombined(14), String),
    favorites_added SimpleAggregateFunction(sum, UInt64),
    favorites_removed SimpleAggregateFunction(sum, UInt64),
    requests SimpleAggregateFunction(sum, UInt64),
    holds SimpleAggregateFunction(sum, UInt64),
    confirmed SimpleAggregateFunction(sum, UInt64),
    rejected SimpleAggregateFunction(sum, UInt64),
    canceled SimpleAggregateFunction(sum, UInt64),
    expired SimpleAggregateFunction(sum, UInt64),
    payment_failed SimpleAggregateFunction(sum, UInt64),
    reconfirmed SimpleAggregateFunction(sum, UInt64),
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
    outcomes SimpleAggregateFunction(sumMap,
        Tuple(Array(Tuple(String, String, String)), Array(UInt64), Array(Int64), Array(Int64), Array(Int64))),
    refund_reasons SimpleAggregateFunction(sumMap, Tuple(Array(String), Array(UInt64), Array(Int64)))
)
ENGINE = AggregatingMergeTree
ORDER BY day
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.platform_daily_mv TO {{database}}.platform_daily AS
SELECT
    day,
    sum(views) AS views,
    uniqCombinedMergeState(14)(unique_viewers) AS unique_viewers,
    sum(favorites_added) AS favorites_added,
    sum(favorites_removed) AS favorites_removed,
    sum(requests) AS requests,
    sum(holds) AS holds,
    sum(confirmed) AS confirmed,
    sum(rejected) AS rejected,
    sum(canceled) AS canceled,
    sum(expired) AS expired,
    sum(payment_failed) AS payment_failed,
    sum(reconfirmed) AS reconfirmed,
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
    sum(events_canceled) AS events_canceled,
    sumMap(outcomes) AS outcomes,
    sumMap(refund_reasons) AS refund_reasons
FROM {{database}}.event_daily
GROUP BY day;

CREATE TABLE IF NOT EXISTS {{database}}.event_monthly
(
    month Date,
    event_id String,
    views SimpleAggregateFunction(sum, UInt64),
    favorites_added SimpleAggregateFunction(sum, UInt64),
    favorites_removed SimpleAggregateFunction(sum, UInt64),
    requests SimpleAggregateFunction(sum, UInt64),
    holds SimpleAggregateFunction(sum, UInt64),
    confirmed SimpleAggregateFunction(sum, UInt64),
    rejected SimpleAggregateFunction(sum, UInt64),
    canceled SimpleAggregateFunction(sum, UInt64),
    expired SimpleAggregateFunction(sum, UInt64),
    payment_failed SimpleAggregateFunction(sum, UInt64),
    reconfirmed SimpleAggregateFunction(sum, UInt64),
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
ORDER BY (month, event_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.event_monthly_mv TO {{database}}.event_monthly AS
SELECT
    toStartOfMonth(day) AS month,
    event_id,
    sum(views) AS views,
    sum(favorites_added) AS favorites_added,
    sum(favorites_removed) AS favorites_removed,
    sum(requests) AS requests,
    sum(holds) AS holds,
    sum(confirmed) AS confirmed,
    sum(rejected) AS rejected,
    sum(canceled) AS canceled,
    sum(expired) AS expired,
    sum(payment_failed) AS payment_failed,
    sum(reconfirmed) AS reconfirmed,
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
GROUP BY month, event_id;

CREATE VIEW IF NOT EXISTS {{database}}.organizer_daily AS
SELECT
    dim.organizer_id AS organizer_id,
    d.day AS day,
    sum(d.views) AS views,
    uniqCombinedMerge(14)(d.unique_viewers) AS unique_viewers,
    sum(d.favorites_added) AS favorites_added,
    sum(d.favorites_removed) AS favorites_removed,
    sum(d.requests) AS requests,
    sum(d.holds) AS holds,
    sum(d.confirmed) AS confirmed,
    sum(d.rejected) AS rejected,
    sum(d.canceled) AS canceled,
    sum(d.expired) AS expired,
    sum(d.payment_failed) AS payment_failed,
    sum(d.reconfirmed) AS reconfirmed,
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

CREATE VIEW IF NOT EXISTS {{database}}.booking_status_daily AS
SELECT
    event_id,
    day,
    o.1.1 AS type,
    o.1.2 AS status,
    o.1.3 AS reason_code,
    o.2 AS bookings,
    o.3 AS seats,
    o.4 AS amount_minor,
    o.5 AS refund_minor
FROM {{database}}.event_daily
ARRAY JOIN arrayZip(outcomes.1, outcomes.2, outcomes.3, outcomes.4, outcomes.5) AS o;

CREATE VIEW IF NOT EXISTS {{database}}.booking_status_platform_daily AS
SELECT
    day,
    o.1.1 AS type,
    o.1.2 AS status,
    o.1.3 AS reason_code,
    o.2 AS bookings,
    o.3 AS seats,
    o.4 AS amount_minor,
    o.5 AS refund_minor
FROM {{database}}.platform_daily
ARRAY JOIN arrayZip(outcomes.1, outcomes.2, outcomes.3, outcomes.4, outcomes.5) AS o;

CREATE VIEW IF NOT EXISTS {{database}}.price_option_daily AS
SELECT
    event_id,
    day,
    p.1 AS price_option_id,
    p.2 AS holds,
    p.3 AS confirmed,
    p.4 AS canceled,
    p.5 AS seats_confirmed,
    p.6 AS revenue_minor,
    p.7 AS revenue_refund_minor
FROM {{database}}.event_daily
ARRAY JOIN arrayZip(price_options.1, price_options.2, price_options.3, price_options.4, price_options.5,
    price_options.6, price_options.7) AS p;

CREATE VIEW IF NOT EXISTS {{database}}.promo_daily AS
SELECT event_id, day, p.1 AS promo_code, p.2 AS uses, p.3 AS seats, p.4 AS amount_minor
FROM {{database}}.event_daily
ARRAY JOIN arrayZip(promos.1, promos.2, promos.3, promos.4) AS p;

CREATE VIEW IF NOT EXISTS {{database}}.refund_daily AS
SELECT event_id, day, r.1 AS reason, r.2 AS refunds, r.3 AS amount_minor
FROM {{database}}.event_daily
ARRAY JOIN arrayZip(refund_reasons.1, refund_reasons.2, refund_reasons.3) AS r;
