/**
 * A process running the analytics sink over chDB on a folder, for the SIGKILL test
 * (analytics-kill.test.ts): it projects the analytics topics of a durable embedded log into ClickHouse,
 * in small batches, and is killed with SIGKILL at random moments.
 *
 *   DATA_DIR=…  the embedded log in DATA_DIR/log, chDB in DATA_DIR/clickhouse
 *   DATABASE=…  the analytics database (migrated at start)
 *   BATCH=…     records per batch at most (default 5)
 *   STALL_AFTER_INSERT=n  after the n-th fact INSERT of this run returns, print {"landed":n} and stall
 *               before the batch's commit row: the moment to kill for "facts landed, commit lost". With it,
 *               {"factRows":…, "committedRecords":…}: the fact rows in ClickHouse (without FINAL) and the
 *               records below the committed offsets (sink_offsets), counted by a query at that moment.
 *
 * Prints JSON lines: {"ready":true} once the projection started, {"inserting":n} before the n-th fact
 * INSERT of this run and {"inserted":n} after it, {"caughtUp":true} when every record is written. SIGTERM
 * closes it cleanly (exit 0).
 */
import { join } from 'node:path'
import {
  AnalyticsSink,
  ANALYTICS_TOPICS,
  createClickHouse,
  migrate,
} from '../../../read-models/analytics/index.ts'
import { EmbeddedLog } from '../../../streams/index.ts'
import { EmbeddedProjection } from '../../../streams/projection.ts'
import { analyticsSerdes } from './analytics-harness.ts'

const dir = process.env.DATA_DIR!
const database = process.env.DATABASE ?? 'analytics_kill'
const say = (line: object): void => void process.stdout.write(`${JSON.stringify(line)}\n`)

const log = EmbeddedLog.open({ dir: join(dir, 'log') })
const client = createClickHouse({ path: join(dir, 'clickhouse') })
await migrate(client, { database })
let inserts = 0
const stallAfter = Number(process.env.STALL_AFTER_INSERT ?? 0)
const announcing = new Proxy(client, {
  get(target, prop, receiver) {
    const real = Reflect.get(target, prop, receiver) as unknown
    if (prop !== 'insert') return real
    return async (params: Parameters<typeof client.insert>[0]) => {
      if (params.table.endsWith('.sink_offsets')) return target.insert(params)
      const n = ++inserts
      say({ inserting: n })
      const result = await target.insert(params)
      say({ inserted: n })
      if (n === stallAfter) {
        const [counts] = await (
          await target.query({
            query: `SELECT
              (SELECT count() FROM ${database}.booking_facts) + (SELECT count() FROM ${database}.view_facts)
                + (SELECT count() FROM ${database}.favorite_facts) + (SELECT count() FROM ${database}.refund_facts)
                + (SELECT count() FROM ${database}.payment_facts) + (SELECT count() FROM ${database}.event_facts)
                AS factRows,
              (SELECT sum(next) FROM (SELECT max(next_offset) AS next FROM ${database}.sink_offsets
                WHERE kind = 'commit' GROUP BY topic, partition)) AS committedRecords`,
            format: 'JSONEachRow',
          })
        ).json<{ factRows: number; committedRecords: number }>()
        say({ factRows: Number(counts!.factRows), committedRecords: Number(counts!.committedRecords) })
        say({ landed: n })
        await new Promise(() => undefined) // until killed
      }
      return result
    }
  },
})
const projection = new EmbeddedProjection(log, {
  name: 'analytics',
  topics: ANALYTICS_TOPICS,
  sink: new AnalyticsSink({ client: announcing, database, serdes: await analyticsSerdes() }),
  maxBatchRecords: Number(process.env.BATCH ?? 5),
})
await projection.start()
say({ ready: true })
// Runs until SIGTERM, which closes it; nothing else may hold the event loop once it has caught up (an idle
// chDB connection does not), and a process exiting on its own as the signal came died of it. The handler is
// in place before `caughtUp` is told: the test sends the signal as soon as it reads that line.
setInterval(() => undefined, 60_000)
process.on('SIGTERM', () => {
  void (async () => {
    await projection.close()
    await client.close()
    log.close()
    process.exit(0)
  })()
})
await projection.caughtUp(120_000)
say({ caughtUp: true })
