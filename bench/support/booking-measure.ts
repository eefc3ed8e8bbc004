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

/**
 * Send times by request ID, matched with outcomes as they arrive. A request ID sent twice gets two
 * outcome records (the repeat re-emits the kept outcome), matched first in, first out.
 */
export class SendTimes {
  readonly #pending = new Map<string, number[]>()
  #outstanding = 0
  latencies: number[] = []
  lastAt = 0

  sent(requestId: string, at: number): void {
    const queue = this.#pending.get(requestId)
    if (queue === undefined) this.#pending.set(requestId, [at])
    else queue.push(at)
    this.#outstanding++
  }

  /** An outcome record for `requestId` arrived at `at`; outcomes of request IDs not sent are ignored. */
  received(requestId: string, at: number): void {
    const queue = this.#pending.get(requestId)
    if (queue === undefined) return
    const sentAt = queue.shift()!
    if (queue.length === 0) this.#pending.delete(requestId)
    this.#outstanding--
    this.latencies.push(at - sentAt)
    this.lastAt = at
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
    this.#outstanding = 0
    this.latencies = []
    this.lastAt = 0
  }
}
