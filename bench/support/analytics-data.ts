/** Data of `npm run bench:analytics`: encoded booking facts and views for the sink, and 10M rows in SQL. */
import type { ClickHouseClient } from '@clickhouse/client'
import type { BookingDomainEvent } from '../../avro/index.ts'
import { DEFAULT_TOPIC_NAMES } from '../../topologies/index.ts'
import { defaultPartitioner, type EmbeddedLog } from '../../streams/index.ts'
import type { BookingSerdes } from '../../topologies/booking-topology.ts'

export const T0 = Date.UTC(2026, 0, 1)
const DAY_MS = 86_400_000
const TYPES = ['HELD', 'CONFIRMED', 'CANCELED', 'EXPIRED', 'REJECTED'] as const

/** Appends `facts` records (4 booking facts for 1 view) to the log's booking-events and views topics. */
export function appendSinkInput(log: EmbeddedLog, serdes: BookingSerdes, facts: number, events = 500): void {
  const chunk: Parameters<EmbeddedLog['append']>[0][number][] = []
  const flush = () => {
    log.append(chunk)
    chunk.length = 0
  }
  for (let i = 0; i < facts; i++) {
    const eventId = `ev-${i % events}`
    const key = Buffer.from(eventId)
    let topic: string
    let value: Buffer
    if (i % 5 === 4) {
      topic = DEFAULT_TOPIC_NAMES.views
      value = Buffer.from(
        JSON.stringify({
          viewId: `v-${i}`,
          eventId,
          userId: null,
          sessionId: `s-${i % 977}`,
          occurredAtMs: T0 + (i % 90) * DAY_MS,
        }),
      )
    } else {
      topic = DEFAULT_TOPIC_NAMES.bookingEvents
      const type = TYPES[i % TYPES.length]!
      const fact: BookingDomainEvent = {
        eventId,
        bookingId: `b-${i}`,
        userId: `u-${i % 10_000}`,
        type,
        status: type === 'HELD' ? 'PENDING_PAYMENT' : type,
        priceOptionId: i % 3 === 0 ? 'vip' : 'std',
        seats: 1 + (i % 4),
        amountMinor: 500_000,
        paidMinor: type === 'CONFIRMED' ? 500_000 : 0,
        refundMinor: type === 'CANCELED' ? 250_000 : 0,
        promoCode: i % 7 === 0 ? 'SAVE10' : null,
        ticketCode: null,
        reasonCode: type === 'REJECTED' ? 'NO_AVAILABLE_SEATS' : null,
        holdExpiresAtMs: null,
        offerExpiresAtMs: null,
        requestId: type === 'HELD' || type === 'REJECTED' ? `r-${i}` : null,
        occurredAtMs: T0 + (i % 90) * DAY_MS + (i % 1000),
        eventSeatsTaken: i % 100,
        checkedInSeats: null,
        scannedAtMs: null,
        deviceId: null,
      }
      value = serdes.bookingEvent.serialize(DEFAULT_TOPIC_NAMES.bookingEvents, fact)
    }
    const partition = defaultPartitioner(topic, key, value, log.partitions(topic))
    chunk.push({ topic, partition, key, value, timestamp: T0, headers: {} })
    if (chunk.length === 10_000) flush()
  }
  flush()
}

/**
 * Generates fact rows directly in SQL (through the materialized views): `events` events of `organizers`
 * organizers, then booking facts and views over `days` days, `rows` in total (70% bookings, 30% views).
 * Every INSERT turns deduplication off explicitly: a chDB session keeps the settings of earlier queries,
 * and a deduplication token left by the sink would make ClickHouse drop every chunk after the first.
 */
export async function generateFacts(
  client: ClickHouseClient,
  db: string,
  rows: number,
  options = { events: 5_000, organizers: 200, days: 365 },
): Promise<void> {
  const { events, organizers, days } = options
  const t0 = `toDateTime64('2025-01-01 00:00:00', 3, 'UTC')`
  const clickhouse_settings = {
    async_insert: 0,
    insert_deduplicate: 0,
    insert_deduplication_token: '',
  } as const
  await client.command({
    clickhouse_settings,
    query: `INSERT INTO ${db}.event_facts (source_partition, source_offset, event_id, version, type, status,
      organizer_id, title, capacity, occurred_at, price_option_ids, price_option_names, price_option_prices,
      price_option_allotments)
      SELECT 0, number, concat('ev-', toString(number)), 1, 'PUBLISHED', 'PUBLISHED',
        concat('org-', toString(number % ${organizers})), concat('Event ', toString(number)), 100, ${t0},
        ['std', 'vip'], ['Standard', 'VIP'], [500000, 1200000], [80, 20]
      FROM numbers(${events})`,
  })
  const bookings = Math.round(rows * 0.7)
  const batch = 1_000_000
  for (let from = 0; from < bookings; from += batch) {
    const n = Math.min(batch, bookings - from)
    await client.command({
      clickhouse_settings,
      query: `INSERT INTO ${db}.booking_facts (source_partition, source_offset, event_id, booking_id, user_id, type,
        status, price_option_id, seats, amount_minor, paid_minor, refund_minor, promo_code, reason_code, request_id,
        occurred_at, event_seats_taken, seats_delta, confirmed_seats_delta, paid_delta_minor)
        SELECT 1, n, concat('ev-', toString(n % ${events})), concat('b-', toString(n)), concat('u-', toString(n % 100000)),
          ['HELD', 'CONFIRMED', 'CANCELED', 'EXPIRED', 'REJECTED'][1 + n % 5] AS type,
          if(type = 'HELD', 'PENDING_PAYMENT', type), if(n % 3 = 0, 'vip', 'std'), toInt32(1 + n % 4), 500000,
          if(type = 'CONFIRMED', 500000, 0), if(type = 'CANCELED', 250000, 0), if(n % 7 = 0, 'SAVE10', ''),
          if(type = 'REJECTED', 'NO_AVAILABLE_SEATS', ''), if(type IN ('HELD', 'REJECTED'), concat('r-', toString(n)), ''),
          ${t0} + toIntervalMillisecond((n * 7919) % (${days} * 86400000)), toInt32(n % 100),
          toInt32(if(type IN ('HELD', 'CONFIRMED'), 1 + n % 4, 0)), toInt32(if(type = 'CONFIRMED', 1 + n % 4, 0)),
          if(type = 'CONFIRMED', 500000, 0)
        FROM (SELECT number + ${from} AS n FROM numbers(${n}))`,
    })
  }
  const views = rows - bookings
  for (let from = 0; from < views; from += batch) {
    const n = Math.min(batch, views - from)
    await client.command({
      clickhouse_settings,
      query: `INSERT INTO ${db}.view_facts (source_partition, source_offset, view_id, event_id, session_id, viewer, occurred_at)
        SELECT 2, n, concat('v-', toString(n)), concat('ev-', toString(n % ${events})), concat('s-', toString(n % 50000)),
          concat('s-', toString(n % 50000)), ${t0} + toIntervalMillisecond((n * 104729) % (${days} * 86400000))
        FROM (SELECT number + ${from} AS n FROM numbers(${n}))`,
    })
  }
}
