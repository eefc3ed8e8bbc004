import { createRequire } from 'node:module'
import { createClient, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client'
import type { createChdbConnection as CreateChdbConnection } from 'chdb/connection'
import { ChdbProcessConnection, type ChdbProcessOptions } from './chdb-process.ts'

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
   * chDB only: the folder of a durable chDB session, run in a child process of its own (chdb-process.ts);
   * undefined or `:memory:` is an ephemeral session in this process (every `:memory:` client of a process
   * shares it).
   */
  readonly path?: string
  /** HTTP only: request timeout, ms. Default 30,000. */
  readonly requestTimeoutMs?: number
  /** On-disk chDB only: told when its process ends unasked (the next call starts another). */
  readonly onEngineExit?: ChdbProcessOptions['onExit']
  /** On-disk chDB only: its process's environment (default none). */
  readonly engineEnv?: ChdbProcessOptions['env']
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
  const path = options.path ?? ':memory:'
  const connection =
    path === ':memory:'
      ? chdbConnection()({ path })
      : new ChdbProcessConnection({
          path,
          ...(options.onEngineExit === undefined ? {} : { onExit: options.onEngineExit }),
          ...(options.engineEnv === undefined ? {} : { env: options.engineEnv }),
        })
  return createClient({
    // chDB implements the Connection contract of @clickhouse/client-common; @clickhouse/client declares an
    // identical copy of those types, which TypeScript treats as distinct.
    connection: connection as unknown as NonNullable<ClickHouseClientConfigOptions['connection']>,
    clickhouse_settings,
  })
}
