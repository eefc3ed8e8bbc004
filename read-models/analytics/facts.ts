import type {
  BookingDomainEvent,
  EventDomainEvent,
  PaymentStatusChanged,
  RefundRequest,
} from '../../avro/index.ts'
import type { IncomingRecord, Serde, SkippedRecord } from '../../streams/index.ts'
import {
  DEFAULT_TOPIC_NAMES,
  parseCatalogView,
  parseFavoriteChange,
  type CatalogView,
  type FavoriteChange,
  type TopicNames,
} from '../../topologies/index.ts'

/** The fact tables, by the role of the topic that feeds each. */
export const FACT_TABLES = {
  eventEvents: 'event_facts',
  bookingEvents: 'booking_facts',
  paymentStatus: 'payment_facts',
  refundRequests: 'refund_facts',
  views: 'view_facts',
  favorites: 'favorite_facts',
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
}

/**
 * The Avro value serdes the sink needs (a subset of the booking topology's `BookingSerdes`), and the topic
 * names they belong to.
 */
export interface AnalyticsSerdes {
  readonly topics: TopicNames
  readonly eventEvent: Serde<EventDomainEvent>
  readonly bookingEvent: Serde<BookingDomainEvent>
  readonly paymentStatus: Serde<PaymentStatusChanged>
  readonly refundRequest: Serde<RefundRequest>
}

/** One value of a fact row: text, a number (a time: epoch milliseconds), or an array of either. */
export type FactValue = string | number | readonly string[] | readonly number[]

/** A row of a fact table: its values in the order of the table's `FACT_COLUMNS`. */
export type FactRow = readonly FactValue[]

/**
 * What a booking's facts so far add up to, for the sink to turn a fact's cumulative figures into the change
 * it made (booking facts carry the booking as it is after them, not what changed):
 * - `seats`: seats the booking takes from the event (a pending seat top-up's included), 0 once it ended;
 * - `confirmedSeats`: its confirmed seats (a pending top-up's excluded), 0 unless CONFIRMED;
 * - `paidMinor`: every payment settled on it (the fact's `paidMinor`).
 *
 * A booking's facts all live in one partition of the booking topic (keyed by event), in order, so the sink
 * keeps one map per partition; on a restart it sums the deltas stored in `booking_facts` below its committed
 * offset, which gives back exactly these figures.
 */
export interface BookingTally {
  readonly seats: number
  readonly confirmedSeats: number
  readonly paidMinor: number
}

/** Booking ID → tally, of one partition of the booking topic. */
export type BookingTallies = ReadonlyMap<string, BookingTally>

const NO_TALLY: BookingTally = { seats: 0, confirmedSeats: 0, paidMinor: 0 }

/**
 * The tally of a booking after fact `b`, given its tally before. REJECTED facts (a refused request, whose
 * booking ID may be an existing booking's or be used again) and waiting-list facts (no booking) change
 * nothing: `undefined`. A CONFIRMED booking with a pending top-up (`holdExpiresAtMs` set) keeps its
 * confirmed seats while `seats` counts the top-up's too.
 */
function tallyAfter(b: BookingDomainEvent, before: BookingTally): BookingTally | undefined {
  if (b.bookingId === null || b.type === 'REJECTED') return undefined
  const active = b.status === 'PENDING_PAYMENT' || b.status === 'CONFIRMED'
  return {
    seats: active ? b.seats : 0,
    confirmedSeats:
      b.status !== 'CONFIRMED' ? 0 : b.holdExpiresAtMs === null ? b.seats : before.confirmedSeats,
    paidMinor: b.paidMinor,
  }
}

const text = (v: string | null | undefined): string => v ?? ''

/**
 * The fact row of one decoded value of `topic`; `partition` and `offset` are the record's place. A booking
 * fact also gets the change it made to its booking's tally (`tallies`: before it; updated with it).
 */
function rowOf(
  source: FactSource,
  value: unknown,
  partition: number,
  offset: number,
  tallies: {
    get(bookingId: string): BookingTally | undefined
    set(bookingId: string, t: BookingTally): void
  },
): FactRow {
  switch (source) {
    case 'eventEvents': {
      const e = value as EventDomainEvent
      return [
        partition,
        offset,
        e.eventId,
        e.version,
        e.type,
        e.status,
        e.organizerId,
        e.title,
        e.place,
        e.categories,
        e.capacity,
        e.seatsTaken,
        e.startsAtMs,
        e.endsAtMs,
        e.occurredAtMs,
        text(e.actorUserId),
        text(e.requestId),
        text(e.detail),
        e.priceOptions.map((o) => o.priceOptionId),
        e.priceOptions.map((o) => o.name),
        e.priceOptions.map((o) => o.priceMinor),
        e.priceOptions.map((o) => o.allotment),
      ]
    }
    case 'bookingEvents': {
      const b = value as BookingDomainEvent
      const before = (b.bookingId === null ? undefined : tallies.get(b.bookingId)) ?? NO_TALLY
      const after = tallyAfter(b, before) ?? before
      if (after !== before) tallies.set(b.bookingId!, after)
      return [
        partition,
        offset,
        b.eventId,
        text(b.bookingId),
        b.userId,
        b.type,
        text(b.status),
        text(b.priceOptionId),
        b.seats,
        b.amountMinor,
        b.paidMinor,
        b.refundMinor,
        text(b.promoCode),
        text(b.reasonCode),
        text(b.requestId),
        b.occurredAtMs,
        b.eventSeatsTaken,
        after.seats - before.seats,
        after.confirmedSeats - before.confirmedSeats,
        after.paidMinor - before.paidMinor,
      ]
    }
    case 'paymentStatus': {
      const p = value as PaymentStatusChanged
      return [partition, offset, p.eventId, p.bookingId, p.paymentId, p.status, p.amountMinor, p.occurredAtMs]
    }
    case 'refundRequests': {
      const r = value as RefundRequest
      return [
        partition,
        offset,
        r.eventId,
        r.refundId,
        r.bookingId,
        text(r.userId),
        text(r.paymentId),
        r.amountMinor,
        r.reason,
        text(r.requestId),
        r.requestedAtMs,
      ]
    }
    case 'views': {
      const v = value as CatalogView
      return [
        partition,
        offset,
        v.viewId,
        v.eventId,
        text(v.userId),
        text(v.sessionId),
        v.userId ?? v.sessionId ?? v.viewId,
        v.occurredAtMs,
      ]
    }
    case 'favorites': {
      const f = value as FavoriteChange
      return [partition, offset, f.eventId, f.userId, f.action, f.occurredAtMs]
    }
  }
}

/** The Avro serde of a source; undefined for the JSON ones. */
function serdeOf(serdes: AnalyticsSerdes, source: FactSource): Serde<unknown> | undefined {
  switch (source) {
    case 'eventEvents':
      return serdes.eventEvent as Serde<unknown>
    case 'bookingEvents':
      return serdes.bookingEvent as Serde<unknown>
    case 'paymentStatus':
      return serdes.paymentStatus as Serde<unknown>
    case 'refundRequests':
      return serdes.refundRequest as Serde<unknown>
    default:
      return undefined
  }
}

function sourceOf(serdes: AnalyticsSerdes, topic: string): FactSource {
  const source = factSourceOf(serdes.topics, topic)
  if (source === undefined) throw new TypeError(`the analytics sink does not read ${topic}`)
  return source
}

/** Makes every schema the batch's Avro values need available (a Confluent registry fetches them). */
export async function prefetchSchemas(
  serdes: AnalyticsSerdes,
  topic: string,
  records: readonly IncomingRecord[],
): Promise<void> {
  const serde = serdeOf(serdes, sourceOf(serdes, topic))
  if (serde?.prefetch === undefined) return
  await serde.prefetch(
    topic,
    records.flatMap((r) => (r.value === null ? [] : [r.value])),
  )
}

/**
 * Decodes one partition's records into fact rows, after {@link prefetchSchemas} (which throws, for the batch
 * to be retried, while the registry cannot be reached). Tombstones, undecodable values (an ID the registry
 * does not hold included) and values breaking the JSON contracts are returned as skipped, with the reason.
 *
 * Booking facts are decoded against `tallies`, the partition's booking tallies before the records (never
 * modified); `tallies` in the result holds the bookings the records changed, for the caller to merge once
 * the rows are written. Decoding the same records against the same tallies gives the same rows.
 */
export function decodeFacts(
  serdes: AnalyticsSerdes,
  topic: string,
  partition: number,
  records: readonly IncomingRecord[],
  tallies: BookingTallies = new Map(),
): { rows: FactRow[]; skipped: SkippedRecord[]; tallies: Map<string, BookingTally> } {
  const rows: FactRow[] = []
  const skipped: SkippedRecord[] = []
  const changed = new Map<string, BookingTally>()
  const overlay = {
    get: (id: string) => changed.get(id) ?? tallies.get(id),
    set: (id: string, t: BookingTally) => void changed.set(id, t),
  }
  const source = sourceOf(serdes, topic)
  const serde = serdeOf(serdes, source)
  for (const record of records) {
    if (record.value === null) {
      skipped.push({ offset: record.offset, reason: 'tombstone' })
      continue
    }
    let value: unknown
    if (serde !== undefined) {
      try {
        value = serde.deserialize(topic, record.value)
      } catch (error) {
        skipped.push({ offset: record.offset, reason: `undecodable: ${(error as Error).message}` })
        continue
      }
    } else {
      value = source === 'views' ? parseCatalogView(record.value) : parseFavoriteChange(record.value)
      if (typeof value === 'string') {
        skipped.push({ offset: record.offset, reason: value })
        continue
      }
    }
    rows.push(rowOf(source, value, partition, record.offset, overlay))
  }
  return { rows, skipped, tallies: changed }
}
