import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { createClient, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client'
import type { createChdbConnection as CreateChdbConnection } from 'chdb/connection'

/**
 * chDB is loaded on the first chDB client, not with this module: loading its native library costs a
 * second of CPU, which a process that imports the analytics (the API does, for stats and CSV) but has not
 * opened them yet (a restart, before `/readyz`) should not pay.
 */
const require = createRequire(import.meta.url)
const chdbConnection = (): typeof CreateChdbConnection =>
  (require('chdb/connection') as { createChdbConnection: typeof CreateChdbConnection }).createChdbConnection

export type { ClickHouseClient }

/** Where the analytics live: a ClickHouse server over HTTP, or chDB in this process. */
export interface ClickHouseOptions {
  /**
   * A ClickHouse server (`http://user:password@host:8123`), usually `CLICKHOUSE_URL`. When set, the client
   * talks HTTP to it; otherwise it runs on chDB in-process.
   */
  readonly url?: string
  /**
   * chDB only: the folder of a durable chDB session; undefined or `:memory:` is an ephemeral session. chDB
   * runs one engine per process: every `:memory:` client of a process shares it, and a second on-disk path
   * while one is open is refused by chDB.
   */
  readonly path?: string
  /** HTTP only: request timeout, ms. Default 30,000. */
  readonly requestTimeoutMs?: number
}

/**
 * One client, two engines: the code speaks `@clickhouse/client` everywhere; this chooses the connection.
 * Results of 64-bit integers come back as JSON numbers on both engines (callers still pass them through
 * `Number()`, which is exact below 2^53).
 *
 * @example
 *   const client = createClickHouse({ url: config.clickhouseUrl }) // chDB when undefined
 *   await migrate(client, { database: 'aquastream_analytics' })
 */
export function createClickHouse(options: ClickHouseOptions = {}): ClickHouseClient {
  const clickhouse_settings = { output_format_json_quote_64bit_integers: 0 } as const
  if (options.url !== undefined && options.url !== '')
    return createClient({
      url: options.url,
      request_timeout: options.requestTimeoutMs ?? 30_000,
      clickhouse_settings,
    })
  return createClient({
    // chDB implements the Connection contract of @clickhouse/client-common; @clickhouse/client declares an
    // identical copy of those types, which TypeScript treats as distinct.
    connection: chdbConnection()({ path: options.path ?? ':memory:' }) as unknown as NonNullable<
      ClickHouseClientConfigOptions['connection']
    >,
    clickhouse_settings,
  })
}

/**
 * Like `createClickHouse`, but a chDB folder's engine starts in a worker thread first: chDB runs one engine
 * per process and data folder, which a session opened in this thread then joins in tens of ms, where
 * starting it here blocks the event loop for 0.2-0.65 s (loading the library, the tables and their parts;
 * bench/RESULTS.md, issue 8): the first seconds after a restart, when the API already answers. The worker's
 * session closes after this thread's, when the client closes: closed the other way round, chDB crashed or
 * hung this thread's next query.
 */
export async function openClickHouse(options: ClickHouseOptions = {}): Promise<ClickHouseClient> {
  const { path } = options
  if ((options.url !== undefined && options.url !== '') || path === undefined || path === ':memory:')
    return createClickHouse(options)
  const release = await startEngine(path)
  let client: ClickHouseClient
  try {
    client = createClickHouse(options)
  } catch (error) {
    release()
    throw error
  }
  const close = client.close.bind(client)
  client.close = async () => {
    try {
      await close()
    } finally {
      release()
    }
  }
  return client
}

/**
 * The thread that starts chDB engines (`openClickHouse`). It stays for the life of the process, idle
 * between opens and unreferenced: chDB crashes the process when a thread that used it exits.
 */
let engineThread: Worker | undefined
/** Opens run one after the other: each waits for the previous worker session to be closed. */
let engineQueue: Promise<unknown> = Promise.resolve()

const ENGINE_THREAD = `
const { parentPort, workerData } = require('node:worker_threads')
const { Session } = require(workerData.chdb)
let session
parentPort.on('message', (path) => {
  if (path === null) {
    try { session?.close() } finally { session = undefined }
    parentPort.postMessage(null)
    return
  }
  try {
    session = new Session(path)
    parentPort.postMessage(null)
  } catch (error) {
    parentPort.postMessage(String(error))
  }
})
`

/** Sends the engine thread a folder to open (or null: close its session); resolves to its error, if any. */
function engineRequest(path: string | null): Promise<string | null> {
  engineThread ??= new Worker(ENGINE_THREAD, { eval: true, workerData: { chdb: require.resolve('chdb') } })
  const thread = engineThread
  return new Promise<string | null>((resolve, reject) => {
    const failed = (error: Error): void => {
      engineThread = undefined
      reject(error)
    }
    thread.once('error', failed)
    thread.once('message', (answer: string | null) => {
      thread.off('error', failed)
      thread.unref()
      resolve(answer)
    })
    thread.ref()
    thread.postMessage(path)
  })
}

/**
 * Starts the engine of `path` in the engine thread; resolves to the function that closes the thread's
 * session (once this thread's is closed). When the thread cannot open it, this thread's open reports why.
 */
function startEngine(path: string): Promise<() => void> {
  const started = engineQueue.then(() => engineRequest(path)).catch(() => 'not started')
  const closed = Promise.withResolvers<void>()
  engineQueue = started.then(() => closed.promise)
  let released = false
  return started.then((error) => () => {
    if (released) return // a client closed twice
    released = true
    if (error !== null) closed.resolve()
    else
      engineRequest(null).then(
        () => closed.resolve(),
        () => closed.resolve(),
      )
  })
}
