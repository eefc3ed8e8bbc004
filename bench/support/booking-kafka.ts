/**
 * The booking benchmark on Kafka with EOS: the booking pipeline in a child process
 * (`test/support/booking-app.ts`, i.e. `startPipeline` with KAFKA_BROKERS), as in production; this
 * process produces the commands (idempotent producer, keyed by eventId) and reads the outcomes topic
 * with `read_committed`. The topics are the service's fixed ones: the app's group and the reader start
 * at their current end, so earlier runs' records are not replayed (do not run this concurrently with
 * the flash-sale test, whose app would decide these commands too).
 */
import { Partitioners, type Consumer, type Kafka, type Producer } from 'kafkajs'
import type { BookingCommand, EventCommand } from '../../avro/index.ts'
import { loadConfig } from '../../infra/config.ts'
import { schemaRegistryFor } from '../../infra/serdes.ts'
import { createBookingSerdes, type BookingSerdes } from '../../topologies/booking-topology.ts'
import { DEFAULT_TOPIC_NAMES } from '../../topologies/index.ts'
import {
  commitGroupOffsets,
  createAppTopics,
  endOffsets,
  type FlashSalePlan,
} from '../../test/support/booking-load.ts'
import { deleteTopicsMatching, kafkaClient } from '../../test/support/kafka.ts'
import { startApp, type AppProcess } from '../../test/support/processes.ts'
import { SendTimes, type BookingLatency, type BookingThroughput } from './booking-measure.ts'
import { log, percentile, rate, sleep } from './report.ts'

const ALL_TASKS = 12

export class KafkaBookingBench {
  readonly times = new SendTimes()
  readonly appId: string
  /** Child spawned → every task ready (process start, group join, fencing, empty restore). */
  startupMs = 0
  readonly #kafka: Kafka
  readonly #serdes: BookingSerdes
  readonly #reader: Consumer
  readonly #producer: Producer
  #app: AppProcess | undefined

  private constructor(appId: string, kafka: Kafka, serdes: BookingSerdes) {
    this.appId = appId
    this.#kafka = kafka
    this.#serdes = serdes
    this.#reader = kafka.consumer({ groupId: `${appId}-reader`, readUncommitted: false, maxWaitTimeInMs: 20 })
    this.#producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner, // murmur2, as the runtime
    })
  }

  /** Seeds the groups at the topics' end, starts the outcome reader and the app, waits for its 12 tasks. */
  static async start(appId: string): Promise<KafkaBookingBench> {
    const kafka = kafkaClient('bench-booking')
    // The service's registry (SCHEMA_REGISTRY_URL): the topics are the service's own, and a record written
    // with another registry's IDs would be read by every other reader of them as some other schema.
    const serdes = createBookingSerdes(schemaRegistryFor(loadConfig()))
    await serdes.init()
    const bench = new KafkaBookingBench(appId, kafka, serdes)
    await createAppTopics(kafka, appId, serdes)
    const sources = [
      DEFAULT_TOPIC_NAMES.eventCommands,
      DEFAULT_TOPIC_NAMES.bookingCommands,
      DEFAULT_TOPIC_NAMES.paymentStatus,
      DEFAULT_TOPIC_NAMES.crewStatus,
    ]
    await commitGroupOffsets(kafka, appId, await endOffsets(kafka, sources))
    await commitGroupOffsets(
      kafka,
      `${appId}-reader`,
      await endOffsets(kafka, [DEFAULT_TOPIC_NAMES.requestOutcomes]),
    )
    await bench.#producer.connect()
    await bench.#reader.connect()
    await bench.#reader.subscribe({ topics: [DEFAULT_TOPIC_NAMES.requestOutcomes], fromBeginning: false })
    await bench.#reader.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const at = Date.now()
        for (const m of batch.messages) if (m.key !== null) bench.times.received(m.key.toString('utf8'), at)
      },
    })
    const spawned = Date.now()
    bench.#app = startApp('test/support/booking-app.ts', {
      APPLICATION_ID: appId,
      COMMIT_INTERVAL_MS: '100',
      LOG_LEVEL: 'warn',
    })
    await bench.#app.ready
    await bench.#app.waitFor<{ tasks?: string[] }>((l) => l.tasks?.length === ALL_TASKS, 90_000)
    bench.startupMs = Date.now() - spawned
    log(`kafka: app ${appId} runs ${ALL_TASKS} tasks ${bench.startupMs} ms after spawn`)
    return bench
  }

  async #send<T extends { eventId: string; requestId: string }>(
    topic: string,
    commands: readonly T[],
    serialize: (topic: string, value: T) => Buffer,
  ): Promise<void> {
    const at = Date.now()
    const messages = commands.map((c) => ({
      key: c.eventId,
      value: serialize(topic, c),
      timestamp: String(at),
    }))
    for (const c of commands) this.times.sent(c.requestId, at)
    await this.#producer.send({ topic, acks: -1, messages })
  }

  /** Produces the events' commands and waits for their outcomes. */
  async setUp(plan: FlashSalePlan): Promise<void> {
    await this.#send<EventCommand>(DEFAULT_TOPIC_NAMES.eventCommands, plan.eventCommands, (t, v) =>
      this.#serdes.eventCommand.serialize(t, v),
    )
    if (!(await this.times.waitForAll(60_000)))
      throw new Error('kafka: the events were not set up within 60 s')
    this.times.reset()
  }

  /**
   * Throughput: the plan's commands produced in chunks of `chunk` while at most `window` await their
   * outcome, timed from the first send to the last outcome read.
   */
  async throughput(plan: FlashSalePlan, chunk = 2000, window = 20_000): Promise<BookingThroughput> {
    const sends = plan.sends
    const started = Date.now()
    for (let i = 0; i < sends.length; i += chunk) {
      while (this.times.outstanding() > window) await sleep(5)
      await this.#send<BookingCommand>(
        DEFAULT_TOPIC_NAMES.bookingCommands,
        sends.slice(i, i + chunk),
        (t, v) => this.#serdes.bookingCommand.serialize(t, v),
      )
    }
    const complete = await this.times.waitForAll(120_000)
    const received = sends.length - this.times.outstanding()
    const ms = (complete ? this.times.lastAt : Date.now()) - started
    const latencies = this.times.latencies
    this.times.reset()
    log(`kafka: ${received} of ${sends.length} outcomes in ${ms} ms`)
    return {
      complete,
      commands: received,
      ms,
      perSecond: rate(received, ms),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    }
  }

  /** Latency at a fixed offered rate: due commands produced every 10 ms (open loop). */
  async latency(plan: FlashSalePlan, perSecond: number): Promise<BookingLatency> {
    const sends = plan.sends
    let sent = 0
    const started = Date.now()
    while (sent < sends.length) {
      const due = Math.min(sends.length, Math.floor((perSecond * (Date.now() - started)) / 1000))
      if (due > sent) {
        const slice = sends.slice(sent, due)
        sent = due
        await this.#send<BookingCommand>(DEFAULT_TOPIC_NAMES.bookingCommands, slice, (t, v) =>
          this.#serdes.bookingCommand.serialize(t, v),
        )
      }
      await sleep(10)
    }
    const offeredMs = Date.now() - started
    const complete = await this.times.waitForAll(30_000)
    const latencies = this.times.latencies
    this.times.reset()
    log(`kafka: latency at ${perSecond}/s over ${latencies.length} commands`)
    return {
      complete,
      offeredPerSecond: perSecond,
      achievedPerSecond: rate(sends.length, offeredMs),
      samples: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: percentile(latencies, 100),
    }
  }

  /** Stops the app (SIGTERM, clean close), the clients, and deletes the run's changelogs and groups. */
  async close(): Promise<void> {
    const app = this.#app
    if (app !== undefined && app.child.exitCode === null) {
      app.child.kill('SIGTERM')
      const timer = setTimeout(() => app.child.kill('SIGKILL'), 20_000)
      await app.exited
      clearTimeout(timer)
    }
    await this.#reader.disconnect().catch(() => undefined)
    await this.#producer.disconnect().catch(() => undefined)
    await deleteTopicsMatching(this.appId).catch(() => undefined)
    const admin = this.#kafka.admin()
    await admin.connect()
    await admin.deleteGroups([this.appId, `${this.appId}-reader`]).catch(() => undefined)
    await admin.disconnect()
  }
}
