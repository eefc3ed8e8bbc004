import t from 'tap'
import {
  AnalyticsSink,
  ANALYTICS_TOPICS,
  type ClickHouseClient,
} from '../../../read-models/analytics/index.ts'
import { DEFAULT_TOPIC_NAMES } from '../../../topologies/index.ts'
import { EmbeddedProjection } from '../../../streams/projection.ts'
import {
  analyticsSerdes,
  BookingPipeline,
  closeClient,
  freshDatabase,
  runScenario,
} from './analytics-harness.ts'

t.teardown(closeClient)

/** Totals over every fact and aggregate table: one figure per table, enough to see any double count. */
async function totals(client: ClickHouseClient, db: string) {
  const query = `SELECT
    (SELECT count() FROM ${db}.booking_facts) AS booking_facts,
    (SELECT count() FROM ${db}.event_facts) AS event_facts,
    (SELECT count() FROM ${db}.view_facts) AS view_facts,
    (SELECT count() FROM ${db}.favorite_facts) AS favorite_facts,
    (SELECT count() FROM ${db}.refund_facts) AS refund_facts,
    (SELECT count() FROM ${db}.payment_facts) AS payment_facts,
    (SELECT sum(requests) + sum(confirmed) + sum(views) + sum(favorites_added) + sum(refunds) + sum(payments_completed) FROM ${db}.event_daily) AS event_daily,
    (SELECT sum(revenue_minor) FROM ${db}.event_daily) AS revenue,
    (SELECT sum(seats_held) + sum(seats_confirmed) + sum(seats_released) + sum(reconfirmed) FROM ${db}.event_daily) AS seats,
    (SELECT sum(requests) + sum(views) + sum(refunds) FROM ${db}.platform_daily) AS platform_daily,
    (SELECT sum(bookings) FROM ${db}.booking_status_daily) AS booking_status_daily,
    (SELECT sum(bookings) FROM ${db}.booking_status_platform_daily) AS booking_status_platform_daily,
    (SELECT sum(revenue_minor) FROM ${db}.price_option_daily) AS price_option_daily,
    (SELECT sum(uses) FROM ${db}.promo_daily) AS promo_daily,
    (SELECT sum(amount_minor) FROM ${db}.refund_daily) AS refund_daily,
    (SELECT count() FROM ${db}.event_dim FINAL) AS event_dim`
  const [row] = await (await client.query({ query, format: 'JSONEachRow' })).json<Record<string, number>>()
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]))
}

async function runToEnd(p: BookingPipeline, sink: AnalyticsSink, maxBatchRecords?: number) {
  const projection = new EmbeddedProjection(p.log, {
    name: 'analytics',
    topics: ANALYTICS_TOPICS,
    sink,
    ...(maxBatchRecords === undefined ? {} : { maxBatchRecords }),
  })
  await projection.start()
  try {
    await projection.caughtUp(60_000)
  } finally {
    await projection.close()
  }
}

/** The totals a clean run gives (the reference for every crash and outage). */
async function reference(p: BookingPipeline) {
  const { client, database } = await freshDatabase('reference')
  await runToEnd(p, new AnalyticsSink({ client, database, serdes: p.serdes }))
  return totals(client, database)
}

/**
 * A client that "dies" at a chosen write: the Nth insert into a fact table happens (or not), then every
 * call fails as if the process were gone. The sink using it is abandoned, like a killed process.
 */
function dyingClient(client: ClickHouseClient, dieAt: number, factsLand: boolean): ClickHouseClient {
  let factInserts = 0
  let dead = false
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'insert') return Reflect.get(target, prop, receiver)
      return async (params: Parameters<ClickHouseClient['insert']>[0]) => {
        if (dead) throw new TypeError('process killed') // not retriable: the sink stops
        if (!params.table.endsWith('.sink_offsets') && ++factInserts === dieAt) {
          if (factsLand) await target.insert(params)
          dead = true
          throw new TypeError('process killed')
        }
        return target.insert(params)
      }
    },
  })
}

t.test(
  'abandoned mid-batch in-process (a simulated kill), restarted with other batch sizes: every total exact',
  async (t) => {
    const serdes = await analyticsSerdes()
    const p = new BookingPipeline(serdes)
    t.teardown(() => p.close())
    runScenario(p)
    const want = await reference(p)
    for (const [name, dieAt, factsLand, restartBatch, dyingBatch] of [
      ['facts landed, commit lost; restart with smaller batches', 3, true, 7, 40],
      ['facts landed, commit lost; restart with larger batches', 5, true, 5000, 40],
      ['died before the facts landed', 4, false, 3, 40],
      // A round of one record is one partition's range, which is how the sink wrote before groups.
      ['facts landed, commit lost, positions written before group tokens', 6, true, 40, 1],
    ] as const) {
      const { client, database } = await freshDatabase(`kill_${dieAt}`)
      const dying = new AnalyticsSink({ client: dyingClient(client, dieAt, factsLand), database, serdes })
      await t.rejects(runToEnd(p, dying, dyingBatch), /process killed/, `${name}: the first run dies`)
      const partial = await totals(client, database)
      t.not(partial.booking_facts, want.booking_facts, `${name}: the first run stopped early`)
      if (dyingBatch === 1)
        await client.command({
          query: `ALTER TABLE ${database}.sink_offsets UPDATE batch_token = '' WHERE true`,
          clickhouse_settings: { mutations_sync: '2' },
        })
      await runToEnd(p, new AnalyticsSink({ client, database, serdes }), restartBatch)
      t.same(await totals(client, database), want, `${name}: totals exact after the restart`)
    }
  },
)

t.test('a ClickHouse outage pauses the sink with backoff; nothing is lost', async (t) => {
  const serdes = await analyticsSerdes()
  const p = new BookingPipeline(serdes)
  t.teardown(() => p.close())
  runScenario(p, 4)
  const want = await reference(p)
  const { client, database } = await freshDatabase('outage')
  let failures = 0
  const flaky = new Proxy(client, {
    get(target, prop, receiver) {
      const real = Reflect.get(target, prop, receiver) as unknown
      if (prop !== 'insert' && prop !== 'query') return real
      return async (params: never) => {
        // Five failures in a row at the start, then every 7th call: connection refused.
        failures++
        if (failures <= 5 || failures % 7 === 0)
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' })
        return (real as (p: never) => Promise<unknown>).call(target, params)
      }
    },
  })
  const sink = new AnalyticsSink({
    client: flaky,
    database,
    serdes,
    retry: { initialDelayMs: 5, maxDelayMs: 40 },
  })
  const started = performance.now()
  await runToEnd(p, sink)
  const retries = (await sink.metrics.retries.get()).values.reduce((a, v) => a + v.value, 0)
  t.ok(retries >= 5, `${retries} retries`)
  t.ok(performance.now() - started >= 5 * 2.5, 'it waited between attempts')
  t.same(await totals(client, database), want, 'totals exact after the outage')
})

t.test('a schema error is not retried: it stops the sink', async (t) => {
  const serdes = await analyticsSerdes()
  const p = new BookingPipeline(serdes)
  t.teardown(() => p.close())
  runScenario(p, 1)
  const { client } = await freshDatabase('no_schema')
  await client.command({ query: 'CREATE DATABASE IF NOT EXISTS t_unmigrated' })
  const sink = new AnalyticsSink({ client, database: 't_unmigrated', serdes, retry: { initialDelayMs: 1 } })
  await t.rejects(runToEnd(p, sink), { code: '60' }, 'UNKNOWN_TABLE is thrown at once')
  t.equal((await sink.metrics.retries.get()).values.length, 0, 'no retry')
})

t.test(
  'records breaking the JSON contracts are skipped and counted; the partition keeps flowing',
  async (t) => {
    const serdes = await analyticsSerdes()
    const p = new BookingPipeline(serdes)
    t.teardown(() => p.close())
    const { client, database } = await freshDatabase('poison')
    const view = {
      viewId: 'v1',
      eventId: 'e1',
      userId: null,
      sessionId: 's1',
      occurredAtMs: Date.UTC(2026, 0, 1),
    }
    p.json(DEFAULT_TOPIC_NAMES.views, 'e1', view)
    p.json(DEFAULT_TOPIC_NAMES.views, 'e1', { ...view, viewId: '' })
    p.json(DEFAULT_TOPIC_NAMES.views, 'e1', { ...view, viewId: 'v2', occurredAtMs: 'yesterday' })
    p.json(DEFAULT_TOPIC_NAMES.favorites, 'e1', {
      eventId: 'e1',
      userId: 'u1',
      action: 'LIKED',
      occurredAtMs: 1,
    })
    p.json(DEFAULT_TOPIC_NAMES.views, 'e1', { ...view, viewId: 'v3' })
    const sink = new AnalyticsSink({ client, database, serdes })
    await runToEnd(p, sink)
    const [row] = await (
      await client.query({
        query: `SELECT groupArray(view_id) AS ids, (SELECT sum(views) FROM ${database}.event_daily) AS views FROM (SELECT view_id FROM ${database}.view_facts ORDER BY view_id)`,
        format: 'JSONEachRow',
      })
    ).json<{ ids: string[]; views: number }>()
    t.same(row, { ids: ['v1', 'v3'], views: 2 })
    const skipped = (await sink.metrics.skipped.get()).values.reduce((a, v) => a + v.value, 0)
    t.equal(skipped, 3)
  },
)
