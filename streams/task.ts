import type { Logger } from 'pino'
import type { Clock } from './clock.ts'
import { CodedError, RuntimeError, SerializationError, StreamsFatalError, TopologyError } from './errors.ts'
import {
  deadLetterHeaders,
  errorCode,
  errorMessage,
  type ExceptionHandlers,
  type FailureContext,
  type FailureStage,
} from './exception-handlers.ts'
import type { Cancellable, Processor, ProcessorContext, Punctuator } from './processor.ts'
import { Record, type Headers, type RecordMetadata } from './record.ts'
import type { RuntimeStore, StateStore } from './state-store.ts'
import type { SinkNode, SourceNode, Subtopology } from './topology.ts'

/** A record as read from a log: bytes and coordinates. */
export interface IncomingRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly timestamp: number
  readonly headers: Headers
}

/** A record on its way to a log: bytes, topic and partition chosen. */
export interface OutgoingRecord {
  readonly topic: string
  readonly partition: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly timestamp: number
  readonly headers: Headers
}

/** The position of one input partition: the next offset to read. */
export interface TopicPartitionOffset {
  readonly topic: string
  readonly partition: number
  readonly offset: number
}

/** What one commit writes atomically: outputs, changelog records, input positions. */
export interface CommitBatch {
  readonly records: OutgoingRecord[]
  readonly offsets: TopicPartitionOffset[]
}

export interface TaskOptions {
  readonly applicationId: string
  readonly clock: Clock
  readonly handlers: ExceptionHandlers
  readonly logger: Logger
  /** Partition count of any sink topic (for the partitioner). */
  readonly partitionsOf: (topic: string) => number
  readonly deadLetterTopic: string
  /** Largest value a record may carry; larger outputs are production errors. */
  readonly maxRecordBytes: number
}

/** `<appId>-<store>-changelog`, as Kafka Streams names it. */
export function changelogTopicName(applicationId: string, storeName: string): string {
  return `${applicationId}-${storeName}-changelog`
}

interface Schedule {
  readonly intervalMs: number
  nextMs: number
  readonly punctuator: Punctuator
  cancelled: boolean
}

type Forward = (record: Record<unknown, unknown>) => void

/** Headers of a changelog record (none; shared, records are immutable). */
const NO_HEADERS: Headers = Object.freeze({})

/**
 * One task: the processors, stores and punctuators of a subtopology for one
 * partition number, as Kafka Streams' StreamTask. Transport-agnostic and
 * synchronous: runners feed it records and drain what it must commit.
 *
 * Processing a record is all or nothing: when a processor throws, the stores
 * roll back and the record's forwarded outputs are dropped before the
 * processing handler decides (continue, dead-letter, fail).
 */
export class StreamTask {
  readonly id: string
  readonly partition: number
  readonly subtopology: Subtopology
  readonly #options: TaskOptions
  readonly #log: Logger
  readonly #stores = new Map<string, RuntimeStore>()
  /** The same stores, as a list for the per-record savepoints. */
  readonly #storeList: RuntimeStore[] = []
  readonly #sources = new Map<string, { node: SourceNode; forward: Forward }>()
  readonly #processors: { name: string; processor: Processor; context: ProcessorContext }[] = []
  readonly #schedules: Schedule[] = []
  /** next offset per source topic */
  readonly #positions = new Map<string, number>()
  readonly #dirtyPositions = new Set<string>()
  #pending: OutgoingRecord[] = []
  #current: IncomingRecord | undefined
  #initialized = false
  #closed = false
  /** outputs dropped for production errors during the current record */
  #productionFailure: FailureContext | undefined

  constructor(subtopology: Subtopology, partition: number, options: TaskOptions) {
    this.id = `${subtopology.id}_${partition}`
    this.partition = partition
    this.subtopology = subtopology
    this.#options = options
    this.#log = options.logger.child({ task: this.id })
    for (const builder of subtopology.stores) {
      const store = builder.build()
      this.#stores.set(builder.name, store)
      this.#storeList.push(store)
    }
    this.#wire()
  }

  /** The input partitions this task owns. */
  sourcePartitions(): { topic: string; partition: number }[] {
    return this.subtopology.sourceTopics.map((topic) => ({ topic, partition: this.partition }))
  }

  /** The changelog partitions to restore before processing. */
  changelogPartitions(): { store: string; topic: string; partition: number }[] {
    return [...this.#stores.values()]
      .filter((s) => s.logged)
      .map((s) => ({
        store: s.name,
        topic: changelogTopicName(this.#options.applicationId, s.name),
        partition: this.partition,
      }))
  }

  hasStore(name: string): boolean {
    return this.#stores.has(name)
  }

  /** A store of this task, for tests and interactive queries. */
  store(name: string): StateStore {
    const store = this.#stores.get(name)
    if (store === undefined) throw new TopologyError(`task ${this.id} has no store ${name}`)
    return store
  }

  /** Applies one changelog record to a store (before `initialize`); `stable`: see `RuntimeStore.restore`. */
  restore(storeName: string, key: Buffer, value: Buffer | null, stable = false): void {
    const store = this.#stores.get(storeName)
    if (store === undefined) throw new TopologyError(`task ${this.id} has no store ${storeName}`)
    store.restore(key, value, stable)
  }

  /** The store a changelog restores into, record by record (before `initialize`). */
  restoreTarget(storeName: string): RuntimeStore {
    const store = this.#stores.get(storeName)
    if (store === undefined) throw new TopologyError(`task ${this.id} has no store ${storeName}`)
    return store
  }

  /** Runs every processor's `init` (after restoration). */
  initialize(): void {
    if (this.#initialized) return
    this.#initialized = true
    for (const { processor, context } of this.#processors) processor.init?.(context)
  }

  get initialized(): boolean {
    return this.#initialized
  }

  /** The next offset to read from `topic`, when known. */
  position(topic: string): number | undefined {
    return this.#positions.get(topic)
  }

  /** Sets where reading starts (the committed offset), without marking it for commit. */
  seek(topic: string, offset: number): void {
    this.#positions.set(topic, offset)
  }

  /** Processes one input record to completion. Throws StreamsFatalError when a handler answers FAIL. */
  process(input: IncomingRecord): void {
    const source = this.#sources.get(input.topic)
    if (source === undefined) throw new TopologyError(`task ${this.id} does not read ${input.topic}`)
    this.#current = input
    try {
      let record: Record<unknown, unknown>
      try {
        const { keySerde, valueSerde } = source.node
        const key = input.key === null ? null : keySerde.deserialize(input.topic, input.key)
        const value = input.value === null ? null : valueSerde.deserialize(input.topic, input.value)
        record = new Record(key, value, input.timestamp, input.headers)
      } catch (error) {
        this.#fail('deserialization', error)
        return
      }
      this.#runGuarded('processing', source.forward, record)
    } finally {
      this.#current = undefined
      this.#positions.set(input.topic, input.offset + 1)
      this.#dirtyPositions.add(input.topic)
    }
  }

  /** Runs the punctuators that are due at `nowMs`. Returns how many ran. */
  punctuate(nowMs: number): number {
    let ran = 0
    for (const schedule of this.#schedules) {
      if (schedule.cancelled || schedule.nextMs > nowMs) continue
      // Like Kafka Streams: missed intervals are skipped, not replayed one by one.
      schedule.nextMs = nowMs + schedule.intervalMs
      ran++
      this.#runGuarded('punctuation', schedule.punctuator, nowMs)
    }
    return ran
  }

  /** The earliest time a punctuator is due, or Infinity. */
  nextPunctuationMs(): number {
    let next = Infinity
    for (const s of this.#schedules) if (!s.cancelled && s.nextMs < next) next = s.nextMs
    return next
  }

  hasUncommitted(): boolean {
    return this.#pending.length > 0 || this.#dirtyPositions.size > 0
  }

  /** Takes everything the next commit must write atomically; the task starts a new batch. */
  prepareCommit(): CommitBatch {
    const records = this.#pending
    this.#pending = []
    const timestamp = this.#options.clock.now()
    for (const store of this.#storeList) {
      if (!store.logged) continue
      const topic = changelogTopicName(this.#options.applicationId, store.name)
      for (const change of store.drainChangelog(topic))
        records.push({
          topic,
          partition: this.partition,
          key: change.key,
          value: change.value,
          timestamp,
          headers: NO_HEADERS,
        })
    }
    const offsets: TopicPartitionOffset[] = []
    for (const topic of this.#dirtyPositions)
      offsets.push({ topic, partition: this.partition, offset: this.#positions.get(topic)! })
    this.#dirtyPositions.clear()
    return { records, offsets }
  }

  /** Closes the processors. A closed task is never used again (a new one is built on reassignment). */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const s of this.#schedules) s.cancelled = true
    if (!this.#initialized) return
    for (const { name, processor } of this.#processors) {
      try {
        processor.close?.()
      } catch (error) {
        this.#log.warn({ err: error, node: name }, 'processor close failed')
      }
    }
  }

  /** Runs `run(arg)` all or nothing (see the class comment). */
  #runGuarded<T>(stage: 'processing' | 'punctuation', run: (arg: T) => void, arg: T): void {
    const mark = this.#pending.length
    const stores = this.#storeList
    for (const store of stores) store.savepoint()
    this.#productionFailure = undefined
    try {
      run(arg)
    } catch (error) {
      if (error instanceof StreamsFatalError) throw error
      for (const store of stores) store.rollback()
      this.#pending.length = mark
      this.#fail(stage, error)
      return
    }
    for (const store of stores) store.release()
    const production = this.#productionFailure
    if (production !== undefined) {
      this.#productionFailure = undefined
      this.#decide(production, this.#options.handlers.production)
    }
  }

  #failureContext(stage: FailureStage, error: unknown, sinkTopic?: string): FailureContext {
    const current = this.#current
    return {
      stage,
      error,
      taskId: this.id,
      ...(current === undefined
        ? {}
        : {
            source: {
              topic: current.topic,
              partition: current.partition,
              offset: current.offset,
              key: current.key,
              value: current.value,
              timestamp: current.timestamp,
            },
          }),
      ...(sinkTopic === undefined ? {} : { sinkTopic }),
    }
  }

  #fail(stage: FailureStage, error: unknown): void {
    const handler =
      stage === 'deserialization'
        ? this.#options.handlers.deserialization
        : stage === 'production'
          ? this.#options.handlers.production
          : this.#options.handlers.processing
    this.#decide(this.#failureContext(stage, error), handler)
  }

  #decide(
    failure: FailureContext,
    handler: (f: FailureContext) => 'CONTINUE' | 'DEAD_LETTER' | 'FAIL',
  ): void {
    const response = handler(failure)
    const logFields = {
      stage: failure.stage,
      code: errorCode(failure.error),
      err: failure.error,
      topic: failure.source?.topic,
      partition: failure.source?.partition,
      offset: failure.source?.offset,
      response,
    }
    if (response === 'FAIL') {
      this.#log.error(logFields, 'record failed; the handler stops the application')
      throw new StreamsFatalError(
        `${failure.stage} failed in task ${this.id}: ${errorMessage(failure.error)}`,
        failure.error,
        {
          taskId: this.id,
          stage: failure.stage,
        },
      )
    }
    this.#log.warn(logFields, 'record failed')
    if (response === 'DEAD_LETTER') {
      const topic = this.#options.deadLetterTopic
      const key = failure.source?.key ?? null
      this.#pending.push({
        topic,
        partition: (failure.source?.partition ?? this.partition) % this.#options.partitionsOf(topic),
        key,
        value: failure.source?.value ?? null,
        timestamp: failure.source?.timestamp ?? this.#options.clock.now(),
        headers: deadLetterHeaders(this.#options.applicationId, failure),
      })
    }
  }

  #wire(): void {
    const sub = this.subtopology
    const forwards = new Map<string, Forward>()
    const nodes = new Map(sub.nodes.map((n) => [n.name, n]))
    const build = (name: string): Forward => {
      const existing = forwards.get(name)
      if (existing !== undefined) return existing
      const node = nodes.get(name)!
      let forward: Forward
      if (node.kind === 'sink') forward = this.#sink(node)
      else if (node.kind === 'source') forward = this.#fanOut(sub.children.get(name)!.map(build))
      else {
        const childNames = sub.children.get(name)!
        const children = new Map(childNames.map((c) => [c, build(c)]))
        const processor = node.supplier()
        const context = this.#context(node.name, node.stores, children)
        this.#processors.push({ name: node.name, processor, context })
        forward = (record) => processor.process(record)
      }
      forwards.set(name, forward)
      return forward
    }
    for (const node of sub.nodes) {
      const forward = build(node.name)
      if (node.kind === 'source') for (const topic of node.topics) this.#sources.set(topic, { node, forward })
    }
    // Processors initialize parents first, as they were added.
    this.#processors.reverse()
  }

  #fanOut(children: Forward[]): Forward {
    if (children.length === 1) return children[0]!
    return (record) => {
      for (const child of children) child(record)
    }
  }

  #sink(node: SinkNode): Forward {
    const { topic, keySerde, valueSerde, partitioner } = node
    const partitions = this.#options.partitionsOf(topic)
    const max = this.#options.maxRecordBytes
    return (record) => {
      let key: Buffer | null
      let value: Buffer | null
      try {
        key = record.key === null || record.key === undefined ? null : keySerde.serialize(topic, record.key)
        value =
          record.value === null || record.value === undefined
            ? null
            : valueSerde.serialize(topic, record.value)
        const size = (value?.length ?? 0) + (key?.length ?? 0)
        if (size > max)
          throw new RuntimeError(
            'RECORD_TOO_LARGE',
            `record of ${size} bytes (key + value) for ${topic} exceeds ${max}`,
          )
      } catch (error) {
        const cause =
          error instanceof CodedError ? error : new SerializationError(errorMessage(error), { cause: error })
        this.#productionFailure ??= this.#failureContext('production', cause, topic)
        return
      }
      this.#pending.push({
        topic,
        partition: partitioner(topic, key, value, partitions),
        key,
        value,
        timestamp: record.timestamp,
        headers: record.headers,
      })
    }
  }

  #context(
    nodeName: string,
    storeNames: readonly string[],
    children: Map<string, Forward>,
  ): ProcessorContext {
    const allowed = new Set(storeNames)
    const childList = [...children.values()]
    return {
      applicationId: this.#options.applicationId,
      taskId: this.id,
      partition: this.partition,
      forward: (record: Record<unknown, unknown>, childName?: string): void => {
        if (childName === undefined) {
          for (const child of childList) child(record)
          return
        }
        const child = children.get(childName)
        if (child === undefined) throw new TopologyError(`${nodeName} has no child ${childName}`)
        child(record)
      },
      getStateStore: <S extends StateStore>(name: string): S => {
        if (!allowed.has(name))
          throw new TopologyError(`processor ${nodeName} is not connected to store ${name}`)
        return this.#stores.get(name) as unknown as S
      },
      schedule: (intervalMs: number, _type: 'WALL_CLOCK_TIME', punctuator: Punctuator): Cancellable => {
        if (!(intervalMs >= 1))
          throw new RangeError(`punctuation interval must be >= 1 ms, got ${intervalMs}`)
        const schedule: Schedule = {
          intervalMs,
          nextMs: this.#options.clock.now() + intervalMs,
          punctuator,
          cancelled: false,
        }
        this.#schedules.push(schedule)
        return {
          cancel: () => {
            schedule.cancelled = true
          },
        }
      },
      recordMetadata: (): RecordMetadata | undefined => {
        const current = this.#current
        return current === undefined
          ? undefined
          : { topic: current.topic, partition: current.partition, offset: current.offset }
      },
      currentSystemTimeMs: () => this.#options.clock.now(),
    }
  }
}
