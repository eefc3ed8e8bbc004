// The event and booking topics are applied concurrently (the projection reads partitions in parallel, each
// batch in its own transaction on the real PostgreSQL): whatever the interleaving, every event's seat
// figures end equal to its active bookings. Each round applies every partition's event batch and booking
// batch at once into a fresh schema. The expected figures are recounted from the booking facts on the log
// (BookingFactRecount, the property test's), not with the sink's SQL, and checked against the plan.
import t from 'tap'
import { ReadModelSink } from '../../../read-models/catalog/projection-sink.ts'
import type { ProjectionBatch } from '../../../streams/projection.ts'
import { DEFAULT_TOPIC_NAMES } from '../../../topologies/index.ts'
import { BookingFactRecount } from '../../topologies/booking-fact-recount.ts'
import { bookingCommand, bookingSerdes, bookRequest, user } from '../../topologies/booking-harness.ts'
import { createEvent } from './scenario.ts'
import { dbOf, engines, PipelineScenario, seatFiguresOffCount } from './support.ts'

const EVENTS = 24
const BOOKINGS = 3
const ROUNDS = 8

const serdes = await bookingSerdes()
const scn = new PipelineScenario(serdes)
t.teardown(() => scn.close())
for (let e = 0; e < EVENTS; e++) {
  const eventId = `ev-c${e}`
  createEvent(scn, eventId, { capacity: 10 }, { priceMinor: 0 })
  for (let b = 0; b < BOOKINGS; b++) scn.booking(bookRequest(eventId, `u${b}`, `b-c${e}-${b}`))
}
const canceled = scn.booking(
  bookingCommand(
    'ev-c0',
    'CANCEL',
    { cancel: { bookingId: 'b-c0-0', reason: null, forceMajeure: false } },
    user('u0'),
  ),
)
t.ok(canceled.accepted, 'one booking is canceled, so the counts are not all equal')

/** Every partition of a topic as one batch. */
const batches = (topic: string): ProjectionBatch[] =>
  Array.from({ length: scn.log.partitions(topic) }, (_, partition) => {
    const records = scn.log.read(topic, partition, 0, 1_000_000)
    return { topic, partition, records, nextOffset: records.length }
  }).filter((b) => b.records.length > 0)

/** Each partition's event batch next to its booking batch (the same events), so that the two overlap. */
const bookingBatches = batches(DEFAULT_TOPIC_NAMES.bookingEvents)
const pairs = batches(DEFAULT_TOPIC_NAMES.eventEvents).map((e) => [
  e,
  bookingBatches.find((b) => b.partition === e.partition)!,
])
/** Per event, the bookings as their facts on the log tell them, recounted without the read model. */
const recounts = new Map<string, BookingFactRecount>()
for (const batch of bookingBatches)
  for (const record of batch.records) {
    const fact = serdes.bookingEvent.deserialize(DEFAULT_TOPIC_NAMES.bookingEvents, record.value!)
    const recount = recounts.get(fact.eventId) ?? new BookingFactRecount()
    recount.applyBookingFact(fact)
    recounts.set(fact.eventId, recount)
  }
const ACTIVE = new Set(['PENDING_PAYMENT', 'CONFIRMED'])
const expectedSeats = new Map(
  [...recounts].map(([eventId, r]) => [
    eventId,
    r
      .bookings()
      .filter((b) => ACTIVE.has(b.status))
      .reduce((sum, b) => sum + b.seats, 0),
  ]),
)
const expectedStatus = new Map(
  [...recounts.values()].flatMap((r) => r.bookings().map((b) => [b.bookingId, b.status] as const)),
)
// The recount agrees with the plan: one seat per booking, the canceled one freed.
t.equal(expectedSeats.size, EVENTS, 'booking facts for every event')
t.same(
  [...expectedSeats].filter(([eventId, seats]) => seats !== (eventId === 'ev-c0' ? BOOKINGS - 1 : BOOKINGS)),
  [],
  'the recount from the facts gives the seats the plan booked',
)

const postgres = engines().find((e) => e.name === 'postgres')!
t.teardown(() => postgres.cleanup())

for (let round = 0; round < ROUNDS; round++) {
  t.test(`round ${round}: seat figures equal the active bookings`, async (t) => {
    const model = await postgres.open()
    t.teardown(() => model.close())
    const db = dbOf(model)
    const sink = new ReadModelSink({ db, serdes })
    // Every pair in flight at once, the event batch first in even rounds, the booking batch in odd ones.
    await Promise.all(
      pairs.flatMap((pair) => (round % 2 === 0 ? pair : [...pair].reverse())).map((b) => sink.apply(b)),
    )
    const events = await db.query<{ id: string; seats_taken: number }>('SELECT id, seats_taken FROM events')
    t.equal(events.length, EVENTS, 'every event projected')
    t.same(
      events
        .filter((e) => e.seats_taken !== expectedSeats.get(e.id))
        .map((e) => ({ ...e, recounted: expectedSeats.get(e.id) })),
      [],
      'every seat count equals the active seats recounted from the facts',
    )
    t.same(
      await seatFiguresOffCount(model),
      [],
      'each option and event figure equals a count of its bookings',
    )
    const bookings = await db.query<{ id: string; status: string }>('SELECT id, status FROM bookings')
    t.same(
      bookings.filter((b) => b.status !== expectedStatus.get(b.id)),
      [],
      'every booking has the status its facts tell',
    )
    t.equal(bookings.length, expectedStatus.size, 'one row per booking of the facts')
  })
}
