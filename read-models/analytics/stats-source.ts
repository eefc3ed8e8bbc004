import type { ClickHouseClient } from '@clickhouse/client'
import { checkDatabaseName, DEFAULT_ANALYTICS_DATABASE } from './migrate.ts'

/** What every stats query reads with: the checked database name and a SELECT of typed rows. */
export interface StatsSource {
  /** The analytics database, checked as an identifier (it is spliced into the SQL). */
  readonly db: string
  /** Rows of `query` with `params`; integers come back as numbers. */
  select<T>(query: string, params: Record<string, unknown>): Promise<T[]>
  /** The wall clock, epoch ms (whether an event has ended: its no-shows). */
  now(): number
}

// ClickHouse's JSON formats quote 64-bit integers (sums are UInt64/Int64) so that JavaScript loses no
// precision; the figures here stay far below 2^53, so integer text is turned back into numbers.
const numeric = <T>(row: Record<string, unknown>): T =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v]),
  ) as T

/** A {@link StatsSource} on `client` (database default `aquastream_analytics`). */
export function statsSource(options: {
  client: ClickHouseClient
  database?: string
  now?: () => number
}): StatsSource {
  const { client } = options
  return {
    now: options.now ?? Date.now,
    db: checkDatabaseName(options.database ?? DEFAULT_ANALYTICS_DATABASE),
    select: async <T>(query: string, params: Record<string, unknown>): Promise<T[]> =>
      (
        await (
          await client.query({ query, query_params: params, format: 'JSONEachRow' })
        ).json<Record<string, unknown>>()
      ).map((r) => numeric<T>(r)),
  }
}
