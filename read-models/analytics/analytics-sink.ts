import type { ClickHouseClient } from '@clickhouse/client'
import pino, { type Logger } from 'pino'
import type { Registry } from 'prom-client'
import {
  type IncomingRecord,
  type ProjectionBatch,
  type ProjectionSink,
  skippedSummary,
} from '../../streams/index.ts'
import { AnalyticsMetrics } from './analytics-metrics.ts'
import type { BookingTally } from './booking-tallies.ts'
import { ClickHouseRetry, type AnalyticsRetryOptions } from './clickhouse-retry.ts'
import { decodeFacts, prefetchSchemas, type AnalyticsSerdes } from './fact-decoding.ts'
import { FACT_COLUMNS, FACT_TABLES, factSourceOf } from './fact-tables.ts'
import { checkDatabaseName, DEFAULT_ANALYTICS_DATABASE } from './migrate.ts'

/** What an {@link AnalyticsSink} writes with and to. */
export interface AnalyticsSinkOptions {
  readonly client: ClickHouseClient
  /** Default `aquastream_analytics`; `migrate` must have run on it. */
  readonly database?: string
  readonly serdes: AnalyticsSerdes
  readonly logger?: Logger
  /** The backoff while ClickHouse fails (clickhouse-retry.ts). */
  readonly retry?: AnalyticsRetryOptions
  /** Where the sink's metrics go; default a registry of its own (`sink.metrics.registry`). */
  readonly registry?: Registry
}

const key = (topic: string, partition: number): string => `${topic}:${partition}`

interface Range {
  readonly first: number
  readonly next: number
}

/**
 * The analytics projection: decodes the domain topics (events, bookings, payments, refunds; catalog views
 * and favorites as JSON) into fact rows, one fact table per topic; materialized views keep the daily
 * aggregates. Feed it with `EmbeddedProjection` or `KafkaProjection` (topics: `analyticsTopics(serdes.topics)`); the
 * larger its batches (`maxBatchRecords`), the faster it writes: every INSERT costs ClickHouse a part in the
 * fact table and in each aggregate table, whatever its size.
 *
 * Exactly once, per topic-partition:
 * - `sink_offsets` holds the next offset of the last batch written (kind `commit`); records below it are
 *   skipped, so replays of the topics never count twice.
 * - A batch is written as: an `intent` row (first, next offset), the facts in one synchronous INSERT with
 *   the deduplication token `<topic>:<partition>:<first>-<next>` (fact table and every dependent
 *   materialized view deduplicate on it), then the `commit` row. A crash between intent and commit leaves
 *   the intent; on restart the sink rewrites exactly that range with the same token (waiting for more
 *   records if the first batch after the restart is shorter), so ClickHouse drops whatever part had
 *   already landed and writes what had not. A committed batch is never written again: its token may have
 *   left ClickHouse's deduplication window by the time another instance takes the partition over.
 *
 * Every insert sets the settings it relies on, because a chDB session keeps the settings of earlier
 * queries: `async_insert` off (ClickHouse 26's default buffers inserts, merges them with others and
 * deduplicates by other rules), deduplication on, the batch's token.
 *
 * A failing ClickHouse pauses `apply` (exponential backoff with jitter, forever) and the runner with it;
 * nothing is lost and nothing else waits on it: the booking topology does not read analytics. Errors no
 * retry can fix (SQL, schema, a programming error) are thrown and stop the runner.
 */
export class AnalyticsSink implements ProjectionSink {
  readonly metrics: AnalyticsMetrics
  readonly #client: ClickHouseClient
  readonly #database: string
  readonly #serdes: AnalyticsSerdes
  readonly #logger: Logger
  readonly #retry: ClickHouseRetry
  readonly #committed = new Map<string, number>()
  readonly #pending = new Map<string, Range>()
  readonly #carry = new Map<string, IncomingRecord[]>()
  /** Per booking-topic partition: every booking's tally after the committed facts (all-zero ones left out). */
  readonly #tallies = new Map<string, Map<string, BookingTally>>()

  constructor(options: AnalyticsSinkOptions) {
    this.#client = options.client
    this.#database = checkDatabaseName(options.database ?? DEFAULT_ANALYTICS_DATABASE)
    this.#serdes = options.serdes
    this.#logger = (options.logger ?? pino({ level: 'silent' })).child({ projection: 'analytics' })
    this.metrics = new AnalyticsMetrics(options.registry)
    this.#retry = new ClickHouseRetry(this.metrics, this.#logger, options.retry)
  }

  async loadOffsets(
    partitions: readonly { topic: string; partition: number }[],
  ): Promise<Map<string, number>> {
    const topics = [...new Set(partitions.map((p) => p.topic))]
    const rows = await this.#retry.run('sink_offsets', async () =>
      (
        await this.#client.query({
          query: `SELECT topic, partition, kind, max(next_offset) AS next, argMax(first_offset, next_offset) AS first
            FROM ${this.#database}.sink_offsets WHERE topic IN {topics:Array(String)}
            GROUP BY topic, partition, kind`,
          query_params: { topics },
          format: 'JSONEachRow',
        })
      ).json<{ topic: string; partition: number; kind: string; next: number; first: number }>(),
    )
    const wanted = new Set(partitions.map((p) => key(p.topic, p.partition)))
    const result = new Map<string, number>()
    for (const r of rows) {
      const k = key(r.topic, Number(r.partition))
      if (wanted.has(k) && r.kind === 'commit') result.set(k, Number(r.next))
    }
    for (const k of wanted) {
      this.#committed.set(k, result.get(k) ?? 0)
      this.#pending.delete(k)
      this.#carry.delete(k)
    }
    for (const r of rows) {
      const k = key(r.topic, Number(r.partition))
      if (wanted.has(k) && r.kind === 'intent' && Number(r.next) > (result.get(k) ?? 0))
        this.#pending.set(k, { first: Number(r.first), next: Number(r.next) })
    }
    const bookingPartitions = partitions
      .filter((p) => p.topic === this.#serdes.topics.bookingEvents)
      .map((p) => ({ partition: p.partition, committed: result.get(key(p.topic, p.partition)) ?? 0 }))
    if (bookingPartitions.length > 0) await this.#loadTallies(bookingPartitions)
    return result
  }

  /**
   * The booking tallies of partitions of the booking topic, as of their committed offsets: the sums of the
   * deltas stored with the facts below them (facts at or above belong to an interrupted batch, which is
   * written again).
   */
  async #loadTallies(partitions: readonly { partition: number; committed: number }[]): Promise<void> {
    for (const p of partitions)
      this.#tallies.set(key(this.#serdes.topics.bookingEvents, p.partition), new Map())
    const withFacts = partitions.filter((p) => p.committed > 0)
    if (withFacts.length === 0) return
    const rows = await this.#retry.run('booking_facts', async () =>
      (
        await this.#client.query({
          query: `SELECT source_partition AS partition, booking_id AS bookingId, sum(seats_delta) AS seats,
              sum(confirmed_seats_delta) AS confirmedSeats, sum(paid_delta_minor) AS paidMinor
            FROM ${this.#database}.booking_facts FINAL
            WHERE source_partition IN {partitions:Array(UInt32)} AND booking_id != ''
              AND source_offset < {committed:Array(UInt64)}[indexOf({partitions:Array(UInt32)}, source_partition)]
            GROUP BY source_partition, booking_id
            HAVING seats != 0 OR confirmedSeats != 0 OR paidMinor != 0`,
          query_params: {
            partitions: withFacts.map((p) => p.partition),
            committed: withFacts.map((p) => p.committed),
          },
          format: 'JSONCompactEachRow',
        })
      ).json<[number, string, number | string, number | string, number | string]>(),
    )
    for (const [partition, bookingId, seats, confirmedSeats, paidMinor] of rows)
      this.#tallies.get(key(this.#serdes.topics.bookingEvents, Number(partition)))!.set(bookingId, {
        seats: Number(seats),
        confirmedSeats: Number(confirmedSeats),
        paidMinor: Number(paidMinor),
      })
  }

  async apply(batch: ProjectionBatch): Promise<void> {
    const { topic, partition } = batch
    if (factSourceOf(this.#serdes.topics, topic) === undefined)
      throw new TypeError(`the analytics sink does not read ${topic}`)
    const k = key(topic, partition)
    if (!this.#committed.has(k)) await this.loadOffsets([{ topic, partition }])
    const committed = this.#committed.get(k)!
    let records = batch.records.filter((r) => r.offset >= committed)
    const pending = this.#pending.get(k)
    if (pending !== undefined) {
      // Rewrite the interrupted batch exactly, with its token, before anything newer.
      const carried = [...(this.#carry.get(k) ?? []), ...records]
      if (batch.nextOffset < pending.next) {
        this.#carry.set(k, carried)
        return
      }
      this.#carry.delete(k)
      await this.#write(
        topic,
        partition,
        carried.filter((r) => r.offset < pending.next),
        pending,
      )
      this.#pending.delete(k)
      records = carried.filter((r) => r.offset >= pending.next)
    }
    if (records.length === 0) return
    await this.#write(topic, partition, records, { first: records[0]!.offset, next: batch.nextOffset })
  }

  /** Ends the backoff of a write in progress (its `apply` rejects); the sink takes no more batches. */
  close(): void {
    this.#retry.close()
  }

  async #write(topic: string, partition: number, records: readonly IncomingRecord[], range: Range) {
    const table = FACT_TABLES[factSourceOf(this.#serdes.topics, topic)!]
    const token = `${topic}:${partition}:${range.first}-${range.next}`
    const tallies = this.#tallies.get(key(topic, partition))
    const changed = await this.#retry.run(table, async () => {
      await prefetchSchemas(this.#serdes, topic, records)
      const decoded = decodeFacts(this.#serdes, topic, partition, records, tallies)
      const { rows, skipped } = decoded
      const position = (kind: 'intent' | 'commit') =>
        this.#client.insert({
          table: `${this.#database}.sink_offsets`,
          values: [{ topic, partition, kind, first_offset: range.first, next_offset: range.next }],
          format: 'JSONEachRow',
          clickhouse_settings: { async_insert: 0 },
        })
      await position('intent')
      if (rows.length > 0)
        await this.#client.insert({
          table: `${this.#database}.${table}`,
          values: rows,
          format: 'JSONCompactEachRow',
          columns: [...FACT_COLUMNS[table]!],
          clickhouse_settings: {
            async_insert: 0,
            insert_deduplicate: 1,
            insert_deduplication_token: token,
            deduplicate_blocks_in_dependent_materialized_views: 1,
          },
        })
      await position('commit')
      this.metrics.facts.inc({ table }, rows.length)
      this.metrics.batches.inc({ table })
      if (skipped.length > 0) {
        this.metrics.skipped.inc({ topic }, skipped.length)
        this.#logger.warn(
          { topic, partition, skipped: skippedSummary(skipped) },
          'analytics records without a fact skipped',
        )
      }
      return decoded.tallies
    })
    if (tallies !== undefined)
      for (const [bookingId, t] of changed) {
        if (t.seats === 0 && t.confirmedSeats === 0 && t.paidMinor === 0) tallies.delete(bookingId)
        else tallies.set(bookingId, t)
      }
    this.#committed.set(key(topic, partition), range.next)
  }
}
