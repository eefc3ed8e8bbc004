import { stringSerde, type Serde } from './serde.ts'

/** Any store a processor can reach through `ProcessorContext.getStateStore`. */
export interface StateStore {
  readonly name: string
}

/**
 * A key-value store owned by one task, as Kafka Streams' `KeyValueStore`.
 * Writes are visible at once to the task and reach the store's compacted
 * changelog topic in the same transaction as the outputs and input offsets of
 * the commit that follows, so the store survives crashes and moves with its
 * task. Values are kept by reference: put a new object, never mutate one that
 * was put (records and state are immutable by convention).
 */
export interface KeyValueStore<K, V> extends StateStore {
  get(key: K): V | undefined
  put(key: K, value: V): void
  /** Puts only when the key is absent; returns the existing value otherwise. */
  putIfAbsent(key: K, value: V): V | undefined
  /** Removes the key (a tombstone in the changelog); returns the old value. */
  delete(key: K): V | undefined
  /** Every entry, in insertion order of the keys. Do not write while iterating. */
  all(): IterableIterator<[K, V]>
  /**
   * The entries whose string key starts with `prefix`, in insertion order of the keys (Kafka Streams'
   * `prefixScan`): a snapshot, so writes while iterating are allowed. A prefix that is one segment and
   * its `/` (`event-1/`) is answered from an index of the keys by their first segment, without visiting
   * the rest of the store; any other prefix visits every key, decoding only the matches.
   */
  prefixScan(prefix: string): IterableIterator<[K, V]>
  approximateNumEntries(): number
}

/** A changelog write: serialized key, serialized value or null for a tombstone. */
export interface ChangelogRecord {
  readonly key: Buffer
  readonly value: Buffer | null
}

/**
 * What the runtime needs of a store beyond the processor's view: restore from the
 * changelog, collect the writes since the last commit, and undo the writes of a
 * record whose processing failed (so a dead-lettered record leaves no trace).
 */
export interface RuntimeStore extends StateStore {
  readonly logged: boolean
  /**
   * Applies a changelog record. The store keeps a copy of `value` unless `stable` says its bytes are
   * never written over nor part of a larger buffer the store should not hold on to (the embedded log's
   * records: views into the journal it keeps in memory anyway, or copies of their own).
   */
  restore(key: Buffer, value: Buffer | null, stable?: boolean): void
  /**
   * Applies a changelog record whose key and value are ranges of `bytes` (a value length of -1 is a
   * tombstone), bytes that are never written over (the embedded log's): the store keeps a view of the
   * value, and makes no buffer of the key when it reads it as a string.
   */
  restoreFrom(bytes: Buffer, keyAt: number, keyLength: number, valueAt: number, valueLength: number): void
  /** Serialized writes since the last call, one per key (the last write wins). */
  drainChangelog(changelogTopic: string): ChangelogRecord[]
  /** Start remembering previous values (one record's processing). */
  savepoint(): void
  /** Put back every value written since `savepoint`. */
  rollback(): void
  /** Forget the undo information (the record succeeded). */
  release(): void
}

/** Describes a store; the runtime builds one instance per task. */
export interface StoreBuilder {
  readonly name: string
  /** Whether the store has a changelog topic (`<appId>-<name>-changelog`). */
  readonly logged: boolean
  build(): RuntimeStore
}

const ABSENT = Symbol('absent')

/**
 * A value restored from the changelog and not read since: its bytes, decoded on first use. A restart
 * keeps the bytes it restores (a copy, or the embedded journal's own) and decodes only what processing touches (Kafka Streams' stores keep bytes too).
 */
class Restored {
  /** Holds the value at [at, at + length); a restore makes no view of it until it is read. */
  readonly bytes: Buffer
  readonly at: number
  readonly length: number
  constructor(bytes: Buffer, at: number, length: number) {
    this.bytes = bytes
    this.at = at
    this.length = length
  }
}

/**
 * In-memory key-value store backed by a changelog. Keys are indexed by their
 * string form (string keys as they are, other keys by their serialized bytes),
 * values are serialized only when a commit collects them, once per key: Kafka
 * Streams' record cache, so a key written many times between two commits costs
 * one changelog record.
 */
export class InMemoryKeyValueStore<K, V> implements KeyValueStore<K, V>, RuntimeStore {
  readonly name: string
  readonly logged: boolean
  readonly #keySerde: Serde<K>
  readonly #valueSerde: Serde<V>
  /** Values by key id; a restored one stays bytes until read. */
  readonly #values = new Map<string, V | Restored>()
  /** Whether some value may still be `Restored` (set by `restore`, cleared once `all` decoded them). */
  #undecoded = false
  /** Keys that are not strings, by id (a string key is its own id); kept until a drain writes their tombstone. */
  readonly #keys = new Map<string, K>()
  /**
   * The latest write of each key since the last drain (its value, or ABSENT for a delete): what the
   * next commit writes to the changelog, without looking the keys up again.
   */
  readonly #dirty = new Map<string, V | typeof ABSENT>()
  /**
   * Writes since the savepoint, as pairs (id, previous value or ABSENT), oldest first: a rollback
   * undoes them newest first, so a key written twice ends with its value from before the first write.
   */
  readonly #undo: (string | V | typeof ABSENT)[] = []
  #inSavepoint = false
  /**
   * The key read or written last and its value, so that a read-modify-write of one key (get, then
   * put) looks it up once: lookups in a map of a million keys cost cache misses, a string compare does not.
   */
  #lastId: string | undefined
  #lastValue: V | undefined
  /**
   * String keys by their first segment and its `/` (`event-1/` for `event-1/booking-9`), built on the first
   * `prefixScan` of such a prefix and kept from then on: a scan of one event's bookings among a million
   * visits that event's keys only. Keys without `/` are not in it.
   */
  #segments: Map<string, Set<string>> | undefined

  constructor(name: string, keySerde: Serde<K>, valueSerde: Serde<V>, logged = true) {
    this.name = name
    this.#keySerde = keySerde
    this.#valueSerde = valueSerde
    this.logged = logged
  }

  #id(key: K): string {
    return typeof key === 'string' ? key : this.#keySerde.serialize(this.name, key).toString('latin1')
  }

  /** The id of a key being written; remembers a key that is not a string. */
  #write(key: K): string {
    if (typeof key === 'string') return key
    const id = this.#id(key)
    this.#keys.set(id, key)
    return id
  }

  #keyOf(id: string): K {
    return this.#keys.get(id) ?? (id as K)
  }

  #lookup(id: string): V | undefined {
    if (id === this.#lastId) return this.#lastValue
    let value = this.#values.get(id)
    if (value instanceof Restored) value = this.#decode(id, value)
    this.#lastId = id
    this.#lastValue = value
    return value
  }

  #decode(id: string, restored: Restored): V {
    const { bytes, at, length } = restored
    const value = this.#valueSerde.deserialize(this.name, bytes.subarray(at, at + length))
    this.#values.set(id, value)
    return value
  }

  /** Keeps the segment index (once built) in step with a key that is now `present` or not. */
  #index(id: string, present: boolean): void {
    if (this.#segments === undefined) return
    const slash = id.indexOf('/')
    if (slash < 0) return
    const segment = id.slice(0, slash + 1)
    let ids = this.#segments.get(segment)
    if (present) {
      if (ids === undefined) this.#segments.set(segment, (ids = new Set()))
      ids.add(id)
    } else if (ids?.delete(id) === true && ids.size === 0) this.#segments.delete(segment)
  }

  #remember(id: string): void {
    if (this.#inSavepoint) this.#undo.push(id, this.#lookup(id) ?? ABSENT)
  }

  get(key: K): V | undefined {
    return this.#lookup(this.#id(key))
  }

  put(key: K, value: V): void {
    if (value === undefined || value === null) {
      this.delete(key)
      return
    }
    const id = this.#write(key)
    this.#remember(id)
    if (this.#segments !== undefined && !this.#values.has(id)) this.#index(id, true)
    this.#values.set(id, value)
    this.#lastId = id
    this.#lastValue = value
    if (this.logged) this.#dirty.set(id, value)
  }

  putIfAbsent(key: K, value: V): V | undefined {
    const existing = this.get(key)
    if (existing === undefined) this.put(key, value)
    return existing
  }

  delete(key: K): V | undefined {
    const id = this.#id(key)
    const existing = this.#lookup(id)
    if (existing === undefined) return undefined
    this.#remember(id)
    this.#values.delete(id)
    this.#index(id, false)
    this.#lastValue = undefined
    if (this.logged) this.#dirty.set(id, ABSENT)
    else this.#keys.delete(id)
    return existing
  }

  all(): IterableIterator<[K, V]> {
    if (this.#undecoded) {
      for (const [id, value] of this.#values) if (value instanceof Restored) this.#decode(id, value)
      this.#undecoded = false
    }
    // String keys (the usual case) are their own ids: the map's own iterator, no generator.
    if (this.#keys.size === 0) return this.#values.entries() as unknown as IterableIterator<[K, V]>
    return this.#allWithKeys()
  }

  *#allWithKeys(): IterableIterator<[K, V]> {
    for (const [id, value] of this.#values) yield [this.#keyOf(id), value as V]
  }

  prefixScan(prefix: string): IterableIterator<[K, V]> {
    const out: [K, V][] = []
    const slash = prefix.indexOf('/')
    if (this.#keys.size === 0 && slash >= 0 && slash === prefix.length - 1) {
      for (const id of this.#segmentIndex().get(prefix) ?? []) out.push([id as K, this.#decoded(id)])
    } else {
      for (const id of this.#values.keys())
        if (id.startsWith(prefix)) out.push([this.#keyOf(id), this.#decoded(id)])
    }
    return out.values()
  }

  #segmentIndex(): Map<string, Set<string>> {
    if (this.#segments === undefined) {
      this.#segments = new Map()
      for (const id of this.#values.keys()) this.#index(id, true)
    }
    return this.#segments
  }

  /** The value of a key that is in the store, decoded if it was restored and not read since. */
  #decoded(id: string): V {
    const value = this.#values.get(id)!
    return value instanceof Restored ? this.#decode(id, value) : value
  }

  approximateNumEntries(): number {
    return this.#values.size
  }

  restore(key: Buffer, value: Buffer | null, stable = false): void {
    this.#lastId = undefined
    const id = this.#write(this.#keySerde.deserialize(this.name, key))
    if (value !== null) {
      // A copy unless stable: a Kafka record's bytes may be a view into a whole fetched batch.
      const bytes = stable ? value : Buffer.copyBytesFrom(value)
      this.#values.set(id, new Restored(bytes, 0, bytes.length))
      this.#undecoded = true
      this.#index(id, true)
    } else {
      this.#values.delete(id)
      this.#keys.delete(id)
      this.#index(id, false)
    }
  }

  restoreFrom(bytes: Buffer, keyAt: number, keyLength: number, valueAt: number, valueLength: number): void {
    this.#lastId = undefined
    // String keys (the usual case) are read straight from the bytes: `stringSerde` reads UTF-8 too.
    const id =
      this.#keySerde === (stringSerde as Serde<unknown>)
        ? bytes.toString('utf8', keyAt, keyAt + keyLength)
        : this.#write(this.#keySerde.deserialize(this.name, bytes.subarray(keyAt, keyAt + keyLength)))
    if (valueLength >= 0) {
      this.#values.set(id, new Restored(bytes, valueAt, valueLength))
      this.#undecoded = true
      this.#index(id, true)
    } else {
      this.#values.delete(id)
      this.#keys.delete(id)
      this.#index(id, false)
    }
  }

  drainChangelog(changelogTopic: string): ChangelogRecord[] {
    if (this.#dirty.size === 0) return []
    const out: ChangelogRecord[] = new Array(this.#dirty.size)
    let i = 0
    for (const [id, value] of this.#dirty) {
      out[i++] = {
        key: this.#keySerde.serialize(changelogTopic, this.#keyOf(id)),
        value: value === ABSENT ? null : this.#valueSerde.serialize(changelogTopic, value),
      }
      if (value === ABSENT) this.#keys.delete(id)
    }
    this.#dirty.clear()
    return out
  }

  savepoint(): void {
    if (this.#undo.length !== 0) this.#undo.length = 0
    this.#inSavepoint = true
  }

  rollback(): void {
    this.#lastId = undefined
    const undo = this.#undo
    for (let i = undo.length - 2; i >= 0; i -= 2) {
      const id = undo[i] as string
      const previous = undo[i + 1] as V | typeof ABSENT
      if (previous !== ABSENT) this.#values.set(id, previous)
      else {
        this.#values.delete(id)
        if (!this.logged) this.#keys.delete(id)
      }
      this.#index(id, previous !== ABSENT)
      if (this.logged) this.#dirty.set(id, previous)
    }
    this.release()
  }

  release(): void {
    if (this.#undo.length !== 0) this.#undo.length = 0
    this.#inSavepoint = false
  }
}

/** Store builders, as Kafka Streams' `Stores`. */
export const Stores = {
  /** An in-memory key-value store; `logged: false` drops the changelog (state lost on restart). */
  keyValueStoreBuilder<K, V>(
    name: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    options: { logged?: boolean } = {},
  ): StoreBuilder {
    const logged = options.logged ?? true
    return { name, logged, build: () => new InMemoryKeyValueStore(name, keySerde, valueSerde, logged) }
  },
}
