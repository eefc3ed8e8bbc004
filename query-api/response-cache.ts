/**
 * Cache of catalog answers (search pages, event details) with generation-based invalidation: each entry is
 * stored under the current generation of its tag (`catalog`, `event:<id>`); invalidating a tag bumps its
 * generation, so stale entries are never read again (and a read racing an invalidation stores under the
 * old generation, harmlessly). The read model's `onApplied` hook invalidates. Redis in real mode (one
 * round trip per read, a Lua script), in-process in the embedded mode.
 */
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'

export interface CachedResponse {
  readonly etag: string
  readonly body: string
}

export interface ResponseCache {
  /** The entry of `key` under the tag's current generation, and that generation (pass it to `set`). */
  get(tag: string, key: string): Promise<{ hit: CachedResponse | undefined; generation: string }>
  set(tag: string, generation: string, key: string, value: CachedResponse): Promise<void>
  invalidate(tags: readonly string[]): Promise<void>
}

/** A strong ETag of a serialized body. */
export function etagOf(body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`
}

/** Whether an `If-None-Match` header matches the ETag (lists and `*` included; weak comparison). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  const strip = (t: string) => t.trim().replace(/^W\//, '')
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || strip(t) === strip(etag))
}

export class MemoryResponseCache implements ResponseCache {
  readonly #generations = new Map<string, number>()
  readonly #entries = new Map<string, { value: CachedResponse; expiresAtMs: number }>()
  readonly #ttlMs: number
  readonly #maxEntries: number

  constructor(options: { ttlMs?: number; maxEntries?: number } = {}) {
    this.#ttlMs = options.ttlMs ?? 60_000
    this.#maxEntries = options.maxEntries ?? 10_000
  }

  async get(tag: string, key: string) {
    const generation = String(this.#generations.get(tag) ?? 0)
    const entry = this.#entries.get(`${tag}@${generation}:${key}`)
    return {
      hit: entry !== undefined && entry.expiresAtMs > Date.now() ? entry.value : undefined,
      generation,
    }
  }

  async set(tag: string, generation: string, key: string, value: CachedResponse): Promise<void> {
    if (String(this.#generations.get(tag) ?? 0) !== generation) return
    if (this.#entries.size >= this.#maxEntries) this.#entries.clear()
    this.#entries.set(`${tag}@${generation}:${key}`, { value, expiresAtMs: Date.now() + this.#ttlMs })
  }

  async invalidate(tags: readonly string[]): Promise<void> {
    for (const tag of tags) {
      this.#generations.set(tag, (this.#generations.get(tag) ?? 0) + 1)
      const prefix = `${tag}@`
      for (const k of this.#entries.keys()) if (k.startsWith(prefix)) this.#entries.delete(k)
    }
  }
}

const GET_SCRIPT = `
local g = redis.call('GET', KEYS[1]) or '0'
return {g, redis.call('GET', ARGV[1] .. g .. ':' .. ARGV[2])}
`

export class RedisResponseCache implements ResponseCache {
  readonly #redis: Redis
  readonly #prefix: string
  readonly #ttlMs: number

  constructor(redis: Redis, options: { prefix?: string; ttlMs?: number } = {}) {
    this.#redis = redis
    this.#prefix = options.prefix ?? 'backend-event:api:cache:'
    this.#ttlMs = options.ttlMs ?? 60_000
  }

  async get(tag: string, key: string) {
    const [generation, raw] = (await this.#redis.eval(
      GET_SCRIPT,
      1,
      `${this.#prefix}gen:${tag}`,
      `${this.#prefix}${tag}@`,
      key,
    )) as [string, string | null]
    return {
      hit: raw === null ? undefined : (JSON.parse(raw) as CachedResponse),
      generation: String(generation),
    }
  }

  async set(tag: string, generation: string, key: string, value: CachedResponse): Promise<void> {
    await this.#redis.set(
      `${this.#prefix}${tag}@${generation}:${key}`,
      JSON.stringify(value),
      'PX',
      this.#ttlMs,
    )
  }

  async invalidate(tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return
    const pipeline = this.#redis.pipeline()
    for (const tag of tags) pipeline.incr(`${this.#prefix}gen:${tag}`)
    await pipeline.exec()
  }
}
