/**
 * `bash infra/run.sh bench/embedded-db.ts`: the embedded read model's reads on PGlite with its statements
 * prepared once per text (the default, read-models/catalog/pglite-statements.ts) against PGlite's own
 * `query` (parsed and planned every time: `preparedStatements: 0`). One process, two in-memory databases
 * seeded alike (BENCH_DB_EVENTS events), measured alternately ROUNDS times each, one request at a time:
 *
 * - event details: `getEvent` of a random event as a guest;
 * - catalog search: the API bench's uncached mix (every request a different URL; full-text and browsing,
 *   by every sort), which also shows whether plans cached for a statement hurt any shape.
 *
 * Prints requests/s and p50/p95 per phase and database, and prepared ÷ unprepared of the medians.
 *
 *   BENCH_DB_EVENTS=20000  BENCH_DB_ROUNDS=3  BENCH_DB_SECONDS=5 (per phase, round and database)
 */
import { availableParallelism, loadavg, totalmem } from 'node:os'
import { openDb, type Db } from '../read-models/catalog/db.ts'
import { migrate } from '../read-models/catalog/migrate.ts'
import { SqlReadModel } from '../read-models/catalog/sql-read-model.ts'
import { searchOf, uncachedPath } from './support/catalog-mix.ts'
import { log, percentile } from './support/report.ts'
import { seedEvents } from './support/read-model-seed.ts'

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback)
const EVENTS = env('BENCH_DB_EVENTS', 20_000)
const ROUNDS = env('BENCH_DB_ROUNDS', 3)
const SECONDS = env('BENCH_DB_SECONDS', 5)
const GUEST = { role: 'guest' } as const

interface Side {
  readonly name: string
  readonly db: Db
  readonly model: SqlReadModel
  /** Latencies by phase, over every round. */
  readonly ms: Map<string, number[]>
}

const SEEDED_AT = Date.now()

async function open(name: string, preparedStatements: number): Promise<Side> {
  const db = await openDb({ schema: 'read_model', preparedStatements })
  await migrate(db)
  await seedEvents(db, { count: EVENTS, nowMs: SEEDED_AT })
  return { name, db, model: new SqlReadModel(db), ms: new Map() }
}

const phases: Record<string, (side: Side, i: number) => Promise<unknown>> = {
  'event details': (side, i) =>
    side.model.getEvent(`bench-ev-${String((i * 7919) % EVENTS).padStart(7, '0')}`, GUEST),
  'catalog search': (side, i) => side.model.searchEvents(searchOf(uncachedPath(i)), GUEST),
}
/** Where each phase's request numbers go on: each round sends requests neither side has seen before. */
const cursor = new Map<string, number>()

async function run(side: Side, phase: string, from: number): Promise<number> {
  const fn = phases[phase]!
  const ms = side.ms.get(phase) ?? []
  side.ms.set(phase, ms)
  const end = performance.now() + SECONDS * 1000
  let i = from
  while (performance.now() < end) {
    const started = performance.now()
    await fn(side, i++)
    ms.push(performance.now() - started)
  }
  return i - from
}

log(
  `machine: ${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; ${EVENTS} events, ${ROUNDS} rounds of ${SECONDS} s per phase and database`,
)
const sides = [await open('prepared', 256), await open('unprepared', 0)]
log('seeded')
// The same seed and the same statements: both databases must answer alike (checked on 100 requests each).
for (const [phase, fn] of Object.entries(phases))
  for (let i = 2_000_000; i < 2_000_100; i++) {
    const [a, b] = await Promise.all(sides.map((side) => fn(side, i)))
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${phase} ${i}: the two databases differ`)
  }
for (const phase of Object.keys(phases)) {
  for (const side of sides) await run(side, phase, 1_000_000) // warm: plans, caches, JIT
  for (let round = 0; round < ROUNDS; round++)
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
      const from = cursor.get(phase) ?? 0
      cursor.set(phase, from + (await run(side, phase, from)))
    }
}
for (const phase of Object.keys(phases)) {
  const medians: number[] = []
  for (const side of sides) {
    const ms = side.ms.get(phase)!
    const total = ms.reduce((a, b) => a + b, 0)
    medians.push(percentile(ms, 50))
    console.log(
      `${phase}, ${side.name}: ${((ms.length * 1000) / total).toFixed(0)} req/s, p50 ${percentile(ms, 50).toFixed(3)} ms, p95 ${percentile(ms, 95).toFixed(3)} ms (${ms.length} requests)`,
    )
  }
  console.log(`${phase}: prepared ÷ unprepared, p50: ${(medians[0]! / medians[1]!).toFixed(2)}`)
}
for (const side of sides) await side.db.close()
