import type { Redis } from 'ioredis'

/** Rejected requests (401, 403, 404) an address may cause per window before it is refused outright. */
export const REJECTIONS_PER_WINDOW = 30

/**
 * Counts the requests an address got refused (401, 403, 404: bad or missing tokens, roles, resources it may
 * not see) per fixed window, and tells when the address is over its budget: from then on every request of
 * that address answers 429 until the window ends, so guessing tokens, probing IDs or scanning routes costs
 * a window per budget. Redis-shared across instances (one INCR per rejection), in-process without Redis.
 */
export interface RejectionCounter {
  /** Milliseconds until `address` may try again, or 0 when it is under its budget. */
  blockedFor(address: string): Promise<number>
  /** Counts one rejection of `address`. */
  record(address: string): Promise<void>
}

/** The in-process counter of one API instance (embedded mode, tests). */
export class MemoryRejectionCounter implements RejectionCounter {
  readonly #limit: number
  readonly #windowMs: number
  readonly #windows = new Map<string, { count: number; endsAt: number }>()

  constructor(limit = REJECTIONS_PER_WINDOW, windowMs = 60_000) {
    this.#limit = limit
    this.#windowMs = windowMs
  }

  async blockedFor(address: string): Promise<number> {
    const window = this.#windows.get(address)
    const now = Date.now()
    if (window === undefined || window.endsAt <= now) return 0
    return window.count >= this.#limit ? window.endsAt - now : 0
  }

  async record(address: string): Promise<void> {
    const now = Date.now()
    const window = this.#windows.get(address)
    if (window !== undefined && window.endsAt > now) {
      window.count++
      return
    }
    if (this.#windows.size >= 100_000) this.#prune(now)
    this.#windows.set(address, { count: 1, endsAt: now + this.#windowMs })
  }

  #prune(now: number): void {
    for (const [address, window] of this.#windows) if (window.endsAt <= now) this.#windows.delete(address)
    // Still full of live windows: forget the oldest rather than grow without bound.
    while (this.#windows.size >= 100_000) this.#windows.delete(this.#windows.keys().next().value!)
  }
}

/** The Redis-shared counter: one key per address and window, expiring with it. */
export class RedisRejectionCounter implements RejectionCounter {
  readonly #redis: Redis
  readonly #limit: number
  readonly #windowMs: number
  readonly #prefix: string

  constructor(
    redis: Redis,
    limit = REJECTIONS_PER_WINDOW,
    windowMs = 60_000,
    prefix = 'backend-event:api:rejected:',
  ) {
    this.#redis = redis
    this.#limit = limit
    this.#windowMs = windowMs
    this.#prefix = prefix
  }

  async blockedFor(address: string): Promise<number> {
    const key = this.#prefix + address
    const [count, ttl] = await Promise.all([this.#redis.get(key), this.#redis.pttl(key)])
    return count !== null && Number(count) >= this.#limit && ttl > 0 ? ttl : 0
  }

  async record(address: string): Promise<void> {
    const key = this.#prefix + address
    // The first rejection of a window creates the key with the window's expiry; later ones only count.
    await this.#redis.multi().set(key, 0, 'PX', this.#windowMs, 'NX').incr(key).exec()
  }
}
