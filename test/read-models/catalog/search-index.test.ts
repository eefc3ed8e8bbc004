// The in-memory search index answers exactly what the SQL path answers (same IDs, order, totals, cursors)
// over a seeded catalog, for generated searches and the cursor pages after them, on both engines; and it
// follows writes: another instance's write within its polling, this process's own at once.
// The seed changes with every run and is printed first; PROPERTY_SEED=<seed> replays a run.
import fc from 'fast-check'
import t, { type Test } from 'tap'
import { MIX_WORDS } from '../../../bench/support/catalog-mix.ts'
import { SEED_CATEGORIES, seedEvents } from '../../../bench/support/read-model-seed.ts'
import { openReadModel, type EventSearch, type Viewer } from '../../../read-models/catalog/index.ts'
import { searchEvents } from '../../../read-models/catalog/event-queries.ts'
import { SearchIndex } from '../../../read-models/catalog/search-index.ts'
import type { SqlReadModel } from '../../../read-models/catalog/sql-read-model.ts'
import { IndexedSearch } from '../../../read-models/catalog/search-index-query.ts'
import { dbOf, DATABASE_URL, engines } from './support.ts'

const seed =
  process.env.PROPERTY_SEED !== undefined ? Number(process.env.PROPERTY_SEED) : Date.now() % 1_000_000
if (!Number.isSafeInteger(seed)) throw new Error(`PROPERTY_SEED must be an integer, got ${seed}`)
t.comment(
  `seed ${seed} (replay: PROPERTY_SEED=${seed} npx tap test/read-models/catalog/search-index.test.ts)`,
)

const NOW = Date.parse('2027-03-01T00:00:00Z')
const DAY = 86_400_000
const words = [...MIX_WORDS, 'и', 'несуществующее']
const query = fc.oneof(
  fc.constantFrom(...words),
  fc.tuple(fc.constantFrom(...words), fc.constantFrom(...words)).map(([a, b]) => `${a} ${b}`),
  fc.tuple(fc.constantFrom(...words), fc.constantFrom(...words)).map(([a, b]) => `${a} or ${b}`),
  fc.tuple(fc.constantFrom(...words), fc.constantFrom(...words)).map(([a, b]) => `${a} -${b}`),
  fc.constantFrom(...words).map((a) => `-${a}`),
)
/** An optional filter: absent 3 times in 4 (the narrow ones 9 in 10), so most searches keep matches. */
const maybe = <T>(arb: fc.Arbitrary<T>, absent = 3) =>
  fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb })
const search: fc.Arbitrary<{ params: EventSearch; viewer: Viewer }> = fc
  .record({
    q: maybe(query, 1),
    category: maybe(fc.constantFrom(...SEED_CATEGORIES.map(([id]) => id), 'no-such-category')),
    from: maybe(fc.integer({ min: -60, max: 300 }).map((d) => new Date(NOW + d * DAY))),
    to: maybe(fc.integer({ min: 0, max: 365 }).map((d) => new Date(NOW + d * DAY))),
    priceMin: maybe(fc.integer({ min: 0, max: 200 }).map((n) => n * 25_000)),
    priceMax: maybe(fc.integer({ min: 0, max: 200 }).map((n) => n * 25_000)),
    hasSeats: maybe(fc.boolean()),
    minRating: maybe(fc.constantFrom(1, 3.5, 4.5), 9),
    organizerId: maybe(fc.constantFrom('bench-org-1', 'bench-org-7'), 9),
    sort: maybe(
      fc.record({
        field: fc.constantFrom('relevance', 'startsAt', 'price', 'title', 'createdAt', 'rating'),
        dir: fc.constantFrom('asc', 'desc'),
      }),
    ),
    page: fc.nat(6),
    size: fc.constantFrom(1, 5, 20, 100),
    guest: fc.boolean(),
  })
  .map(({ guest, ...params }) => ({
    params: Object.fromEntries(
      Object.entries(params).filter(([, v]) => v !== undefined),
    ) as unknown as EventSearch,
    viewer: guest ? { role: 'guest' } : { role: 'user', userId: 'u-1' },
  }))

for (const engine of engines()) {
  t.test(engine.name, async (t) => {
    t.teardown(() => engine.cleanup())
    const model = await engine.open()
    t.teardown(() => model.close())
    const db = dbOf(model)
    await seedEvents(model, { count: 3000, seed, nowMs: NOW, organizers: 20 })
    const index = new SearchIndex(db, { pollMs: 50 })
    await index.start()
    t.teardown(() => index.stop())
    const indexed = new IndexedSearch(index, db)

    /** Generated searches, each with up to 2 pages after it by cursor: the index answers as SQL does. */
    const compareAll = async (t: Test, runs: number) => {
      let compared = 0
      let nonEmpty = 0
      await fc.assert(
        fc.asyncProperty(search, async ({ params, viewer }) => {
          let p: EventSearch = params
          for (let pages = 0; pages < 3; pages++) {
            const sql = await searchEvents(db, p, viewer)
            const mem = await indexed.search(p, viewer)
            if (mem === undefined) throw new Error(`the index declined ${JSON.stringify(p)}`)
            t.same(mem, sql, JSON.stringify(p), { diagnostic: false })
            if (JSON.stringify(mem) !== JSON.stringify(sql)) return false
            compared++
            if (sql.items.length > 0) nonEmpty++
            if (sql.nextCursor === null) break
            p = { ...p, cursor: sql.nextCursor }
          }
          return true
        }),
        { numRuns: runs, seed },
      )
      t.ok(compared >= runs, `${compared} pages compared`)
      t.ok(nonEmpty >= compared / 3, `${nonEmpty} of them not empty`)
    }

    t.test('the same pages as the SQL path, and the same pages after their cursors', (t) =>
      compareAll(t, 200),
    )

    t.test('the same pages after events moved, joined and left the catalog', async (t) => {
      await db.query(
        `UPDATE events SET price_from = CASE WHEN price_from IS NULL THEN 100 ELSE NULL END,
           starts_at = starts_at + interval '3 days', title = title || ' Новый'
         WHERE id IN (SELECT id FROM events ORDER BY md5(id || $1) LIMIT 60)`,
        [String(seed)],
      )
      await db.query(
        `UPDATE events SET status = CASE WHEN status = 'PUBLISHED' THEN 'CANCELED' ELSE 'PUBLISHED' END
         WHERE id IN (SELECT id FROM events ORDER BY md5($1 || id) LIMIT 40)`,
        [String(seed)],
      )
      await index.sync()
      await compareAll(t, 80)
    })

    t.test('searches the index does not answer go to SQL', async (t) => {
      const viewer: Viewer = { role: 'user', userId: 'u-1' }
      t.equal(await indexed.search({ q: '"горная река"', page: 0, size: 20 }, viewer), undefined, 'a phrase')
      t.equal(await indexed.search({ place: 'Карелия', page: 0, size: 20 }, viewer), undefined, 'place')
      t.equal(await indexed.search({ status: ['DRAFT'], page: 0, size: 20 }, viewer), undefined, 'drafts')
    })

    t.test("this process's own category write is seen at once", async (t) => {
      await (model as SqlReadModel).startSearchIndex({ pollMs: 60_000 }) // no polling: only its own writes
      const viewer: Viewer = { role: 'guest' }
      const actor = { userId: 'a-1', requestId: 'r-1' }
      const [row] = await db.query<{ id: string; categories: string[] }>(
        `SELECT id, categories FROM events WHERE listed ORDER BY id LIMIT 1`,
      )
      const p: EventSearch = { category: 'fresh-root', page: 0, size: 100 }
      t.equal((await model.searchEvents(p, viewer)).total, 0, 'an unknown category matches nothing')
      await model.createCategory({ id: 'fresh-root', parentId: null, name: 'Fresh' }, actor)
      await model.updateCategory(row!.categories[0]!, { parentId: 'fresh-root' }, actor)
      const page = await model.searchEvents(p, viewer)
      t.same(page, await searchEvents(db, p, viewer), 'as the SQL path')
      const [under] = await db.query<{ n: number }>(
        `SELECT count(*)::integer AS n FROM events WHERE listed AND $1 = ANY(categories)`,
        [row!.categories[0]],
      )
      t.ok(
        page.total >= Math.min(under!.n, 1000) && page.total > 0,
        `${page.total} events under the new root`,
      )
    })
  })
}

t.test('another instance sees a write within its polling', async (t) => {
  const schema = `rm_test_si_${seed}`
  const writer = await openReadModel({ databaseUrl: DATABASE_URL, schema, poolSize: 2 })
  t.teardown(async () => {
    await dbOf(writer).query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await writer.close()
  })
  await seedEvents(writer, { count: 500, seed, nowMs: NOW, organizers: 5 })
  const reader = await openReadModel({ databaseUrl: DATABASE_URL, schema, poolSize: 2, searchIndex: true })
  t.teardown(() => reader.close())
  const viewer: Viewer = { role: 'guest' }
  const p: EventSearch = { q: 'Уникальныйзаголовок', page: 0, size: 20 }
  t.equal((await reader.searchEvents(p, viewer)).total, 0, 'no match before the write')
  const [row] = await dbOf(writer).query<{ id: string }>(
    `SELECT id FROM events WHERE listed ORDER BY id LIMIT 1`,
  )
  await dbOf(writer).query(`UPDATE events SET title = 'Уникальныйзаголовок' WHERE id = $1`, [row!.id])
  const started = Date.now()
  let page = await reader.searchEvents(p, viewer)
  while (page.total === 0 && Date.now() - started < 5000) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    page = await reader.searchEvents(p, viewer)
  }
  t.same(
    page.items.map((e) => e.id),
    [row!.id],
    'found by the new title',
  )
  t.ok(Date.now() - started < 5000, `seen after ${Date.now() - started} ms (polling every 250 ms)`)
  await dbOf(writer).query(`UPDATE events SET status = 'CANCELED' WHERE id = $1`, [row!.id])
  const gone = Date.now()
  while ((await reader.searchEvents(p, viewer)).total !== 0 && Date.now() - gone < 5000)
    await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal((await reader.searchEvents(p, viewer)).total, 0, 'gone from the catalog once canceled')
})
