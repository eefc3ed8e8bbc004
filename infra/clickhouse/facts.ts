import type {
  BookingDomainEvent,
  EventDomainEvent,
  PaymentStatusChanged,
  RefundRequest,
} from '../../avro/index.ts'
import type { Serde } from '../../streams/serde.ts'
import type { IncomingRecord } from '../../streams/task.ts'
import {
  BOOKING_EVENTS_TOPIC,
  EVENT_EVENTS_TOPIC,
  PAYMENT_STATUS_TOPIC,
  REFUND_REQUESTS_TOPIC,
} from '../../topologies/topic-names.ts'
import { FAVORITES_TOPIC, parseCatalogView, parseFavoriteChange, VIEWS_TOPIC } from './analytics-topics.ts'

/** The fact tables, by the topic that feeds each. */
export const FACT_TABLES = {
  [EVENT_EVENTS_TOPIC]: 'event_facts',
  [BOOKING_EVENTS_TOPIC]: 'booking_facts',
  [PAYMENT_STATUS_TOPIC]: 'payment_facts',
  [REFUND_REQUESTS_TOPIC]: 'refund_facts',
  [VIEWS_TOPIC]: 'view_facts',
  [FAVORITES_TOPIC]: 'favorite_facts',
} as const

/** Every topic the analytics sink reads. */
export const ANALYTICS_TOPICS = Object.keys(FACT_TABLES) as (keyof typeof FACT_TABLES)[]

/** The Avro value serdes the sink needs (a subset of the booking topology's `BookingSerdes`). */
export interface AnalyticsSerdes {
  readonly eventEvent: Serde<EventDomainEvent>
  readonly bookingEvent: Serde<BookingDomainEvent>
  readonly paymentStatus: Serde<PaymentStatusChanged>
  readonly refundRequest: Serde<RefundRequest>
}

/** A row of a fact table, in the table's column names (JSONEachRow). */
export type FactRow = Record<string, string | number | readonly (string | number)[]>

/** Why a record gave no fact (it is skipped and counted). */
export interface SkippedRecord {
  readonly offset: number
  readonly reason: string
}

const text = (v: string | null | undefined): string => v ?? ''

/** The fact row of one decoded value of `topic`; `source` is the record's place in its partition. */
function rowOf(topic: string, value: unknown, source: { partition: number; offset: number }): FactRow {
  const at = { source_partition: source.partition, source_offset: source.offset }
  switch (topic) {
    case EVENT_EVENTS_TOPIC: {
      const e = value as EventDomainEvent
      return {
        ...at,
        event_id: e.eventId,
        version: e.version,
        type: e.type,
        status: e.status,
        organizer_id: e.organizerId,
        title: e.title,
        place: e.place,
        categories: e.categories,
        capacity: e.capacity,
        seats_taken: e.seatsTaken,
        starts_at: e.startsAtMs,
        ends_at: e.endsAtMs,
        occurred_at: e.occurredAtMs,
        actor_user_id: text(e.actorUserId),
        request_id: text(e.requestId),
        detail: text(e.detail),
        price_option_ids: e.priceOptions.map((o) => o.priceOptionId),
        price_option_names: e.priceOptions.map((o) => o.name),
        price_option_prices: e.priceOptions.map((o) => o.priceMinor),
        price_option_allotments: e.priceOptions.map((o) => o.allotment),
      }
    }
    case BOOKING_EVENTS_TOPIC: {
      const b = value as BookingDomainEvent
      return {
        ...at,
        event_id: b.eventId,
        booking_id: text(b.bookingId),
        user_id: b.userId,
        type: b.type,
        status: text(b.status),
        price_option_id: text(b.priceOptionId),
        seats: b.seats,
        amount_minor: b.amountMinor,
        paid_minor: b.paidMinor,
        refund_minor: b.refundMinor,
        promo_code: text(b.promoCode),
        reason_code: text(b.reasonCode),
        request_id: text(b.requestId),
        occurred_at: b.occurredAtMs,
        event_seats_taken: b.eventSeatsTaken,
      }
    }
    case PAYMENT_STATUS_TOPIC: {
      const p = value as PaymentStatusChanged
      return {
        ...at,
        event_id: p.eventId,
        booking_id: p.bookingId,
        payment_id: p.paymentId,
        status: p.status,
        amount_minor: p.amountMinor,
        occurred_at: p.occurredAtMs,
      }
    }
    case REFUND_REQUESTS_TOPIC: {
      const r = value as RefundRequest
      return {
        ...at,
        event_id: r.eventId,
        refund_id: r.refundId,
        booking_id: r.bookingId,
        user_id: text(r.userId),
        payment_id: text(r.paymentId),
        amount_minor: r.amountMinor,
        reason: r.reason,
        request_id: text(r.requestId),
        occurred_at: r.requestedAtMs,
      }
    }
    case VIEWS_TOPIC: {
      const v = value as ReturnType<typeof parseCatalogView> & object
      return {
        ...at,
        view_id: v.viewId,
        event_id: v.eventId,
        user_id: text(v.userId),
        session_id: text(v.sessionId),
        viewer: v.userId ?? v.sessionId ?? v.viewId,
        occurred_at: v.occurredAtMs,
      }
    }
    case FAVORITES_TOPIC: {
      const f = value as ReturnType<typeof parseFavoriteChange> & object
      return { ...at, event_id: f.eventId, user_id: f.userId, action: f.action, occurred_at: f.occurredAtMs }
    }
    default:
      throw new TypeError(`the analytics sink does not read ${topic}`)
  }
}

function serdeOf(serdes: AnalyticsSerdes, topic: string): Serde<unknown> | undefined {
  switch (topic) {
    case EVENT_EVENTS_TOPIC:
      return serdes.eventEvent as Serde<unknown>
    case BOOKING_EVENTS_TOPIC:
      return serdes.bookingEvent as Serde<unknown>
    case PAYMENT_STATUS_TOPIC:
      return serdes.paymentStatus as Serde<unknown>
    case REFUND_REQUESTS_TOPIC:
      return serdes.refundRequest as Serde<unknown>
    default:
      return undefined
  }
}

/** Makes every schema the batch's Avro values need available (a Confluent registry fetches them). */
export async function prefetchSchemas(
  serdes: AnalyticsSerdes,
  topic: string,
  records: readonly IncomingRecord[],
): Promise<void> {
  const serde = serdeOf(serdes, topic)
  if (serde?.prefetch === undefined) return
  await serde.prefetch(
    topic,
    records.flatMap((r) => (r.value === null ? [] : [r.value])),
  )
}

/**
 * Decodes one partition's records into fact rows. Tombstones, undecodable values and values breaking the
 * JSON contracts are returned as skipped (with the reason), except an `UNKNOWN_SCHEMA_ID`, which is thrown:
 * the registry may come back, so the batch is retried rather than losing the record.
 */
export function decodeFacts(
  serdes: AnalyticsSerdes,
  topic: string,
  partition: number,
  records: readonly IncomingRecord[],
): { rows: FactRow[]; skipped: SkippedRecord[] } {
  const rows: FactRow[] = []
  const skipped: SkippedRecord[] = []
  const serde = serdeOf(serdes, topic)
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
        if ((error as { code?: unknown }).code === 'UNKNOWN_SCHEMA_ID') throw error
        skipped.push({ offset: record.offset, reason: `undecodable: ${(error as Error).message}` })
        continue
      }
    } else {
      value = topic === VIEWS_TOPIC ? parseCatalogView(record.value) : parseFavoriteChange(record.value)
      if (typeof value === 'string') {
        skipped.push({ offset: record.offset, reason: value })
        continue
      }
    }
    rows.push(rowOf(topic, value, { partition, offset: record.offset }))
  }
  return { rows, skipped }
}
