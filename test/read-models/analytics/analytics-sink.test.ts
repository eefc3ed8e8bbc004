import t from 'tap'
import { AnalyticsSink, ANALYTICS_TOPICS, migrate } from '../../../read-models/analytics/index.ts'
import { EmbeddedProjection, type ProjectionBatch } from '../../../streams/projection.ts'
import {
  analyticsSerdes,
  BookingPipeline,
  closeClient,
  expectedSnapshot,
  freshDatabase,
  runScenario,
  snapshot,
} from './analytics-harness.ts'
import type { ClickHouseClient } from '../../../read-models/analytics/index.ts'

t.teardown(closeClient)

async function project(client: ClickHouseClient, database: string, p: BookingPipeline, sink?: AnalyticsSink) {
  const projection = new EmbeddedProjection(p.log, {
    name: 'analytics',
    topics: ANALYTICS_TOPICS,
    sink: sink ?? new AnalyticsSink({ client, database, serdes: p.serdes }),
  })
  await projection.start()
  await projection.caughtUp(60_000)
  await projection.close()
}

t.test('facts and every aggregate equal the figures of the scenario; replays change nothing', async (t) => {
  const { client, database } = await freshDatabase('sink')
  const serdes = await analyticsSerdes()
  const p = new BookingPipeline(serdes)
  t.teardown(() => p.close())
  const expected = runScenario(p)
  await project(client, database, p)
  const first = await snapshot(client, database)
  const want = expectedSnapshot(expected)
  t.same(first.eventDays, want.eventDays, 'per event and day')
  t.same(first.platformDays, want.platformDays, 'platform-wide per day')
  t.same(first.eventMonths, want.eventMonths, 'per event and month')
  t.same(first.organizers, want.organizers, 'per organizer')
  t.same(first.priceOptions, want.priceOptions, 'revenue by price option')
  t.same(first.promos, want.promos, 'promo uses')
  t.same(first.refunds, want.refunds, 'refunds by reason')
  t.same(first.types, want.types, 'bookings by fact type')
  t.same(first.platformTypes, want.platformTypes, 'bookings by fact type, platform-wide')
  t.equal(first.facts[0]!.booking, expected.bookingFacts, 'one booking fact per booking event')
  t.same(
    first.platformDays.map((d) => d.day),
    ['2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04'],
    'four days',
  )
  t.comment(`${first.eventDays.length} event-days`)

  // A second projection over the same database (a restart), then the same batches again by hand (a replay
  // of the topics from the beginning), then a fresh sink (cold offset cache): nothing counts twice.
  await project(client, database, p)
  const sink = new AnalyticsSink({ client, database, serdes })
  for (const topic of ANALYTICS_TOPICS)
    for (let partition = 0; partition < p.log.partitions(topic); partition++) {
      const records = p.log.read(topic, partition, 0, 1_000_000).map((r) => ({ ...r, topic, partition }))
      if (records.length === 0) continue
      const batch: ProjectionBatch = { topic, partition, records, nextOffset: records.at(-1)!.offset + 1 }
      await sink.apply(batch)
    }
  t.same(await snapshot(client, database), first, 'replays leave every total unchanged')

  // The read model converges: a fresh database fed by a fresh replay holds the same figures.
  const other = await freshDatabase('sink_replay')
  await project(other.client, other.database, p)
  t.same(await snapshot(other.client, other.database), first, 'a rebuild from the log gives the same figures')

  // A sink restarted between a booking's facts takes its tallies from what is stored: the first half of
  // every partition (e1's confirmations), then a fresh sink for all of it (the top-ups, the seat reduction).
  const split = await freshDatabase('sink_split')
  const batches = (half: 'first' | 'all') =>
    ANALYTICS_TOPICS.flatMap((topic) =>
      Array.from({ length: p.log.partitions(topic) }, (_, partition) => {
        const all = p.log.read(topic, partition, 0, 1_000_000).map((r) => ({ ...r, topic, partition }))
        const records = half === 'all' ? all : all.slice(0, Math.floor(all.length / 2))
        return { topic, partition, records, nextOffset: (records.at(-1)?.offset ?? -1) + 1 }
      }).filter((b) => b.records.length > 0),
    )
  const before = new AnalyticsSink({ client: split.client, database: split.database, serdes })
  for (const batch of batches('first')) await before.apply(batch)
  const after = new AnalyticsSink({ client: split.client, database: split.database, serdes })
  for (const batch of batches('all')) await after.apply(batch)
  t.same(await snapshot(split.client, split.database), first, 'a restart between facts of a booking')
})

t.test(
  'the scenario has every new booking fact: top-ups paid and released, a seat reduction, a re-confirmation',
  async (t) => {
    const p = new BookingPipeline(await analyticsSerdes())
    t.teardown(() => p.close())
    const expected = runScenario(p)
    t.match(Object.fromEntries(expected.bookingTypes), {
      SEATS_CHANGE_HELD: 5,
      SEATS_CHANGED: 2,
      SEATS_CHANGE_RELEASED: 3,
      RECONFIRMED: 1,
    })
    t.equal(expected.refundsByReason.get('SEATS_REDUCED')?.refunds, 2, 'a reduction refunded to two payments')
  },
)

t.test('migrations are idempotent and refuse an edited migration', async (t) => {
  const { client, database } = await freshDatabase('migrations')
  const again = await migrate(client, { database })
  t.same(again.applied, [], 'nothing to apply the second time')
  t.ok(again.skipped.length >= 3)
  await client.command({
    query: `ALTER TABLE ${database}.schema_migrations UPDATE checksum = 'x' WHERE version = 1`,
  })
  await t.rejects(migrate(client, { database }), { code: 'INVALID_CONFIG' })
  await t.rejects(migrate(client, { database: 'bad-name' }), { code: 'INVALID_CONFIG' })
})

t.test(
  'a round of many partitions is one INSERT per fact table, between one intent and one commit',
  async (t) => {
    const { client, database } = await freshDatabase('sink_rounds')
    const p = new BookingPipeline(await analyticsSerdes())
    t.teardown(() => p.close())
    const expected = runScenario(p)
    const inserts: { table: string; rows: number }[] = []
    const counting = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'insert') return Reflect.get(target, prop, receiver)
        return (params: Parameters<ClickHouseClient['insert']>[0]) => {
          inserts.push({ table: params.table.split('.')[1]!, rows: (params.values as unknown[]).length })
          return target.insert(params)
        }
      },
    })
    const partitions = ANALYTICS_TOPICS.flatMap((topic) =>
      Array.from({ length: p.log.partitions(topic) }, (_, partition) => p.log.endOffset(topic, partition)),
    ).filter((end) => end > 0).length
    t.ok(partitions > 6, `the scenario fills ${partitions} partitions`)
    // One round takes everything the log holds (the default budget is larger than the scenario).
    await project(client, database, p, new AnalyticsSink({ client: counting, database, serdes: p.serdes }))
    const tables = inserts.map((i) => i.table)
    t.same(tables[0], 'sink_offsets', 'the intent first')
    t.same(tables.at(-1), 'sink_offsets', 'the commit last')
    t.equal(tables.filter((x) => x === 'sink_offsets').length, 2, 'one intent and one commit insert')
    t.equal(inserts[0]!.rows, partitions, 'an intent row for each partition')
    const facts = tables.filter((x) => x !== 'sink_offsets')
    t.same(facts, [...new Set(facts)].sort(), 'each fact table once, in order')
    const got = await snapshot(client, database)
    t.same(got.eventDays, expectedSnapshot(expected).eventDays, 'the figures of the scenario')
    t.equal(got.facts[0]!.booking, expected.bookingFacts, 'every booking fact')
  },
)
