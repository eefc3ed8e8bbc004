import type { Kafka } from 'kafkajs'
import {
  logLevel,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type KafkaConfig,
  type Producer,
} from 'kafkajs'
import type { Logger } from 'pino'
import { CodedError, StreamsFatalError, TaskMigratedError } from '../errors.ts'
import { DLQ_HEADERS } from '../exception-handlers.ts'
import { StreamsMetrics } from '../metrics.ts'
import { resolveStreamsConfig, type ResolvedStreamsConfig, type StreamsConfig } from '../streams-config.ts'
import type { StreamsState } from '../embedded/embedded-streams.ts'
import { allTaskIds, createTask } from '../task-factory.ts'
import type { OutgoingRecord, StreamTask } from '../task.ts'
import type { Topology } from '../topology.ts'
import { restoreTasks } from './changelog-restorer.ts'
import { createKafka } from './client.ts'
import { taskAssigner, type AssignableTask } from './task-assigner.ts'
import { ensureTopics } from './topics.ts'

export interface KafkaStreamsConfig extends StreamsConfig {
  readonly brokers: readonly string[]
  /** Client ID prefix of the consumer and producers. Default: the application ID. */
  readonly clientId?: string
  /** Consumer group session timeout; a dead instance's tasks move after this. Default 10000. */
  readonly sessionTimeoutMs?: number
  readonly heartbeatIntervalMs?: number
  /** Partitions processed concurrently by this instance. Default 4. */
  readonly partitionsConsumedConcurrently?: number
  /** Replication factor of topics this runtime creates. Default 1. */
  readonly replicationFactor?: number
  /** Extra kafkajs client settings (SSL, SASL, retry). */
  readonly kafka?: Omit<KafkaConfig, 'brokers' | 'clientId'>
}

/** Records per kafkajs `sendBatch` call inside a transaction. */
const SEND_SLICE = 1000
/** Records processed from one fetched batch before a commit is forced (besides the commit interval). */
const MAX_UNCOMMITTED = 5000

interface TaskHandle {
  readonly task: StreamTask
  readonly producer: Producer
  /** Fencing, restoration and positioning; processing waits for it. */
  readonly ready: Promise<void>
  /** Commits of this task, one after another. */
  chain: Promise<void>
  lastCommitMs: number
  /** The commit scheduled for when the interval has passed, if any. */
  commitTimer: NodeJS.Timeout | undefined
  closed: boolean
}

/**
 * Runs a topology on Apache Kafka with exactly-once semantics, the way Kafka
 * Streams does with EOS before KIP-447 ("exactly_once" v1):
 *
 * - a consumer group whose assignor hands out whole tasks (partition p of
 *   every co-partitioned source topic), `read_committed`, no auto-commit;
 * - per task, a transactional producer with ID `<appId>-<topic>-<partition>`
 *   (`topic` the first source topic of the task's subtopology), created when the
 *   task is assigned: its initialization fences any previous owner (a zombie
 *   cannot commit anymore) and completes its open transaction;
 * - only then the task restores its stores from their changelogs and reads the
 *   committed input offsets, which are now stable;
 * - one transaction per task per commit interval holds the outputs, the
 *   changelog records and the input offsets (`sendOffsets`);
 * - a failed commit discards the task's state and rebuilds it from the last
 *   commit (restore + seek), so nothing is applied twice.
 */
export class KafkaStreams {
  readonly metrics: StreamsMetrics
  readonly #topology: Topology
  readonly #config: ResolvedStreamsConfig
  readonly #options: KafkaStreamsConfig
  readonly #logger: Logger
  readonly #kafka: Kafka
  readonly #admin: Admin
  readonly #tasks = new Map<string, TaskHandle>()
  readonly #taskBySource = new Map<string, string>()
  readonly #assignable: AssignableTask[] = []
  #consumer: Consumer | undefined
  #timer: NodeJS.Timeout | undefined
  #state: StreamsState = 'CREATED'
  #failure: Error | undefined
  #onError: ((error: Error) => void) | undefined
  readonly #taskListeners = new Set<(tasks: string[]) => void>()
  #assignmentChange: Promise<void> = Promise.resolve()
  /** The tasks of the latest assignment this instance has seen. */
  #assigned = new Set<string>()

  constructor(topology: Topology, config: KafkaStreamsConfig) {
    this.#topology = topology
    this.#options = config
    this.#config = resolveStreamsConfig(topology, config)
    this.metrics = new StreamsMetrics(this.#config.metricPrefix)
    this.#logger = this.#config.logger.child({ applicationId: config.applicationId, transport: 'kafka' })
    const kafkaLogger = this.#logger.child({ component: 'kafkajs' })
    this.#kafka = createKafka({
      ...config.kafka,
      brokers: [...config.brokers],
      clientId: config.clientId ?? config.applicationId,
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => {
        const { message, ...rest } = entry.log
        const level =
          entry.level === logLevel.ERROR ? 'error' : entry.level === logLevel.WARN ? 'warn' : 'debug'
        kafkaLogger[level]({ ...rest, namespace: entry.namespace }, message)
      },
    })
    this.#admin = this.#kafka.admin()
    for (const { subtopology, partition } of allTaskIds(topology, this.#config)) {
      const sub = topology.subtopologies()[subtopology]!
      const id = `${subtopology}_${partition}`
      this.#assignable.push({ id, topics: sub.sourceTopics, partition })
      for (const topic of sub.sourceTopics) this.#taskBySource.set(`${topic}:${partition}`, id)
    }
  }

  get state(): StreamsState {
    return this.#state
  }

  get failure(): Error | undefined {
    return this.#failure
  }

  /** Called once if the application stops on a fatal error. */
  onError(listener: (error: Error) => void): void {
    this.#onError = listener
  }

  /** Called with the running task IDs whenever tasks were added (and are ready) or removed. */
  onTasksChanged(listener: (tasks: string[]) => void): void {
    this.#taskListeners.add(listener)
  }

  #tasksChanged(): void {
    const tasks = this.activeTasks()
    for (const listener of this.#taskListeners) listener(tasks)
  }

  /** Task IDs this instance runs now. */
  activeTasks(): string[] {
    return [...this.#tasks.keys()].sort()
  }

  /** Creates the topics, joins the group and starts processing; resolves once the consumer runs. */
  async start(): Promise<void> {
    if (this.#state !== 'CREATED') throw new Error(`cannot start in state ${this.#state}`)
    this.#state = 'REBALANCING'
    await this.#admin.connect()
    await ensureTopics(this.#admin, this.#config.topics.values(), {
      replicationFactor: this.#options.replicationFactor ?? 1,
      logger: this.#logger,
    })
    const consumer = this.#kafka.consumer({
      groupId: this.#config.applicationId,
      readUncommitted: false,
      sessionTimeout: this.#options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: this.#options.heartbeatIntervalMs ?? 1000,
      rebalanceTimeout: 30_000,
      maxWaitTimeInMs: 50,
      allowAutoTopicCreation: false,
      partitionAssigners: [
        taskAssigner(
          `${this.#config.applicationId}-tasks`,
          () => this.#assignable,
          () => this.activeTasks(),
        ),
      ],
    })
    this.#consumer = consumer
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const assigned = new Set<string>()
      for (const [topic, partitions] of Object.entries(payload.memberAssignment))
        for (const p of partitions) {
          const id = this.#taskBySource.get(`${topic}:${p}`)
          if (id !== undefined) assigned.add(id)
        }
      // The chain never rejects: a failed change is logged, and the next assignment still runs.
      this.#assignmentChange = this.#assignmentChange
        .then(() => this.#onAssignment(assigned))
        .catch((error: unknown) => this.#logger.error({ err: error }, 'assignment change failed'))
    })
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.#fatal(payload.error)
    })
    await consumer.connect()
    await consumer.subscribe({ topics: this.#topology.topics().sources, fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#options.partitionsConsumedConcurrently ?? 4,
      eachBatch: (payload) => this.#eachBatch(payload),
    })
    const tickMs = Math.max(5, Math.min(this.#config.commitIntervalMs, this.#config.punctuationCheckMs))
    this.#timer = setInterval(() => this.#tick(), tickMs)
    this.#state = 'RUNNING'
  }

  async #onAssignment(assigned: Set<string>): Promise<void> {
    this.#assigned = assigned
    const revoked = [...this.#tasks.keys()].filter((id) => !assigned.has(id))
    await Promise.all(revoked.map((id) => this.#closeTask(id, true)))
    const added = [...assigned].filter((id) => !this.#tasks.has(id))
    if (revoked.length > 0 || added.length > 0) this.#logger.info({ revoked, added }, 'tasks reassigned')
    // All new tasks fence and restore together (one restore consumer for all).
    const handles = added.map((id) => this.#openTask(id))
    const ready = this.#prepare(handles)
    const settled = observed(ready)
    for (const h of handles) this.#tasks.set(h.task.id, { ...h, ready: settled })
    this.metrics.activeTasks.set(this.#tasks.size)
    await ready.catch(() => undefined)
  }

  #openTask(id: string): {
    task: StreamTask
    producer: Producer
    chain: Promise<void>
    lastCommitMs: number
    commitTimer: NodeJS.Timeout | undefined
    closed: boolean
  } {
    const [sub, partition] = id.split('_').map(Number) as [number, number]
    const task = createTask(this.#topology, this.#config, sub, partition)
    const transactionalId = `${this.#config.applicationId}-${task.subtopology.sourceTopics[0]}-${partition}`
    const producer = this.#kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60_000,
      allowAutoTopicCreation: false,
      // The broker answers CONCURRENT_TRANSACTIONS while the previous commit's markers are written (a few ms);
      // kafkajs' default first retry after 300 ms would put that straight into the latency tail.
      retry: { initialRetryTime: 20, retries: 10 },
    })
    return {
      task,
      producer,
      chain: Promise.resolve(),
      lastCommitMs: this.#config.clock.now(),
      commitTimer: undefined,
      closed: false,
    }
  }

  /** Fence (producer init), restore, then read committed offsets and seek: in that order. */
  async #prepare(handles: { task: StreamTask; producer: Producer }[]): Promise<void> {
    if (handles.length === 0) return
    const started = performance.now()
    try {
      // kafkajs initializes the transactional producer ID lazily, at the first transaction: start (and drop) an
      // empty one now, so the fence of the previous owner happens before the restore and the offset read.
      await Promise.all(
        handles.map(async (h) => {
          await h.producer.connect()
          const fence = await h.producer.transaction()
          await fence.abort()
        }),
      )
      await restoreTasks(
        this.#kafka,
        this.#admin,
        handles.map((h) => h.task),
        { applicationId: this.#config.applicationId, logger: this.#logger, metrics: this.metrics },
      )
      const topics = [...new Set(handles.flatMap((h) => h.task.subtopology.sourceTopics))]
      const committed = await this.#admin.fetchOffsets({ groupId: this.#config.applicationId, topics })
      const earliest = new Map<string, number>()
      for (const topic of topics)
        for (const o of await this.#admin.fetchTopicOffsets(topic))
          earliest.set(`${topic}:${o.partition}`, Number(o.low))
      for (const { task } of handles) {
        for (const { topic, partition } of task.sourcePartitions()) {
          const c = committed
            .find((t) => t.topic === topic)
            ?.partitions.find((p) => p.partition === partition)
          const offset =
            c !== undefined && Number(c.offset) >= 0
              ? Number(c.offset)
              : earliest.get(`${topic}:${partition}`)!
          task.seek(topic, offset)
          this.#consumer!.seek({ topic, partition, offset: String(offset) })
        }
        task.initialize()
      }
      this.metrics.restoreSeconds.observe((performance.now() - started) / 1000)
      queueMicrotask(() => this.#tasksChanged())
      this.#logger.info(
        { tasks: handles.map((h) => h.task.id), ms: Math.round(performance.now() - started) },
        'tasks ready',
      )
    } catch (error) {
      this.#logger.warn(
        { err: error, tasks: handles.map((h) => h.task.id) },
        'task preparation failed; the tasks retry',
      )
      for (const h of handles) void this.#closeTask(h.task.id, false).then(() => this.#retryTask(h.task.id))
      throw error
    }
  }

  async #retryTask(id: string): Promise<void> {
    if (this.#state !== 'RUNNING' && this.#state !== 'REBALANCING') return
    await new Promise((r) => setTimeout(r, 500))
    if (this.#tasks.has(id) || this.#state !== 'RUNNING' || !this.#assigned.has(id)) return
    const handle = this.#openTask(id)
    const ready = this.#prepare([handle])
    this.#tasks.set(id, { ...handle, ready: observed(ready) })
    await ready.catch(() => undefined)
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const id = this.#taskBySource.get(`${batch.topic}:${batch.partition}`)
    if (id === undefined) return
    await withHeartbeat(this.#assignmentChange, heartbeat)
    const handle = this.#tasks.get(id)
    if (handle === undefined || handle.closed) return
    try {
      await withHeartbeat(handle.ready, heartbeat)
    } catch {
      return
    }
    // A batch fetched before the task's seek to its committed offset is stale: skip it, the seek refetches.
    if (handle.closed || isStale()) return
    const { task } = handle
    const source = task.subtopology.nodes.find((n) => n.kind === 'source' && n.topics.includes(batch.topic))
    if (source?.kind === 'source') {
      const values = batch.messages.flatMap((m) => (m.value === null ? [] : [m.value]))
      await source.valueSerde.prefetch?.(batch.topic, values)
      const keys = batch.messages.flatMap((m) => (m.key === null ? [] : [m.key]))
      await source.keySerde.prefetch?.(batch.topic, keys)
    }
    if (handle.closed) return
    let processed = 0
    const position = task.position(batch.topic) ?? 0
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || handle.closed) break
      const offset = Number(message.offset)
      if (offset < position) continue
      task.process({
        topic: batch.topic,
        partition: batch.partition,
        offset,
        key: message.key,
        value: message.value,
        timestamp: Number(message.timestamp),
        headers: message.headers as { [name: string]: Buffer | string | undefined },
      })
      resolveOffset(message.offset)
      processed++
      // Commit large backlogs in pieces: a transaction stays small and outputs flow while the batch is worked off.
      if (processed % MAX_UNCOMMITTED === 0) await this.#commit(handle).catch(() => undefined)
    }
    if (processed > 0) this.metrics.recordsProcessed.inc({ subtopology: task.subtopology.id }, processed)
    // A failed commit already discarded the task (and queued its rebuild); the batch's work is redone from the
    // last commit, so the failure stays here instead of restarting the whole consumer.
    if (this.#config.clock.now() - handle.lastCommitMs >= this.#config.commitIntervalMs)
      await this.#commit(handle).catch(() => undefined)
    else this.#scheduleCommit(handle)
    await heartbeat()
  }

  /**
   * Commits the task's pending work as soon as its commit interval has passed,
   * so a record waits at most one interval (not one interval plus a tick).
   */
  #scheduleCommit(handle: TaskHandle): void {
    if (handle.commitTimer !== undefined || handle.closed) return
    const delay = Math.max(0, handle.lastCommitMs + this.#config.commitIntervalMs - this.#config.clock.now())
    handle.commitTimer = setTimeout(() => {
      handle.commitTimer = undefined
      if (handle.task.hasUncommitted()) this.#commit(handle).catch(() => undefined)
    }, delay)
  }

  #tick(): void {
    if (this.#state !== 'RUNNING') return
    const now = this.#config.clock.now()
    for (const handle of this.#tasks.values()) {
      if (handle.closed || !handle.task.initialized) continue
      try {
        if (handle.task.nextPunctuationMs() <= now) handle.task.punctuate(now)
      } catch (error) {
        this.#fatal(error)
        return
      }
      if (handle.task.hasUncommitted()) this.#scheduleCommit(handle)
    }
  }

  /** Queues a commit of the task (commits of one task never overlap). */
  #commit(handle: TaskHandle): Promise<void> {
    handle.lastCommitMs = this.#config.clock.now()
    handle.chain = handle.chain.then(() => this.#commitNow(handle))
    return handle.chain
  }

  async #commitNow(handle: TaskHandle): Promise<void> {
    if (handle.closed || !handle.task.hasUncommitted()) return
    const { records, offsets } = handle.task.prepareCommit()
    const started = performance.now()
    const transaction = await handle.producer.transaction()
    try {
      // Slices keep kafkajs fast: it groups a send's messages per partition with a quadratic copy
      // (tulios/kafkajs#1576), which stalls the event loop for a large batch to one partition.
      for (let i = 0; i < records.length; i += SEND_SLICE)
        await transaction.sendBatch({ topicMessages: byTopic(records.slice(i, i + SEND_SLICE)), acks: -1 })
      if (offsets.length > 0)
        await transaction.sendOffsets({
          consumerGroupId: this.#config.applicationId,
          topics: groupOffsets(offsets),
        })
      await transaction.commit()
    } catch (error) {
      await transaction.abort().catch(() => undefined)
      const fenced = isFenced(error)
      this.metrics.commitFailures.inc({ reason: fenced ? 'fenced' : 'error' })
      this.#logger.warn(
        { err: error, task: handle.task.id, fenced },
        'commit failed; the task restarts from its last commit',
      )
      const id = handle.task.id
      await this.#discard(handle)
      // Rebuild the task from its last commit while it is still ours. When another instance fenced it, the
      // coming rebalance takes it away; until this instance sees that rebalance, a rebuild fences the other
      // instance in turn, which is safe (every rebuild restarts from committed state) and ends with the rebalance.
      void this.#retryTask(id)
      if (fenced) throw new TaskMigratedError(id, error)
      return
    }
    this.metrics.commits.inc()
    this.metrics.commitSeconds.observe((performance.now() - started) / 1000)
    for (const r of records)
      if (r.topic === this.#config.deadLetterTopic)
        this.metrics.deadLetters.inc({ stage: String(r.headers[DLQ_HEADERS.stage]) })
  }

  /** Closes a task: optionally commits first (clean handover), then drops its state and producer. */
  async #closeTask(id: string, commitFirst: boolean): Promise<void> {
    const handle = this.#tasks.get(id)
    if (handle === undefined) return
    if (commitFirst && !handle.closed) {
      await handle.ready.catch(() => undefined)
      await this.#commit(handle).catch(() => undefined)
    }
    await handle.chain.catch(() => undefined)
    await this.#discard(handle)
  }

  /** Drops a task's state and producer at once (never waits for its commit chain: a failing commit calls this). */
  async #discard(handle: TaskHandle): Promise<void> {
    if (this.#tasks.get(handle.task.id) === handle) this.#tasks.delete(handle.task.id)
    if (handle.closed) return
    handle.closed = true
    if (handle.commitTimer !== undefined) clearTimeout(handle.commitTimer)
    handle.task.close()
    await handle.producer.disconnect().catch(() => undefined)
    this.metrics.activeTasks.set(this.#tasks.size)
    this.#tasksChanged()
  }

  #fatal(error: unknown): void {
    if (this.#state === 'ERROR') return
    const failure = error instanceof Error ? error : new StreamsFatalError(String(error), error)
    this.#failure = failure
    this.#logger.error({ err: failure }, 'streams application failed')
    this.#state = 'ERROR'
    void this.#shutdown(false).finally(() => this.#onError?.(failure))
  }

  /** Commits open work, closes the tasks, leaves the group. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#state === 'NOT_RUNNING' || this.#state === 'PENDING_SHUTDOWN') return
    if (this.#state === 'ERROR') return
    this.#state = 'PENDING_SHUTDOWN'
    await this.#shutdown(true)
    this.#state = 'NOT_RUNNING'
  }

  async #shutdown(commit: boolean): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    await this.#consumer?.stop().catch(() => undefined)
    await Promise.all([...this.#tasks.keys()].map((id) => this.#closeTask(id, commit)))
    await this.#consumer?.disconnect().catch(() => undefined)
    await this.#admin.disconnect().catch(() => undefined)
  }
}

/**
 * The task's readiness as processing waits for it. A failed preparation is handled where it happens (the
 * tasks are closed and retried); this copy must not become an unhandled rejection when no batch awaits it.
 */
function observed(ready: Promise<void>): Promise<void> {
  const settled = ready.then(() => undefined)
  settled.catch(() => undefined)
  return settled
}

/** Waits for `promise`, heartbeating meanwhile so a long restore does not cost the group membership. */
async function withHeartbeat<T>(promise: Promise<T>, heartbeat: () => Promise<void>): Promise<T> {
  const timer = setInterval(() => void heartbeat().catch(() => undefined), 1000)
  try {
    return await promise
  } finally {
    clearInterval(timer)
  }
}

function byTopic(records: readonly OutgoingRecord[]): {
  topic: string
  messages: {
    key: Buffer | null
    value: Buffer | null
    partition: number
    timestamp: string
    headers: { [k: string]: Buffer | string }
  }[]
}[] {
  const topics = new Map<
    string,
    {
      key: Buffer | null
      value: Buffer | null
      partition: number
      timestamp: string
      headers: { [k: string]: Buffer | string }
    }[]
  >()
  for (const r of records) {
    let list = topics.get(r.topic)
    if (list === undefined) topics.set(r.topic, (list = []))
    const headers: { [k: string]: Buffer | string } = {}
    for (const name in r.headers) {
      const v = r.headers[name]
      if (v !== undefined) headers[name] = v
    }
    list.push({ key: r.key, value: r.value, partition: r.partition, timestamp: String(r.timestamp), headers })
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }))
}

function groupOffsets(
  offsets: readonly { topic: string; partition: number; offset: number }[],
): { topic: string; partitions: { partition: number; offset: string }[] }[] {
  const topics = new Map<string, { partition: number; offset: string }[]>()
  for (const o of offsets) {
    let list = topics.get(o.topic)
    if (list === undefined) topics.set(o.topic, (list = []))
    list.push({ partition: o.partition, offset: String(o.offset) })
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }))
}

/** Errors by which the broker says another producer with our transactional ID took over. */
function isFenced(error: unknown): boolean {
  for (
    let e: unknown = error;
    e instanceof Error;
    e = (e as { cause?: unknown }).cause ?? (e as { originalError?: unknown }).originalError
  ) {
    const type = (e as { type?: string }).type
    if (
      type === 'INVALID_PRODUCER_EPOCH' ||
      type === 'PRODUCER_FENCED' ||
      type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'
    )
      return true
    if (e instanceof CodedError && e.code === 'TASK_MIGRATED') return true
  }
  return false
}
