import t from 'tap'
import { AnalyticsSink, ANALYTICS_TOPICS, migrate } from '../../infra/clickhouse/index.ts'
import { EmbeddedProjection, type ProjectionBatch } from '../../streams/projection.ts'
import {
  analyticsSerdes,
  BookingPipeline,
  closeClient,
  expectedSnapshot,
  freshDatabase,
  runScenario,
  snapshot,
} from './analytics-harness.ts'
import type { ClickHouseClient } from '../../infra/clickhouse/index.ts'

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
})

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
