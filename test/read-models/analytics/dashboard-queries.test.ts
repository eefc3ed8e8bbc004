/**
 * The SQL dashboard users get stays in step with the schema: every panel and variable query of the
 * Grafana dashboard (dashboards/grafana-backend-event.json) and every query of docs/analytics.md runs on
 * chDB against the scenario's facts, and the headline panels show the scenario's figures.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import {
  AnalyticsSink,
  ANALYTICS_TOPICS,
  type ClickHouseClient,
} from '../../../read-models/analytics/index.ts'
import { EmbeddedProjection } from '../../../streams/projection.ts'
import {
  analyticsSerdes,
  BookingPipeline,
  closeClient,
  freshDatabase,
  grafanaSql,
  runScenario,
  sumDays,
  type Expected,
} from './analytics-harness.ts'

t.teardown(closeClient)

interface Panel {
  readonly title: string
  readonly targets?: readonly { readonly rawSql: string }[]
}
const dashboard = JSON.parse(
  readFileSync(new URL('../../../dashboards/grafana-backend-event.json', import.meta.url), 'utf8'),
) as { panels: Panel[]; templating: { list: { name: string; query: string }[] } }
const docs = readFileSync(new URL('../../../docs/analytics.md', import.meta.url), 'utf8')

let client: ClickHouseClient
let database: string
let expected: Expected

t.before(async () => {
  ;({ client, database } = await freshDatabase('dashboards'))
  const p = new BookingPipeline(await analyticsSerdes())
  expected = runScenario(p)
  const projection = new EmbeddedProjection(p.log, {
    name: 'analytics',
    topics: ANALYTICS_TOPICS,
    sink: new AnalyticsSink({ client, database, serdes: p.serdes }),
  })
  await projection.start()
  await projection.caughtUp(60_000)
  await projection.close()
  await p.close()
})

/** Grafana's macros and the organizer variable as the ClickHouse data source expands them. */
const grafana = (sql: string, organizer: string): string =>
  grafanaSql(sql, { database, organizer, from: '2026-01-01', to: '2026-01-31' })

const run = async (sql: string) =>
  (await client.query({ query: sql, format: 'JSONEachRow' })).json<Record<string, unknown>>()

t.test('every Grafana panel and variable query runs, for all organizers and for one', async (t) => {
  const queries = [
    ...dashboard.templating.list.filter((v) => v.query.startsWith('SELECT')).map((v) => [v.name, v.query]),
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((target) => [p.title, target.rawSql])),
  ] as [string, string][]
  t.ok(queries.length >= 12, `${queries.length} queries`)
  for (const [name, sql] of queries)
    for (const organizer of ['All', 'org-1']) {
      const rows = await run(grafana(sql, organizer))
      t.ok(rows.length > 0, `${name} (${organizer}): ${rows.length} rows`)
    }
  const panel = (title: string) => dashboard.panels.find((p) => p.title === title)!.targets![0]!.rawSql
  const all = sumDays(expected, () => true)
  const org1 = sumDays(expected, (ev) => expected.organizerOf.get(ev) === 'org-1')
  t.same(await run(grafana(panel('Revenue (RUB)'), 'All')), [{ revenue: all.revenueMinor / 100 }])
  t.same(await run(grafana(panel('Revenue (RUB)'), 'org-1')), [{ revenue: org1.revenueMinor / 100 }])
  t.same(await run(grafana(panel('Confirmed bookings'), 'All')), [{ confirmed: all.confirmed }])
  const reasons = await run(grafana(panel('Refunds by reason'), 'All'))
  t.same(
    Object.fromEntries(reasons.map((r) => [r.reason, Number(r.refunds)])),
    Object.fromEntries([...expected.refundsByReason].map(([reason, r]) => [reason, r.refunds])),
    'refunds by reason',
  )
})

t.test('every query of docs/analytics.md runs', async (t) => {
  const blocks = [...docs.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!)
  const statements = blocks
    .flatMap((block) => block.split(/;\s*$/m))
    .map((s) =>
      s
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('--'))
        .join('\n')
        .trim(),
    )
    .filter((s) => s !== '')
  t.ok(statements.length >= 8, `${statements.length} queries`)
  for (const sql of statements) {
    const rows = await run(sql.replaceAll('aquastream_analytics.', `${database}.`))
    t.ok(Array.isArray(rows), sql.split('\n')[0]!.slice(0, 100))
  }
})
