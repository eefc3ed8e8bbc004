import type { Logger } from 'pino'
import { RuntimeError, StreamsFatalError, TopologyError } from '../errors.ts'
import { DLQ_HEADERS } from '../exception-handlers.ts'
import { StreamsMetrics } from '../metrics.ts'
import { resolveStreamsConfig, type ResolvedStreamsConfig, type StreamsConfig } from '../streams-config.ts'
import { allTaskIds, createTask } from '../task-factory.ts'
import type { OutgoingRecord, StreamTask } from '../task.ts'
import type { StateStore } from '../state-store.ts'
import type { Topology } from '../topology.ts'
import type { OffsetCommit } from './journal-codec.ts'
import type { EmbeddedLog } from './log.ts'

export interface EmbeddedStreamsConfig extends StreamsConfig {
  /** The log this instance reads and writes (durable in a folder, or in memory). */
  readonly log: EmbeddedLog
  /** Records read from one partition per round. Default 500. */
  readonly maxPollRecords?: number
  /**
   * Commit at the latest after this many input records, even within the commit interval: keeps a
   * commit's journal frame small while the input is saturated (outputs and changed state are still
   * in the CPU caches when the commit encodes them, and fewer wait in memory). Default 500.
   */
  readonly commitMaxRecords?: number
}

/** Kafka Streams' states, as far as they apply. */
export type StreamsState =
  'CREATED' | 'REBALANCING' | 'RUNNING' | 'PENDING_SHUTDOWN' | 'NOT_RUNNING' | 'ERROR'

/**
 * Runs a topology on the embedded log: every task in this process, the same
 * StreamTask code as on Kafka. A commit appends the outputs, changelog records
 * and input positions of all tasks as one journal frame, so a crash anywhere
 * leaves either all of a round or none of it: exactly once, like Kafka's
 * transactions. Stores restore from their changelog topics at start.
 *
 * `start` runs it in the background; the TestDriver drives it by hand through
 * `startSync` and `runUntilIdle`.
 */
export class EmbeddedStreams {
  readonly metrics: StreamsMetrics
  readonly #topology: Topology
  readonly #config: ResolvedStreamsConfig
  readonly #log: EmbeddedLog
  readonly #logger: Logger
  readonly #maxPoll: number
  readonly #commitMaxRecords: number
  /** Input records processed since the last commit. */
  #uncommitted = 0
  readonly #tasks: StreamTask[] = []
  #state: StreamsState = 'CREATED'
  #lastCommitMs = 0
  #timer: NodeJS.Timeout | undefined
  #immediate: NodeJS.Immediate | undefined
  #unsubscribe: (() => void) | undefined
  #committing = false
  #failure: Error | undefined
  #onError: ((error: Error) => void) | undefined

  constructor(topology: Topology, config: EmbeddedStreamsConfig) {
    this.#topology = topology
    this.#config = resolveStreamsConfig(topology, config)
    this.metrics = new StreamsMetrics(this.#config.metricPrefix)
    this.#log = config.log
    this.#logger = this.#config.logger.child({
      applicationId: this.#config.applicationId,
      transport: 'embedded',
    })
    this.#maxPoll = config.maxPollRecords ?? 500
    this.#commitMaxRecords = config.commitMaxRecords ?? 500
    if (!(this.#maxPoll >= 1)) throw new RuntimeError('INVALID_CONFIG', 'maxPollRecords must be >= 1')
    if (!(this.#commitMaxRecords >= 1))
      throw new RuntimeError('INVALID_CONFIG', 'commitMaxRecords must be >= 1')
  }

  get state(): StreamsState {
    return this.#state
  }

  /** The configuration after validation (topics include the changelogs). */
  get config(): ResolvedStreamsConfig {
    return this.#config
  }

  /** Called once if the application stops on a fatal error (a handler answered FAIL). */
  onError(listener: (error: Error) => void): void {
    this.#onError = listener
  }

  /** Creates topics, builds and restores every task, and initializes processors. Synchronous. */
  startSync(): void {
    if (this.#state !== 'CREATED') throw new Error(`cannot start in state ${this.#state}`)
    this.#state = 'REBALANCING'
    this.#log.createTopics([...this.#config.topics.values()])
    for (const { subtopology, partition } of allTaskIds(this.#topology, this.#config)) {
      const task = createTask(this.#topology, this.#config, subtopology, partition)
      this.#restore(task)
      for (const { topic, partition: p } of task.sourcePartitions())
        task.seek(
          topic,
          this.#log.committed(this.#config.applicationId, topic, p) ?? this.#log.startOffset(topic, p),
        )
      task.initialize()
      this.#tasks.push(task)
    }
    this.metrics.activeTasks.set(this.#tasks.length)
    this.#lastCommitMs = this.#config.clock.now()
    this.#state = 'RUNNING'
  }

  /** Starts processing in the background until `close`. */
  async start(): Promise<void> {
    this.startSync()
    this.#unsubscribe = this.#log.onAppend(() => {
      if (!this.#committing) this.#schedule(0)
    })
    this.#schedule(0)
  }

  #restore(task: StreamTask): void {
    const started = performance.now()
    for (const { store, topic, partition } of task.changelogPartitions()) {
      const target = task.restoreTarget(store)
      // Keys and values as ranges of stable bytes (log.ts `visitKeyValues`): the stores keep views of
      // the values, and no record object is made.
      const count = this.#log.visitKeyValues(
        topic,
        partition,
        this.#log.startOffset(topic, partition),
        (bytes, keyAt, keyLength, valueAt, valueLength) => {
          if (keyLength >= 0) target.restoreFrom(bytes, keyAt, keyLength, valueAt, valueLength)
        },
      )
      this.metrics.restoredRecords.inc({ store }, count)
      if (count > 0)
        this.#logger.info(
          { task: task.id, store, records: count, ms: Math.round(performance.now() - started) },
          'store restored',
        )
    }
    this.metrics.restoreSeconds.observe((performance.now() - started) / 1000)
  }

  #schedule(delayMs: number): void {
    if (this.#state !== 'RUNNING') return
    if (delayMs <= 0) {
      if (this.#immediate !== undefined) return
      if (this.#timer !== undefined) {
        clearTimeout(this.#timer)
        this.#timer = undefined
      }
      this.#immediate = setImmediate(() => {
        this.#immediate = undefined
        this.#tick()
      })
      return
    }
    if (this.#timer !== undefined || this.#immediate !== undefined) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#tick()
    }, delayMs)
  }

  #tick(): void {
    if (this.#state !== 'RUNNING') return
    try {
      const processed = this.runOnce()
      if (processed > 0) {
        this.#schedule(0)
        return
      }
      const now = this.#config.clock.now()
      let next = now + 1000
      for (const task of this.#tasks) next = Math.min(next, task.nextPunctuationMs())
      this.#schedule(Math.max(1, Math.min(next - now, this.#config.punctuationCheckMs)))
    } catch (error) {
      this.#fatal(error)
    }
  }

  #fatal(error: unknown): void {
    const failure = error instanceof Error ? error : new StreamsFatalError(String(error), error)
    this.#failure = failure
    this.#logger.error({ err: failure }, 'stream thread died')
    this.#stopTimers()
    for (const task of this.#tasks) task.close()
    this.#state = 'ERROR'
    this.#onError?.(failure)
  }

  /**
   * One round: read and process what is available, run due punctuators, and
   * commit when the commit interval has passed, the input is drained, or
   * `commitMaxRecords` inputs wait for a commit. Returns the number of input
   * records processed.
   */
  runOnce(): number {
    let processed = 0
    for (const task of this.#tasks) {
      let taskProcessed = 0
      for (const { topic, partition } of task.sourcePartitions()) {
        const records = this.#log.read(topic, partition, task.position(topic)!, this.#maxPoll)
        for (const r of records) task.process(r)
        taskProcessed += records.length
      }
      if (taskProcessed === 0) continue
      this.metrics.recordsProcessed.inc({ subtopology: task.subtopology.id }, taskProcessed)
      processed += taskProcessed
      this.#uncommitted += taskProcessed
      if (this.#uncommitted >= this.#commitMaxRecords) this.commit()
    }
    const now = this.#config.clock.now()
    for (const task of this.#tasks) if (task.nextPunctuationMs() <= now) task.punctuate(now)
    if (processed === 0 || now - this.#lastCommitMs >= this.#config.commitIntervalMs) this.commit()
    return processed
  }

  /** Processes until no input is left and commits: the TestDriver's step. */
  runUntilIdle(): void {
    while (this.runOnce() > 0);
  }

  /** Appends every task's pending batch as one atomic frame. */
  commit(): void {
    this.#lastCommitMs = this.#config.clock.now()
    this.#uncommitted = 0
    const started = performance.now()
    const group = this.#config.applicationId
    let records: OutgoingRecord[] | undefined
    const offsets: OffsetCommit[] = []
    for (const task of this.#tasks) {
      if (!task.hasUncommitted()) continue
      const batch = task.prepareCommit()
      if (records === undefined) records = batch.records
      else for (const r of batch.records) records.push(r)
      for (const o of batch.offsets)
        offsets.push({ group, topic: o.topic, partition: o.partition, offset: o.offset })
    }
    if (records === undefined) return
    this.#committing = true
    try {
      this.#log.append(records, offsets)
    } finally {
      this.#committing = false
    }
    for (const r of records)
      if (r.topic === this.#config.deadLetterTopic)
        this.metrics.deadLetters.inc({ stage: String(r.headers[DLQ_HEADERS.stage]) })
    this.metrics.commits.inc()
    this.metrics.commitSeconds.observe((performance.now() - started) / 1000)
  }

  #stopTimers(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    if (this.#immediate !== undefined) clearImmediate(this.#immediate)
    this.#timer = undefined
    this.#immediate = undefined
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
  }

  /** Commits what is processed, closes the tasks. The log stays open (it belongs to the caller). */
  async close(): Promise<void> {
    if (this.#state === 'NOT_RUNNING' || this.#state === 'ERROR') return
    const wasRunning = this.#state === 'RUNNING'
    this.#state = 'PENDING_SHUTDOWN'
    this.#stopTimers()
    if (wasRunning) this.commit()
    for (const task of this.#tasks) task.close()
    this.#tasks.length = 0
    this.metrics.activeTasks.set(0)
    this.#state = 'NOT_RUNNING'
  }

  /** A store of the running task of `partition` (tests and the TestDriver). */
  stateStore(name: string, partition: number): StateStore {
    for (const task of this.#tasks)
      if (task.partition === partition && task.hasStore(name)) return task.store(name)
    throw new TopologyError(`no running task of partition ${partition} has store ${name}`, {
      store: name,
      partition,
    })
  }

  /** The error that stopped the application, if any. */
  get failure(): Error | undefined {
    return this.#failure
  }
}
