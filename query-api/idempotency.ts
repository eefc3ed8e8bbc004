/**
 * Request IDs for commands. An `Idempotency-Key` maps, per user, to one request ID (and the resource ID
 * the command names) for 24 hours; a repeat with the same key and the same request gets them back, a
 * repeat with another request is refused (409 IDEMPOTENCY_KEY_REUSED). Each command's request is also
 * registered for 24 hours, so `GET /api/v1/requests/{id}` can tell "pending" from "unknown" and check who
 * may read it. Shared through Redis across instances; in-process in the embedded mode.
 */
import type { Redis } from 'ioredis'

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

/**
 * The most Idempotency-Keys one user may introduce in `IDEMPOTENCY_TTL_MS` (a retry of a known key does not
 * count): far above what people do, and it bounds what one account can make the registry keep.
 */
export const MAX_KEYS_PER_USER = 1000

/** A user introduced more Idempotency-Keys than the registry's limit within 24 hours. */
export class TooManyKeysError extends Error {
  readonly limit: number

  constructor(limit: number) {
    super(`more than ${limit} Idempotency-Keys in 24 hours`)
    this.name = 'TooManyKeysError'
    this.limit = limit
  }
}

/** What one Idempotency-Key stands for. */
export interface IdempotentRequest {
  readonly requestId: string
  readonly resourceId: string
  /** Hash of method, route and body: tells a true repeat from a reused key. */
  readonly fingerprint: string
}

/** A command the API produced, as `GET /requests/{id}` needs to know it. */
export interface RegisteredRequest {
  readonly requestId: string
  readonly userId: string
  readonly eventId: string
  readonly resourceType: string
  readonly resourceId: string
  readonly commandType: string
  readonly acceptedAtMs: number
}

export interface RequestRegistry {
  /**
   * Stores `candidate` under the key unless one is there; returns the stored entry and whether it is new.
   * Rejects with TooManyKeysError when a new key would exceed the user's `MAX_KEYS_PER_USER`.
   */
  claim(
    scope: string,
    key: string,
    candidate: IdempotentRequest,
  ): Promise<{ entry: IdempotentRequest; fresh: boolean }>
  register(request: RegisteredRequest): Promise<void>
  lookup(requestId: string): Promise<RegisteredRequest | undefined>
  close(): Promise<void>
}

/** In-process registry (embedded mode, tests): maps with expiry checked on read. */
export class MemoryRequestRegistry implements RequestRegistry {
  readonly #keys = new Map<string, { entry: IdempotentRequest; expiresAtMs: number }>()
  readonly #requests = new Map<string, { entry: RegisteredRequest; expiresAtMs: number }>()
  readonly #perUser = new Map<string, { count: number; expiresAtMs: number }>()
  readonly #ttlMs: number
  readonly #maxKeys: number
  #writes = 0

  constructor(ttlMs = IDEMPOTENCY_TTL_MS, maxKeysPerUser = MAX_KEYS_PER_USER) {
    this.#ttlMs = ttlMs
    this.#maxKeys = maxKeysPerUser
  }

  async claim(scope: string, key: string, candidate: IdempotentRequest) {
    const k = `${scope}\u0000${key}`
    const now = Date.now()
    const kept = this.#keys.get(k)
    if (kept !== undefined && kept.expiresAtMs > now) return { entry: kept.entry, fresh: false }
    const window = this.#perUser.get(scope)
    const counted =
      window === undefined || window.expiresAtMs <= now
        ? { count: 1, expiresAtMs: now + this.#ttlMs }
        : { count: window.count + 1, expiresAtMs: window.expiresAtMs }
    if (counted.count > this.#maxKeys) throw new TooManyKeysError(this.#maxKeys)
    this.#perUser.set(scope, counted)
    this.#keys.set(k, { entry: candidate, expiresAtMs: now + this.#ttlMs })
    this.#sweep(now)
    return { entry: candidate, fresh: true }
  }

  async register(request: RegisteredRequest): Promise<void> {
    const now = Date.now()
    this.#requests.set(request.requestId, { entry: request, expiresAtMs: now + this.#ttlMs })
    this.#sweep(now)
  }

  async lookup(requestId: string): Promise<RegisteredRequest | undefined> {
    const kept = this.#requests.get(requestId)
    return kept !== undefined && kept.expiresAtMs > Date.now() ? kept.entry : undefined
  }

  async close(): Promise<void> {}

  /** Drops expired entries now and then, so the maps stay bounded by 24 h of traffic. */
  #sweep(now: number): void {
    if (++this.#writes % 1024 !== 0) return
    for (const map of [this.#keys, this.#requests, this.#perUser] as Map<string, { expiresAtMs: number }>[])
      for (const [k, v] of map) if (v.expiresAtMs <= now) map.delete(k)
  }
}

/**
 * Redis registry: `SET NX PX` for keys, plain `SET PX` for requests, and a per-user counter of new keys
 * (`INCR`, expiring 24 h after the user's first key of the window).
 */
export class RedisRequestRegistry implements RequestRegistry {
  readonly #redis: Redis
  readonly #prefix: string
  readonly #ttlMs: number
  readonly #maxKeys: number

  constructor(redis: Redis, options: { prefix?: string; ttlMs?: number; maxKeysPerUser?: number } = {}) {
    this.#redis = redis
    this.#prefix = options.prefix ?? 'backend-event:api:'
    this.#ttlMs = options.ttlMs ?? IDEMPOTENCY_TTL_MS
    this.#maxKeys = options.maxKeysPerUser ?? MAX_KEYS_PER_USER
  }

  async claim(
    scope: string,
    key: string,
    candidate: IdempotentRequest,
  ): Promise<{ entry: IdempotentRequest; fresh: boolean }> {
    const k = `${this.#prefix}idem:${scope}:${key}`
    const existing = await this.#redis.get(k)
    if (existing !== null) return { entry: JSON.parse(existing) as IdempotentRequest, fresh: false }
    const counter = `${this.#prefix}idem-count:${scope}`
    const [[, count]] = (await this.#redis
      .multi()
      .incr(counter)
      .pexpire(counter, this.#ttlMs, 'NX')
      .exec()) as [[Error | null, number], [Error | null, number]]
    if (count > this.#maxKeys) throw new TooManyKeysError(this.#maxKeys)
    const set = await this.#redis.set(k, JSON.stringify(candidate), 'PX', this.#ttlMs, 'NX')
    if (set === 'OK') return { entry: candidate, fresh: true }
    const kept = await this.#redis.get(k)
    if (kept === null) return this.claim(scope, key, candidate) // expired in between
    return { entry: JSON.parse(kept) as IdempotentRequest, fresh: false }
  }

  async register(request: RegisteredRequest): Promise<void> {
    await this.#redis.set(
      `${this.#prefix}req:${request.requestId}`,
      JSON.stringify(request),
      'PX',
      this.#ttlMs,
    )
  }

  async lookup(requestId: string): Promise<RegisteredRequest | undefined> {
    const kept = await this.#redis.get(`${this.#prefix}req:${requestId}`)
    return kept === null ? undefined : (JSON.parse(kept) as RegisteredRequest)
  }

  async close(): Promise<void> {}
}
