/**
 * The booking benchmark on the embedded transport: the booking topology on `EmbeddedStreams` over an
 * `EmbeddedLog` in a temporary folder (journal on disk, fdatasync at most 100 ms after an append), in
 * this process, as `npm start` runs it. Commands are appended in batches; a command's outcome is seen
 * when the frame holding it is appended (`log.onAppend`), which is when a reader could consume it.
 * The throughput run counts every outcome but times a sample of the request IDs (see SendTimes), so
 * that the bookkeeping of this process weighs little on the pipeline it shares the thread with.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BookingCommand, EventCommand } from '../../avro/index.ts'
import { LocalSchemaRegistry } from '../../avro/index.ts'
import { TOPICS } from '../../infra/topics.ts'
import { defaultPartitioner, EmbeddedLog, EmbeddedStreams, type OutgoingRecord } from '../../streams/index.ts'
import {
  buildBookingTopology,
  createBookingSerdes,
  type BookingSerdes,
} from '../../topologies/booking-topology.ts'
import { DEFAULT_TOPIC_NAMES } from '../../topologies/index.ts'
import type { FlashSalePlan } from '../../test/support/booking-load.ts'
import { cpuMicros, SendTimes, type BookingLatency, type BookingThroughput } from './booking-measure.ts'
import { log, now, percentile, rate, sleep } from './report.ts'

const PARTITIONS = 12

/** Key bytes per event ID: a run has a few events and many commands. */
const keys = new Map<string, Buffer>()

function keyOf(eventId: string): Buffer {
  let key = keys.get(eventId)
  if (key === undefined) keys.set(eventId, (key = Buffer.from(eventId, 'utf8')))
  return key
}

function records<T extends { eventId: string }>(
  topic: string,
  commands: readonly T[],
  serialize: (topic: string, value: T) => Buffer,
): OutgoingRecord[] {
  const timestamp = Date.now()
  return commands.map((c) => {
    const key = keyOf(c.eventId)
    const partition = defaultPartitioner(topic, key, null, PARTITIONS)
    return { topic, partition, key, value: serialize(topic, c), timestamp, headers: {} }
  })
}

/** A running embedded booking pipeline with its outcomes timed on append. */
export class EmbeddedBookingBench {
  readonly dir = mkdtempSync(join(tmpdir(), 'bench-booking-'))
  readonly log = EmbeddedLog.open({ dir: this.dir, fsyncIntervalMs: 100 })
  /** Setting up and the latency runs time every command; the throughput run a sample (see SendTimes). */
  readonly #every = new SendTimes()
  readonly #sample = new SendTimes({ sampled: true })
  #times = this.#every
  readonly #serdes: BookingSerdes
  readonly #streams: EmbeddedStreams
  readonly #unsubscribe: () => void

  private constructor(serdes: BookingSerdes) {
    this.#serdes = serdes
    this.#streams = new EmbeddedStreams(buildBookingTopology({ serdes }), {
      applicationId: 'bench-booking',
      deadLetterTopic: DEFAULT_TOPIC_NAMES.deadLetters,
      topics: TOPICS,
      commitIntervalMs: 100,
      log: this.log,
    })
    this.#unsubscribe = this.log.onAppend((appended) => {
      const at = now()
      for (const r of appended)
        if (r.topic === DEFAULT_TOPIC_NAMES.requestOutcomes) this.#times.receivedOutcome(r.key!, at)
    })
  }

  static async start(): Promise<EmbeddedBookingBench> {
    const serdes = createBookingSerdes(new LocalSchemaRegistry())
    await serdes.init()
    const bench = new EmbeddedBookingBench(serdes)
    await bench.#streams.start()
    return bench
  }

  /** Appends the events' commands and waits for their outcomes. */
  async setUp(plan: FlashSalePlan): Promise<void> {
    const at = now()
    for (const c of plan.eventCommands) this.#times.sent(c.requestId, at)
    this.log.append(
      records<EventCommand>(DEFAULT_TOPIC_NAMES.eventCommands, plan.eventCommands, (t, v) =>
        this.#serdes.eventCommand.serialize(t, v),
      ),
    )
    if (!(await this.#times.waitForAll(30_000)))
      throw new Error('embedded: the events were not set up within 30 s')
    this.#times.reset()
  }

  /**
   * Throughput: every command of the plan appended in batches of `batch` as fast as the pipeline takes
   * them (at most `window` commands without an outcome), timed from the first append to the last outcome.
   */
  async throughput(plan: FlashSalePlan, batch = 1000, window = 20_000): Promise<BookingThroughput> {
    const sends = plan.sends
    this.#times = this.#sample
    const cpuBefore = cpuMicros()
    const started = now()
    for (let i = 0; i < sends.length; i += batch) {
      while (this.#times.outstanding() > window) await sleep(1)
      const slice = sends.slice(i, i + batch)
      const at = now()
      for (const c of slice) this.#times.sent(c.requestId, at)
      this.log.append(
        records<BookingCommand>(DEFAULT_TOPIC_NAMES.bookingCommands, slice, (t, v) =>
          this.#serdes.bookingCommand.serialize(t, v),
        ),
      )
      await new Promise((r) => setImmediate(r))
    }
    const complete = await this.#times.waitForAll(120_000)
    const cpuAfter = cpuMicros()
    const ms = this.#times.lastAt - started
    const latencies = this.#times.latencies
    this.#times.reset()
    this.#times = this.#every
    log(`embedded: ${sends.length} commands in ${Math.round(ms)} ms`)
    return {
      complete,
      commands: sends.length,
      ms,
      perSecond: rate(sends.length, ms),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      cpuMicrosPerCommand: (cpuAfter.process - cpuBefore.process) / sends.length,
      ...(cpuAfter.thread === undefined || cpuBefore.thread === undefined
        ? {}
        : { mainThreadMicrosPerCommand: (cpuAfter.thread - cpuBefore.thread) / sends.length }),
    }
  }

  /** Latency at a fixed offered rate: due commands appended every millisecond (open loop). */
  async latency(plan: FlashSalePlan, perSecond: number): Promise<BookingLatency> {
    const sends = plan.sends
    let sent = 0
    const started = now()
    while (sent < sends.length) {
      const due = Math.min(sends.length, Math.floor((perSecond * (now() - started)) / 1000))
      if (due > sent) {
        const slice = sends.slice(sent, due)
        const at = now()
        for (const c of slice) this.#times.sent(c.requestId, at)
        this.log.append(
          records<BookingCommand>(DEFAULT_TOPIC_NAMES.bookingCommands, slice, (t, v) =>
            this.#serdes.bookingCommand.serialize(t, v),
          ),
        )
        sent = due
      }
      await sleep(1)
    }
    const offeredMs = now() - started
    const complete = await this.#times.waitForAll(30_000)
    const latencies = this.#times.latencies
    this.#times.reset()
    log(`embedded: latency at ${perSecond}/s over ${latencies.length} commands`)
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

  async close(): Promise<void> {
    this.#unsubscribe()
    await this.#streams.close()
    this.log.close()
    rmSync(this.dir, { recursive: true, force: true })
  }
}
