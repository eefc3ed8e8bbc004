import type { Logger } from 'pino'
import pino from 'pino'
import type { BookingDomainEvent, EventDomainEvent, RequestOutcome } from '../../avro/index.ts'
import {
  type IncomingRecord,
  type ProjectionBatch,
  type ProjectionSink,
  type SkippedRecord,
  skippedSummary,
} from '../../streams/index.ts'
import { DEFAULT_TOPIC_NAMES, type TopicNames } from '../../topologies/index.ts'
import type { Db, Queryable } from './db.ts'
import type { AppliedChanges, ReadModelSerdes } from './read-model.ts'
import type { CrewView } from './views.ts'

/** The topics the catalog projection follows, under the names of `topics`. */
export function catalogTopics(topics: TopicNames): string[] {
  return [topics.eventEvents, topics.bookingEvents, topics.requestOutcomes]
}

/** The catalog's topics under the names of the README (no prefix). */
export const READ_MODEL_TOPICS: readonly string[] = catalogTopics(DEFAULT_TOPIC_NAMES)

/** The projection's name in `projection_offsets`. */
export const CATALOG_PROJECTION = 'catalog'

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

/** The public part of a place: up to the first comma ("Карелия, причал у моста" → "Карелия"). */
export function areaOf(place: string): string {
  const comma = place.indexOf(',')
  return (comma < 0 ? place : place.slice(0, comma)).trim()
}

interface EventRow {
  id: string
  version: number
  status: string
  organizer_id: string
  title: string
  description: string
  place: string
  area: string
  starts_at: string
  ends_at: string
  publish_at: string | null
  categories: readonly string[]
  capacity: number
  crew: CrewView[]
  cancel_reason: string | null
  created_at: string
  updated_at: string
  options: {
    event_id: string
    price_option_id: string
    position: number
    name: string
    price_minor: number
    allotment: number
    valid_from: string | null
    valid_until: string | null
  }[]
  /** The event's promo codes; undefined: keep the stored rows (a snapshot without `promoCodes`). */
  promos: PromoRow[] | undefined
}

interface PromoRow {
  event_id: string
  code: string
  position: number
  kind: string
  value: number
  usage_limit: number
  valid_from: string | null
  valid_until: string
  active: boolean
}

interface BookingRow {
  id: string
  event_id: string
  user_id: string
  status: string
  price_option_id: string | null
  seats: number
  amount_minor: number
  paid_minor: number
  refunded_minor: number
  promo_code: string | null
  ticket_code: string | null
  reason_code: string | null
  hold_expires_at: string | null
  /** Extra seats of a pending seat top-up (included in `seats`); null when none is pending. */
  top_up_seats: number | null
  /** The latest re-confirmation after a schedule change; null when never. */
  reconfirmed_at: string | null
  last_event: string
  last_request_id: string | null
  version: number
  created_at: string
  updated_at: string
}

interface WaitlistRow {
  event_id: string
  user_id: string
  seats: number
  status: 'WAITING' | 'OFFERED'
  queue_seq: number
  joined_at: string
  offer_expires_at: string | null
}

interface Decoded<T> {
  readonly fact: T
  readonly offset: number
}

const HELD_CREW = new Set(['REQUESTED', 'ASSIGNED'])

/** The crew list after one event fact (the event topic names the crew request in `detail`). */
function nextCrew(crew: readonly CrewView[], fact: EventDomainEvent): CrewView[] {
  const id = fact.detail
  const set = (status: CrewView['status']): CrewView[] =>
    id === null
      ? [...crew]
      : crew.some((c) => c.crewRequestId === id)
        ? crew.map((c) => (c.crewRequestId === id ? { crewRequestId: id, status } : c))
        : [...crew, { crewRequestId: id, status }]
  switch (fact.type) {
    case 'CREW_REQUESTED':
      return set('REQUESTED')
    case 'CREW_ASSIGNED':
      // An answer for a canceled or completed event releases the member at once (processors/crew.ts).
      return set(fact.status === 'CANCELED' || fact.status === 'COMPLETED' ? 'RELEASED' : 'ASSIGNED')
    case 'CREW_UNAVAILABLE':
      return set('UNAVAILABLE')
    case 'CANCELED':
      return crew.map((c) => (HELD_CREW.has(c.status) ? { ...c, status: 'RELEASED' } : c))
    default:
      return [...crew]
  }
}

function eventRow(fact: EventDomainEvent, before: EventRow | undefined): EventRow {
  return {
    id: fact.eventId,
    version: fact.version,
    status: fact.status,
    organizer_id: fact.organizerId,
    title: fact.title,
    description: fact.description,
    place: fact.place,
    area: areaOf(fact.place),
    starts_at: iso(fact.startsAtMs)!,
    ends_at: iso(fact.endsAtMs)!,
    publish_at: iso(fact.publishAtMs),
    categories: fact.categories,
    capacity: fact.capacity,
    crew: nextCrew(before?.crew ?? [], fact),
    cancel_reason:
      fact.type === 'CANCELED'
        ? fact.detail
        : fact.status === 'CANCELED'
          ? (before?.cancel_reason ?? null)
          : null,
    created_at: before?.created_at ?? iso(fact.occurredAtMs)!,
    updated_at: iso(fact.occurredAtMs)!,
    options: fact.priceOptions.map((o, position) => ({
      event_id: fact.eventId,
      price_option_id: o.priceOptionId,
      position,
      name: o.name,
      price_minor: o.priceMinor,
      allotment: o.allotment,
      valid_from: iso(o.validFromMs),
      valid_until: iso(o.validUntilMs),
    })),
    // null: a writer from before promo codes were in the snapshot (EventDomainEvent v1) knew nothing of
    // them; keep what an earlier snapshot said rather than erase it.
    promos:
      fact.promoCodes === null
        ? before?.promos
        : fact.promoCodes.map((p, position) => ({
            event_id: fact.eventId,
            code: p.code,
            position,
            kind: p.kind,
            value: p.value,
            usage_limit: p.usageLimit,
            valid_from: iso(p.validFromMs),
            valid_until: iso(p.validUntilMs)!,
            active: p.active,
          })),
  }
}

/**
 * The extra seats of a booking's pending seat top-up after `fact`. The ledger sets a CONFIRMED booking's
 * `holdExpiresAtMs` exactly while a top-up is pending (processors/ledger-state.ts `holdDueMs`), and its
 * `seats` then counts the top-up's seats too. SEATS_CHANGE_HELD starts a top-up: its extra seats are the
 * fact's seats less the confirmed seats before it. Other facts of a booking with a top-up pending
 * (RECONFIRMED, LATE_PAYMENT_REFUNDED of an underpayment) keep it; any fact without one (SEATS_CHANGED,
 * SEATS_CHANGE_RELEASED, CANCELED, ...) clears it. Null as well when the row before is unknown (a
 * projection that starts after the top-up was held cannot tell the confirmed seats).
 */
function topUpSeats(fact: BookingDomainEvent, before: BookingRow | undefined): number | null {
  if (fact.status !== 'CONFIRMED' || fact.holdExpiresAtMs === null || before === undefined) return null
  if (fact.type !== 'SEATS_CHANGE_HELD') return before.top_up_seats
  return fact.seats - (before.seats - (before.top_up_seats ?? 0))
}

function bookingRow(fact: BookingDomainEvent, before: BookingRow | undefined): BookingRow {
  return {
    id: fact.bookingId!,
    event_id: fact.eventId,
    user_id: fact.userId,
    status: fact.status ?? before?.status ?? 'REJECTED',
    price_option_id: fact.priceOptionId,
    seats: fact.seats,
    amount_minor: fact.amountMinor,
    paid_minor: fact.paidMinor,
    refunded_minor: (before?.refunded_minor ?? 0) + fact.refundMinor,
    promo_code: fact.promoCode,
    ticket_code: fact.ticketCode,
    reason_code: fact.reasonCode,
    hold_expires_at: iso(fact.holdExpiresAtMs),
    top_up_seats: topUpSeats(fact, before),
    reconfirmed_at: fact.type === 'RECONFIRMED' ? iso(fact.occurredAtMs) : (before?.reconfirmed_at ?? null),
    last_event: fact.type,
    last_request_id: fact.requestId,
    version: (before?.version ?? 0) + 1,
    created_at: before?.created_at ?? iso(fact.occurredAtMs)!,
    updated_at: iso(fact.occurredAtMs)!,
  }
}

const toIso = (value: unknown): string | null =>
  value === null || value === undefined
    ? null
    : value instanceof Date
      ? value.toISOString()
      : new Date(String(value)).toISOString()

export interface ReadModelSinkOptions {
  readonly db: Db
  readonly serdes: ReadModelSerdes
  readonly logger?: Logger
  /** Called after each committed batch with what it touched. */
  readonly onApplied?: (changes: AppliedChanges) => void
  /** Name in `projection_offsets`; default `catalog`. */
  readonly projection?: string
}

/**
 * Writes the catalog read model from the domain topics. Each `apply` is one transaction holding the
 * rows and the partition's next offset; records below the stored offset are skipped, so a replay, a
 * restart or a redelivered batch never applies a record twice. Within a batch the facts are folded in
 * memory per event / booking / waiting-list entry, then written with one statement per table.
 *
 * Seat figures are derived, not copied: a price option's `seats_taken` is the sum of its active
 * (PENDING_PAYMENT, CONFIRMED) bookings and the event's likewise, recomputed for the events a batch
 * touches. The event and booking topics are separate logs with no order between them, so counting
 * bookings gives the same numbers whatever order the two are applied in; batches of the two applied at
 * once take a lock per event first (`lockEvents`), so each recount sees the other's rows.
 *
 * A record that cannot be decoded is logged and skipped (its offset is still stored): the domain topics
 * are written by our own topology, and one bad record must not stop the read model.
 */
/** The first key of the catalog projection's advisory locks (the second is the event ID's hash). */
const EVENT_LOCK_CLASS = 0x43415431

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
        const decoded = this.#decode<EventDomainEvent>(records)
        await lockEvents(tx, decoded)
        touched = await this.#applyEvents(tx, decoded)
      } else if (batch.topic === this.#serdes.topics.bookingEvents) {
        const decoded = this.#decode<BookingDomainEvent>(records)
        await lockEvents(tx, decoded)
        touched = await this.#applyBookings(tx, decoded)
      } else touched = await this.#applyOutcomes(tx, this.#decode(records))
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

  #serdeOf(topic: string): ReadModelSerdes['eventEvent' | 'bookingEvent' | 'outcome'] | undefined {
    if (topic === this.#serdes.topics.eventEvents) return this.#serdes.eventEvent
    if (topic === this.#serdes.topics.bookingEvents) return this.#serdes.bookingEvent
    if (topic === this.#serdes.topics.requestOutcomes) return this.#serdes.outcome
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

  async #applyEvents(tx: Queryable, decoded: readonly Decoded<EventDomainEvent>[]): Promise<AppliedChanges> {
    const facts = decoded.map((d) => d.fact)
    const ids = [...new Set(facts.map((f) => f.eventId))]
    if (ids.length === 0) return { eventIds: [], bookingIds: [], requestIds: [] }
    const existing = await tx.query<{
      id: string
      version: number
      crew: CrewView[]
      cancel_reason: string | null
      created_at: unknown
    }>('SELECT id, version, crew, cancel_reason, created_at FROM events WHERE id = ANY($1) FOR UPDATE', [ids])
    const versions = new Map<string, number>()
    const rows = new Map<string, EventRow>()
    for (const row of existing) {
      versions.set(row.id, Number(row.version))
      rows.set(row.id, {
        crew: row.crew,
        cancel_reason: row.cancel_reason,
        created_at: toIso(row.created_at)!,
      } as EventRow)
    }
    const changed = new Set<string>()
    for (const fact of facts) {
      // The event topic is keyed by eventId: one partition, in order. A version at or below the stored one
      // is a duplicate (a retried produce) and changes nothing.
      if (fact.version <= (versions.get(fact.eventId) ?? 0)) continue
      rows.set(fact.eventId, eventRow(fact, rows.get(fact.eventId)))
      versions.set(fact.eventId, fact.version)
      changed.add(fact.eventId)
    }
    const written = [...changed].map((id) => rows.get(id)!)
    if (written.length > 0) {
      await tx.query(
        `INSERT INTO events (id, version, status, organizer_id, title, description, place, area, starts_at,
           ends_at, publish_at, categories, capacity, crew, cancel_reason, created_at, updated_at)
         SELECT id, version, status, organizer_id, title, description, place, area, starts_at, ends_at,
           publish_at, categories, capacity, crew, cancel_reason, created_at, updated_at
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, version bigint, status text, organizer_id text,
           title text, description text, place text, area text, starts_at timestamptz, ends_at timestamptz,
           publish_at timestamptz, categories text[], capacity integer, crew jsonb, cancel_reason text,
           created_at timestamptz, updated_at timestamptz)
         ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, status = EXCLUDED.status,
           organizer_id = EXCLUDED.organizer_id, title = EXCLUDED.title, description = EXCLUDED.description,
           place = EXCLUDED.place, area = EXCLUDED.area, starts_at = EXCLUDED.starts_at,
           ends_at = EXCLUDED.ends_at, publish_at = EXCLUDED.publish_at, categories = EXCLUDED.categories,
           capacity = EXCLUDED.capacity, crew = EXCLUDED.crew, cancel_reason = EXCLUDED.cancel_reason,
           updated_at = EXCLUDED.updated_at`,
        [JSON.stringify(written.map(({ options: _options, promos: _promos, ...row }) => row))],
      )
      const ids = written.map((r) => r.id)
      await tx.query('DELETE FROM event_price_options WHERE event_id = ANY($1)', [ids])
      const options = written.flatMap((r) => r.options)
      if (options.length > 0)
        await tx.query(
          `INSERT INTO event_price_options (event_id, price_option_id, position, name, price_minor, allotment,
             valid_from, valid_until)
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(event_id text, price_option_id text,
             position integer, name text, price_minor bigint, allotment integer, valid_from timestamptz,
             valid_until timestamptz)`,
          [JSON.stringify(options)],
        )
      const promoEvents = written.filter((r) => r.promos !== undefined)
      if (promoEvents.length > 0) {
        await tx.query('DELETE FROM event_promo_codes WHERE event_id = ANY($1)', [
          promoEvents.map((r) => r.id),
        ])
        const promos = promoEvents.flatMap((r) => r.promos!)
        if (promos.length > 0)
          await tx.query(
            `INSERT INTO event_promo_codes (event_id, code, position, kind, value, usage_limit, valid_from,
               valid_until, active)
             SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(event_id text, code text, position integer,
               kind text, value bigint, usage_limit integer, valid_from timestamptz, valid_until timestamptz,
               active boolean)`,
            [JSON.stringify(promos)],
          )
      }
      await recomputeSeats(tx, ids)
      await recomputePromoUses(tx, ids)
    }
    return {
      eventIds: [...changed],
      bookingIds: [],
      requestIds: [...new Set(facts.flatMap((f) => (f.requestId === null ? [] : [f.requestId])))],
    }
  }

  async #applyBookings(
    tx: Queryable,
    decoded: readonly Decoded<BookingDomainEvent>[],
  ): Promise<AppliedChanges> {
    const facts = decoded.map((d) => d.fact)
    const bookingIds = [...new Set(facts.flatMap((f) => (f.bookingId === null ? [] : [f.bookingId])))]
    const bookings = new Map<string, BookingRow>()
    if (bookingIds.length > 0)
      for (const row of await tx.query<BookingRow>('SELECT * FROM bookings WHERE id = ANY($1) FOR UPDATE', [
        bookingIds,
      ]))
        bookings.set(row.id, {
          ...row,
          refunded_minor: Number(row.refunded_minor),
          reconfirmed_at: toIso(row.reconfirmed_at),
          created_at: toIso(row.created_at)!,
        })
    // Waiting-list entries keyed `eventId\u0000userId`; undefined: not loaded, null: deleted.
    const waitKey = (eventId: string, userId: string): string => `${eventId}\u0000${userId}`
    const waitlist = new Map<string, WaitlistRow | null>()
    const pairs = [...new Set(facts.map((f) => waitKey(f.eventId, f.userId)))].map((k) => k.split('\u0000'))
    for (const row of await tx.query<WaitlistRow>(
      `SELECT w.* FROM waitlist_entries w
       JOIN unnest($1::text[], $2::text[]) AS k(event_id, user_id) USING (event_id, user_id)`,
      [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    ))
      waitlist.set(waitKey(row.event_id, row.user_id), {
        ...row,
        queue_seq: Number(row.queue_seq),
        joined_at: toIso(row.joined_at)!,
        offer_expires_at: toIso(row.offer_expires_at),
      })
    const changedBookings = new Set<string>()
    const changedWaitlist = new Set<string>()
    for (const { fact, offset } of decoded) {
      const key = waitKey(fact.eventId, fact.userId)
      const entry = waitlist.get(key) ?? null
      switch (fact.type) {
        case 'WAITLIST_JOINED':
          waitlist.set(key, {
            event_id: fact.eventId,
            user_id: fact.userId,
            seats: fact.seats,
            status: 'WAITING',
            queue_seq: offset,
            joined_at: iso(fact.occurredAtMs)!,
            offer_expires_at: null,
          })
          changedWaitlist.add(key)
          continue
        case 'WAITLIST_OFFERED':
          waitlist.set(key, {
            event_id: fact.eventId,
            user_id: fact.userId,
            seats: fact.seats,
            status: 'OFFERED',
            queue_seq: entry?.queue_seq ?? offset,
            joined_at: entry?.joined_at ?? iso(fact.occurredAtMs)!,
            offer_expires_at: iso(fact.offerExpiresAtMs),
          })
          changedWaitlist.add(key)
          continue
        case 'WAITLIST_LEFT':
        case 'WAITLIST_OFFER_EXPIRED':
          waitlist.set(key, null)
          changedWaitlist.add(key)
          continue
        default:
          break
      }
      if (fact.bookingId === null) continue
      if (fact.type === 'HELD' || fact.type === 'CONFIRMED') {
        // Booking uses up the user's offer or queue place (processors/waiting-list.ts removeFromWaitingList).
        if (entry !== null) {
          waitlist.set(key, null)
          changedWaitlist.add(key)
        }
      }
      bookings.set(fact.bookingId, bookingRow(fact, bookings.get(fact.bookingId)))
      changedBookings.add(fact.bookingId)
    }
    const written = [...changedBookings].map((id) => bookings.get(id)!)
    if (written.length > 0)
      await tx.query(
        `INSERT INTO bookings (id, event_id, user_id, status, price_option_id, seats, amount_minor, paid_minor,
           refunded_minor, promo_code, ticket_code, reason_code, hold_expires_at, top_up_seats, reconfirmed_at,
           last_event, last_request_id, version, created_at, updated_at)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id text, event_id text, user_id text, status text,
           price_option_id text, seats integer, amount_minor bigint, paid_minor bigint, refunded_minor bigint,
           promo_code text, ticket_code text, reason_code text, hold_expires_at timestamptz,
           top_up_seats integer, reconfirmed_at timestamptz, last_event text, last_request_id text,
           version integer, created_at timestamptz, updated_at timestamptz)
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, price_option_id = EXCLUDED.price_option_id,
           seats = EXCLUDED.seats, amount_minor = EXCLUDED.amount_minor, paid_minor = EXCLUDED.paid_minor,
           refunded_minor = EXCLUDED.refunded_minor, promo_code = EXCLUDED.promo_code,
           ticket_code = EXCLUDED.ticket_code, reason_code = EXCLUDED.reason_code,
           hold_expires_at = EXCLUDED.hold_expires_at, top_up_seats = EXCLUDED.top_up_seats,
           reconfirmed_at = EXCLUDED.reconfirmed_at, last_event = EXCLUDED.last_event,
           last_request_id = EXCLUDED.last_request_id, version = EXCLUDED.version,
           updated_at = EXCLUDED.updated_at`,
        [JSON.stringify(written)],
      )
    const removed = [...changedWaitlist].filter((k) => waitlist.get(k) === null).map((k) => k.split('\u0000'))
    if (removed.length > 0)
      await tx.query(
        `DELETE FROM waitlist_entries w USING unnest($1::text[], $2::text[]) AS k(event_id, user_id)
         WHERE w.event_id = k.event_id AND w.user_id = k.user_id`,
        [removed.map((p) => p[0]), removed.map((p) => p[1])],
      )
    const kept = [...changedWaitlist].flatMap((k) => {
      const row = waitlist.get(k)
      return row === null || row === undefined ? [] : [row]
    })
    if (kept.length > 0)
      await tx.query(
        `INSERT INTO waitlist_entries (event_id, user_id, seats, status, queue_seq, joined_at, offer_expires_at)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(event_id text, user_id text, seats integer,
           status text, queue_seq bigint, joined_at timestamptz, offer_expires_at timestamptz)
         ON CONFLICT (event_id, user_id) DO UPDATE SET seats = EXCLUDED.seats, status = EXCLUDED.status,
           queue_seq = EXCLUDED.queue_seq, joined_at = EXCLUDED.joined_at,
           offer_expires_at = EXCLUDED.offer_expires_at`,
        [JSON.stringify(kept)],
      )
    const eventIds = [...new Set(facts.map((f) => f.eventId))]
    // Bookings change seats taken and promo uses; waiting-list offers hold seats back from everyone else.
    await recomputeSeats(tx, eventIds)
    await recomputePromoUses(tx, eventIds)
    return {
      eventIds,
      bookingIds: [...changedBookings],
      requestIds: [...new Set(facts.flatMap((f) => (f.requestId === null ? [] : [f.requestId])))],
    }
  }

  async #applyOutcomes(tx: Queryable, decoded: readonly Decoded<RequestOutcome>[]): Promise<AppliedChanges> {
    const outcomes = decoded.map((d) => d.fact)
    // Compacted topic keyed by requestId: the latest record of a request wins.
    const latest = new Map<string, RequestOutcome>()
    for (const o of outcomes) latest.set(o.requestId, o)
    const rows = [...latest.values()].map((o) => ({
      request_id: o.requestId,
      event_id: o.eventId,
      command_type: o.commandType,
      accepted: o.accepted,
      resource_type: o.resourceType,
      resource_id: o.resourceId,
      reason_code: o.reasonCode,
      message: o.message,
      decided_at: iso(o.decidedAtMs),
    }))
    if (rows.length > 0)
      await tx.query(
        `INSERT INTO request_outcomes (request_id, event_id, command_type, accepted, resource_type, resource_id,
           reason_code, message, decided_at)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(request_id text, event_id text, command_type text,
           accepted boolean, resource_type text, resource_id text, reason_code text, message text,
           decided_at timestamptz)
         ON CONFLICT (request_id) DO UPDATE SET event_id = EXCLUDED.event_id,
           command_type = EXCLUDED.command_type, accepted = EXCLUDED.accepted,
           resource_type = EXCLUDED.resource_type, resource_id = EXCLUDED.resource_id,
           reason_code = EXCLUDED.reason_code, message = EXCLUDED.message, decided_at = EXCLUDED.decided_at`,
        [JSON.stringify(rows)],
      )
    const bookingIds = [
      ...new Set([...latest.values()].filter((o) => o.resourceType === 'BOOKING').map((o) => o.resourceId)),
    ]
    return {
      eventIds: [...new Set([...latest.values()].map((o) => o.eventId))],
      bookingIds,
      requestIds: [...latest.keys()],
    }
  }
}

/**
 * Takes, until the transaction ends, a lock per event the facts touch, in one order (no deadlock), before
 * any row is written. The seat and promo figures are recounted from both topics' rows: without it, an event
 * batch and a booking batch of the same event applied at once (the projection reads partitions
 * concurrently) each recount without the other's uncommitted rows, and the event keeps a stale count.
 */
async function lockEvents(tx: Queryable, decoded: readonly Decoded<{ eventId: string }>[]): Promise<void> {
  if (decoded.length === 0) return
  // Locked in the order of the keys themselves (a volatile function in the select list runs after the sort).
  await tx.query(
    `SELECT pg_advisory_xact_lock(${EVENT_LOCK_CLASS}, k)
     FROM (SELECT DISTINCT hashtext(id) AS k FROM unnest($1::text[]) AS id) keys ORDER BY k`,
    [[...new Set(decoded.map((d) => d.fact.eventId))]],
  )
}

/**
 * Live availability of the given events: each option's seats taken by active bookings, the event's
 * total, its free seats (capacity left minus seats offered to the waiting list, and no more than the
 * options still hold), its lowest price. Mirrors the ledger's rule (processors/booking-ledger.ts).
 */
export async function recomputeSeats(tx: Queryable, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return
  await tx.query(
    `UPDATE event_price_options o SET seats_taken = COALESCE((
       SELECT sum(b.seats) FROM bookings b
       WHERE b.event_id = o.event_id AND b.price_option_id = o.price_option_id
         AND b.status IN ('PENDING_PAYMENT', 'CONFIRMED')), 0)
     WHERE o.event_id = ANY($1)`,
    [eventIds],
  )
  await tx.query(
    `UPDATE events e SET seats_taken = s.taken,
       seats_available = GREATEST(0, CASE WHEN s.options = 0 THEN e.capacity - s.taken - s.offered
         ELSE LEAST(e.capacity - s.taken - s.offered, s.option_free) END),
       price_from = s.price_from
     FROM (
       SELECT ev.id,
         COALESCE((SELECT sum(b.seats) FROM bookings b
           WHERE b.event_id = ev.id AND b.status IN ('PENDING_PAYMENT', 'CONFIRMED')), 0)::integer AS taken,
         COALESCE((SELECT sum(w.seats) FROM waitlist_entries w
           WHERE w.event_id = ev.id AND w.status = 'OFFERED'), 0)::integer AS offered,
         (SELECT count(*) FROM event_price_options o WHERE o.event_id = ev.id)::integer AS options,
         COALESCE((SELECT sum(GREATEST(0, o.allotment - o.seats_taken)) FROM event_price_options o
           WHERE o.event_id = ev.id), 0)::integer AS option_free,
         (SELECT min(o.price_minor) FROM event_price_options o WHERE o.event_id = ev.id) AS price_from
       FROM events ev WHERE ev.id = ANY($1)
     ) s
     WHERE e.id = s.id`,
    [eventIds],
  )
}

/**
 * Promo uses of the given events, derived from the projected bookings like seats: a booking counts while
 * it holds the code (PENDING_PAYMENT, CONFIRMED) and keeps counting once a ticket was issued (a confirmed
 * booking canceled later keeps its use; an unpaid hold that expires, fails or is canceled gives it back).
 * Mirrors the ledger's rule (processors/booking-ledger.ts, `usePromo` calls), so the figure is the same
 * whatever order the event and booking topics are applied in. Rows whose count did not change are not
 * rewritten.
 */
export async function recomputePromoUses(tx: Queryable, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return
  await tx.query(
    `UPDATE event_promo_codes p SET uses = s.uses
     FROM (
       SELECT c.event_id, c.code, count(b.id)::integer AS uses
       FROM event_promo_codes c
       LEFT JOIN bookings b ON b.event_id = c.event_id AND b.promo_code = c.code
         AND (b.status IN ('PENDING_PAYMENT', 'CONFIRMED') OR b.ticket_code IS NOT NULL)
       WHERE c.event_id = ANY($1)
       GROUP BY c.event_id, c.code
     ) s
     WHERE p.event_id = s.event_id AND p.code = s.code AND p.uses <> s.uses`,
    [eventIds],
  )
}
