/**
 * The Kafka transport's phases, against the real broker: EOS throughput over a
 * pre-produced input topic, end-to-end latency at a fixed offered rate, and
 * changelog restore of a million keys. The application is the counting app of
 * the tests (`test/support/counting-app.ts`, TRANSPORT=kafka) in its own
 * process, as in production; this process produces the inputs and reads the
 * outputs with `read_committed`.
 */
import { appendFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { Partitioners, type Admin, type Consumer, type Kafka, type Producer } from 'kafkajs'
import { COUNT_STORE } from '../../examples/counting/count-sum.ts'
import { changelogTopicName, ensureTopics } from '../../streams/index.ts'
import { deleteTopicsMatching, kafkaClient } from '../../test/support/kafka.ts'
import { startApp, type AppProcess } from '../../test/support/processes.ts'
import { countingSerdes, inputValue, PARTITIONS, type CountingSerdes } from './counting-data.ts'
import type { LatencyResult, RestoreResult } from './embedded-phases.ts'
import { log, percentile, rate, sleep } from './report.ts'

export const COMMIT_INTERVAL_MS = 100

export interface KafkaThroughput {
  /** False when not every output arrived within 120 s; the figures then cover what did. */
  readonly complete: boolean
  readonly records: number
  readonly produceMs: number
  /** Child spawned → "tasks ready" (process start, group join, fencing, empty restore): excluded. */
  readonly startupMs: number
  /** "tasks ready" → last output read with read_committed. */
  readonly processMs: number
  readonly perSecond: number
  /** First output read → last output read: the same run, measured without the start of processing. */
  readonly steadyPerSecond: number
  readonly firstOutputAfterReadyMs: number
  /** Error lines the app logged (kafkajs included) and task reassignments after the first, during the phase. */
  readonly appErrors: number
  readonly reassignments: number
}

interface LogLine {
  readonly time: number
  readonly msg: string
  readonly [field: string]: unknown
}

/** The counting app in a child process, with its pino lines parsed. */
class CountingApp {
  readonly app: AppProcess
  readonly spawnedAt = Date.now()
  readonly lines: LogLine[] = []

  constructor(env: { [key: string]: string }) {
    this.app = startApp('test/support/counting-app.ts', {
      TRANSPORT: 'kafka',
      SCHEMA_REGISTRY_URL: '',
      COMMIT_INTERVAL_MS: String(COMMIT_INTERVAL_MS),
      LOG_LEVEL: 'info',
      ...env,
    })
    const copy = process.env.BENCH_APP_LOG // a file that receives the app's log lines (diagnosis)
    createInterface({ input: this.app.child.stderr! }).on('line', (line) => {
      if (copy !== undefined) appendFileSync(copy, line + '\n')
      if (!line.startsWith('{')) return
      try {
        this.lines.push(JSON.parse(line) as LogLine)
      } catch {
        // not a log line
      }
    })
  }

  async waitForLine(msg: string, timeoutMs: number): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.lines.find((l) => l.msg === msg)
      if (found !== undefined) return found
      if (this.app.child.exitCode !== null) throw new Error(`counting app exited:\n${this.app.stderr()}`)
      if (Date.now() > deadline) throw new Error(`no "${msg}" log line after ${timeoutMs} ms`)
      await sleep(10)
    }
  }

  async stop(): Promise<void> {
    if (this.app.child.exitCode !== null) return
    this.app.child.kill('SIGTERM')
    const timer = setTimeout(() => this.app.child.kill('SIGKILL'), 20_000)
    await this.app.exited
    clearTimeout(timer)
  }
}

/** Reads an output topic with read_committed and timestamps every record's arrival. */
class OutputReader {
  readonly consumer: Consumer
  received = 0
  firstAt: number | undefined
  lastAt = 0
  /** When set: arrival − record timestamp of outputs whose timestamp is at or after `latencyFrom`. */
  latencies: number[] | undefined
  latencyFrom = Infinity

  constructor(kafka: Kafka, groupId: string) {
    this.consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 50 })
  }

  async start(topic: string): Promise<void> {
    let joined!: () => void
    const join = new Promise<void>((resolve) => (joined = resolve))
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => joined())
    await this.consumer.connect()
    await this.consumer.subscribe({ topics: [topic], fromBeginning: true })
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const at = Date.now()
        const n = batch.messages.length
        if (n === 0) return
        this.firstAt ??= at
        this.lastAt = at
        this.received += n
        if (this.latencies !== undefined)
          for (const m of batch.messages) {
            const ts = Number(m.timestamp)
            if (ts >= this.latencyFrom) this.latencies.push(at - ts)
          }
      },
    })
    await join
  }

  async waitFor(count: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (this.received < count && Date.now() < deadline) await sleep(5)
    return this.received >= count
  }
}

async function createTopics(admin: Admin, topics: readonly string[], compact = false): Promise<void> {
  const cleanupPolicy = compact ? 'compact' : 'delete'
  await ensureTopics(
    admin,
    topics.map((name) => ({ name, partitions: PARTITIONS, cleanupPolicy, retentionMs: null })),
  )
}

async function connectedProducer(kafka: Kafka, transactionalId?: string): Promise<Producer> {
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner, // murmur2, as the runtime's sinks
    ...(transactionalId === undefined
      ? { idempotent: true, maxInFlightRequests: 1 }
      : { transactionalId, idempotent: true, maxInFlightRequests: 1 }),
  })
  await producer.connect()
  return producer
}

/**
 * Throughput: `records` inputs produced before the app starts; measured from
 * the app's "tasks ready" log line (after its group join, producer fencing and
 * empty restore) to the last output read with read_committed. Then latency on
 * the same instance: `latencyRate` records/s for `latencySeconds`.
 */
export async function kafkaThroughputAndLatency(options: {
  prefix: string
  records: number
  latencyRate: number
  latencySeconds: number
}): Promise<{ throughput: KafkaThroughput; latency: LatencyResult }> {
  const { prefix } = options
  const names = { input: `${prefix}-input`, output: `${prefix}-output` }
  const appId = `${prefix}-eos`
  const kafka = kafkaClient('bench')
  const admin = kafka.admin()
  await admin.connect()
  const serdes = await countingSerdes(names)
  const reader = new OutputReader(kafka, `${prefix}-reader`)
  const readers = [reader]
  let producer: Producer | undefined
  let app: CountingApp | undefined
  try {
    await createTopics(admin, [names.input, names.output])
    producer = await connectedProducer(kafka)
    const n = options.records
    const produceStarted = Date.now()
    const timestamp = Date.now()
    const chunk = 10_000
    for (let i = 0; i < n; i += chunk) {
      const messages = []
      for (let j = i; j < Math.min(n, i + chunk); j++) {
        const v = inputValue(j, timestamp)
        messages.push({
          key: v.key,
          value: serdes.input.serialize(names.input, v),
          timestamp: String(timestamp),
        })
      }
      await producer.send({ topic: names.input, acks: -1, messages })
    }
    const produceMs = Date.now() - produceStarted
    log(`kafka: ${n} inputs produced in ${produceMs} ms`)

    await reader.start(names.output)
    app = new CountingApp({ APP_ID: appId, INPUT_TOPIC: names.input, OUTPUT_TOPIC: names.output })
    const ready = await app.waitForLine('tasks ready', 60_000)
    log(`kafka: app tasks ready ${ready.time - app.spawnedAt} ms after spawn`)
    const complete = await reader.waitFor(n, 120_000)
    // Incomplete after 120 s: the rate so far is reported, with a note.
    const processMs = (complete ? reader.lastAt : Date.now()) - ready.time
    const firstAt = reader.firstAt ?? Date.now()
    const throughput: KafkaThroughput = {
      complete,
      records: reader.received,
      produceMs,
      startupMs: ready.time - app.spawnedAt,
      processMs,
      perSecond: rate(reader.received, processMs),
      steadyPerSecond: rate(reader.received, reader.lastAt - firstAt),
      firstOutputAfterReadyMs: firstAt - ready.time,
      appErrors: app.lines.filter((l) => Number(l.level) >= 50).length,
      reassignments: app.lines.filter((l) => l.msg === 'tasks reassigned').length - 1,
    }
    log(`kafka: processed ${reader.received} of ${n} in ${processMs} ms`)

    // Latency on the same instance; when the backlog was not drained, on a fresh app and fresh topics.
    let target = { app, reader, serdes, input: names.input }
    if (!complete) {
      log('kafka: backlog not drained; latency runs on a fresh app and fresh topics')
      await app.stop()
      await reader.consumer.disconnect().catch(() => undefined)
      const fresh = { input: `${prefix}-lat-input`, output: `${prefix}-lat-output` }
      await createTopics(admin, [fresh.input, fresh.output])
      target = {
        app: new CountingApp({
          APP_ID: `${prefix}-lat`,
          INPUT_TOPIC: fresh.input,
          OUTPUT_TOPIC: fresh.output,
        }),
        reader: new OutputReader(kafka, `${prefix}-lat-reader`),
        serdes: await countingSerdes(fresh),
        input: fresh.input,
      }
      app = target.app
      readers.push(target.reader)
      await target.reader.start(fresh.output)
      await target.app.waitForLine('tasks ready', 60_000)
      await sleep(1000)
    }
    const errorsBefore = target.app.lines.filter((l) => Number(l.level) >= 50).length
    const latency = await measureLatency(producer, target, n, options.latencyRate, options.latencySeconds)
    const errors = target.app.lines.filter((l) => Number(l.level) >= 50).length - errorsBefore
    if (errors > 0) log(`kafka: the app logged ${errors} error lines during the latency phase`)
    return { throughput, latency }
  } finally {
    await app?.stop()
    await producer?.disconnect().catch(() => undefined)
    for (const r of readers) await r.consumer.disconnect().catch(() => undefined)
    await admin.disconnect()
  }
}

/** Open loop, small batches every 10 ms: producer timestamp → read_committed receipt of the output. */
async function measureLatency(
  producer: Producer,
  target: { reader: OutputReader; serdes: CountingSerdes; input: string },
  firstIndex: number,
  perSecond: number,
  seconds: number,
): Promise<LatencyResult> {
  const { reader, serdes, input } = target
  const total = perSecond * seconds
  const base = reader.received
  const latencies: number[] = []
  reader.latencies = latencies
  reader.latencyFrom = Date.now()
  let sent = 0
  const started = Date.now()
  while (sent < total) {
    const due = Math.min(total, Math.floor((perSecond * (Date.now() - started)) / 1000))
    if (due > sent) {
      const messages = []
      for (let j = sent; j < due; j++) {
        const ts = Date.now()
        const v = inputValue(firstIndex + j, ts)
        messages.push({ key: v.key, value: serdes.input.serialize(input, v), timestamp: String(ts) })
      }
      sent = due
      await producer.send({ topic: input, acks: -1, messages })
    }
    await sleep(10)
  }
  const generatedMs = Date.now() - started
  await reader.waitFor(base + total, 20_000)
  const latency: LatencyResult = {
    offeredPerSecond: perSecond,
    achievedPerSecond: rate(total, generatedMs),
    samples: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
  }
  log(`kafka: latency over ${latencies.length} of ${total} records, p50 ${latency.p50} ms`)
  return latency
}

/**
 * Restore: `keys` records written to `<appId>-count-sums-changelog` (12
 * partitions, compacted) in the store's format (string key, JSON
 * `{"total","count"}`) by a transactional producer, as the runtime writes it,
 * commit markers included; then a fresh counting app restores it, and its
 * "stores restored" line gives records and ms.
 */
export async function kafkaRestore(options: { prefix: string; keys: number }): Promise<RestoreResult> {
  const { prefix, keys } = options
  const appId = `${prefix}-restore`
  const changelog = changelogTopicName(appId, COUNT_STORE)
  const kafka = kafkaClient('bench')
  const admin = kafka.admin()
  await admin.connect()
  let producer: Producer | undefined
  let app: CountingApp | undefined
  try {
    await createTopics(admin, [changelog], true)
    producer = await connectedProducer(kafka, `${prefix}-changelog-writer`)
    const written = Date.now()
    const perTransaction = 50_000
    for (let i = 0; i < keys; i += perTransaction) {
      const messages = []
      for (let j = i; j < Math.min(keys, i + perTransaction); j++)
        messages.push({
          key: `key-${j}`,
          value: JSON.stringify({ total: j % 1000, count: (j % 7) + 1 }),
        })
      const transaction = await producer.transaction()
      try {
        await transaction.send({ topic: changelog, acks: -1, messages })
        await transaction.commit()
      } catch (error) {
        await transaction.abort().catch(() => undefined)
        throw error
      }
    }
    log(`kafka: changelog of ${keys} keys written in ${Date.now() - written} ms`)

    app = new CountingApp({
      APP_ID: appId,
      INPUT_TOPIC: `${prefix}-restore-input`,
      OUTPUT_TOPIC: `${prefix}-restore-output`,
    })
    const line = await app.waitForLine('stores restored', 120_000)
    const records = Number(line.records)
    const ms = Number(line.ms)
    if (records !== keys) throw new Error(`kafka restore: ${records} records restored, ${keys} written`)
    log(`kafka: restored ${records} records in ${ms} ms`)
    return { records, ms, perSecond: rate(records, ms) }
  } finally {
    await app?.stop()
    await producer?.disconnect().catch(() => undefined)
    await admin.disconnect()
  }
}

/** Deletes the run's topics and consumer groups. */
export async function cleanupKafka(prefix: string): Promise<void> {
  await deleteTopicsMatching(prefix)
  const admin = kafkaClient('bench-cleanup').admin()
  await admin.connect()
  try {
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix))
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined)
  } finally {
    await admin.disconnect()
  }
}
