import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

export interface AppProcess {
  readonly child: ChildProcess
  /** Resolves when the process printed {"ready":true}. */
  readonly ready: Promise<void>
  /** Resolves with the exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  readonly stderr: () => string
  /** Resolves with the first JSON line (from now on, or the latest seen) that satisfies `test`. */
  waitFor<T = { [key: string]: unknown }>(test: (line: T) => boolean, timeoutMs: number): Promise<T>
  /** The latest JSON line that has `key`. */
  latest<T = unknown>(key: string): T | undefined
}

/** Starts a TypeScript entry point of this repository in a child Node process. */
export function startApp(relativePath: string, env: { [key: string]: string }): AppProcess {
  const entry = fileURLToPath(new URL(`../../${relativePath}`, import.meta.url))
  const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', entry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let err = ''
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000)
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  )
  const latestByKey = new Map<string, unknown>()
  const waiters = new Set<(line: { [key: string]: unknown }) => void>()
  const ready = new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      if (line.includes('"ready":true')) resolve()
      let parsed: { [key: string]: unknown }
      try {
        parsed = JSON.parse(line) as { [key: string]: unknown }
      } catch {
        return
      }
      for (const k of Object.keys(parsed)) latestByKey.set(k, parsed[k])
      for (const waiter of [...waiters]) waiter(parsed)
    })
    void exited.then(({ code, signal }) =>
      reject(new Error(`${relativePath} exited (${code ?? signal}) before it was ready:\n${err}`)),
    )
  })
  ready.catch(() => undefined)
  const waitFor = <T>(test: (line: T) => boolean, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(
          new Error(`${relativePath}: no matching line within ${timeoutMs} ms; stderr:\n${err.slice(-3000)}`),
        )
      }, timeoutMs)
      const check = (line: { [key: string]: unknown }): void => {
        if (!test(line as T)) return
        clearTimeout(timer)
        waiters.delete(check)
        resolve(line as T)
      }
      waiters.add(check)
      const current = Object.fromEntries(latestByKey)
      if (Object.keys(current).length > 0) check(current)
    })
  return {
    child,
    ready,
    exited,
    stderr: () => err,
    waitFor,
    latest: <T>(key: string) => latestByKey.get(key) as T | undefined,
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** A deterministic pseudo-random generator (mulberry32), so a failing run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Stops the instances with SIGTERM and checks that each exits 0 within 30 s (a late one fails the test with
 * the tail of its log); `nameOf` names them in the messages.
 */
export async function terminate(
  t: Test,
  apps: readonly AppProcess[],
  nameOf: (app: AppProcess) => string,
): Promise<void> {
  for (const app of apps) app.child.kill('SIGTERM')
  const stopped = Promise.all(apps.map((app) => app.exited))
  let timer: NodeJS.Timeout | undefined
  const late = await Promise.race([
    stopped.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 30_000))),
  ])
  clearTimeout(timer)
  if (late)
    t.fail(
      `an instance did not stop within 30 s of SIGTERM:\n` +
        apps.map((app) => `${nameOf(app)}:\n${app.stderr().slice(-4000)}`).join('\n'),
    )
  const exits = await stopped
  t.same(
    exits.map((e, i) => `${nameOf(apps[i]!)}: ${e.code}`),
    apps.map((app) => `${nameOf(app)}: 0`),
    'the instances stop cleanly',
  )
}
