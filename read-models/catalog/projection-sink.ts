import type { Logger } from 'pino'
import pino from 'pino'
import type {
  BookingDomainEvent,
  EventDomainEvent,
  PaymentRequest,
  PaymentStatusChanged,
  RefundRequest,
  RequestOutcome,
  ReviewDomainEvent,
} from '../../avro/index.ts'
import {
  type IncomingRecord,
  type ProjectionBatch,
  type ProjectionSink,
  type SkippedRecord,
  skippedSummary,
} from '../../streams/index.ts'
import { applyBookingFacts } from './booking-applier.ts'
import { CATALOG_PROJECTION } from './catalog-topics.ts'
import type { Db, Queryable } from './db.ts'
import { applyEventFacts } from './event-applier.ts'
import { applyRequestOutcomes } from './outcome-applier.ts'
import { applyPaymentRequests, applyPaymentStatuses, applyRefundRequests } from './payment-applier.ts'
import type { AppliedChanges, ReadModelSerdes } from './read-model.ts'
import { applyReviewFacts, recomputeRatings } from './review-applier.ts'

interface Decoded<T> {
  readonly fact: T
  readonly offset: number
}

/** Options of `ReadModelSink`. */
export interface ReadModelSinkOptions {
  readonly db: Db
  readonly serdes: ReadModelSerdes
  readonly logger?: Logger
  /** Called after each committed batch with what it touched. */
  readonly onApplied?: (changes: AppliedChanges) => void
  /** Name in `projection_offsets`; default `catalog`. */
  readonly projection?: string
}

/** The first key of the catalog projection's advisory locks (the second is the event ID's hash). */
const EVENT_LOCK_CLASS = 0x43415431

/**
 * Writes the catalog read model from the domain topics. Each `apply` is one transaction holding the
 * rows and the partition's next offset; records below the stored offset are skipped, so a replay, a
 * restart or a redelivered batch never applies a record twice. Within a batch the facts are folded in
 * memory per event / booking / waiting-list entry, then written with one statement per table (the
 * appliers: event-applier.ts, booking-applier.ts, outcome-applier.ts, review-applier.ts, payment-applier.ts). An event's rating
 * is recounted from its review rows likewise, after review and event batches.
 *
 * Seat figures are derived, not copied: a price option's `seats_taken` is the sum of its active
 * (PENDING_PAYMENT, CONFIRMED) bookings and the event's likewise, recomputed for the events a batch
 * touches (recounts.ts). The event and booking topics are separate logs with no order between them, so
 * counting bookings gives the same numbers whatever order the two are applied in; batches of the two
 * applied at once take a lock per event first (`lockEvents`), so each recount sees the other's rows.
 *
 * A record that cannot be decoded is logged and skipped (its offset is still stored): the domain topics
 * are written by our own topology, and one bad record must not stop the read model.
 *
 * Errors: `apply` rejects with a `TypeError` for a topic the catalog does not follow, and with the
 * database's error when the transaction fails (nothing of the batch is then stored). A throwing
 * `onApplied` listener is logged, never rethrown.
 */
export class ReadModelSink implements ProjectionSink {
  readonly #db: Db
  readonly #serdes: ReadModelSerdes
  readonly #logger: Logger
  readonly #onApplied: ((changes: AppliedChanges) => void) | undefined
  readonly #projection: string

  constructor(options: ReadModelSinkOptions) {
    this.#db = options.db
    this.#serdes = options.serdes
    this.#logger = options.logger ?? pino({ level: 'silent' })
    this.#onApplied = options.onApplied
    this.#projection = options.projection ?? CATALOG_PROJECTION
  }

  async loadOffsets(
    partitions: readonly { topic: string; partition: number }[],
  ): Promise<Map<string, number>> {
    const rows = await this.#db.query<{ topic: string; partition: number; next_offset: number }>(
      'SELECT topic, partition, next_offset FROM projection_offsets WHERE projection = $1',
      [this.#projection],
    )
    const wanted = new Set(partitions.map((p) => `${p.topic}:${p.partition}`))
    const out = new Map<string, number>()
    for (const row of rows) {
      const key = `${row.topic}:${row.partition}`
      if (wanted.has(key)) out.set(key, Number(row.next_offset))
    }
    return out
  }

  async apply(batch: ProjectionBatch): Promise<void> {
    const values = batch.records.flatMap((r) => (r.value === null ? [] : [r.value]))
    const serde = this.#serdeOf(batch.topic)
    if (serde === undefined) throw new TypeError(`the catalog projection does not follow ${batch.topic}`)
    await serde.prefetch?.(batch.topic, values)
    const changes = await this.#db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO projection_offsets (projection, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
         ON CONFLICT DO NOTHING`,
        [this.#projection, batch.topic, batch.partition],
      )
      const [stored] = await tx.query<{ next_offset: number }>(
        `SELECT next_offset FROM projection_offsets WHERE projection = $1 AND topic = $2 AND partition = $3
         FOR UPDATE`,
        [this.#projection, batch.topic, batch.partition],
      )
      const from = Number(stored?.next_offset ?? 0)
      if (from >= batch.nextOffset) return undefined
      const records = batch.records.filter((r) => r.offset >= from)
      let touched: AppliedChanges
      if (batch.topic === this.#serdes.topics.eventEvents) {
        const facts = this.#decode<EventDomainEvent>(records).map((d) => d.fact)
        await lockEvents(tx, facts)
        touched = await applyEventFacts(tx, facts)
        await recomputeRatings(tx, touched.eventIds)
      } else if (batch.topic === this.#serdes.topics.reviewEvents) {
        const facts = this.#decode<ReviewDomainEvent>(records).map((d) => d.fact)
        await lockEvents(tx, facts)
        touched = await applyReviewFacts(tx, facts)
      } else if (batch.topic === this.#serdes.topics.bookingEvents) {
        const decoded = this.#decode<BookingDomainEvent>(records)
        const facts = decoded.map((d) => d.fact)
        await lockEvents(tx, facts)
        touched = await applyBookingFacts(tx, decoded)
      } else if (batch.topic === this.#serdes.topics.paymentRequests) {
        touched = await applyPaymentRequests(
          tx,
          this.#decode<PaymentRequest>(records).map((d) => d.fact),
        )
      } else if (batch.topic === this.#serdes.topics.paymentStatus) {
        touched = await applyPaymentStatuses(
          tx,
          this.#decode<PaymentStatusChanged>(records).map((d) => d.fact),
        )
      } else if (batch.topic === this.#serdes.topics.refundRequests) {
        touched = await applyRefundRequests(
          tx,
          this.#decode<RefundRequest>(records).map((d) => d.fact),
        )
      } else {
        const outcomes = this.#decode<RequestOutcome>(records).map((d) => d.fact)
        touched = await applyRequestOutcomes(tx, outcomes)
      }
      await tx.query(
        `UPDATE projection_offsets SET next_offset = $4 WHERE projection = $1 AND topic = $2 AND partition = $3`,
        [this.#projection, batch.topic, batch.partition, batch.nextOffset],
      )
      return touched
    })
    if (changes === undefined || this.#onApplied === undefined) return
    try {
      this.#onApplied(changes)
    } catch (error) {
      this.#logger.error({ err: error, projection: this.#projection }, 'onApplied listener failed')
    }
  }

  #serdeOf(
    topic: string,
  ):
    | ReadModelSerdes[
        | 'eventEvent'
        | 'bookingEvent'
        | 'outcome'
        | 'reviewEvent'
        | 'paymentRequest'
        | 'paymentStatus'
        | 'refundRequest']
    | undefined {
    if (topic === this.#serdes.topics.eventEvents) return this.#serdes.eventEvent
    if (topic === this.#serdes.topics.reviewEvents) return this.#serdes.reviewEvent
    if (topic === this.#serdes.topics.bookingEvents) return this.#serdes.bookingEvent
    if (topic === this.#serdes.topics.requestOutcomes) return this.#serdes.outcome
    if (topic === this.#serdes.topics.paymentRequests) return this.#serdes.paymentRequest
    if (topic === this.#serdes.topics.paymentStatus) return this.#serdes.paymentStatus
    if (topic === this.#serdes.topics.refundRequests) return this.#serdes.refundRequest
    return undefined
  }

  #decode<T>(records: readonly IncomingRecord[]): Decoded<T>[] {
    const serde = this.#serdeOf(records[0]?.topic ?? '')
    const out: Decoded<T>[] = []
    const skipped: SkippedRecord[] = []
    for (const record of records) {
      if (record.value === null || serde === undefined) continue
      try {
        out.push({ fact: serde.deserialize(record.topic, record.value) as T, offset: record.offset })
      } catch (error) {
        skipped.push({ offset: record.offset, reason: (error as Error).message })
      }
    }
    if (skipped.length > 0) {
      const { topic, partition } = records[0]!
      this.#logger.error(
        { projection: this.#projection, topic, partition, skipped: skippedSummary(skipped) },
        'undecodable records skipped by the catalog projection',
      )
    }
    return out
  }
}

/**
 * Takes, until the transaction ends, a lock per event the facts touch, in one order (no deadlock), before
 * any row is written. The seat and promo figures are recounted from both topics' rows: without it, an event
 * batch and a booking batch of the same event applied at once (the projection reads partitions
 * concurrently) each recount without the other's uncommitted rows, and the event keeps a stale count.
 */
async function lockEvents(tx: Queryable, facts: readonly { readonly eventId: string }[]): Promise<void> {
  if (facts.length === 0) return
  // Locked in the order of the keys themselves (a volatile function in the select list runs after the sort).
  await tx.query(
    `SELECT pg_advisory_xact_lock(${EVENT_LOCK_CLASS}, k)
     FROM (SELECT DISTINCT hashtext(id) AS k FROM unnest($1::text[]) AS id) keys ORDER BY k`,
    [[...new Set(facts.map((f) => f.eventId))]],
  )
}
