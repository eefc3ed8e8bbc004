/**
 * `bash infra/run.sh bench/catalog-plans.ts`: the database time of each query shape of the benchmark's
 * uncached mix (bench/support/catalog-mix.ts), then `EXPLAIN (ANALYZE, BUFFERS)` of every statement of the
 * slowest request of the three slowest shapes. For bench/RESULTS.md: the plans before and after a change
 * of the search SQL.
 *
 * It sends the first `CATALOG_PLANS_URLS` URLs of the mix (default 6,000: what a 10 s run at 600 req/s
 * sends) one at a time, as a guest, through `searchEvents` with the read model's cache of totals (so the
 * pages of one search share their count, as in the API). A shape is a URL without its
 * word, category name, price floor and page: full-text searches by sort and `hasSeats`, browsing by sort,
 * category or none, and `hasSeats`.
 *
 *   DATABASE_URL (default postgres://postgres@127.0.0.1:5432/backend_event)  BENCH_API_SCHEMA=bench_api
 *   CATALOG_PLANS_URLS=6000  CATALOG_PLANS_EXPLAIN=3 (how many shapes to explain; 0: none)
 */
import { openDb, type Queryable } from '../read-models/catalog/db.ts'
import { CountCache, searchEvents } from '../read-models/catalog/event-queries.ts'
import { searchOf, uncachedPath } from './support/catalog-mix.ts'

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/backend_event'
const SCHEMA = process.env.BENCH_API_SCHEMA ?? 'bench_api'
const URLS = Number(process.env.CATALOG_PLANS_URLS ?? 6000)
const EXPLAIN = Number(process.env.CATALOG_PLANS_EXPLAIN ?? 3)

/** The shape of a mix URL: its parameters without the values that vary within a shape. */
function shapeOf(path: string): string {
  const query = new URL(path, 'http://bench').searchParams
  const parts = [query.has('q') ? 'q' : 'browse']
  if (query.has('category')) parts.push('category')
  if (query.has('hasSeats')) parts.push('hasSeats')
  parts.push(`sort=${query.get('sort') ?? 'default'}`)
  return parts.join(' + ')
}

const db = await openDb({ databaseUrl: DATABASE_URL, schema: SCHEMA, poolSize: 2 })
type Statement = { sql: string; params: readonly unknown[]; ms: number }
/** Runs every statement, timing it and keeping it (text and parameters) for the plans. */
class RecordingQueryable implements Queryable {
  readonly statements: Statement[] = []
  async query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    const started = performance.now()
    const rows = await db.query<R>(sql, params)
    this.statements.push({ sql, params, ms: performance.now() - started })
    return rows
  }
}

// Warm the pool's connections and the caches of the OS and PostgreSQL (the bench runs on a warm database).
for (let i = 0; i < 200; i++) await searchEvents(db, searchOf(uncachedPath(URLS + i)), { role: 'guest' })

const counts = new CountCache()
const shapes = new Map<
  string,
  { ms: number[]; statements: number; slowest?: { path: string; ms: number; statements: Statement[] } }
>()
let totalMs = 0
/** Database time by kind of statement (the page, a relevance tier, the bounded count, a subtree). */
const kinds = new Map<string, { n: number; ms: number }>()
const kindOf = (sql: string) =>
  sql.startsWith('WITH RECURSIVE')
    ? 'category subtree'
    : /^SELECT count\(\*\)::integer AS total/.test(sql)
      ? 'bounded count'
      : /^SELECT count/.test(sql)
        ? 'title matches before an offset'
        : /0 AS sort_tier/.test(sql)
          ? 'relevance: title tier'
          : /1 AS sort_tier/.test(sql)
            ? 'relevance: other tier'
            : 'page'
for (let i = 0; i < URLS; i++) {
  const path = uncachedPath(i)
  const recording = new RecordingQueryable()
  const started = performance.now()
  await searchEvents(recording, searchOf(path), { role: 'guest' }, counts)
  const ms = performance.now() - started
  totalMs += ms
  for (const st of recording.statements) {
    const kind = kinds.get(kindOf(st.sql)) ?? { n: 0, ms: 0 }
    kinds.set(kindOf(st.sql), kind)
    kind.n++
    kind.ms += st.ms
  }
  const shape = shapes.get(shapeOf(path)) ?? { ms: [], statements: 0 }
  shapes.set(shapeOf(path), shape)
  shape.ms.push(ms)
  shape.statements += recording.statements.length
  if (shape.slowest === undefined || ms > shape.slowest.ms)
    shape.slowest = { path, ms, statements: recording.statements }
}
await db.close()

const all = [...shapes].map(([name, s]) => {
  const sorted = [...s.ms].sort((a, b) => a - b)
  const sum = sorted.reduce((a, b) => a + b, 0)
  return {
    name,
    n: sorted.length,
    mean: sum / sorted.length,
    p95: sorted[Math.floor(0.95 * sorted.length)]!,
    max: sorted[sorted.length - 1]!,
    share: sum / totalMs,
    statements: s.statements / sorted.length,
    slowest: s.slowest!,
  }
})
const everyMs = [...shapes.values()].flatMap((s) => s.ms).sort((a, b) => a - b)
console.log(
  `catalog search: the first ${URLS} URLs of the uncached mix over ${SCHEMA}.events, one at a time, as a guest`,
)
console.log(
  `all: mean ${(totalMs / URLS).toFixed(2)} ms, p50 ${everyMs[Math.floor(0.5 * URLS)]!.toFixed(2)} ms, p95 ${everyMs[Math.floor(0.95 * URLS)]!.toFixed(2)} ms, p99 ${everyMs[Math.floor(0.99 * URLS)]!.toFixed(2)} ms, max ${everyMs[URLS - 1]!.toFixed(1)} ms`,
)
console.log('| shape | requests | statements/request | mean ms | p95 ms | max ms | share of time |')
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
for (const s of [...all].sort((a, b) => b.share - a.share))
  console.log(
    `| ${s.name} | ${s.n} | ${s.statements.toFixed(2)} | ${s.mean.toFixed(2)} | ${s.p95.toFixed(2)} | ${s.max.toFixed(1)} | ${(100 * s.share).toFixed(1)} % |`,
  )
console.log('\n| statement | count | mean ms | share of time |')
console.log('| --- | ---: | ---: | ---: |')
for (const [name, k] of [...kinds].sort((a, b) => b[1].ms - a[1].ms))
  console.log(`| ${name} | ${k.n} | ${(k.ms / k.n).toFixed(2)} | ${((100 * k.ms) / totalMs).toFixed(1)} % |`)

if (EXPLAIN > 0) {
  const explainDb = await openDb({ databaseUrl: DATABASE_URL, schema: SCHEMA, poolSize: 1 })
  for (const s of [...all].sort((a, b) => b.p95 - a.p95).slice(0, EXPLAIN)) {
    console.log(
      `\n### ${s.name} (p95 ${s.p95.toFixed(1)} ms; its slowest request, ${s.slowest.ms.toFixed(1)} ms)`,
    )
    console.log(s.slowest.path)
    for (const st of s.slowest.statements) {
      console.log(
        `\n${st.sql.replace(/\s+/g, ' ')}\n-- ${JSON.stringify(st.params)} (${st.ms.toFixed(1)} ms in the run)`,
      )
      const plan = await explainDb.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS) ${st.sql}`,
        st.params,
      )
      console.log(plan.map((r) => r['QUERY PLAN']).join('\n'))
    }
  }
  await explainDb.close()
}
