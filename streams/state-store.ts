import type { Serde } from './serde.ts'

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
  restore(key: Buffer, value: Buffer | null): void
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

interface Entry<K, V> {
  readonly key: K
  readonly value: V
}

const ABSENT = Symbol('absent')

/**
 * In-memory key-value store backed by a changelog. Keys are indexed by their
 * string form (string keys as they are, other keys by their serialized bytes),
 * values are serialized only when a commit collects them, once per key.
 */
export class InMemoryKeyValueStore<K, V> implements KeyValueStore<K, V>, RuntimeStore {
  readonly name: string
  readonly logged: boolean
  readonly #keySerde: Serde<K>
  readonly #valueSerde: Serde<V>
  readonly #entries = new Map<string, Entry<K, V>>()
  /** Keys written since the last drain (id → key). */
  readonly #dirty = new Map<string, K>()
  /** Previous entries of keys written since the savepoint (reused: one map per store). */
  readonly #undo = new Map<string, Entry<K, V> | typeof ABSENT>()
  #inSavepoint = false

  constructor(name: string, keySerde: Serde<K>, valueSerde: Serde<V>, logged = true) {
    this.name = name
    this.#keySerde = keySerde
    this.#valueSerde = valueSerde
    this.logged = logged
  }

  #id(key: K): string {
    return typeof key === 'string' ? key : this.#keySerde.serialize(this.name, key).toString('latin1')
  }

  #remember(id: string): void {
    if (this.#inSavepoint && !this.#undo.has(id)) this.#undo.set(id, this.#entries.get(id) ?? ABSENT)
  }

  get(key: K): V | undefined {
    return this.#entries.get(this.#id(key))?.value
  }

  put(key: K, value: V): void {
    if (value === undefined || value === null) {
      this.delete(key)
      return
    }
    const id = this.#id(key)
    this.#remember(id)
    this.#entries.set(id, { key, value })
    if (this.logged) this.#dirty.set(id, key)
  }

  putIfAbsent(key: K, value: V): V | undefined {
    const existing = this.get(key)
    if (existing === undefined) this.put(key, value)
    return existing
  }

  delete(key: K): V | undefined {
    const id = this.#id(key)
    const existing = this.#entries.get(id)
    if (existing === undefined) return undefined
    this.#remember(id)
    this.#entries.delete(id)
    if (this.logged) this.#dirty.set(id, key)
    return existing.value
  }

  *all(): IterableIterator<[K, V]> {
    for (const { key, value } of this.#entries.values()) yield [key, value]
  }

  approximateNumEntries(): number {
    return this.#entries.size
  }

  restore(key: Buffer, value: Buffer | null): void {
    const k = this.#keySerde.deserialize(this.name, key)
    const id = this.#id(k)
    if (value === null) this.#entries.delete(id)
    else this.#entries.set(id, { key: k, value: this.#valueSerde.deserialize(this.name, value) })
  }

  drainChangelog(changelogTopic: string): ChangelogRecord[] {
    if (this.#dirty.size === 0) return []
    const out: ChangelogRecord[] = []
    for (const [id, key] of this.#dirty) {
      const entry = this.#entries.get(id)
      out.push({
        key: this.#keySerde.serialize(changelogTopic, key),
        value: entry === undefined ? null : this.#valueSerde.serialize(changelogTopic, entry.value),
      })
    }
    this.#dirty.clear()
    return out
  }

  savepoint(): void {
    if (this.#undo.size > 0) this.#undo.clear()
    this.#inSavepoint = true
  }

  rollback(): void {
    for (const [id, previous] of this.#undo) {
      if (previous === ABSENT) this.#entries.delete(id)
      else this.#entries.set(id, previous)
    }
    this.release()
  }

  release(): void {
    if (this.#undo.size > 0) this.#undo.clear()
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
