// Read-model test support: the booking topology running on EmbeddedStreams over an in-memory EmbeddedLog
// (the real outputs of the pipeline, with the declared topics and their 12 partitions), and the two
// database engines every read-model test runs on.
import { randomUUID } from 'node:crypto'
import { PAYMENT_STATUS_V1_FIELDS } from '../../../processors/index.ts'
import pg from 'pg'
import type {
  BookingCommand,
  EventCommand,
  PaymentStatus,
  RequestOutcome,
  ReviewCommand,
} from '../../../avro/index.ts'
import { TOPICS } from '../../../infra/topics.ts'
import {
  EmbeddedLog,
  EmbeddedStreams,
  ManualClock,
  defaultPartitioner,
  stringSerde,
} from '../../../streams/index.ts'
import type { Serde } from '../../../streams/index.ts'
import { EmbeddedProjection } from '../../../streams/projection.ts'
import { buildBookingTopology, type BookingSerdes } from '../../../topologies/booking-topology.ts'
import { DEFAULT_TOPIC_NAMES as topics } from '../../../topologies/index.ts'
import {
  openReadModel,
  READ_MODEL_TOPICS,
  type AppliedChanges,
  type ReadModel,
} from '../../../read-models/catalog/index.ts'
import type { Db } from '../../../read-models/catalog/db.ts'
import { SqlReadModel } from '../../../read-models/catalog/sql-read-model.ts'
import { T0 } from '../../topologies/booking-harness.ts'

/** The booking topology on an in-memory embedded log, driven by hand with a manual clock. */
export class PipelineScenario {
  readonly log = EmbeddedLog.open()
  readonly clock = new ManualClock(T0)
  readonly #streams: EmbeddedStreams
  readonly #serdes: BookingSerdes

  constructor(serdes: BookingSerdes) {
    this.#serdes = serdes
    this.#streams = new EmbeddedStreams(buildBookingTopology({ serdes }), {
      applicationId: 'read-model-test',
      deadLetterTopic: topics.deadLetters,
      topics: TOPICS,
      clock: this.clock,
      log: this.log,
    })
    this.#streams.startSync()
  }

  #pipe<V>(topic: string, serde: Serde<V>, key: string, value: V): void {
    const k = stringSerde.serialize(topic, key)
    const v = serde.serialize(topic, value)
    const partition = defaultPartitioner(topic, k, v, this.log.partitions(topic))
    this.log.append([{ topic, partition, key: k, value: v, timestamp: this.clock.now(), headers: {} }])
    this.#run()
  }

  #run(): void {
    this.#streams.runUntilIdle()
    if (this.#streams.failure !== undefined) throw this.#streams.failure
  }

  /** The outcome recorded for a request ID (reads the outcomes topic). */
  outcome(requestId: string): RequestOutcome {
    const topic = topics.requestOutcomes
    for (let p = 0; p < this.log.partitions(topic); p++)
      for (const r of this.log.read(topic, p, 0, 1_000_000)) {
        const o = this.#serdes.outcome.deserialize(topic, r.value!)
        if (o.requestId === requestId) return o
      }
    throw new Error(`no outcome for ${requestId}`)
  }

  event(command: EventCommand): RequestOutcome {
    this.#pipe(topics.eventCommands, this.#serdes.eventCommand, command.eventId, command)
    return this.outcome(command.requestId)
  }

  booking(command: BookingCommand): RequestOutcome {
    this.#pipe(topics.bookingCommands, this.#serdes.bookingCommand, command.eventId, command)
    return this.outcome(command.requestId)
  }

  review(command: ReviewCommand): RequestOutcome {
    this.#pipe(topics.reviewCommands, this.#serdes.reviewCommand, command.eventId, command)
    return this.outcome(command.requestId)
  }

  /** A payment status for the booking; a second payment (a seat top-up's) needs its own `paymentId`. */
  payment(
    eventId: string,
    bookingId: string,
    status: PaymentStatus,
    amountMinor: number,
    paymentId = `pay-${bookingId}`,
  ): void {
    this.#pipe(topics.paymentStatus, this.#serdes.paymentStatus, eventId, {
      paymentId,
      bookingId,
      eventId,
      status,
      amountMinor,
      occurredAtMs: this.clock.now(),
      ...PAYMENT_STATUS_V1_FIELDS,
    })
  }

  crew(eventId: string, crewRequestId: string, status: 'ASSIGNED' | 'UNAVAILABLE'): void {
    this.#pipe(topics.crewStatus, this.#serdes.crewStatus, eventId, {
      eventId,
      crewRequestId,
      status,
      memberId: status === 'ASSIGNED' ? 'member-1' : null,
      reason: status === 'UNAVAILABLE' ? 'busy' : null,
      occurredAtMs: this.clock.now(),
      ...PAYMENT_STATUS_V1_FIELDS,
    })
  }

  /** Moves the clock and runs the punctuators that became due (hold expiry, offers, completion). */
  advance(ms: number): void {
    this.clock.advance(ms)
    this.#run()
  }

  async close(): Promise<void> {
    await this.#streams.close()
    this.log.close()
  }
}

/** Feeds the read-model topics of `log` into `model` until caught up; returns what `onApplied` saw. */
export async function project(
  log: EmbeddedLog,
  model: ReadModel,
  serdes: BookingSerdes,
  maxBatchRecords?: number,
): Promise<AppliedChanges[]> {
  const seen: AppliedChanges[] = []
  const off = model.onApplied((c) => seen.push(c))
  const runner = new EmbeddedProjection(log, {
    name: 'catalog',
    topics: READ_MODEL_TOPICS,
    sink: model.projectionSink(serdes),
    ...(maxBatchRecords === undefined ? {} : { maxBatchRecords }),
  })
  await runner.start()
  await runner.caughtUp()
  await runner.close()
  off()
  return seen
}

export interface Engine {
  readonly name: 'pglite' | 'postgres'
  /** A fresh read model in its own empty schema (dropped at teardown for PostgreSQL). */
  open(schema?: string): Promise<ReadModel>
  /** Drops the schemas this engine created. */
  cleanup(): Promise<void>
}

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/backend_event'

/** Both engines: in-memory PGlite, and the real PostgreSQL at DATABASE_URL with a schema per run. */
export function engines(): Engine[] {
  const run = `rm_test_${randomUUID().replaceAll('-', '').slice(0, 10)}`
  let n = 0
  const created: string[] = []
  return [
    {
      name: 'pglite',
      open: (schema) => openReadModel(schema === undefined ? {} : { schema }),
      cleanup: async () => undefined,
    },
    {
      name: 'postgres',
      open: (schema) => {
        const name = schema ?? `${run}_${++n}`
        created.push(name)
        return openReadModel({ databaseUrl: DATABASE_URL, schema: name, poolSize: 4 })
      },
      cleanup: async () => {
        const client = new pg.Client({ connectionString: DATABASE_URL })
        await client.connect()
        try {
          for (const schema of new Set(created)) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
        } finally {
          await client.end()
        }
      },
    },
  ]
}

/** `db` with some of its methods replaced (a test's probe); the rest go to `db` itself. */
export function delegating(db: Db, replaced: Partial<Db>): Db {
  return {
    engine: db.engine,
    schema: db.schema,
    query: (sql, params, options) => db.query(sql, params, options),
    transaction: (fn) => db.transaction(fn),
    exec: (script) => db.exec(script),
    forSchema: (schema) => db.forSchema(schema),
    close: () => db.close(),
    ...replaced,
  }
}

/** The Db under a model opened by openReadModel. */
export function dbOf(model: ReadModel): Db {
  if (!(model instanceof SqlReadModel)) throw new TypeError('not a SqlReadModel')
  return model.db
}

/** Every row of the projected tables (and the offsets), sorted and JSON-normalized, for comparison. */
export async function projectedTables(model: ReadModel): Promise<Record<string, unknown[]>> {
  const db = dbOf(model)
  const out: Record<string, unknown[]> = {}
  for (const [table, order] of [
    ['events', 'id'],
    ['event_price_options', 'event_id, price_option_id'],
    ['event_promo_codes', 'event_id, code'],
    ['bookings', 'id'],
    ['waitlist_entries', 'event_id, user_id'],
    ['payments', 'id'],
    ['refunds', 'id'],
    ['request_outcomes', 'request_id'],
    ['reviews', 'id'],
    ['projection_offsets', 'projection, topic, partition'],
  ] as const)
    out[table] = JSON.parse(JSON.stringify(await db.query(`SELECT * FROM ${table} ORDER BY ${order}`)))
  return out
}

/**
 * The seat figures that differ from a count of the projected bookings, made here rather than with the
 * sink's SQL: each price option's and each event's `seats_taken` against the seats of its PENDING_PAYMENT
 * and CONFIRMED bookings. Empty when every figure agrees.
 */
export async function seatFiguresOffCount(model: ReadModel): Promise<unknown[]> {
  const db = dbOf(model)
  const counted = new Map<string, number>()
  const add = (key: string, seats: number) => counted.set(key, (counted.get(key) ?? 0) + seats)
  for (const b of await db.query<{
    event_id: string
    price_option_id: string | null
    status: string
    seats: number
  }>('SELECT event_id, price_option_id, status, seats FROM bookings'))
    if (b.status === 'PENDING_PAYMENT' || b.status === 'CONFIRMED') {
      add(`event ${b.event_id}`, b.seats)
      if (b.price_option_id !== null) add(`option ${b.event_id}/${b.price_option_id}`, b.seats)
    }
  const stored = [
    ...(await db.query<{ id: string; seats_taken: number }>('SELECT id, seats_taken FROM events')).map(
      (e) => ({
        key: `event ${e.id}`,
        seatsTaken: e.seats_taken,
      }),
    ),
    ...(
      await db.query<{ event_id: string; price_option_id: string; seats_taken: number }>(
        'SELECT event_id, price_option_id, seats_taken FROM event_price_options',
      )
    ).map((o) => ({ key: `option ${o.event_id}/${o.price_option_id}`, seatsTaken: o.seats_taken })),
  ]
  return stored
    .filter((s) => s.seatsTaken !== (counted.get(s.key) ?? 0))
    .map((s) => ({ ...s, counted: counted.get(s.key) ?? 0 }))
}
