/** Timing of booking commands from send to outcome, shared by the embedded and Kafka phases of `npm run bench:booking`. */

export interface BookingThroughput {
  /** False when not every outcome arrived in time; the figures then cover what did. */
  readonly complete: boolean
  readonly commands: number
  /** First command sent → last outcome received. */
  readonly ms: number
  readonly perSecond: number
  /** Send → outcome under saturation (queueing included). */
  readonly p50: number
  readonly p99: number
  /**
   * CPU time per command (µs) of the process running the pipeline, over the run: all threads (the
   * garbage collector's helpers included), and the main thread alone, the one the pipeline runs on.
   * Less sensitive to other load on the machine than the rate. Set where the pipeline runs in the
   * measuring process (embedded).
   */
  readonly cpuMicrosPerCommand?: number
  readonly mainThreadMicrosPerCommand?: number
}

export interface BookingLatency {
  readonly complete: boolean
  readonly offeredPerSecond: number
  readonly achievedPerSecond: number
  readonly samples: number
  readonly p50: number
  readonly p99: number
  readonly max: number
}

/** CPU time used so far (µs): the process's and, where Node reports it, the calling thread's. */
export function cpuMicros(): { process: number; thread: number | undefined } {
  const all = process.cpuUsage()
  const thread = process.threadCpuUsage?.()
  return {
    process: all.user + all.system,
    thread: thread === undefined ? undefined : thread.user + thread.system,
  }
}

/**
 * Send times by request ID, matched with outcomes as they arrive. A request ID sent twice gets two
 * outcome records (the repeat re-emits the kept outcome), matched first in, first out. Only
 * outstanding sends are kept.
 *
 * Sampled (for a pipeline in this process, whose thread the bookkeeping would share): every command
 * and every outcome is counted, but only the request IDs whose last character is a multiple of 16
 * (one in ten for IDs ending in a decimal counter) are kept and timed, so the latency percentiles
 * come from that sample.
 */
export class SendTimes {
  readonly #sampled: boolean
  /** First outstanding send per request ID. */
  readonly #pending = new Map<string, number>()
  /** Later sends of request IDs sent more than once, oldest first. */
  readonly #repeats = new Map<string, number[]>()
  #outstanding = 0
  latencies: number[] = []
  lastAt = 0

  constructor(options: { sampled?: boolean } = {}) {
    this.#sampled = options.sampled ?? false
  }

  sent(requestId: string, at: number): void {
    this.#outstanding++
    if (this.#sampled && requestId.charCodeAt(requestId.length - 1) % SAMPLE_MODULUS !== 0) return
    if (!this.#pending.has(requestId)) this.#pending.set(requestId, at)
    else {
      const queue = this.#repeats.get(requestId)
      if (queue === undefined) this.#repeats.set(requestId, [at])
      else queue.push(at)
    }
  }

  /** An outcome record for `requestId` arrived at `at`; outcomes of request IDs not sent are ignored. */
  received(requestId: string, at: number): void {
    const sentAt = this.#take(requestId)
    if (sentAt === undefined) return
    this.#outstanding--
    this.latencies.push(at - sentAt)
    this.lastAt = at
  }

  /**
   * An outcome record keyed `key` (the request ID's bytes) arrived at `at`. Sampled, every outcome
   * counts as a command done and a sampled one is also timed; else as `received`.
   */
  receivedOutcome(key: Buffer, at: number): void {
    if (!this.#sampled) {
      this.received(key.toString('utf8'), at)
      return
    }
    this.#outstanding--
    this.lastAt = at
    if (key.length === 0 || key[key.length - 1]! % SAMPLE_MODULUS !== 0) return
    const sentAt = this.#take(key.toString('utf8'))
    if (sentAt !== undefined) this.latencies.push(at - sentAt)
  }

  /** The oldest outstanding send of `requestId`, forgotten. */
  #take(requestId: string): number | undefined {
    const sentAt = this.#pending.get(requestId)
    if (sentAt === undefined) return undefined
    const queue = this.#repeats.get(requestId)
    if (queue === undefined) this.#pending.delete(requestId)
    else {
      this.#pending.set(requestId, queue.shift()!)
      if (queue.length === 0) this.#repeats.delete(requestId)
    }
    return sentAt
  }

  /** Commands sent without an outcome yet. */
  outstanding(): number {
    return this.#outstanding
  }

  async waitForAll(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (this.#outstanding > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2))
    return this.#outstanding === 0
  }

  /** Forgets everything (the next phase starts clean). */
  reset(): void {
    this.#pending.clear()
    this.#repeats.clear()
    this.#outstanding = 0
    this.latencies = []
    this.lastAt = 0
  }
}

/** A request ID is in the sample when its last character (an ASCII byte) is a multiple of this. */
const SAMPLE_MODULUS = 16
