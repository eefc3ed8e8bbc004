/**
 * `npm run bench:restart`: how fast the embedded service (`node main.ts`) comes back after SIGKILL, and
 * whether it serves at normal latency right away.
 *
 * 1. Two data folders are filled (bench/support/restart-fill.ts): `full` with BENCH_RESTART_COMMANDS
 *    booking requests (default 100,000) over BENCH_RESTART_EVENTS events, `empty` with the events only
 *    (the baseline, measured in the same run). Each filler is killed with SIGKILL once the catalog shows
 *    its last decision.
 * 2. Restart, alternating full and empty, ROUNDS times each: from the spawn of `node main.ts` to the first
 *    200 from `/readyz` (polled every 10 ms); then 30 s of bookings over HTTP at BENCH_RESTART_RATE per
 *    second (`Prefer: wait`, new users), latency kept per second after ready; then SIGKILL again.
 * 3. Prints ready times (min/median/max, and full ÷ empty) and booking latency percentiles over the first
 *    10 s after ready against seconds 20–30 (steady state) of the same run, and the p95 of each of the
 *    first 12 seconds (where a stall after ready lands); on Linux also the service's CPU time (all its
 *    threads and its chDB process, from /proc) from the spawn to ready and per booking over the 30 s after
 *    ready.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { DEVELOPMENT_AUTH } from '../infra/config.ts'
import { signDevToken } from '../query-api/index.ts'
import { log, percentile, sleep } from './support/report.ts'

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback)
const COMMANDS = env('BENCH_RESTART_COMMANDS', 100_000)
const EVENTS = env('BENCH_RESTART_EVENTS', 50)
const ROUNDS = env('BENCH_RESTART_ROUNDS', 3)
const RATE = env('BENCH_RESTART_RATE', 100)
const LOAD_SECONDS = 30
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const NODE_ARGS = ['--disable-warning=TimeoutNegativeWarning']

const serviceEnv = (dataDir: string, port: number) => ({
  ...process.env,
  DATA_DIR: dataDir,
  HTTP_PORT: String(port),
  LOG_LEVEL: 'warn',
  KAFKA_BROKERS: '',
  DATABASE_URL: '',
  REDIS_URL: '',
  CLICKHOUSE_URL: '',
  SCHEMA_REGISTRY_URL: '',
  AUTH_JWT_SECRET: '',
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Every child still running: killed when the bench ends, however it ends (a failed run leaves no service). */
const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130))
function track(child: ChildProcess): ChildProcess {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/** Fields of /proc/PID/stat after the command name: state, ppid, … (index 11/12: user/system ticks). */
function statOf(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/**
 * A process's CPU time in ms (user + system, all threads, and its child processes' running now: the
 * embedded service runs chDB in one; Linux's 100 ticks a second), if /proc has it.
 */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  const ms = (fields: string[]) => (Number(fields[11]) + Number(fields[12])) * 10
  try {
    let total = ms(statOf(pid))
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        const fields = statOf(entry)
        if (Number(fields[1]) === pid) total += ms(fields)
      } catch {
        // gone meanwhile
      }
    }
    return total
  } catch {
    return undefined
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())))
}

async function fill(dataDir: string, commands: number): Promise<void> {
  const child = track(
    spawn(process.execPath, [...NODE_ARGS, join(ROOT, 'bench/support/restart-fill.ts')], {
      env: {
        ...serviceEnv(dataDir, 0),
        BENCH_RESTART_COMMANDS: String(commands),
        BENCH_RESTART_EVENTS: String(EVENTS),
        // main.ts's compile cache (Node's default folder), which the filler writes as the service does.
        NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'node-compile-cache'),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  )
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('"filled":true')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`filler exited (${code}) before it filled ${dataDir}`)))
  })
  child.kill('SIGKILL')
  await exited(child)
}

interface Round {
  readonly readyMs: number
  /** Latency of each booking, by the second after ready it was sent in. */
  readonly latencies: { second: number; ms: number }[]
  /** Bookings whose connection timed out (counted in `latencies` with the time they waited). */
  readonly failures: number
  /** The service's CPU time from the spawn to ready, and over the bookings after it (undefined off Linux). */
  readonly cpu: { readonly start: number; readonly load: number } | undefined
}

async function restart(dataDir: string, round: string): Promise<Round> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const spawned = performance.now()
  const child = track(
    spawn(process.execPath, [...NODE_ARGS, join(ROOT, 'main.ts')], {
      env: serviceEnv(dataDir, port),
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  )
  let readyAt: number | undefined
  while (readyAt === undefined) {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}) before it was ready`)
    const res = await fetch(`${url}/readyz`).catch(() => undefined)
    if (res?.status === 200) readyAt = performance.now()
    else await sleep(10)
  }
  const cpuAtReady = cpuMs(child.pid)
  const latencies: { second: number; ms: number }[] = []
  let failures = 0
  const sends: Promise<void>[] = []
  for (let i = 0; i < LOAD_SECONDS * RATE; i++) {
    const due = readyAt + (i * 1000) / RATE
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    const sent = performance.now()
    const user = `${round}-user-${i}`
    sends.push(
      fetch(`${url}/api/v1/bookings`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await signDevToken(DEVELOPMENT_AUTH.jwtSecret, { sub: user, role: 'user' }, DEVELOPMENT_AUTH)}`,
          'content-type': 'application/json',
          prefer: 'wait=10',
        },
        body: JSON.stringify({ eventId: `bench-restart-${i % EVENTS}`, priceOptionId: 'std', seats: 1 }),
      }).then(
        async (res) => {
          await res.arrayBuffer()
          if (res.status !== 201) throw new Error(`booking answered ${res.status}`)
          latencies.push({ second: Math.floor((sent - readyAt!) / 1000), ms: performance.now() - sent })
        },
        // A connection the service did not accept within fetch's 10 s: what a client sees, so it is counted
        // (and its wait kept as its latency), not hidden.
        () => {
          failures++
          latencies.push({ second: Math.floor((sent - readyAt!) / 1000), ms: performance.now() - sent })
        },
      ),
    )
  }
  await Promise.all(sends)
  const cpuAtEnd = cpuMs(child.pid)
  child.kill('SIGKILL')
  await exited(child)
  const cpu =
    cpuAtReady === undefined || cpuAtEnd === undefined
      ? undefined
      : { start: cpuAtReady, load: cpuAtEnd - cpuAtReady }
  return { readyMs: readyAt - spawned, latencies, failures, cpu }
}

const stats = (xs: readonly number[]) =>
  `min ${Math.min(...xs).toFixed(0)} / median ${percentile(xs, 50).toFixed(0)} / max ${Math.max(...xs).toFixed(0)} ms`
const window = (rounds: readonly Round[], from: number, to: number) =>
  rounds.flatMap((r) => r.latencies.filter((l) => l.second >= from && l.second < to).map((l) => l.ms))

log(
  `machine: ${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(
      ' ',
    )}; ${COMMANDS} commands over ${EVENTS} events, ${ROUNDS} rounds, ${RATE} bookings/s after ready`,
)
const dirs = {
  full: mkdtempSync(join(tmpdir(), 'bench-restart-full-')),
  empty: mkdtempSync(join(tmpdir(), 'bench-restart-empty-')),
}
try {
  log('filling the data folders')
  await fill(dirs.full, COMMANDS)
  await fill(dirs.empty, 0)
  const results: { full: Round[]; empty: Round[] } = { full: [], empty: [] }
  for (let i = 0; i < ROUNDS; i++)
    for (const kind of ['full', 'empty'] as const) {
      const round = await restart(dirs[kind], `r${i}-${kind}`)
      results[kind].push(round)
      log(
        `${kind} round ${i + 1}: ready ${round.readyMs.toFixed(0)} ms after the spawn; ${round.failures} bookings not connected in 10 s`,
      )
    }
  const ready = (kind: 'full' | 'empty') => results[kind].map((r) => r.readyMs)
  const first = window(results.full, 0, 10)
  const steady = window(results.full, 20, 30)
  const line = (name: string, xs: readonly number[]) =>
    `${name}: p50 ${percentile(xs, 50).toFixed(1)} ms, p95 ${percentile(xs, 95).toFixed(1)} ms, p99 ${percentile(xs, 99).toFixed(1)} ms (${xs.length} bookings)`
  console.log(`restart to ready, ${COMMANDS} commands in the folder: ${stats(ready('full'))}`)
  console.log(`restart to ready, events only (baseline):      ${stats(ready('empty'))}`)
  console.log(
    `ratio of medians full ÷ baseline: ${(percentile(ready('full'), 50) / percentile(ready('empty'), 50)).toFixed(2)}`,
  )
  console.log(line('bookings, first 10 s after ready', first))
  console.log(line('bookings, seconds 20-30 (steady)', steady))
  console.log(`p95 first 10 s ÷ steady: ${(percentile(first, 95) / percentile(steady, 95)).toFixed(2)}`)
  // Where in the first seconds the slow bookings were sent: p95 of each second after ready, all full rounds.
  const bySecond = Array.from({ length: 12 }, (_, s) => percentile(window(results.full, s, s + 1), 95))
  console.log(`p95 by second after ready (0-11 s): ${bySecond.map((ms) => ms.toFixed(0)).join(' / ')} ms`)
  const cpus = results.full.flatMap((r) => (r.cpu === undefined ? [] : [r.cpu]))
  if (cpus.length > 0)
    console.log(
      `service CPU, full rounds: spawn to ready median ${percentile(
        cpus.map((c) => c.start),
        50,
      ).toFixed(
        0,
      )} ms; per booking after ready ${cpus.map((c) => (c.load / (LOAD_SECONDS * RATE)).toFixed(2)).join(' / ')} ms`,
    )
} finally {
  for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true })
}
