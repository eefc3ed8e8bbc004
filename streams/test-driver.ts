import { ManualClock } from './clock.ts'
import { EmbeddedStreams, type EmbeddedStreamsConfig } from './embedded/embedded-streams.ts'
import type { JournalRecord } from './embedded/journal-codec.ts'
import { EmbeddedLog } from './embedded/log.ts'
import { defaultPartitioner } from './partitioner.ts'
import { Record, type Headers } from './record.ts'
import type { Serde } from './serde.ts'
import type { KeyValueStore, StateStore } from './state-store.ts'
import type { StreamsConfig } from './streams-config.ts'
import type { Topology } from './topology.ts'

export interface TestDriverConfig extends Omit<
  StreamsConfig,
  'clock' | 'topics' | 'applicationId' | 'deadLetterTopic'
> {
  readonly applicationId?: string
  /** Where dead letters go. Default `TEST_DRIVER_DEAD_LETTER_TOPIC`. */
  readonly deadLetterTopic?: string
  /** Declared topics; any topic the topology uses and this omits gets 1 partition. */
  readonly topics?: StreamsConfig['topics']
  /** Start of the hand-moved wall clock. Default 2026-01-01T00:00:00Z. */
  readonly initialWallClockTimeMs?: number
}

/** The TestDriver's dead-letter topic when its configuration names none. */
export const TEST_DRIVER_DEAD_LETTER_TOPIC = 'test-driver.dlq'

/**
 * Runs a topology with no broker, synchronously and deterministically, like
 * Kafka Streams' `TopologyTestDriver`: each `pipeInput` is processed and
 * committed before it returns; wall-clock punctuators run only when the test
 * moves the clock with `advanceWallClockTime`. It is the embedded runtime on an
 * in-memory log, so what passes here runs the same code as production.
 */
export class TestDriver {
  readonly clock: ManualClock
  readonly #log = EmbeddedLog.open()
  readonly #topology: Topology
  readonly #config: EmbeddedStreamsConfig
  #streams: EmbeddedStreams
  readonly #outputs = new Map<string, JournalRecord[]>()

  constructor(topology: Topology, config: TestDriverConfig = {}) {
    this.clock = new ManualClock(config.initialWallClockTimeMs)
    const declared = new Map((config.topics ?? []).map((t) => [t.name, t]))
    const { sources, sinks } = topology.topics()
    const deadLetterTopic = config.deadLetterTopic ?? TEST_DRIVER_DEAD_LETTER_TOPIC
    for (const name of [...sources, ...sinks, deadLetterTopic])
      if (!declared.has(name))
        declared.set(name, { name, partitions: 1, cleanupPolicy: 'delete', retentionMs: null })
    this.#topology = topology
    this.#config = {
      ...config,
      applicationId: config.applicationId ?? 'test-driver',
      topics: [...declared.values()],
      deadLetterTopic,
      clock: this.clock,
      log: this.#log,
    }
    this.#streams = new EmbeddedStreams(topology, this.#config)
    this.#log.onAppend((records, offsets) => {
      records.forEach((r, i) => {
        let list = this.#outputs.get(r.topic)
        if (list === undefined) this.#outputs.set(r.topic, (list = []))
        list.push({ ...r, offset: offsets[i]! })
      })
    })
    this.#streams.startSync()
  }

  createInputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): TestInputTopic<K, V> {
    return new TestInputTopic(this, topic, keySerde, valueSerde)
  }

  createOutputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): TestOutputTopic<K, V> {
    return new TestOutputTopic(this.#outputs, topic, keySerde, valueSerde)
  }

  /** Appends raw bytes to a topic (e.g. a poison record) and processes them. */
  pipeRaw(
    topic: string,
    key: Buffer | null,
    value: Buffer | null,
    timestampMs = this.clock.now(),
    headers: Headers = {},
  ): void {
    const partition = defaultPartitioner(topic, key, value, this.#log.partitions(topic))
    this.#log.append([{ topic, partition, key, value, timestamp: timestampMs, headers }])
    this.#run()
  }

  /**
   * Stops every task and starts them again on the same log, as a restart after a crash would: the stores
   * are restored from their changelogs and the inputs resume at the committed positions (the driver
   * commits after each input, so nothing processed is lost). Stores got before must be got again.
   */
  restart(): void {
    void this.#streams.close()
    this.#streams = new EmbeddedStreams(this.#topology, this.#config)
    this.#streams.startSync()
  }

  /** Moves the wall clock and runs every punctuator that became due. */
  advanceWallClockTime(ms: number): void {
    this.clock.advance(ms)
    this.#run()
  }

  getStateStore<S extends StateStore>(name: string): S {
    return this.#streams.stateStore(name, 0) as S
  }

  /** The store of the task for `partition` (tests with several partitions). */
  getKeyValueStore<K, V>(name: string, partition = 0): KeyValueStore<K, V> {
    return this.#streams.stateStore(name, partition) as KeyValueStore<K, V>
  }

  get metrics(): EmbeddedStreams['metrics'] {
    return this.#streams.metrics
  }

  #run(): void {
    this.#streams.runUntilIdle()
    const failure = this.#streams.failure
    if (failure !== undefined) throw failure
  }

  close(): void {
    void this.#streams.close()
    this.#log.close()
  }
}

export class TestInputTopic<K, V> {
  readonly #driver: TestDriver
  readonly #topic: string
  readonly #keySerde: Serde<K>
  readonly #valueSerde: Serde<V>

  constructor(driver: TestDriver, topic: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.#driver = driver
    this.#topic = topic
    this.#keySerde = keySerde
    this.#valueSerde = valueSerde
  }

  pipeInput(key: K | null, value: V | null, timestampMs?: number, headers: Headers = {}): void {
    this.#driver.pipeRaw(
      this.#topic,
      key === null ? null : this.#keySerde.serialize(this.#topic, key),
      value === null ? null : this.#valueSerde.serialize(this.#topic, value),
      timestampMs,
      headers,
    )
  }

  pipeKeyValueList(list: readonly (readonly [K, V])[]): void {
    for (const [k, v] of list) this.pipeInput(k, v)
  }
}

export class TestOutputTopic<K, V> {
  readonly #outputs: Map<string, JournalRecord[]>
  readonly #topic: string
  readonly #keySerde: Serde<K>
  readonly #valueSerde: Serde<V>
  #read = 0

  constructor(
    outputs: Map<string, JournalRecord[]>,
    topic: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
  ) {
    this.#outputs = outputs
    this.#topic = topic
    this.#keySerde = keySerde
    this.#valueSerde = valueSerde
  }

  #pending(): JournalRecord[] {
    return (this.#outputs.get(this.#topic) ?? []).slice(this.#read)
  }

  isEmpty(): boolean {
    return this.#pending().length === 0
  }

  getQueueSize(): number {
    return this.#pending().length
  }

  /** The next record, in production order; throws when there is none. */
  readRecord(): Record<K | null, V | null> & { partition: number; offset: number } {
    const r = this.#pending()[0]
    if (r === undefined) throw new Error(`no record left on ${this.#topic}`)
    this.#read++
    const record = new Record(
      r.key === null ? null : this.#keySerde.deserialize(this.#topic, r.key),
      r.value === null ? null : this.#valueSerde.deserialize(this.#topic, r.value),
      r.timestamp,
      r.headers,
    )
    return Object.assign(record, { partition: r.partition, offset: r.offset })
  }

  readKeyValue(): [K | null, V | null] {
    const r = this.readRecord()
    return [r.key, r.value]
  }

  readValue(): V | null {
    return this.readRecord().value
  }

  readRecordsToList(): (Record<K | null, V | null> & { partition: number; offset: number })[] {
    const out = []
    while (!this.isEmpty()) out.push(this.readRecord())
    return out
  }

  readKeyValuesToList(): [K | null, V | null][] {
    return this.readRecordsToList().map((r) => [r.key, r.value])
  }
}
