import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export interface AppProcess {
  readonly child: ChildProcess
  /** Resolves when the process printed {"ready":true}. */
  readonly ready: Promise<void>
  /** Resolves with the exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  readonly stderr: () => string
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
  const ready = new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      if (line.includes('"ready":true')) resolve()
    })
    void exited.then(({ code, signal }) =>
      reject(new Error(`${relativePath} exited (${code ?? signal}) before it was ready:\n${err}`)),
    )
  })
  ready.catch(() => undefined)
  return { child, ready, exited, stderr: () => err }
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
