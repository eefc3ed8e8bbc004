/**
 * The live availability of events on one API instance: one feed per watched event reads the event's
 * recorded changes (read-models/catalog availability.ts) each time the read model applies a batch naming
 * the event (the applied-changes notifications of outcome-waiters.ts: local, or from every instance
 * through Redis), and at least every `pollMs` in case a notification was lost. Each stream keeps the last
 * position it sent and fetches any positions it missed itself, so what it sends is every change after its
 * start, in order, once.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { AvailabilityChange, ReadModel } from '../read-models/catalog/index.ts'
import type { OutcomeWaiters } from './outcome-waiters.ts'

/** The most changes one read brings. */
const PAGE = 500

type Listener = (changes: readonly AvailabilityChange[]) => void

class EventFeed {
  readonly #listeners = new Set<Listener>()
  #position = -1
  #running = false

  readonly eventId: string
  readonly feeds: AvailabilityFeeds

  constructor(eventId: string, feeds: AvailabilityFeeds) {
    this.eventId = eventId
    this.feeds = feeds
  }

  get listeners(): number {
    return this.#listeners.size
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener)
    if (!this.#running) void this.#run()
    return () => {
      this.#listeners.delete(listener)
    }
  }

  async #run(): Promise<void> {
    this.#running = true
    const { readModel, waiters, pollMs, logger } = this.feeds.deps
    try {
      if (this.#position < 0)
        this.#position = (await readModel.latestAvailability(this.eventId))?.position ?? 0
      while (this.#listeners.size > 0) {
        // Registered before reading: a batch applied during the read wakes the next round.
        const woken = waiters.wait(this.eventId, pollMs)
        let full = false
        try {
          const { changes } = await readModel.availabilityChanges(this.eventId, this.#position, PAGE)
          if (changes.length > 0) {
            this.#position = changes.at(-1)!.position
            for (const listener of [...this.#listeners]) listener(changes)
          }
          full = changes.length === PAGE
        } catch (error) {
          logger.warn({ err: error, eventId: this.eventId }, 'availability read failed')
        }
        if (full) woken.cancel()
        await woken.promise
      }
    } finally {
      this.#running = false
      this.feeds.dropIfIdle(this)
    }
  }
}

/** The read model and wake-ups the feeds use. */
export interface FeedDeps {
  readonly readModel: ReadModel
  readonly waiters: OutcomeWaiters
  /** A feed reads at least this often without a notification. */
  readonly pollMs: number
  readonly logger: FastifyBaseLogger
}

/** The instance's feeds, one per event with open streams. */
export class AvailabilityFeeds {
  readonly #feeds = new Map<string, EventFeed>()

  readonly deps: FeedDeps

  constructor(deps: FeedDeps) {
    this.deps = deps
  }

  /** Calls `listener` with each batch of new changes of the event; returns the unsubscribe function. */
  subscribe(eventId: string, listener: Listener): () => void {
    let feed = this.#feeds.get(eventId)
    if (feed === undefined) this.#feeds.set(eventId, (feed = new EventFeed(eventId, this)))
    return feed.subscribe(listener)
  }

  /** Forgets a feed whose last stream closed (its loop has ended). */
  dropIfIdle(feed: EventFeed): void {
    if (feed.listeners === 0 && this.#feeds.get(feed.eventId) === feed) this.#feeds.delete(feed.eventId)
  }
}

/** Open streams per client address and on the instance, within the caps. */
export class StreamSlots {
  readonly #perIp = new Map<string, number>()
  #total = 0

  readonly maxPerIp: number
  readonly maxTotal: number

  constructor(maxPerIp: number, maxTotal: number) {
    this.maxPerIp = maxPerIp
    this.maxTotal = maxTotal
  }

  get open(): number {
    return this.#total
  }

  /** A release function, or why not: 'ip' or 'instance' when a cap is reached. */
  acquire(ip: string): (() => void) | 'ip' | 'instance' {
    if (this.#total >= this.maxTotal) return 'instance'
    const mine = this.#perIp.get(ip) ?? 0
    if (mine >= this.maxPerIp) return 'ip'
    this.#perIp.set(ip, mine + 1)
    this.#total++
    let released = false
    return () => {
      if (released) return
      released = true
      this.#total--
      const left = (this.#perIp.get(ip) ?? 1) - 1
      if (left === 0) this.#perIp.delete(ip)
      else this.#perIp.set(ip, left)
    }
  }
}
