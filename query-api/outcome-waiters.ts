/**
 * Wakes requests that wait (`Prefer: wait=N`) for something the read model applies: a request's outcome,
 * a booking or an event. The read model's `onApplied` hook calls `notify` on the instance that applied
 * the batch; in real mode that instance also publishes the change on a Redis channel, and every instance
 * notifies its own waiters from it (`RedisAppliedFanout`).
 */
import type { Redis } from 'ioredis'
import type { AppliedChanges } from '../read-models/catalog/index.ts'

/** One wait of `OutcomeWaiters.wait`: settles true when woken, false on timeout, abort or `cancel`. */
export interface Waiter {
  readonly promise: Promise<boolean>
  cancel(): void
}

export class OutcomeWaiters {
  readonly #waiting = new Map<string, Set<() => void>>()

  /**
   * Resolves true when `notify` names `id`, false after `timeoutMs`. Register before checking the read
   * model, so a change applied in between is not missed.
   */
  wait(id: string, timeoutMs: number, signal?: AbortSignal): Waiter {
    let done!: (woken: boolean) => void
    const promise = new Promise<boolean>((resolve) => (done = resolve))
    const wake = () => finish(true)
    const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs))
    const onAbort = () => finish(false)
    const finish = (woken: boolean) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      const set = this.#waiting.get(id)
      set?.delete(wake)
      if (set?.size === 0) this.#waiting.delete(id)
      done(woken)
    }
    signal?.addEventListener('abort', onAbort)
    let set = this.#waiting.get(id)
    if (set === undefined) this.#waiting.set(id, (set = new Set()))
    set.add(wake)
    return { promise, cancel: () => finish(false) }
  }

  /** Wakes every waiter of these IDs. */
  notify(ids: Iterable<string>): void {
    for (const id of ids) {
      const set = this.#waiting.get(id)
      if (set === undefined) continue
      for (const wake of [...set]) wake()
    }
  }

  notifyApplied(changes: AppliedChanges): void {
    this.notify(changes.requestIds)
    this.notify(changes.bookingIds)
    this.notify(changes.eventIds)
  }

  /** How many requests wait now (a gauge). */
  get size(): number {
    let n = 0
    for (const set of this.#waiting.values()) n += set.size
    return n
  }
}

export const APPLIED_CHANNEL = 'backend-event:api:applied'

/** Publishes applied changes to every instance and feeds the ones it receives to `onChanges`. */
export class RedisAppliedFanout {
  readonly #publisher: Redis
  readonly #subscriber: Redis
  readonly #channel: string

  constructor(publisher: Redis, subscriber: Redis, channel = APPLIED_CHANNEL) {
    this.#publisher = publisher
    this.#subscriber = subscriber
    this.#channel = channel
  }

  async start(onChanges: (changes: AppliedChanges) => void): Promise<void> {
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.#channel) return
      onChanges(JSON.parse(message) as AppliedChanges)
    })
    await this.#subscriber.subscribe(this.#channel)
  }

  async publish(changes: AppliedChanges): Promise<void> {
    await this.#publisher.publish(this.#channel, JSON.stringify(changes))
  }

  async close(): Promise<void> {
    await this.#subscriber.unsubscribe(this.#channel)
  }
}
