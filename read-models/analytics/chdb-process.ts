import { type ChildProcess, fork } from 'node:child_process'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { ClickHouseError } from '@clickhouse/client'
import type {
  Connection,
  ConnBaseQueryParams,
  ConnCommandResult,
  ConnExecParams,
  ConnExecResult,
  ConnInsertParams,
  ConnInsertResult,
  ConnPingParams,
  ConnPingResult,
  ConnQueryResult,
} from 'chdb/connection'
import type { ChdbProcessError, ChdbProcessMessage } from './chdb-process-child.ts'

const CHILD = fileURLToPath(new URL('./chdb-process-child.ts', import.meta.url))

export interface ChdbProcessOptions {
  /** The session's data folder. */
  readonly path: string
  /** How long the process keeps trying to open a folder another process still holds, ms. Default 10,000. */
  readonly openTimeoutMs?: number
  /**
   * The process's environment. Default none: this process's holds the service's secrets, which chDB has no
   * use for (the service passes `helperProcessEnv()`, infra/config.ts).
   */
  readonly env?: NodeJS.ProcessEnv
  /** Told when the process ends unasked (it crashed, or was killed); the next call starts another. */
  readonly onExit?: (how: { code: number | null; signal: NodeJS.Signals | null }) => void
}

interface Running {
  readonly child: ChildProcess
  readonly opened: Promise<void>
  readonly pending: Map<number, { resolve(result: unknown): void; reject(error: Error): void }>
  /** Calls in progress, waiting for the open or for their answer: the channel keeps this process alive. */
  busy: number
}

/**
 * The `@clickhouse/client` Connection of an on-disk chDB session in a child process of its own. In this
 * process chDB's engine opens synchronously (a third of a second of the main thread, in front of `/readyz`
 * at every start), and its threads share the process with the service's; in a child it opens while the
 * service starts, and the main thread only passes statements and results over the channel. (chDB in a
 * worker thread crashes the process: one engine per process.)
 *
 * The process starts with the connection. Should it end unasked, the calls it had fail (as on a ClickHouse
 * server going down: the analytics sink retries) and the next call starts another. It ends with this
 * process, however this one ends.
 */
export class ChdbProcessConnection implements Connection<Readable> {
  readonly #options: ChdbProcessOptions
  #running: Running | undefined
  #nextId = 0
  #closed = false

  constructor(options: ChdbProcessOptions) {
    this.#options = options
    this.#running = this.#start()
    this.#running.opened.catch(() => undefined) // a failed open fails the first call
  }

  /** The process's ID while one runs (it starts again on the next call after it ended). */
  get pid(): number | undefined {
    return this.#running?.child.pid
  }

  async query(params: ConnBaseQueryParams): Promise<ConnQueryResult<Readable>> {
    return withStream(await this.#call('query', params))
  }

  async exec(params: ConnExecParams<Readable>): Promise<ConnExecResult<Readable>> {
    const { values, ...rest } = params
    return withStream(
      await this.#call('exec', values === undefined ? rest : { ...rest, values: await textOf(values) }),
    )
  }

  async command(params: ConnBaseQueryParams): Promise<ConnCommandResult> {
    return (await this.#call('command', params)) as ConnCommandResult
  }

  async insert(params: ConnInsertParams<Readable>): Promise<ConnInsertResult> {
    return (await this.#call('insert', {
      ...params,
      values: await textOf(params.values),
    })) as ConnInsertResult
  }

  async ping(params: ConnPingParams): Promise<ConnPingResult> {
    try {
      return (await this.#call('ping', params)) as ConnPingResult
    } catch (error) {
      return { success: false, error: error as Error }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const running = this.#running
    if (running === undefined) return
    const exited = new Promise((resolve) => running.child.once('exit', resolve))
    if (running.child.exitCode === null && running.child.signalCode === null) {
      keepAlive(running.child, true) // this process waits for the close
      await running.opened.then(
        () => this.#send(running, 'close', {}),
        () => undefined,
      )
      await exited
    }
  }

  #start(): Running {
    const child = fork(CHILD, [this.#options.path, String(this.#options.openTimeoutMs ?? 10_000)], {
      serialization: 'advanced',
      execArgv: [],
      env: this.#options.env ?? {},
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    // Neither the process nor its channel keeps this one alive; a call in progress does (#call).
    keepAlive(child, false)
    const pending: Running['pending'] = new Map()
    let opening: { resolve(): void; reject(error: Error): void } | undefined
    const opened = new Promise<void>((resolve, reject) => (opening = { resolve, reject }))
    child.on('message', (message: ChdbProcessMessage) => {
      if ('opened' in message) return opening!.resolve()
      if ('openFailed' in message) return opening!.reject(errorOf(message.openFailed))
      const call = pending.get(message.id)
      if (call === undefined) return // aborted
      if ('error' in message) call.reject(errorOf(message.error))
      else call.resolve(message.result)
    })
    const end = (error: Error): void => {
      opening!.reject(error)
      for (const call of pending.values()) call.reject(error)
      pending.clear()
      if (this.#running?.child === child) this.#running = undefined
    }
    // A process that could not be started: its calls fail with why, and the next call starts another.
    child.on('error', end)
    child.once('exit', (code, signal) => {
      end(new Error(`the chDB process exited (${signal ?? code}) before it answered`))
      if (!this.#closed) this.#options.onExit?.({ code, signal })
    })
    return { child, opened, pending, busy: 0 }
  }

  async #call(op: string, params: object): Promise<unknown> {
    if (this.#closed) throw new Error('the chDB connection is closed')
    const running = (this.#running ??= this.#start())
    if (running.busy++ === 0) keepAlive(running.child, true)
    try {
      await running.opened
      return await this.#send(running, op, params)
    } finally {
      if (--running.busy === 0) keepAlive(running.child, false)
    }
  }

  #send(running: Running, op: string, params: object): Promise<unknown> {
    // An AbortSignal cannot cross the channel: an abort stops the wait here, not the statement there.
    const { abort_signal: signal, ...rest } = params as { abort_signal?: AbortSignal }
    signal?.throwIfAborted()
    const id = ++this.#nextId
    return new Promise((resolve, reject) => {
      const onAbort = () => running.pending.get(id)?.reject(signal!.reason as Error)
      signal?.addEventListener('abort', onAbort, { once: true })
      const settle =
        <T>(f: (value: T) => void) =>
        (value: T) => {
          signal?.removeEventListener('abort', onAbort)
          running.pending.delete(id)
          f(value)
        }
      running.pending.set(id, { resolve: settle(resolve), reject: settle(reject) })
      // A message that cannot go (the process just ended) fails its call, not this process.
      running.child.send({ id, op, params: rest }, (error) => {
        if (error !== null) running.pending.get(id)?.reject(error)
      })
    })
  }
}

/**
 * Whether the child keeps this process's event loop running: its channel (for the answers) and its process
 * (for its exit, should it die first: the channel closes before the exit is told).
 */
function keepAlive(child: ChildProcess, yes: boolean): void {
  if (yes) {
    child.ref()
    child.channel?.ref()
  } else {
    child.unref()
    child.channel?.unref()
  }
}

/** The ClickHouseError chDB threw in the child, or an Error of the same message. */
function errorOf(error: ChdbProcessError): Error {
  if (error.code !== undefined && error.type !== undefined)
    return new ClickHouseError({ message: error.message, code: error.code, type: error.type })
  return Object.assign(new Error(error.message), { name: error.name })
}

async function textOf(values: string | Readable): Promise<string> {
  if (typeof values === 'string') return values
  let text = ''
  for await (const chunk of values)
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8')
  return text
}

function withStream<T>(result: unknown): T {
  const { stream, ...rest } = result as { stream: Uint8Array }
  const bytes = Buffer.from(stream.buffer, stream.byteOffset, stream.byteLength)
  const readable = new Readable({
    read() {
      this.push(bytes)
      this.push(null)
    },
  })
  // `ResultSet.close()` destroys an unread stream with an error; nothing else can fail it (as chDB's own).
  readable.on('error', () => undefined)
  return { ...rest, stream: readable } as T
}
