/**
 * The chDB process (chdb-process.ts forks it): holds the chDB session of one data folder and runs what its
 * parent sends over the IPC channel, `{ id, op, params }` → `{ id, result }` or `{ id, error }`, where `op`
 * is a method of the `@clickhouse/client` Connection contract and a result's stream comes back as its bytes.
 *
 * argv: the folder, and how long to keep trying to open it (ms): after its service was killed, the chDB
 * process of the last run holds the folder's lock until it has seen its parent go (milliseconds).
 */
import { createRequire } from 'node:module'
import type { Readable } from 'node:stream'
import type { Connection, createChdbConnection as CreateChdbConnection } from 'chdb/connection'

/** What crosses the channel for a failure: enough to make the same ClickHouseError on the other side. */
export interface ChdbProcessError {
  readonly name: string
  readonly message: string
  readonly code?: string
  readonly type?: string
}

export type ChdbProcessMessage =
  | { readonly opened: true }
  | { readonly openFailed: ChdbProcessError }
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: ChdbProcessError }

const send = (message: ChdbProcessMessage, then?: () => void): void => {
  process.send!(message, undefined, {}, then)
}
const errorOf = (error: unknown): ChdbProcessError => {
  const { name, message, code, type } = error as Partial<ChdbProcessError>
  return {
    name: name ?? 'Error',
    message: message ?? String(error),
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof type === 'string' ? { type } : {}),
  }
}

// The parent gone, however it went (SIGKILL too): so does this process, at once and by SIGKILL, leaving the
// folder as a kill of the in-process engine would, with nothing to wait for. An exit runs chDB's own
// shutdown first; once, in the analytics kill test, a killed parent's folder stayed locked for over 5 s
// against its next run (not seen again, nor in six kills mid-insert timed by hand: reopened in ~0.25 s).
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'))

const require = createRequire(import.meta.url)
const { createChdbConnection } = require('chdb/connection') as {
  createChdbConnection: typeof CreateChdbConnection
}
const [path = '', openTimeout = '10000'] = process.argv.slice(2)
const deadline = Date.now() + Number(openTimeout)
let connection: Connection<Readable> | undefined
while (connection === undefined) {
  try {
    connection = createChdbConnection({ path })
  } catch (error) {
    if (Date.now() >= deadline) {
      send({ openFailed: errorOf(error) }, () => process.exit(1))
      await new Promise(() => undefined)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
const chdb = connection
send({ opened: true })

type Op = 'query' | 'exec' | 'command' | 'insert' | 'ping'
process.on('message', (message: { id: number; op: Op | 'close'; params: never }) => {
  const { id, op, params } = message
  if (op === 'close') {
    void chdb.close().then(() => send({ id, result: {} }, () => process.exit(0)))
    return
  }
  chdb[op](params).then(
    async (result: object) => {
      if (!('stream' in result)) return send({ id, result })
      const chunks: Buffer[] = []
      for await (const chunk of result.stream as Readable) chunks.push(chunk as Buffer)
      send({ id, result: { ...result, stream: Buffer.concat(chunks) } })
    },
    (error: unknown) => send({ id, error: errorOf(error) }),
  )
})
