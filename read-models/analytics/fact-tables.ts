import { DEFAULT_TOPIC_NAMES, type TopicNames } from '../../topologies/index.ts'

/**
 * Where the analytics facts go: one fact table per topic the sink reads, and the columns of each in the order
 * of a fact row. The migrations (migrations/0001_facts.sql, 0004_reviews.sql, 0005_check_ins.sql) create the tables; this file is what the sink,
 * the row mapping and the decoding agree on.
 */

/** The fact tables, by the role of the topic that feeds each. */
export const FACT_TABLES = {
  eventEvents: 'event_facts',
  bookingEvents: 'booking_facts',
  paymentStatus: 'payment_facts',
  refundRequests: 'refund_facts',
  views: 'view_facts',
  favorites: 'favorite_facts',
  reviewEvents: 'review_facts',
} as const satisfies Partial<Record<keyof TopicNames, string>>

/** The role of a topic the analytics read (`TopicNames` key). */
export type FactSource = keyof typeof FACT_TABLES

const FACT_SOURCES = Object.keys(FACT_TABLES) as FactSource[]

/** Every topic the analytics sink reads, under the names of `topics`. */
export function analyticsTopics(topics: TopicNames): string[] {
  return FACT_SOURCES.map((source) => topics[source])
}

/** The analytics topics under the names of the README (no prefix). */
export const ANALYTICS_TOPICS: readonly string[] = analyticsTopics(DEFAULT_TOPIC_NAMES)

/** Which fact source `topic` is under the names of `topics`; undefined for a topic the sink does not read. */
export function factSourceOf(topics: TopicNames, topic: string): FactSource | undefined {
  return FACT_SOURCES.find((source) => topics[source] === topic)
}

/**
 * The columns the sink writes into each fact table (migrations/0001_facts.sql), in the order of a `FactRow`:
 * rows go as JSONCompactEachRow, one JSON array per row, which ClickHouse reads in about half the time of
 * JSONEachRow and JavaScript writes natively. Times are epoch milliseconds (`DateTime64(3)` ticks).
 */
export const FACT_COLUMNS: { readonly [table: string]: readonly [string, ...string[]] } = {
  event_facts: [
    'source_partition',
    'source_offset',
    'event_id',
    'version',
    'type',
    'status',
    'organizer_id',
    'title',
    'place',
    'categories',
    'capacity',
    'seats_taken',
    'starts_at',
    'ends_at',
    'occurred_at',
    'actor_user_id',
    'request_id',
    'detail',
    'price_option_ids',
    'price_option_names',
    'price_option_prices',
    'price_option_allotments',
  ],
  booking_facts: [
    'source_partition',
    'source_offset',
    'event_id',
    'booking_id',
    'user_id',
    'type',
    'status',
    'price_option_id',
    'seats',
    'amount_minor',
    'paid_minor',
    'refund_minor',
    'promo_code',
    'reason_code',
    'request_id',
    'occurred_at',
    'event_seats_taken',
    'seats_delta',
    'confirmed_seats_delta',
    'paid_delta_minor',
    // migrations/0005_check_ins.sql
    'checked_in_seats',
    'scanned_at',
    'device_id',
  ],
  payment_facts: [
    'source_partition',
    'source_offset',
    'event_id',
    'booking_id',
    'payment_id',
    'status',
    'amount_minor',
    'occurred_at',
  ],
  refund_facts: [
    'source_partition',
    'source_offset',
    'event_id',
    'refund_id',
    'booking_id',
    'user_id',
    'payment_id',
    'amount_minor',
    'reason',
    'request_id',
    'occurred_at',
  ],
  view_facts: [
    'source_partition',
    'source_offset',
    'view_id',
    'event_id',
    'user_id',
    'session_id',
    'viewer',
    'occurred_at',
  ],
  favorite_facts: ['source_partition', 'source_offset', 'event_id', 'user_id', 'action', 'occurred_at'],
  review_facts: [
    'source_partition',
    'source_offset',
    'event_id',
    'review_id',
    'type',
    'status',
    'author_id',
    'organizer_id',
    'rating',
    'helpful_count',
    'voter_user_id',
    'submitted_at',
    'occurred_at',
  ],
}

/** One value of a fact row: text, a number (a time: epoch milliseconds), or an array of either. */
export type FactValue = string | number | readonly string[] | readonly number[]

/** A row of a fact table: its values in the order of the table's `FACT_COLUMNS`. */
export type FactRow = readonly FactValue[]
