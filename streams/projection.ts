import { randomUUID } from 'node:crypto'
import type { Kafka } from 'kafkajs'
import { logLevel, type Consumer, type KafkaConfig } from 'kafkajs'
import pino, { type Logger } from 'pino'
import type { EmbeddedLog } from './embedded/log.ts'
import type { IncomingRecord } from './task.ts'
import { createKafka } from './kafka/client.ts'

/** One partition's new records, delivered in order. */
export interface ProjectionBatch {
  readonly topic: string
  readonly partition: number
  readonly records: readonly IncomingRecord[]
  /** The offset to store with the batch's effects: the next one to read. */
  readonly nextOffset: number
}

/**
 * A read model fed from topics: the catalog in Postgres, the facts in
 * ClickHouse. It keeps its own position: `apply` stores the batch's effects
 * and `nextOffset` atomically (one database transaction, or idempotent
 * inserts keyed by topic-partition-offset), and `loadOffsets` reads the
 * positions back, so restarts and replays never apply a record twice.
 */
export interface ProjectionSink {
  /** Next offsets stored per `topic:partition` (absent: start from the beginning). */
  loadOffsets(partitions: readonly { topic: string; partition: number }[]): Promise<Map<string, number>>
  apply(batch: ProjectionBatch): Promise<void>
  /**
   * Optional: stores the batches of several partitions (at most one per partition) as one unit, all or
   * nothing, as `apply` stores one. A sink whose every transaction has a fixed cost (recounts, offsets)
   * pays it once per round of the runner instead of once per partition: under a steady trickle of
   * records spread over many partitions, the batches are a record or two each and that cost is most of
   * the work. Runners that see several partitions at once (the embedded one) use it when present.
   */
  applyAll?(batches: readonly ProjectionBatch[]): Promise<void>
}

/** A record a sink could not use (a tombstone, undecodable bytes, a broken contract) and why. */
export interface SkippedRecord {
  readonly offset: number
  readonly reason: string
}

/**
 * One log entry's worth of a batch's skipped records: how many, the offset range, and each distinct reason
 * with its count (the first 5). A topic full of foreign bytes then logs a line per batch, not per record.
 */
export function skippedSummary(skipped: readonly SkippedRecord[]): {
  count: number
  firstOffset: number | undefined
  lastOffset: number | undefined
  reasons: { reason: string; count: number; firstOffset: number }[]
} {
  const reasons = new Map<string, { reason: string; count: number; firstOffset: number }>()
  for (const { offset, reason } of skipped) {
    const seen = reasons.get(reason)
    if (seen === undefined) reasons.set(reason, { reason, count: 1, firstOffset: offset })
    else seen.count++
  }
  return {
    count: skipped.length,
    firstOffset: skipped[0]?.offset,
    lastOffset: skipped[skipped.length - 1]?.offset,
    reasons: [...reasons.values()].slice(0, 5),
  }
}

/** Follows topics into a sink, on Kafka or on the embedded log. */
export interface ProjectionRunner {
  start(): Promise<void>
  close(): Promise<void>
  /** Resolves when every partition has been applied up to the end offsets measured at the call. */
  caughtUp(timeoutMs?: number): Promise<void>
}

export interface ProjectionOptions {
  readonly name: string
  readonly topics: readonly string[]
  readonly sink: ProjectionSink
  readonly logger?: Logger
  /** Records per delivered batch at most. Default 2000. */
  readonly maxBatchRecords?: number
  /**
   * Embedded runner only: the least time, ms, from the start of one round to the start of the next
   * (default 0: the next round starts as soon as records are there). Records that arrive meanwhile wait
   * for the next round, so a sink whose every write has a large fixed cost and whose readers can wait
   * (analytics) writes a few large rounds instead of many small ones, and catches up a backlog at no more
   * than `maxBatchRecords` per linger.
   */
  readonly lingerMs?: number
}

const key = (topic: string, partition: number): string => `${topic}:${partition}`

/** Follows the embedded log: polls on every append. */
export class EmbeddedProjection implements ProjectionRunner {
  readonly #log: EmbeddedLog
  readonly #options: ProjectionOptions
  readonly #positions = new Map<string, number>()
  #unsubscribe: (() => void) | undefined
  #running = false
  #pumping: Promise<void> | undefined
  #again = false
  #failure: unknown
  /** Rounds of `#pump` so far (where the next one starts). */
  #round = 0
  /** When the last round started (`performance.now()`), and how to end a linger early (close). */
  #roundStarted = Number.NEGATIVE_INFINITY
  #endLinger: (() => void) | undefined

  constructor(log: EmbeddedLog, options: ProjectionOptions) {
    this.#log = log
    this.#options = options
  }

  #partitions(): { topic: string; partition: number }[] {
    return this.#options.topics.flatMap((topic) =>
      Array.from({ length: this.#log.partitions(topic) }, (_, partition) => ({ topic, partition })),
    )
  }

  async start(): Promise<void> {
    const partitions = this.#partitions()
    const stored = await this.#options.sink.loadOffsets(partitions)
    for (const { topic, partition } of partitions)
      this.#positions.set(
        key(topic, partition),
        stored.get(key(topic, partition)) ?? this.#log.startOffset(topic, partition),
      )
    this.#running = true
    this.#unsubscribe = this.#log.onAppend(() => this.#wake())
    this.#wake()
  }

  #wake(): void {
    if (!this.#running) return
    if (this.#pumping !== undefined) {
      this.#again = true
      return
    }
    this.#pumping = this.#pump()
      .catch((error: unknown) => {
        this.#failure = error
        ;(this.#options.logger ?? pino({ level: 'silent' })).error(
          { err: error, projection: this.#options.name },
          'projection failed',
        )
      })
      .finally(() => {
        this.#pumping = undefined
        if (this.#again && this.#running && this.#failure === undefined) {
          this.#again = false
          this.#wake()
        }
      })
  }

  /**
   * Applies what the partitions hold beyond the positions, round after round until nothing is left. With
   * `applyAll`, a round is one call for every partition with new records, `maxBatchRecords` in all;
   * without it, one `apply` per partition of at most `maxBatchRecords` each.
   */
  async #pump(): Promise<void> {
    const max = this.#options.maxBatchRecords ?? 2000
    const applyAll = this.#options.sink.applyAll?.bind(this.#options.sink)
    let progressed = true
    while (progressed && this.#running) {
      await this.#linger()
      if (!this.#running) return
      this.#roundStarted = performance.now()
      progressed = false
      const round: ProjectionBatch[] = []
      let budget = max
      // Each round starts one partition further, so a partition with a long backlog cannot starve the rest.
      const partitions = this.#partitions()
      const first = partitions.length === 0 ? 0 : this.#round++ % partitions.length
      for (let i = 0; i < partitions.length && budget > 0; i++) {
        const { topic, partition } = partitions[(first + i) % partitions.length]!
        const limit = applyAll === undefined ? max : budget
        const stored = this.#log.read(topic, partition, this.#positions.get(key(topic, partition))!, limit)
        if (stored.length === 0) continue
        const batch: ProjectionBatch = {
          topic,
          partition,
          records: stored.map((r) => ({ ...r, topic, partition })),
          nextOffset: stored[stored.length - 1]!.offset + 1,
        }
        if (applyAll === undefined) {
          await this.#options.sink.apply(batch)
          this.#positions.set(key(topic, partition), batch.nextOffset)
        } else {
          round.push(batch)
          budget -= stored.length
        }
        progressed = true
      }
      if (round.length === 0) continue
      await applyAll!(round)
      for (const batch of round) this.#positions.set(key(batch.topic, batch.partition), batch.nextOffset)
    }
  }

  /** Waits out `lingerMs` from the start of the last round (ended early by `close`). */
  async #linger(): Promise<void> {
    const wait = this.#roundStarted + (this.#options.lingerMs ?? 0) - performance.now()
    if (wait <= 0) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait)
      this.#endLinger = () => {
        clearTimeout(timer)
        resolve()
      }
    })
    this.#endLinger = undefined
  }

  async caughtUp(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    const targets = this.#partitions().map((p) => ({ ...p, end: this.#log.endOffset(p.topic, p.partition) }))
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure
      if (targets.every((t) => (this.#positions.get(key(t.topic, t.partition)) ?? 0) >= t.end)) return
      if (Date.now() > deadline)
        throw new Error(`projection ${this.#options.name} did not catch up in ${timeoutMs} ms`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  async close(): Promise<void> {
    this.#running = false
    this.#unsubscribe?.()
    this.#endLinger?.()
    await this.#pumping
  }
}

export interface KafkaProjectionOptions extends ProjectionOptions {
  readonly brokers: readonly string[]
  /** Consumer group of the projection (its instances share the partitions). */
  readonly groupId: string
  readonly kafka?: Omit<KafkaConfig, 'brokers' | 'clientId'>
  readonly partitionsConsumedConcurrently?: number
}

/**
 * Follows Kafka topics (read_committed) in a consumer group. Positions come
 * from the sink, never from the group's committed offsets: on every
 * assignment the runner seeks each partition to the offset the sink stored.
 */
export class KafkaProjection implements ProjectionRunner {
  readonly #options: KafkaProjectionOptions
  readonly #kafka: Kafka
  readonly #positions = new Map<string, number>()
  #consumer: Consumer | undefined
  #positioned: Promise<void> = Promise.resolve()
  #assigned: { topic: string; partition: number }[] = []
  #failure: unknown

  constructor(options: KafkaProjectionOptions) {
    this.#options = options
    this.#kafka = createKafka({
      ...options.kafka,
      brokers: [...options.brokers],
      clientId: `${options.groupId}-${randomUUID().slice(0, 8)}`,
      logLevel: logLevel.ERROR,
    })
  }

  async start(): Promise<void> {
    const consumer = this.#kafka.consumer({
      groupId: this.#options.groupId,
      readUncommitted: false,
      maxWaitTimeInMs: 50,
      allowAutoTopicCreation: false,
    })
    this.#consumer = consumer
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const assigned = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => ({ topic, partition })),
      )
      this.#assigned = assigned
      this.#positioned = this.#options.sink.loadOffsets(assigned).then(async (stored) => {
        this.#positions.clear()
        const unknown: { topic: string; partition: number }[] = []
        for (const { topic, partition } of assigned) {
          const offset = stored.get(key(topic, partition))
          if (offset === undefined) {
            unknown.push({ topic, partition })
            continue
          }
          this.#positions.set(key(topic, partition), offset)
          consumer.seek({ topic, partition, offset: String(offset) })
        }
        // Where the sink stored nothing, the consumer starts at the group's committed offset (if one was
        // seeded) or at the beginning: that is the position until a batch moves it.
        if (unknown.length > 0) await this.#groupPositions(unknown)
      })
      this.#positioned.catch((error: unknown) => (this.#failure = error))
    })
    // A batch of only control records or aborted data never reaches eachBatch; it still moves the position
    // (it holds no data, so moving over it can never skip a record).
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize !== 0) return
      const k = key(payload.topic, payload.partition)
      const next = Number(payload.lastOffset) + 1
      if (next > (this.#positions.get(k) ?? 0)) this.#positions.set(k, next)
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [...this.#options.topics], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#options.partitionsConsumedConcurrently ?? 4,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isStale }) => {
        await this.#positioned
        if (isStale()) return
        const k = key(batch.topic, batch.partition)
        const from = this.#positions.get(k) ?? 0
        const max = this.#options.maxBatchRecords ?? 2000
        const fresh = batch.messages.filter((m) => Number(m.offset) >= from)
        for (let i = 0; i < fresh.length; i += max) {
          const slice = fresh.slice(i, i + max)
          const records = slice.map((m): IncomingRecord => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: Number(m.offset),
            key: m.key,
            value: m.value,
            timestamp: Number(m.timestamp),
            headers: m.headers as IncomingRecord['headers'],
          }))
          const nextOffset = records[records.length - 1]!.offset + 1
          await this.#options.sink.apply({
            topic: batch.topic,
            partition: batch.partition,
            records,
            nextOffset,
          })
          this.#positions.set(k, nextOffset)
          resolveOffset(slice[slice.length - 1]!.offset)
          await heartbeat()
        }
        // Control records and aborted data at the end of a batch still move the position.
        const last = Number(batch.lastOffset()) + 1
        if (last > (this.#positions.get(k) ?? 0)) this.#positions.set(k, last)
      },
    })
  }

  async #groupPositions(partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    const admin = this.#kafka.admin()
    await admin.connect()
    try {
      const topics = [...new Set(partitions.map((p) => p.topic))]
      for (const t of await admin.fetchOffsets({ groupId: this.#options.groupId, topics }))
        for (const p of t.partitions) {
          const k = key(t.topic, p.partition)
          const offset = Number(p.offset)
          if (
            offset >= 0 &&
            !this.#positions.has(k) &&
            partitions.some((q) => key(q.topic, q.partition) === k)
          )
            this.#positions.set(k, offset)
        }
    } finally {
      await admin.disconnect()
    }
  }

  async caughtUp(timeoutMs = 30_000): Promise<void> {
    const admin = this.#kafka.admin()
    await admin.connect()
    const ends = new Map<string, number>()
    try {
      for (const topic of this.#options.topics)
        for (const o of await admin.fetchTopicOffsets(topic))
          ends.set(key(topic, o.partition), Number(o.high))
    } finally {
      await admin.disconnect()
    }
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure
      const behind = [...ends].filter(([k, end]) => end > 0 && (this.#positions.get(k) ?? 0) < end)
      const mine = new Set(this.#assigned.map((p) => key(p.topic, p.partition)))
      if (behind.every(([k]) => !mine.has(k)) && this.#assigned.length > 0) return
      if (Date.now() > deadline)
        throw new Error(`projection ${this.#options.name} did not catch up in ${timeoutMs} ms`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  async close(): Promise<void> {
    await this.#consumer?.disconnect()
  }
}

/** Where a projection reads: the embedded log, or Kafka brokers in a consumer group. */
export type ProjectionSource =
  | { readonly log: EmbeddedLog }
  | {
      readonly brokers: readonly string[]
      readonly groupId: string
      readonly kafka?: Omit<KafkaConfig, 'brokers' | 'clientId'>
    }

/** The runner that follows `source`: an EmbeddedProjection on the log, a KafkaProjection on brokers. */
export function projectionOf(source: ProjectionSource, options: ProjectionOptions): ProjectionRunner {
  if ('log' in source) return new EmbeddedProjection(source.log, options)
  return new KafkaProjection({
    ...options,
    brokers: source.brokers,
    groupId: source.groupId,
    ...(source.kafka ? { kafka: source.kafka } : {}),
  })
}
