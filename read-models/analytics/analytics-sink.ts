import type { ClickHouseClient } from '@clickhouse/client'
import { createHash } from 'node:crypto'
import pino, { type Logger } from 'pino'
import type { Registry } from 'prom-client'
import {
  type IncomingRecord,
  type ProjectionBatch,
  type ProjectionSink,
  skippedSummary,
} from '../../streams/index.ts'
import { AnalyticsMetrics } from './analytics-metrics.ts'
import { readTallies, type BookingTally } from './booking-tallies.ts'
import { ClickHouseRetry, type AnalyticsRetryOptions } from './clickhouse-retry.ts'
import { decodeFacts, prefetchSchemas, type AnalyticsSerdes } from './fact-decoding.ts'
import { FACT_COLUMNS, FACT_TABLES, factSourceOf, type FactRow } from './fact-tables.ts'
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

/** An interrupted write of a partition: its range and the token of the group it was written in. */
interface Pending extends Range {
  readonly topic: string
  readonly partition: number
  readonly token: string
}

/**
 * The analytics projection: decodes the domain topics (events, bookings, payments, refunds; catalog views
 * and favorites as JSON) into fact rows, one fact table per topic; materialized views keep the daily
 * aggregates. Feed it with `EmbeddedProjection` or `KafkaProjection` (topics: `analyticsTopics(serdes.topics)`).
 * Every INSERT costs ClickHouse a part in the fact table and in each aggregate table, whatever its size
 * (60–74 ms of CPU for a booking INSERT on chDB, 1 row or 10): the fewer, the cheaper. So the sink
 * writes the batches of a round of the embedded runner (`applyAll`: every partition with new records) as
 * one group, and that runner gives analytics a linger (infra/service.ts); Kafka delivers a partition at a
 * time (`apply`: a group of one).
 *
 * Exactly once, per topic-partition:
 * - `sink_offsets` holds the next offset of the last group written (kind `commit`) per partition; records
 *   below it are skipped, so replays of the topics never count twice.
 * - A group is written as: its `intent` rows (each partition's first and next offset, and the group's
 *   token), the facts in one synchronous INSERT per fact table with the group's deduplication token
 *   (fact table and every dependent materialized view deduplicate on it), then its `commit` rows; each
 *   of the three is one INSERT. The token of one partition's range is `<topic>:<partition>:<first>-<next>`,
 *   of several a digest of those names. A crash between intent and commit leaves the intents; on restart
 *   the sink rewrites exactly those ranges with the same token once each of their partitions has
 *   delivered that far (their newer records wait; other partitions go on), so ClickHouse drops whatever
 *   part had already landed and writes what had not. A committed group is never written again: its token
 *   may have left ClickHouse's deduplication window by the time another instance takes a partition over.
 *   (A group spans partitions only on the embedded runner, which holds them all.)
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
  readonly #pending = new Map<string, Pending>()
  /** Records of partitions with an interrupted write, held until the whole group can be written again. */
  readonly #carry = new Map<string, { records: IncomingRecord[]; next: number }>()
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
    // The booking tallies are read beside the offsets, not after them (their query finds the committed
    // offsets itself): at a start the two answers come back while the main thread is busy elsewhere, and
    // each round trip waited for it.
    const bookingPartitions = partitions
      .filter((p) => p.topic === this.#serdes.topics.bookingEvents)
      .map((p) => p.partition)
    const tallies =
      bookingPartitions.length > 0
        ? this.#retry.run('booking_facts', () =>
            readTallies(this.#client, this.#database, this.#serdes.topics.bookingEvents, bookingPartitions),
          )
        : undefined
    tallies?.catch(() => undefined) // awaited below, after the offsets
    const rows = await this.#retry.run('sink_offsets', async () =>
      (
        await this.#client.query({
          query: `SELECT topic, partition, kind, max(next_offset) AS next, argMax(first_offset, next_offset) AS first,
              argMax(batch_token, next_offset) AS token
            FROM ${this.#database}.sink_offsets WHERE topic IN {topics:Array(String)}
            GROUP BY topic, partition, kind`,
          query_params: { topics },
          format: 'JSONEachRow',
        })
      ).json<{
        topic: string
        partition: number
        kind: string
        next: number
        first: number
        token: string
      }>(),
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
      if (wanted.has(k) && r.kind === 'intent' && Number(r.next) > (result.get(k) ?? 0)) {
        const range = {
          topic: r.topic,
          partition: Number(r.partition),
          first: Number(r.first),
          next: Number(r.next),
        }
        // Rows written before groups carry no token: theirs was the range's name.
        this.#pending.set(k, { ...range, token: r.token !== '' ? r.token : rangeName(range, range) })
      }
    }
    for (const [partition, tally] of (await tallies) ?? [])
      this.#tallies.set(key(this.#serdes.topics.bookingEvents, partition), tally)
    return result
  }

  async apply(batch: ProjectionBatch): Promise<void> {
    await this.applyAll([batch])
  }

  /**
   * Writes the batches of several partitions as one group: one `intent` insert for all of them, one fact
   * INSERT per table, one `commit` insert. An interrupted group is written again exactly (its partitions'
   * ranges, its token) once every one of its partitions has delivered its records that far; until then
   * those partitions' records wait and the other partitions go on.
   */
  async applyAll(batches: readonly ProjectionBatch[]): Promise<void> {
    for (const { topic } of batches)
      if (factSourceOf(this.#serdes.topics, topic) === undefined)
        throw new TypeError(`the analytics sink does not read ${topic}`)
    const unknown = batches.filter((b) => !this.#committed.has(key(b.topic, b.partition)))
    if (unknown.length > 0) await this.loadOffsets(unknown)
    const fresh: Part[] = []
    for (const batch of batches) {
      const k = key(batch.topic, batch.partition)
      const records = batch.records.filter((r) => r.offset >= this.#committed.get(k)!)
      if (this.#pending.has(k)) {
        const carried = this.#carry.get(k)
        this.#carry.set(k, { records: [...(carried?.records ?? []), ...records], next: batch.nextOffset })
      } else if (records.length > 0) fresh.push(partOf(batch, records, batch.nextOffset))
    }
    // Interrupted groups first: a partition's records never overtake its interrupted range.
    for (const token of new Set([...this.#pending.values()].map((p) => p.token))) {
      const members = [...this.#pending].filter(([, p]) => p.token === token)
      if (!members.every(([k, p]) => (this.#carry.get(k)?.next ?? 0) >= p.next)) continue
      const parts = members.map(([k, p]) => {
        const carried = this.#carry.get(k)!
        this.#pending.delete(k)
        this.#carry.delete(k)
        const later = carried.records.filter((r) => r.offset >= p.next)
        if (later.length > 0) fresh.push(partOf(p, later, carried.next))
        return {
          topic: p.topic,
          partition: p.partition,
          records: carried.records.filter((r) => r.offset < p.next),
          range: p,
        }
      })
      await this.#write(parts, token)
    }
    if (fresh.length > 0) await this.#write(fresh, groupToken(fresh))
  }

  /** Ends the backoff of a write in progress (its `apply` rejects); the sink takes no more batches. */
  close(): void {
    this.#retry.close()
  }

  /** Writes a group of partitions' ranges under `token` (intent, facts, commit), then moves the positions. */
  async #write(parts: readonly Part[], token: string): Promise<void> {
    let decoded: Awaited<ReturnType<typeof decodeParts>> | undefined
    // Each step is idempotent (the token), so a retry goes on from the step that failed.
    let done = 0
    await this.#retry.run('analytics', async () => {
      decoded ??= await decodeParts(this.#serdes, this.#tallies, parts)
      const { groups } = decoded
      const tables = [...groups.keys()].sort()
      const position = (kind: 'intent' | 'commit') => () =>
        this.#client.insert({
          table: `${this.#database}.sink_offsets`,
          values: parts.map((p) => ({
            topic: p.topic,
            partition: p.partition,
            kind,
            first_offset: p.range.first,
            next_offset: p.range.next,
            batch_token: token,
          })),
          format: 'JSONEachRow',
          clickhouse_settings: { async_insert: 0 },
        })
      const facts = (table: string) => () =>
        this.#client.insert({
          table: `${this.#database}.${table}`,
          values: groups.get(table)!,
          format: 'JSONCompactEachRow',
          columns: [...FACT_COLUMNS[table]!],
          clickhouse_settings: {
            async_insert: 0,
            insert_deduplicate: 1,
            insert_deduplication_token: tables.length === 1 ? token : `${token}/${table}`,
            deduplicate_blocks_in_dependent_materialized_views: 1,
          },
        })
      const steps = [position('intent'), ...tables.map(facts), position('commit')]
      for (; done < steps.length; done++) await steps[done]!()
    })
    for (const { part, table, rows, skipped, tallies: changed } of decoded!.results) {
      this.metrics.facts.inc({ table }, rows.length)
      this.metrics.batches.inc({ table })
      if (skipped.length > 0) {
        this.metrics.skipped.inc({ topic: part.topic }, skipped.length)
        this.#logger.warn(
          { topic: part.topic, partition: part.partition, skipped: skippedSummary(skipped) },
          'analytics records without a fact skipped',
        )
      }
      const tallies = this.#tallies.get(key(part.topic, part.partition))
      if (tallies !== undefined)
        for (const [bookingId, t] of changed) {
          if (t.seats === 0 && t.confirmedSeats === 0 && t.paidMinor === 0) tallies.delete(bookingId)
          else tallies.set(bookingId, t)
        }
      this.#committed.set(key(part.topic, part.partition), part.range.next)
    }
  }
}

/**
 * The parts' fact rows by table (tables without rows left out), and each part's decoding; booking facts
 * against their partition's tallies (`tallies`, by `topic:partition`).
 */
async function decodeParts(
  serdes: AnalyticsSerdes,
  tallies: ReadonlyMap<string, Map<string, BookingTally>>,
  parts: readonly Part[],
) {
  const groups = new Map<string, FactRow[]>()
  const results = []
  for (const part of parts) {
    await prefetchSchemas(serdes, part.topic, part.records)
    const table = FACT_TABLES[factSourceOf(serdes.topics, part.topic)!]
    const before = tallies.get(key(part.topic, part.partition))
    const result = decodeFacts(serdes, part.topic, part.partition, part.records, before)
    if (result.rows.length > 0) {
      const rows = groups.get(table) ?? []
      for (const row of result.rows) rows.push(row)
      groups.set(table, rows)
    }
    results.push({ part, table, ...result })
  }
  return { groups, results }
}

/** One partition's range in a group write. */
interface Part {
  readonly topic: string
  readonly partition: number
  readonly records: readonly IncomingRecord[]
  readonly range: Range
}

/** A partition's records from the first one's offset up to `next`. */
const partOf = (
  at: { readonly topic: string; readonly partition: number },
  records: readonly IncomingRecord[],
  next: number,
): Part => ({ topic: at.topic, partition: at.partition, records, range: { first: records[0]!.offset, next } })

const rangeName = (at: { readonly topic: string; readonly partition: number }, range: Range): string =>
  `${at.topic}:${at.partition}:${range.first}-${range.next}`

/**
 * The deduplication token of a group: a single partition's range by name (`<topic>:<partition>:<first>-<next>`,
 * the sink's tokens before groups), several partitions' as a digest of their ranges.
 */
function groupToken(parts: readonly Part[]): string {
  if (parts.length === 1) return rangeName(parts[0]!, parts[0]!.range)
  const names = parts.map((p) => rangeName(p, p.range)).sort()
  return `group:${createHash('sha256').update(names.join(',')).digest('hex').slice(0, 40)}`
}
