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
 * Writes the catalog read model from the domain topics. Each `apply` (one partition's batch) or
 * `applyAll` (several partitions' at once) is one transaction holding the rows and the partitions' next
 * offsets; records below the stored offset are skipped, so a replay, a
 * restart or a redelivered batch never applies a record twice. Within a batch the facts are folded in
 * memory per event / booking / waiting-list entry, then written with one statement per table (the
 * appliers: event-applier.ts, booking-applier.ts, outcome-applier.ts, review-applier.ts, payment-applier.ts). An event's rating
 * is recounted from its review rows likewise, after review and event batches.
 *
 * Seat figures are derived, not copied: a price option's `seats_taken` is the sum of its active
 * (PENDING_PAYMENT, CONFIRMED) bookings and the event's likewise (recounts.ts): an event batch counts them
 * over the event's bookings, a booking batch moves them by what its bookings changed. The event and
 * booking topics are separate logs with no order between them; counting and summing changes give the same
 * numbers whatever order the two are applied in, and on PostgreSQL batches of the two applied at once
 * take a lock per event first (`lockEvents`), so each sees the other's rows (PGlite runs one at a time).
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

  apply(batch: ProjectionBatch): Promise<void> {
    return this.applyAll([batch])
  }

  /**
   * Applies the batches (at most one per partition) in one transaction: each partition's offset row is
   * locked and its records below the stored offset dropped, every event the facts touch is locked at
   * once, the facts are applied topic by topic (events, reviews, bookings, payments, refunds, outcomes; the partitions of a
   * topic together, each in its offset order), and the offsets move. The recounts then run once for the
   * whole round, not once per partition.
   */
  async applyAll(batches: readonly ProjectionBatch[]): Promise<void> {
    const topics = this.#serdes.topics
    for (const batch of batches) {
      const serde = this.#serdeOf(batch.topic)
      if (serde === undefined) throw new TypeError(`the catalog projection does not follow ${batch.topic}`)
      await serde.prefetch?.(
        batch.topic,
        batch.records.flatMap((r) => (r.value === null ? [] : [r.value])),
      )
    }
    const changes = await this.#db.transaction(async (tx) => {
      // PGlite runs one transaction at a time (its transaction mutex), in one session: its statements are
      // this session's prepared ones, and no other transaction can interleave with this one.
      const pglite = this.#db.engine === 'pglite'
      if (pglite) await tx.query(GENERIC_PLANS)
      const names = batches.map((b) => b.topic)
      const partitions = batches.map((b) => b.partition)
      // Locked in one order (topic, partition), so two rounds over the same partitions never deadlock. A
      // partition's first batch has no row yet: it is inserted, then locked with the rest.
      const lock = () =>
        tx.query<{ topic: string; partition: number; next_offset: number }>(
          `SELECT o.topic, o.partition, o.next_offset FROM projection_offsets o
           JOIN unnest($2::text[], $3::integer[]) AS k(t, p) ON o.topic = k.t AND o.partition = k.p
           WHERE o.projection = $1 ORDER BY o.topic, o.partition FOR UPDATE OF o`,
          [this.#projection, names, partitions],
        )
      let stored = await lock()
      if (stored.length < batches.length) {
        await tx.query(
          `INSERT INTO projection_offsets (projection, topic, partition, next_offset)
           SELECT $1, t, p, 0 FROM unnest($2::text[], $3::integer[]) AS k(t, p)
           ON CONFLICT DO NOTHING`,
          [this.#projection, names, partitions],
        )
        stored = await lock()
      }
      const from = new Map(stored.map((r) => [`${r.topic}:${r.partition}`, Number(r.next_offset)]))
      const fresh = batches.flatMap((b) => {
        const next = from.get(`${b.topic}:${b.partition}`) ?? 0
        return next >= b.nextOffset ? [] : [{ ...b, records: b.records.filter((r) => r.offset >= next) }]
      })
      if (fresh.length === 0) return undefined
      const of = (topic: string) => fresh.filter((b) => b.topic === topic)
      const eventFacts = of(topics.eventEvents).flatMap((b) => this.#decode<EventDomainEvent>(b.records))
      const reviewFacts = of(topics.reviewEvents).flatMap((b) => this.#decode<ReviewDomainEvent>(b.records))
      const bookingFacts = of(topics.bookingEvents).flatMap((b) =>
        this.#decode<BookingDomainEvent>(b.records),
      )
      const outcomes = of(topics.requestOutcomes).flatMap((b) => this.#decode<RequestOutcome>(b.records))
      const paymentRequests = of(topics.paymentRequests).flatMap((b) =>
        this.#decode<PaymentRequest>(b.records),
      )
      const paymentStatuses = of(topics.paymentStatus).flatMap((b) =>
        this.#decode<PaymentStatusChanged>(b.records),
      )
      const refundRequests = of(topics.refundRequests).flatMap((b) => this.#decode<RefundRequest>(b.records))
      if (!pglite)
        await lockEvents(
          tx,
          [...eventFacts, ...reviewFacts, ...bookingFacts].map((d) => d.fact),
        )
      const touched: AppliedChanges[] = []
      if (eventFacts.length > 0) {
        const applied = await applyEventFacts(
          tx,
          eventFacts.map((d) => d.fact),
        )
        await recomputeRatings(tx, applied.eventIds)
        touched.push(applied)
      }
      if (reviewFacts.length > 0)
        touched.push(
          await applyReviewFacts(
            tx,
            reviewFacts.map((d) => d.fact),
          ),
        )
      if (bookingFacts.length > 0) touched.push(await applyBookingFacts(tx, bookingFacts))
      // Payments and refunds end the same in any order of their three topics (payment-applier.ts).
      if (paymentRequests.length > 0)
        touched.push(
          await applyPaymentRequests(
            tx,
            paymentRequests.map((d) => d.fact),
          ),
        )
      if (paymentStatuses.length > 0)
        touched.push(
          await applyPaymentStatuses(
            tx,
            paymentStatuses.map((d) => d.fact),
          ),
        )
      if (refundRequests.length > 0)
        touched.push(
          await applyRefundRequests(
            tx,
            refundRequests.map((d) => d.fact),
          ),
        )
      if (outcomes.length > 0)
        touched.push(
          await applyRequestOutcomes(
            tx,
            outcomes.map((d) => d.fact),
          ),
        )
      await tx.query(
        `UPDATE projection_offsets o SET next_offset = k.n
         FROM unnest($2::text[], $3::integer[], $4::bigint[]) AS k(t, p, n)
         WHERE o.projection = $1 AND o.topic = k.t AND o.partition = k.p`,
        [
          this.#projection,
          fresh.map((b) => b.topic),
          fresh.map((b) => b.partition),
          fresh.map((b) => b.nextOffset),
        ],
      )
      return mergeChanges(touched)
    })
    if (changes === undefined || this.#onApplied === undefined) return
    try {
      this.#onApplied(changes)
    } catch (error) {
      this.#logger.error({ err: error, projection: this.#projection }, 'onApplied listener failed')
    }
  }

  #serdeOf(topic: string): ReadModelSerdes[Exclude<keyof ReadModelSerdes, 'topics'>] | undefined {
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

/** What several appliers touched, each ID once. */
function mergeChanges(changes: readonly AppliedChanges[]): AppliedChanges {
  const ids = (pick: (c: AppliedChanges) => readonly string[]) => [...new Set(changes.flatMap(pick))]
  return {
    eventIds: ids((c) => c.eventIds),
    bookingIds: ids((c) => c.bookingIds),
    requestIds: ids((c) => c.requestIds),
  }
}

/**
 * The projection's statements on their generic plans, with index scans, for its transaction only. On PGlite
 * they are named prepared statements (pglite-statements.ts), and Postgres kept planning them at every run:
 * with `= ANY` and `unnest` parameters a generic plan's estimate looks dearer than a custom one, so after
 * the five custom plans it compares the two it went on choosing custom. Planning was most of a booking's
 * statement time: the seat figures, the availability change and the price options took 2.8–4.5 ms a
 * booking with custom plans, 1.1–1.3 ms with generic ones (bench/RESULTS.md). A generic plan is made once,
 * maybe while a table is still empty, and kept as the table grows: without `enable_seqscan = off` the one
 * that locks a batch's bookings scanned the whole table (a rebuild took 99 s instead of 13). Every
 * statement of the projection finds its rows by key, whatever the values; the catalog search, whose best
 * plan does depend on them, runs outside it and keeps Postgres's choice.
 */
const GENERIC_PLANS = `SELECT set_config('plan_cache_mode', 'force_generic_plan', true),
  set_config('enable_seqscan', 'off', true)`

/**
 * Takes, until the transaction ends, a lock per event the facts touch, in one order (no deadlock), before
 * any row is written. The seat and promo figures are recounted from both topics' rows: without it, an event
 * batch and a booking batch of the same event applied at once (the projection reads partitions
 * concurrently) each recount without the other's uncommitted rows, and the event keeps a stale count.
 * PostgreSQL only: PGlite's transactions never run at once.
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
