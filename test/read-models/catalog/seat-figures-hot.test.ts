// Bookings move their event's seat figures with updates Postgres does in place (HOT: no index touched),
// on both engines: no index of `events` holds a figure a booking changes (migration 015). Counted by
// Postgres itself, per projection transaction: `pg_stat_get_xact_tuples_updated` and `…_hot_updated` of
// `events`, read at the end of each transaction the projection runs. And the search's "has free seats"
// filter still answers from the figures, whichever index serves it.
import t from 'tap'
import type { Db } from '../../../read-models/catalog/db.ts'
import { SqlReadModel } from '../../../read-models/catalog/sql-read-model.ts'
import { bookingSerdes, bookRequest } from '../../topologies/booking-harness.ts'
import { createEvent } from './scenario.ts'
import { dbOf, delegating, engines, PipelineScenario, project } from './support.ts'

const serdes = await bookingSerdes()

interface Counts {
  readonly updated: number
  readonly hot: number
}

/** `db`, reading at the end of each of its transactions how many `events` rows it updated, and how many HOT. */
function counting(db: Db, counts: Counts[]): Db {
  return delegating(db, {
    transaction: (fn) =>
      db.transaction(async (tx) => {
        // Read before and after: where no statistics are flushed between transactions (PGlite's single
        // backend) the counters run on across them.
        const read = async () =>
          (
            await tx.query<Counts>(
              `SELECT pg_stat_get_xact_tuples_updated('events'::regclass)::int AS updated,
                 pg_stat_get_xact_tuples_hot_updated('events'::regclass)::int AS hot`,
            )
          )[0]!
        const before = await read()
        const result = await fn(tx)
        const after = await read()
        counts.push({ updated: after.updated - before.updated, hot: after.hot - before.hot })
        return result
      }),
  })
}

for (const engine of engines()) {
  t.test(engine.name, async (t) => {
    t.teardown(() => engine.cleanup())
    const scn = new PipelineScenario(serdes)
    t.teardown(() => scn.close())
    createEvent(scn, 'ev-hot', { capacity: 12 }, { priceMinor: 0 })
    createEvent(scn, 'ev-small', { capacity: 1 }, { priceMinor: 0 })
    const model = await engine.open()
    t.teardown(() => model.close())
    await project(scn.log, model, serdes)

    const counts: Counts[] = []
    const counted = new SqlReadModel(counting(dbOf(model), counts))
    for (let b = 0; b < 10; b++) {
      t.ok(scn.booking(bookRequest('ev-hot', `u${b}`, `b-hot-${b}`)).accepted)
      await project(scn.log, counted, serdes)
    }
    const updated = counts.reduce((sum, c) => sum + c.updated, 0)
    const hot = counts.reduce((sum, c) => sum + c.hot, 0)
    t.comment(JSON.stringify(counts))
    t.ok(updated >= 10, `the events row was updated by the bookings (${updated} updates)`)
    t.equal(hot, updated, 'every one of those updates was HOT')

    t.ok(scn.booking(bookRequest('ev-small', 'u1', 'b-small-1')).accepted, 'the small event sells out')
    await project(scn.log, model, serdes)
    const ids = async (hasSeats: boolean) =>
      (await model.searchEvents({ hasSeats, page: 0, size: 50 }, { role: 'guest' })).items
        .map((e) => e.id)
        .sort()
    t.same(await ids(true), ['ev-hot'], 'with free seats: the event with 2 of 12 left')
    t.same(await ids(false), ['ev-small'], 'sold out: the other')
  })
}
