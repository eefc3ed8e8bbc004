/**
 * chDB in a child process (read-models/analytics/chdb-process.ts), on real chDB: statements, results and
 * errors cross the channel as the in-process engine gives them; two folders open in one process; a folder
 * still held is waited for; a process that dies fails its calls and the next call starts another on the
 * same data; the process ends with its parent, even a SIGKILLed one, and never keeps an idle parent alive; it
 * gets none of the parent's environment beyond the paths, the time zone and the locale.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ClickHouseError, createClient } from '@clickhouse/client'
import t, { type Test } from 'tap'
import { helperProcessEnv } from '../../../infra/config.ts'
import { ChdbProcessConnection } from '../../../read-models/analytics/chdb-process.ts'
import { createClickHouse, isRetriableWrite } from '../../../read-models/analytics/index.ts'
import { sleep } from '../../support/processes.ts'

const MODULE = fileURLToPath(new URL('../../../read-models/analytics/chdb-process.ts', import.meta.url))

const folder = (t: Test): string => {
  const dir = mkdtempSync(join(tmpdir(), 'chdb-process-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Whether a process runs (a zombie, exited but not yet reaped, does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

async function until(what: string, condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await sleep(20)
  }
}

const clientOf = (connection: ChdbProcessConnection) =>
  createClient({
    connection: connection as never,
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })

t.test('statements, parameters, inserts and results cross the channel; errors keep their code', async (t) => {
  const client = createClickHouse({ path: folder(t) })
  t.teardown(() => client.close())
  await client.command({ query: 'CREATE TABLE t (id UInt32, name String) ENGINE = MergeTree ORDER BY id' })
  const rows = Array.from({ length: 5_000 }, (_, i) => ({ id: i, name: `n-${i}-é` }))
  await client.insert({ table: 't', values: rows, format: 'JSONEachRow' })
  const back = await (
    await client.query({
      query: 'SELECT id, name FROM t WHERE id >= {from:UInt32} ORDER BY id',
      query_params: { from: 4_990 },
      format: 'JSONEachRow',
    })
  ).json<{ id: number; name: string }>()
  t.same(back, rows.slice(4_990))
  const count = await (
    await client.query({ query: 'SELECT count() AS n FROM t', format: 'JSONCompact' })
  ).json<{
    data: number[][]
  }>()
  t.same(count.data, [[5_000]])
  const empty = await (
    await client.query({ query: 'SELECT * FROM t WHERE id > 10000', format: 'JSONEachRow' })
  ).json()
  t.same(empty, [], 'an empty result is an empty stream')
  t.same(await client.ping(), { success: true })

  const error = await client.command({ query: 'SELEC 1' }).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.ok(error instanceof ClickHouseError, 'a ClickHouseError, as from the engine in this process')
  t.match(error, { code: '62', type: 'SYNTAX_ERROR', message: /Syntax error/ })
  t.equal(isRetriableWrite(error), false, 'so the sink does not retry a wrong statement')
  const missing = await client.query({ query: 'SELECT * FROM nowhere' }).catch((e: unknown) => e)
  t.match(missing, { code: '60', type: 'UNKNOWN_TABLE' })
})

t.test("the chDB process gets none of the service's secrets from the environment", async (t) => {
  process.env.CHDB_PROCESS_TEST_SECRET = 'not-for-the-engine'
  t.teardown(() => delete process.env.CHDB_PROCESS_TEST_SECRET)
  const connection = new ChdbProcessConnection({ path: folder(t), env: helperProcessEnv() })
  t.teardown(() => connection.close())
  const client = clientOf(connection)
  t.same(await client.ping(), { success: true }, 'the engine opens on what it is given')
  const environ = readFileSync(`/proc/${connection.pid}/environ`, 'utf8').split('\0').filter(Boolean)
  const names = environ.map((entry) => entry.slice(0, entry.indexOf('=')))
  t.notOk(names.includes('CHDB_PROCESS_TEST_SECRET'), 'no variable beyond the allowed ones')
  t.ok(names.includes('PATH'), 'PATH is passed')
  // Besides Node's own IPC variables and what the test runner adds to every process it starts
  // (_TAPJS_*, NODE_OPTIONS), only the allowed ones.
  const passed = names.filter((name) => !/^(NODE_CHANNEL_|_TAPJS_)|^NODE_OPTIONS$/.test(name))
  t.same(
    passed.filter((name) => !['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG', 'LC_ALL', 'LC_CTYPE'].includes(name)),
    [],
    `only where things are, the time zone and the locale (${passed.join(', ')})`,
  )
})

t.test('two folders open at once in one process (one in-process engine allows one)', async (t) => {
  const a = createClickHouse({ path: folder(t) })
  const b = createClickHouse({ path: folder(t) })
  t.teardown(async () => {
    await a.close()
    await b.close()
  })
  await a.command({ query: 'CREATE TABLE x (v UInt8) ENGINE = MergeTree ORDER BY v' })
  await b.command({ query: 'CREATE TABLE y (v UInt8) ENGINE = MergeTree ORDER BY v' })
  const tables = async (c: typeof a) =>
    (
      await (
        await c.query({
          query: "SELECT name FROM system.tables WHERE database = 'default'",
          format: 'JSONEachRow',
        })
      ).json<{ name: string }>()
    ).map((r) => r.name)
  t.same(await tables(a), ['x'])
  t.same(await tables(b), ['y'])
})

t.test('a folder another process holds is waited for, up to the open timeout', async (t) => {
  const dir = folder(t)
  const holder = new ChdbProcessConnection({ path: dir })
  await holder.command({ query: 'CREATE TABLE kept (v UInt8) ENGINE = MergeTree ORDER BY v' })
  await holder.insert({ query: 'INSERT INTO kept FORMAT JSONEachRow', values: '{"v":7}\n' })

  const impatient = new ChdbProcessConnection({ path: dir, openTimeoutMs: 300 })
  const refused = await impatient.command({ query: 'SELECT 1' }).catch((e: unknown) => e)
  t.match(refused, { message: /Failed to create connection/ }, 'refused once the open timeout passed')

  const waiting = new ChdbProcessConnection({ path: dir })
  const answer = clientOf(waiting).query({ query: 'SELECT v FROM kept', format: 'JSONEachRow' })
  await sleep(500)
  await holder.close()
  t.same(await (await answer).json(), [{ v: 7 }], 'answered once the holder let go, with its data')
  await waiting.close()
  t.same(
    await (await clientOf(impatient).query({ query: 'SELECT v FROM kept', format: 'JSONEachRow' })).json(),
    [{ v: 7 }],
    'the refused connection starts another process at its next call',
  )
  await impatient.close()
})

t.test('a process that dies fails its calls; the next call starts another on the same data', async (t) => {
  const exits: { code: number | null; signal: NodeJS.Signals | null }[] = []
  const connection = new ChdbProcessConnection({ path: folder(t), onExit: (how) => exits.push(how) })
  t.teardown(() => connection.close())
  await connection.command({ query: 'CREATE TABLE kept (v UInt8) ENGINE = MergeTree ORDER BY v' })
  await connection.insert({ query: 'INSERT INTO kept FORMAT JSONEachRow', values: '{"v":1}\n{"v":2}\n' })
  const first = connection.pid!
  const slow = connection.query({ query: 'SELECT sleep(2)' })
  await sleep(200)
  process.kill(first, 'SIGKILL')
  t.match(await slow.catch((e: unknown) => e), { message: /the chDB process exited \(SIGKILL\)/ })
  t.same(exits, [{ code: null, signal: 'SIGKILL' }], 'told once')
  const back = await (
    await clientOf(connection).query({ query: 'SELECT sum(v) AS s FROM kept', format: 'JSONEachRow' })
  ).json()
  t.same(back, [{ s: 3 }])
  t.not(connection.pid, first, 'another process')
  await connection.close()
  t.equal(connection.pid, undefined, 'none once closed')
  t.same(exits.length, 1, 'closing is not an unasked end')
  await t.rejects(connection.command({ query: 'SELECT 1' }), /closed/)
})

t.test('an abort stops the wait for the answer', async (t) => {
  const connection = new ChdbProcessConnection({ path: folder(t) })
  t.teardown(() => connection.close())
  await connection.command({ query: 'SELECT 1' })
  const abort = new AbortController()
  const slow = connection.query({ query: 'SELECT sleep(2)', abort_signal: abort.signal })
  abort.abort(new Error('gave up'))
  await t.rejects(slow, /gave up/)
  t.same(await connection.ping({ select: true }), { success: true }, 'the connection goes on')
})

/**
 * A parent process holding a connection; prints its chDB process's ID once a statement answered. `hold`:
 * it stays, with a statement of ~9 s running.
 */
function parent(dir: string, hold: boolean) {
  const script = `
    import { ChdbProcessConnection } from ${JSON.stringify(MODULE)}
    const connection = new ChdbProcessConnection({ path: ${JSON.stringify(dir)} })
    await connection.command({ query: 'SELECT 1' })
    ${hold ? "void connection.query({ query: 'SELECT sleep(3) FROM numbers(3) SETTINGS max_block_size = 1' })" : ''}
    console.log(JSON.stringify({ child: connection.pid }))
    ${hold ? 'setInterval(() => undefined, 1000)' : ''}
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const pid = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) =>
      resolve((JSON.parse(line) as { child: number }).child),
    )
    child.once('exit', (code) => reject(new Error(`the parent exited (${code}) before its first answer`)))
  })
  return { child, exited, pid }
}

t.test('the chDB process ends with its parent, even a SIGKILLed one, mid-statement', async (t) => {
  const dir = folder(t)
  const { child, exited, pid } = parent(dir, true)
  const chdb = await pid
  t.ok(running(chdb), 'runs while its parent does')
  child.kill('SIGKILL')
  await exited
  await until('the chDB process ended', () => !running(chdb))
  t.pass('ended')
  // At once, not when its statement is done: the parent's next run finds the folder free.
  const next = new ChdbProcessConnection({ path: dir, openTimeoutMs: 1_000 })
  t.teardown(() => next.close())
  t.same(await next.ping({ select: true }), { success: true }, 'the folder opens again within a second')
})

t.test('an idle connection does not keep its process alive', async (t) => {
  const { exited, pid } = parent(folder(t), false)
  const chdb = await pid
  t.equal(await exited, 0, 'the parent ended on its own, its connection never closed')
  await until('the chDB process ended', () => !running(chdb))
  t.pass('and so did the chDB process')
})
