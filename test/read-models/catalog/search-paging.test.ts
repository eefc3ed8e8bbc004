// Catalog search paging on both engines (in-memory PGlite and the real PostgreSQL): totals exact up to the
// bound and flagged beyond it, keyset cursors that walk every match once and end on the last page, and
// relevance putting a title match above a description match.
import t from 'tap'
import type { EventSearch, ReadModel, Viewer } from '../../../read-models/catalog/index.ts'
import { SearchError } from '../../../read-models/catalog/index.ts'
import { COUNT_BOUND } from '../../../read-models/catalog/search-paging.ts'
import { dbOf, engines } from './support.ts'

const GUEST: Viewer = { role: 'guest' }
const T0 = '2027-06-01T07:00:00.000Z'

/**
 * `count` published events of `organizer`: starts on 40 distinct hours (ties broken by ID), every 7th
 * without a price, the rest priced on 13 levels (ties again), all with seats.
 */
async function insertEvents(model: ReadModel, organizer: string, count: number): Promise<void> {
  await dbOf(model).query(
    `INSERT INTO events (id, version, status, organizer_id, title, description, place, area, starts_at, ends_at,
       categories, capacity, seats_available, price_from, created_at, updated_at)
     SELECT $1 || '-' || lpad(g::text, 5, '0'), 1, 'PUBLISHED', $1, 'Event ' || g, 'A day out', 'Karelia, pier',
       'Karelia', $3::timestamptz + (g % 40) * interval '1 hour', $3::timestamptz + interval '2 days', '{}', 10, 5,
       CASE WHEN g % 7 = 0 THEN NULL ELSE (g % 13) * 1000 END, $3::timestamptz, $3::timestamptz
     FROM generate_series(1, $2::integer) g`,
    [organizer, count, T0],
  )
}

/** Every page of a search by cursor, from page 0: the IDs in order and the number of pages. */
async function walk(
  model: ReadModel,
  search: Omit<EventSearch, 'page'>,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = []
  let cursor: string | undefined
  let pages = 0
  do {
    const page = await model.searchEvents(
      { ...search, page: 0, ...(cursor === undefined ? {} : { cursor }) },
      GUEST,
    )
    ids.push(...page.items.map((e) => e.id))
    cursor = page.nextCursor ?? undefined
    pages++
  } while (cursor !== undefined && pages < 1000)
  return { ids, pages }
}

for (const engine of engines()) {
  t.test(engine.name, async (t) => {
    t.teardown(() => engine.cleanup())
    const model = await engine.open()
    t.teardown(() => model.close())
    await insertEvents(model, 'org-exact', COUNT_BOUND)
    await insertEvents(model, 'org-over', COUNT_BOUND + 1)
    await insertEvents(model, 'org-forty', 40)

    t.test('totals are exact up to the bound and flagged beyond it', async (t) => {
      for (const page of [0, 3]) {
        const exact = await model.searchEvents({ organizerId: 'org-exact', page, size: 20 }, GUEST)
        t.same([exact.total, exact.totalIsEstimate], [COUNT_BOUND, false], `exactly N, page ${page}`)
        const over = await model.searchEvents({ organizerId: 'org-over', page, size: 20 }, GUEST)
        t.same([over.total, over.totalIsEstimate], [COUNT_BOUND, true], `N + 1, page ${page}`)
      }
      const none = await model.searchEvents({ organizerId: 'org-none', page: 0, size: 20 }, GUEST)
      t.same(
        [none.items.length, none.total, none.totalIsEstimate, none.nextCursor],
        [0, 0, false, null],
        'empty',
      )
      const last = await model.searchEvents(
        { organizerId: 'org-exact', page: COUNT_BOUND / 20 - 1, size: 20 },
        GUEST,
      )
      t.same([last.items.length, last.total, last.nextCursor], [20, COUNT_BOUND, null], 'the last page')
      const past = await model.searchEvents(
        { organizerId: 'org-exact', page: COUNT_BOUND / 20, size: 20 },
        GUEST,
      )
      t.same([past.items.length, past.total, past.totalIsEstimate], [0, COUNT_BOUND, false], 'past the end')
      const short = await model.searchEvents({ organizerId: 'org-forty', page: 1, size: 30 }, GUEST)
      t.same([short.items.length, short.total, short.nextCursor], [10, 40, null], 'a short last page')
    })

    t.test(
      'cursors walk every match once, in the order of the pages, and end on the last page',
      async (t) => {
        const sorts: EventSearch['sort'][] = [
          undefined,
          { field: 'price', dir: 'desc' },
          { field: 'price', dir: 'asc' },
          { field: 'startsAt', dir: 'desc' },
          { field: 'title', dir: 'asc' },
        ]
        for (const sort of sorts) {
          const name = sort === undefined ? 'default' : `${sort.field},${sort.dir}`
          const search = { organizerId: 'org-forty', size: 7, ...(sort === undefined ? {} : { sort }) }
          const byOffset: string[] = []
          for (let page = 0; page < 6; page++)
            byOffset.push(...(await model.searchEvents({ ...search, page }, GUEST)).items.map((e) => e.id))
          const walked = await walk(model, search)
          t.equal(walked.ids.length, 40, `${name}: every match`)
          t.equal(new Set(walked.ids).size, 40, `${name}: each once`)
          t.same(walked.ids, byOffset, `${name}: the same order as the pages`)
          t.equal(walked.pages, 6, `${name}: 40 events in pages of 7 end on the 6th`)
        }
        const exactEnd = await walk(model, { organizerId: 'org-forty', size: 20 })
        t.same(
          [exactEnd.ids.length, exactEnd.pages],
          [40, 2],
          'a match count that fills the last page exactly',
        )
        const big = await walk(model, {
          organizerId: 'org-over',
          size: 100,
          sort: { field: 'price', dir: 'desc' },
        })
        t.same(
          [big.ids.length, new Set(big.ids).size, big.pages],
          [COUNT_BOUND + 1, COUNT_BOUND + 1, 11],
          'N + 1',
        )
        const page = await model.searchEvents({ organizerId: 'org-over', page: 0, size: 100 }, GUEST)
        const next = await model.searchEvents(
          { organizerId: 'org-over', page: 0, size: 100, cursor: page.nextCursor! },
          GUEST,
        )
        t.same(
          [next.total, next.totalIsEstimate],
          [COUNT_BOUND, true],
          'a cursor page still reports the total',
        )
      },
    )

    t.test('a cursor of another order, or garbled, is refused', async (t) => {
      const page = await model.searchEvents({ organizerId: 'org-forty', page: 0, size: 5 }, GUEST)
      const other = {
        organizerId: 'org-forty',
        sort: { field: 'title', dir: 'asc' } as const,
        page: 0,
        size: 5,
      }
      await t.rejects(model.searchEvents({ ...other, cursor: page.nextCursor! }, GUEST), SearchError)
      await t.rejects(model.searchEvents({ ...other, cursor: 'bm90LWpzb24' }, GUEST), {
        code: 'VALIDATION_FAILED',
      })
    })

    t.test('relevance puts a title match above a description match', async (t) => {
      await dbOf(model).query(
        `INSERT INTO events (id, version, status, organizer_id, title, description, place, area, starts_at, ends_at,
           capacity, seats_available, created_at, updated_at)
         VALUES ('rel-desc', 1, 'PUBLISHED', 'org-rel', 'Поход выходного дня', 'Вечерний сплав по реке', 'Алтай',
           'Алтай', $1::timestamptz, $1::timestamptz + interval '1 day', 10, 5, $1::timestamptz, $1::timestamptz),
           ('rel-title', 1, 'PUBLISHED', 'org-rel', 'Сплав по порогам', 'Пороги и обед на берегу', 'Алтай',
           'Алтай', $1::timestamptz + interval '5 days', $1::timestamptz + interval '6 days', 10, 5,
           $1::timestamptz, $1::timestamptz)`,
        [T0],
      )
      const ids = async (search: Omit<EventSearch, 'page' | 'size'>) =>
        (await model.searchEvents({ ...search, page: 0, size: 20 }, GUEST)).items.map((e) => e.id)
      t.same(await ids({ q: 'сплавы' }), ['rel-title', 'rel-desc'], 'default with q: relevance, stemmed')
      t.same(await ids({ q: 'сплав', sort: { field: 'relevance', dir: 'desc' } }), ['rel-title', 'rel-desc'])
      t.same(await ids({ q: 'сплав', sort: { field: 'startsAt', dir: 'asc' } }), ['rel-desc', 'rel-title'])
      const first = await model.searchEvents({ q: 'сплав', page: 0, size: 1 }, GUEST)
      const second = await model.searchEvents(
        { q: 'сплав', page: 0, size: 1, cursor: first.nextCursor! },
        GUEST,
      )
      t.same([first.items[0]?.id, second.items[0]?.id, second.nextCursor], ['rel-title', 'rel-desc', null])
    })

    t.test('relevance pages and cursors cross from title matches to the others in order', async (t) => {
      // 5 events with the word in the title, 6 with it in the description only; starts interleaved.
      await dbOf(model).query(
        `INSERT INTO events (id, version, status, organizer_id, title, description, place, area, starts_at, ends_at,
           capacity, seats_available, created_at, updated_at)
         SELECT 'tier-' || lpad(g::text, 2, '0'), 1, 'PUBLISHED', 'org-tier',
           CASE WHEN g % 2 = 0 THEN 'Kayak day ' || g ELSE 'River day ' || g END,
           CASE WHEN g % 2 = 0 THEN 'A day on the water' ELSE 'We paddle a kayak all day' END, 'Ladoga', 'Ladoga',
           $1::timestamptz + (20 - g) * interval '1 hour', $1::timestamptz + interval '2 days', 10, 5,
           $1::timestamptz, $1::timestamptz
         FROM generate_series(0, 10) g`,
        [T0],
      )
      const search = { q: 'kayaks', organizerId: 'org-tier', size: 3 }
      const walked = await walk(model, search)
      const byOffset: string[] = []
      for (let page = 0; page < 4; page++)
        byOffset.push(...(await model.searchEvents({ ...search, page }, GUEST)).items.map((e) => e.id))
      const titles = ['tier-10', 'tier-08', 'tier-06', 'tier-04', 'tier-02', 'tier-00']
      const others = ['tier-09', 'tier-07', 'tier-05', 'tier-03', 'tier-01']
      t.same(
        walked.ids,
        [...titles, ...others],
        'title matches first, then the others, soonest first in each',
      )
      t.same(byOffset, walked.ids, 'pages by offset agree')
      t.equal(walked.pages, 4)
      const negated = await model.searchEvents(
        { q: 'kayak -water', organizerId: 'org-tier', page: 0, size: 20 },
        GUEST,
      )
      t.same(
        negated.items.map((e) => e.id),
        others,
        'a negated word in the description excludes title matches too',
      )
    })
  })
}
