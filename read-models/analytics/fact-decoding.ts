import type {
  BookingDomainEvent,
  EventDomainEvent,
  PaymentStatusChanged,
  RefundRequest,
  ReviewDomainEvent,
} from '../../avro/index.ts'
import type { IncomingRecord, Serde, SkippedRecord } from '../../streams/index.ts'
import { parseCatalogView, parseFavoriteChange, type TopicNames } from '../../topologies/index.ts'
import { overlayOn, type BookingTallies, type BookingTally } from './booking-tallies.ts'
import { isFactOf, rowOf } from './fact-rows.ts'
import { factSourceOf, type FactRow, type FactSource } from './fact-tables.ts'

/**
 * Decoding a batch of one topic-partition into fact rows: Avro values through the topology's serdes, the
 * API's JSON facts through their parsers, and whatever gives no fact (tombstones, undecodable values) set
 * aside with the reason.
 */

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
  readonly reviewEvent: Serde<ReviewDomainEvent>
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
    case 'reviewEvents':
      return serdes.reviewEvent as Serde<unknown>
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
  const overlay = overlayOn(tallies)
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
    if (isFactOf(source, value)) rows.push(rowOf(source, value, partition, record.offset, overlay))
  }
  return { rows, skipped, tallies: overlay.changed }
}
