import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { openClickHouse, type ClickHouseClient } from '../../../read-models/analytics/index.ts'

// openClickHouse starts a chDB folder's engine in a worker thread, opens this thread's session on it, then
// closes the worker's: the data is the folder's, and the folder is free for another once this one closes.
const dir = mkdtempSync(join(tmpdir(), 'open-clickhouse-test-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

async function count(client: ClickHouseClient): Promise<number> {
  const rows = await (
    await client.query({ query: 'SELECT count() AS n FROM t', format: 'JSONEachRow' })
  ).json()
  return Number((rows as { n: number }[])[0]!.n)
}

t.test('a folder opened through the engine thread keeps its data across opens', async (t) => {
  const path = join(dir, 'a')
  const first = await openClickHouse({ path })
  // Queries some time after the open, when the engine thread has had every chance to act.
  await new Promise((resolve) => setTimeout(resolve, 300))
  await first.command({ query: 'CREATE TABLE t (n UInt32) ENGINE = MergeTree ORDER BY n' })
  await first.insert({ table: 't', values: [{ n: 1 }, { n: 2 }, { n: 3 }], format: 'JSONEachRow' })
  t.equal(await count(first), 3)
  await first.close()
  await first.close() // a second close releases nothing more (the next open's engine session stays)
  // A folder with tables, which chDB loads in the background.
  const again = await openClickHouse({ path })
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(await count(again), 3, 'the rows are in the folder')
  await again.close()
})

t.test('once closed, the folder is released by both threads: another folder opens', async (t) => {
  // chDB runs one data folder per process: a session left open on the first (in either thread) refuses this.
  const other = await openClickHouse({ path: join(dir, 'b') })
  await other.command({ query: 'CREATE TABLE t (n UInt32) ENGINE = MergeTree ORDER BY n' })
  t.equal(await count(other), 0)
  await other.close()
})
