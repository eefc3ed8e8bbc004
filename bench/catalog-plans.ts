/**
 * `bash infra/run.sh bench/catalog-plans.ts`: the catalog's search shapes over the benchmark's events
 * (schema `bench_api`, seeded by `npm run bench:api`), each timed on 12 variants (words, price floors,
 * pages) as a guest searches, then `EXPLAIN (ANALYZE, BUFFERS)` of every statement of the three slowest
 * shapes. For bench/RESULTS.md: the plans before and after a change of the search SQL.
 *
 *   DATABASE_URL (default postgres://postgres@127.0.0.1:5432/backend_event)  BENCH_API_SCHEMA=bench_api
 */
import { openDb, type Queryable } from '../read-models/catalog/db.ts'
import { searchEvents } from '../read-models/catalog/event-queries.ts'
import type { EventSearch } from '../read-models/catalog/views.ts'
import { MIX_WORDS } from './support/catalog-mix.ts'

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/backend_event'
const SCHEMA = process.env.BENCH_API_SCHEMA ?? 'bench_api'
const VARIANTS = 12

type Shape = { name: string; search: (v: number) => EventSearch }
const word = (v: number) => MIX_WORDS[(v * 7) % MIX_WORDS.length]!
const price = (v: number) => ((v * 37) % 200) * 25_000
const SHAPES: readonly Shape[] = [
  {
    name: 'q + hasSeats + priceMin, default sort',
    search: (v) => ({ q: word(v), hasSeats: true, priceMin: price(v), page: v % 5, size: 20 }),
  },
  {
    name: 'q + priceMin, sort=price,desc',
    search: (v) => ({
      q: word(v),
      priceMin: price(v),
      sort: { field: 'price', dir: 'desc' },
      page: v % 5,
      size: 20,
    }),
  },
  {
    name: 'q + hasSeats, sort=startsAt,asc',
    search: (v) => ({
      q: word(v),
      hasSeats: true,
      sort: { field: 'startsAt', dir: 'asc' },
      page: v % 5,
      size: 20,
    }),
  },
  {
    name: 'priceMin, sort=startsAt,asc',
    search: (v) => ({ priceMin: price(v), sort: { field: 'startsAt', dir: 'asc' }, page: v % 5, size: 20 }),
  },
  {
    name: 'category + priceMin, sort=price,asc',
    search: (v) => ({
      category: ['water', 'rafting', 'land', 'sup'][v % 4]!,
      priceMin: price(v),
      sort: { field: 'price', dir: 'asc' },
      page: v % 5,
      size: 20,
    }),
  },
  {
    name: 'priceMin + hasSeats, sort=createdAt,desc',
    search: (v) => ({
      priceMin: price(v),
      hasSeats: true,
      sort: { field: 'createdAt', dir: 'desc' },
      page: v % 5,
      size: 20,
    }),
  },
  {
    name: 'category + hasSeats, sort=title,asc',
    search: (v) => ({
      category: ['hiking', 'sailing', 'kids-camps'][v % 3]!,
      hasSeats: true,
      sort: { field: 'title', dir: 'asc' },
      page: v % 5,
      size: 20,
    }),
  },
]

const db = await openDb({ databaseUrl: DATABASE_URL, schema: SCHEMA, poolSize: 2 })
/** Runs every statement and keeps it (text and parameters) for the plans. */
class RecordingQueryable implements Queryable {
  readonly statements: { sql: string; params: readonly unknown[] }[] = []
  query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    this.statements.push({ sql, params })
    return db.query<R>(sql, params)
  }
}

const timed: { shape: Shape; meanMs: number; p95Ms: number; statements: RecordingQueryable['statements'] }[] =
  []
for (const shape of SHAPES) {
  const ms: number[] = []
  let first: RecordingQueryable | undefined
  for (let v = 0; v < VARIANTS; v++) {
    const recording = new RecordingQueryable()
    const started = performance.now()
    await searchEvents(recording, shape.search(v), { role: 'guest' })
    ms.push(performance.now() - started)
    first ??= recording
  }
  ms.sort((a, b) => a - b)
  const meanMs = ms.reduce((a, b) => a + b, 0) / ms.length
  timed.push({ shape, meanMs, p95Ms: ms[Math.floor(0.95 * ms.length)]!, statements: first!.statements })
}

console.log(`catalog search shapes over ${SCHEMA}.events, ${VARIANTS} variants each, one at a time`)
console.log('| shape | mean ms | p95 ms |')
console.log('| --- | ---: | ---: |')
for (const t of timed) console.log(`| ${t.shape.name} | ${t.meanMs.toFixed(1)} | ${t.p95Ms.toFixed(1)} |`)
for (const t of [...timed].sort((a, b) => b.meanMs - a.meanMs).slice(0, 3)) {
  console.log(`\n### ${t.shape.name} (mean ${t.meanMs.toFixed(1)} ms)`)
  for (const s of t.statements) {
    console.log(`\n${s.sql.replace(/\s+/g, ' ')}\n-- ${JSON.stringify(s.params)}`)
    const plan = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${s.sql}`, s.params)
    console.log(plan.map((r) => r['QUERY PLAN']).join('\n'))
  }
}
await db.close()
