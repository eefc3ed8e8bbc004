// On PGlite the projection's statements run on their generic plans, planned once, with index scans; the
// rest of the session keeps Postgres's own choice. Counted by Postgres itself (`pg_prepared_statements`:
// how many generic and custom plans each prepared statement was run with) and read from its plans
// (`EXPLAIN EXECUTE` of the prepared statement, in a transaction set as the projection sets its own).
import t from 'tap'
import { openReadModel } from '../../../read-models/catalog/index.ts'
import { bookingSerdes, bookRequest } from '../../topologies/booking-harness.ts'
import { createEvent } from './scenario.ts'
import { dbOf, PipelineScenario, project } from './support.ts'

const serdes = await bookingSerdes()

interface Prepared {
  readonly name: string
  readonly statement: string
  readonly generic_plans: number
  readonly custom_plans: number
}

t.test('the projection plans its statements once; the session keeps its settings', async (t) => {
  const scn = new PipelineScenario(serdes)
  t.teardown(() => scn.close())
  createEvent(scn, 'ev-plans', { capacity: 40 }, { priceMinor: 0 })
  // Planned while `bookings` is empty: a generic plan made then must not scan the table it will fill.
  const model = await openReadModel({})
  t.teardown(() => model.close())
  await project(scn.log, model, serdes)
  const rounds = 12
  for (let b = 0; b < rounds; b++) {
    t.ok(scn.booking(bookRequest('ev-plans', `u${b}`, `b-plans-${b}`)).accepted)
    await project(scn.log, model, serdes) // one round: the booking, its outcome
  }
  const db = dbOf(model)
  const prepared = await db.query<Prepared>(
    'SELECT name, statement, generic_plans::int, custom_plans::int FROM pg_prepared_statements',
  )
  const of = (start: string, including = ''): Prepared => {
    const found = prepared.find(
      (p) => p.statement.trimStart().startsWith(start) && p.statement.includes(including),
    )
    if (found === undefined) throw new Error(`no prepared statement starts with ${start}`)
    return found
  }
  for (const [start, including] of [
    ['SELECT * FROM bookings WHERE id = ANY($1) FOR UPDATE'],
    ['INSERT INTO bookings'],
    ['UPDATE events e SET seats_taken', 'AS k(event_id, seats)'], // moved by the batch's bookings
    ['WITH now_figures AS'],
    ['INSERT INTO request_outcomes'],
  ] as const) {
    const statement = of(start, including)
    t.equal(statement.custom_plans, 0, `${start}: never planned per run`)
    t.ok(
      statement.generic_plans >= rounds,
      `${start}: run ${statement.generic_plans} times on its generic plan`,
    )
  }
  t.notOk(
    prepared.some((p) => p.statement.includes('pg_advisory_xact_lock')),
    'no event locks: PGlite runs one transaction at a time',
  )
  const [settings] = await db.query<{ mode: string; seqscan: string }>(
    `SELECT current_setting('plan_cache_mode') AS mode, current_setting('enable_seqscan') AS seqscan`,
  )
  t.same(settings, { mode: 'auto', seqscan: 'on' }, 'outside the projection, Postgres chooses as before')

  // The generic plan that locks the batch's bookings, made while the table was empty, looks them up by key.
  const lock = of('SELECT * FROM bookings WHERE id = ANY($1) FOR UPDATE')
  const plan = await db.transaction(async (tx) => {
    await tx.query(
      `SELECT set_config('plan_cache_mode', 'force_generic_plan', true),
         set_config('enable_seqscan', 'off', true)`,
    )
    return tx.query(`EXPLAIN (FORMAT JSON) EXECUTE ${lock.name}('{b-plans-1}')`)
  })
  const text = JSON.stringify(plan)
  t.match(text, /Index (Only )?Scan/, 'an index scan')
  t.notMatch(text, /Seq Scan/, 'no scan of the whole table')
})
