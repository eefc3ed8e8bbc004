// The event and booking topics are applied concurrently (the projection reads partitions in parallel, each
// batch in its own transaction on the real PostgreSQL): whatever the interleaving, every event's seat
// figures end equal to its active bookings. Each round applies every partition's event batch and booking
// batch at once into a fresh schema.
import t from 'tap'
import { ReadModelSink } from '../../../read-models/catalog/projection-sink.ts'
import type { ProjectionBatch } from '../../../streams/projection.ts'
import { DEFAULT_TOPIC_NAMES } from '../../../topologies/index.ts'
import { bookingCommand, bookingSerdes, bookRequest, user } from '../../topologies/booking-harness.ts'
import { createEvent } from './scenario.ts'
import { dbOf, engines, PipelineScenario } from './support.ts'

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
    const wrong = await db.query<{ id: string; seats_taken: number; active: number }>(
      `SELECT e.id, e.seats_taken, (SELECT count(*)::integer FROM bookings b
         WHERE b.event_id = e.id AND b.status IN ('PENDING_PAYMENT', 'CONFIRMED')) AS active
       FROM events e WHERE e.seats_taken <> (SELECT count(*) FROM bookings b
         WHERE b.event_id = e.id AND b.status IN ('PENDING_PAYMENT', 'CONFIRMED'))`,
    )
    const [events] = await db.query<{ n: number }>('SELECT count(*)::integer AS n FROM events')
    t.equal(events?.n, EVENTS, 'every event projected')
    t.same(wrong, [], 'no event with a seat count other than its active bookings')
  })
}
