/**
 * The start's warm-up (infra/warm-up.ts) on both database engines: one synthetic booking goes through the
 * topology and the projection's statements, in a catalog that already holds projected data (its offsets
 * stored, as after any restart), and leaves every projected table exactly as it was, with no `onApplied`
 * listener told. And `rollingBack` (read-models/catalog/rolling-back.ts), under it: a transaction's statements see
 * their own writes, its result is returned, and nothing stays.
 */
import t from 'tap'
import { warmUp } from '../../infra/warm-up.ts'
import type { Db, Transaction } from '../../read-models/catalog/db.ts'
import { rollingBack } from '../../read-models/catalog/rolling-back.ts'
import { SqlReadModel } from '../../read-models/catalog/sql-read-model.ts'
import { catalogScenario } from '../read-models/catalog/scenario.ts'
import { dbOf, delegating, engines, project, projectedTables } from '../read-models/catalog/support.ts'
import { bookingSerdes } from '../topologies/booking-harness.ts'

const serdes = await bookingSerdes()
const { scn: catalog } = catalogScenario(serdes)
t.teardown(() => catalog.close())

/** `db`, recording the text of every statement run through it or its transactions. */
function recording(db: Db, seen: string[]): Db {
  const traced = (tx: Transaction): Transaction => ({
    query: (sql, params, options) => {
      seen.push(sql.replace(/\s+/g, ' ').trim())
      return tx.query(sql, params, options)
    },
    exec: (script) => tx.exec(script),
  })
  return delegating(db, {
    query: (sql, params, options) => {
      seen.push(sql.replace(/\s+/g, ' ').trim())
      return db.query(sql, params, options)
    },
    transaction: (fn) => db.transaction((tx) => fn(traced(tx))),
  })
}

for (const engine of engines()) {
  t.test(engine.name, async (t) => {
    t.teardown(() => engine.cleanup())
    const model = await engine.open()
    t.teardown(() => model.close())
    await project(catalog.log, model, serdes)
    const db = dbOf(model)

    t.test('the warm-up runs the projection of a booking and leaves the catalog as it was', async (t) => {
      const before = await projectedTables(model)
      t.ok(before.projection_offsets!.length > 0, 'the catalog has stored offsets (a restart)')
      const seen: string[] = []
      const traced = new SqlReadModel(recording(db, seen))
      const heard: unknown[] = []
      const off = model.onApplied((changes) => heard.push(changes))
      const offTraced = traced.onApplied((changes) => heard.push(changes))
      const report = await warmUp({ serdes, readModel: traced })
      off()
      offTraced()
      t.same(
        [...report.topics].sort(),
        [serdes.topics.bookingEvents, serdes.topics.eventEvents, serdes.topics.requestOutcomes].sort(),
        'the topology emitted event facts, a booking fact and outcomes',
      )
      for (const statement of [
        /^INSERT INTO events /,
        /^INSERT INTO bookings /,
        /^INSERT INTO request_outcomes /,
        /^UPDATE events e SET seats_taken /,
        /^UPDATE projection_offsets /,
        /^SELECT b\.\*/,
        /^SELECT \* FROM request_outcomes WHERE request_id/,
      ])
        t.ok(
          seen.some((sql) => statement.test(sql)),
          `ran ${statement.source}`,
        )
      t.same(heard, [], 'no onApplied listener heard of it')
      t.same(await projectedTables(model), before, 'every projected table, offsets included, as before')
      t.same(
        await db.query(`SELECT id FROM events WHERE id LIKE 'warm-up-%'`),
        [],
        'no warm-up event anywhere',
      )
    })

    t.test('rollingBack: a transaction sees its own writes, returns its result, keeps nothing', async (t) => {
      const view = rollingBack(db)
      const before = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM request_outcomes`)
      const inside = await view.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO request_outcomes (request_id, event_id, command_type, accepted, resource_type, resource_id,
             message, decided_at) VALUES ($1, 'ev-raft', 'BOOK', true, 'BOOKING', $1, 'rehearsed', now())`,
          ['rolled-back-1'],
        )
        return tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM request_outcomes`)
      })
      t.equal(inside[0]!.n, before[0]!.n + 1, 'the transaction saw its row')
      const outside = await view.query<{ request_id: string }>(
        `INSERT INTO request_outcomes (request_id, event_id, command_type, accepted, resource_type, resource_id,
           message, decided_at) VALUES ($1, 'ev-raft', 'BOOK', true, 'BOOKING', $1, 'rehearsed', now())
         RETURNING request_id`,
        ['rolled-back-2'],
      )
      t.same(outside, [{ request_id: 'rolled-back-2' }], 'a query outside a transaction answers too')
      t.same(
        await db.query(`SELECT request_id FROM request_outcomes WHERE message = 'rehearsed'`),
        [],
        'neither row stayed',
      )
      await t.rejects(
        view.transaction(async () => {
          throw new Error('the caller failed')
        }),
        { message: 'the caller failed' },
        "the function's own error comes through",
      )
      await t.rejects(view.exec('SELECT 1'), 'scripts are refused')
      t.throws(() => view.forSchema('other'), 'other schemas are refused')
    })
  })
}
