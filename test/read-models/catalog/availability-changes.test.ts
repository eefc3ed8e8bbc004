// The live-availability log of the catalog (read-models/catalog/availability.ts) on both engines: a change
// is recorded only when an event's figures moved, positions count up per event, and the changes more than
// `kept` positions behind an event's newest are dropped, for that event alone.
import t from 'tap'
import { recordAvailabilityChanges } from '../../../read-models/catalog/availability.ts'
import { bookingSerdes } from '../../topologies/booking-harness.ts'
import { catalogScenario } from './scenario.ts'
import { dbOf, engines, project } from './support.ts'

const serdes = await bookingSerdes()
const { scn } = catalogScenario(serdes)
t.teardown(() => scn.close())

for (const engine of engines()) {
  t.test(engine.name, async (t) => {
    t.teardown(() => engine.cleanup())
    const model = await engine.open()
    t.teardown(() => model.close())
    await project(scn.log, model, serdes)
    const db = dbOf(model)
    const positions = async (eventId: string) =>
      (
        await db.query<{ position: number | string }>(
          'SELECT position FROM event_availability_changes WHERE event_id = $1 ORDER BY position',
          [eventId],
        )
      ).map((r) => Number(r.position))
    const raft = await positions('ev-raft')
    const sup = await positions('ev-sup')
    t.ok(raft.length > 0 && sup.length > 0, 'the projection recorded both events')
    const latest = raft.at(-1)!

    // Nothing moved: nothing is recorded.
    await db.transaction((tx) => recordAvailabilityChanges(tx, ['ev-raft', 'ev-sup'], 3))
    t.same(await positions('ev-sup'), sup, 'an unchanged event records nothing (nor is it trimmed)')

    // Five moves of ev-raft's free seats, three positions kept.
    for (let i = 1; i <= 5; i++)
      await db.transaction(async (tx) => {
        await tx.query('UPDATE events SET seats_available = seats_available + 1 WHERE id = $1', ['ev-raft'])
        await recordAvailabilityChanges(tx, ['ev-raft', 'ev-sup'], 3)
      })
    t.same(await positions('ev-raft'), [latest + 3, latest + 4, latest + 5], 'the newest three, counting on')
    t.same(await positions('ev-sup'), sup, 'the other event keeps its changes')
    const [newest] = await db.query<{ seats_available: number }>(
      'SELECT seats_available FROM event_availability_changes WHERE event_id = $1 ORDER BY position DESC LIMIT 1',
      ['ev-raft'],
    )
    const [event] = await db.query<{ seats_available: number }>(
      'SELECT seats_available FROM events WHERE id = $1',
      ['ev-raft'],
    )
    t.equal(newest?.seats_available, event?.seats_available, 'the newest change carries the current figure')
  })
}
