/**
 * The embedded log's index: its topics, where each retained record of each partition is, and the
 * committed offsets. `EmbeddedLog` keeps one and appends to it; a journal read at open is indexed by one
 * walk of its frames (`indexJournal`), on the journal reader's worker at a start (journal-reader.ts: on a
 * folder of 100,000 bookings the walk was a tenth of a second of the opening thread), its arrays then
 * transferred, not copied (`transferableIndex`, `adoptIndex`).
 */
import { RuntimeError } from '../errors.ts'
import type { TopicSpec } from '../topic-spec.ts'
import { scanFrames, type IndexedFrame } from './journal-codec.ts'

/** A partition's index as it crosses threads: its arrays (capacity ≥ length) and figures. */
export interface PartitionArrays {
  readonly offsets: Float64Array<ArrayBuffer>
  readonly positions: Uint32Array<ArrayBuffer>
  readonly length: number
  readonly end: number
}

/**
 * The records of one partition: for each retained record its offset and where its
 * bytes are (a frame of the FrameStore and a position in it), in typed arrays, so a
 * log of millions of records is a few arrays for the garbage collector, not millions
 * of objects. Records are decoded when read.
 */
export class PartitionLog {
  /** offsets of the retained records, ascending; gaps after compaction */
  #offsets = new Float64Array(64)
  #frames = new Uint32Array(64)
  #positions = new Uint32Array(64)
  length = 0
  end = 0
  /** `append`'s scratch: the next offset to give while stamping batch number `batch`. */
  next = 0
  batch = 0

  /** A partition indexed elsewhere whose records are all in frame `frame` (a journal read at open). */
  static of(arrays: PartitionArrays, frame: number): PartitionLog {
    const log = new PartitionLog()
    log.#offsets = arrays.offsets
    log.#positions = arrays.positions
    log.#frames = new Uint32Array(arrays.offsets.length).fill(frame, 0, arrays.length)
    log.length = arrays.length
    log.end = arrays.end
    return log
  }

  /** Its arrays, for `PartitionLog.of` on another thread (the frames are left out: see `of`). */
  arrays(): PartitionArrays {
    return { offsets: this.#offsets, positions: this.#positions, length: this.length, end: this.end }
  }

  push(offset: number, frame: number, position: number): void {
    if (this.length === this.#offsets.length) this.#grow()
    this.#offsets[this.length] = offset
    this.#frames[this.length] = frame
    this.#positions[this.length] = position
    this.length++
    this.end = offset + 1
  }

  #grow(): void {
    const capacity = this.length * 2
    const offsets = new Float64Array(capacity)
    offsets.set(this.#offsets)
    this.#offsets = offsets
    const frames = new Uint32Array(capacity)
    frames.set(this.#frames)
    this.#frames = frames
    const positions = new Uint32Array(capacity)
    positions.set(this.#positions)
    this.#positions = positions
  }

  offsetAt(index: number): number {
    return this.#offsets[index]!
  }

  frameAt(index: number): number {
    return this.#frames[index]!
  }

  positionAt(index: number): number {
    return this.#positions[index]!
  }

  /** Index of the first record with offset >= `offset`. */
  indexOf(offset: number): number {
    if (this.length === 0) return 0
    const first = this.#offsets[0]!
    if (offset <= first) return 0
    // Dense logs (the common case) index directly; compacted ones search.
    const guess = offset - first
    if (guess < this.length && this.#offsets[guess] === offset) return guess
    let lo = 0
    let hi = this.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#offsets[mid]! < offset) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

interface TopicState {
  readonly spec: TopicSpec
  readonly partitions: PartitionLog[]
}

export function offsetKey(group: string, topic: string, partition: number): string {
  return `${group}\u0000${topic}\u0000${partition}`
}

function fromTopicFrame(t: {
  name: string
  partitions: number
  compact: boolean
  retentionMs: number | null
}): TopicSpec {
  return {
    name: t.name,
    partitions: t.partitions,
    cleanupPolicy: t.compact ? 'compact' : 'delete',
    retentionMs: t.retentionMs,
  }
}

/** Topics with their partitions' indexes, and the committed offsets (by `offsetKey`). */
export class LogIndex {
  readonly topics = new Map<string, TopicState>()
  readonly committed = new Map<string, number>()

  ensureTopic(spec: TopicSpec): { created: boolean } {
    const existing = this.topics.get(spec.name)
    if (existing !== undefined) {
      if (existing.spec.partitions !== spec.partitions)
        throw new RuntimeError(
          'TOPIC_PARTITIONS_MISMATCH',
          `topic ${spec.name} has ${existing.spec.partitions} partitions, ${spec.partitions} declared`,
          { details: { topic: spec.name } },
        )
      return { created: false }
    }
    this.topics.set(spec.name, {
      spec,
      partitions: Array.from({ length: spec.partitions }, () => new PartitionLog()),
    })
    return { created: true }
  }

  topicState(topic: string): TopicState {
    const t = this.topics.get(topic)
    if (t === undefined)
      throw new RuntimeError('UNKNOWN_TOPIC', `topic ${topic} does not exist`, { details: { topic } })
    return t
  }

  partition(topic: string, partition: number): PartitionLog {
    const t = this.topicState(topic)
    const log = t.partitions[partition]
    if (log === undefined)
      throw new RuntimeError('UNKNOWN_PARTITION', `topic ${topic} has no partition ${partition}`, {
        details: { topic, partition },
      })
    return log
  }

  /** Applies a frame of a journal; its records are in frame `journal` of the FrameStore. */
  apply(frame: IndexedFrame, journal: number): void {
    if (frame.type === 'topic') {
      this.ensureTopic(fromTopicFrame(frame.topic))
      return
    }
    if (frame.type === 'end') {
      const log = this.partition(frame.topic, frame.partition)
      log.end = Math.max(log.end, frame.endOffset)
      return
    }
    const { count, topics, topicOf, partitions, offsets, positions } = frame.records
    // A frame names few topics: each is looked up once, its partitions by index.
    const logs = topics.map((topic) => this.topicState(topic).partitions)
    for (let i = 0; i < count; i++) {
      const t = topicOf[i]!
      const log = logs[t]![partitions[i]!] ?? this.partition(topics[t]!, partitions[i]!)
      log.push(offsets[i]!, journal, positions[i]!)
    }
    for (const o of frame.offsets) this.committed.set(offsetKey(o.group, o.topic, o.partition), o.offset)
  }
}

/** A journal indexed: its index, and how many of its bytes from the start are whole, good frames. */
export interface IndexedJournal {
  readonly index: LogIndex
  readonly validBytes: number
}

/**
 * Indexes the frames of `bytes` (a journal that is frame `journal` of the FrameStore) up to the first torn
 * or corrupt one; `checkedBytes`: a prefix whose CRCs were checked already. Throws for a frame naming a
 * topic or partition no frame before it created.
 */
export function indexJournal(bytes: Buffer, checkedBytes: number, journal: number): IndexedJournal {
  const index = new LogIndex()
  const validBytes = scanFrames(bytes, (frame) => index.apply(frame, journal), checkedBytes)
  return { index, validBytes }
}

/** An indexed journal as a structured-clone message, and the buffers to transfer with it. */
export interface TransferableIndex {
  readonly validBytes: number
  readonly topics: readonly { readonly spec: TopicSpec; readonly partitions: readonly PartitionArrays[] }[]
  readonly committed: readonly (readonly [string, number])[]
}

export function transferableIndex({ index, validBytes }: IndexedJournal): {
  message: TransferableIndex
  transfer: ArrayBuffer[]
} {
  const transfer: ArrayBuffer[] = []
  const topics = [...index.topics.values()].map(({ spec, partitions }) => ({
    spec,
    partitions: partitions.map((log) => {
      const arrays = log.arrays()
      transfer.push(arrays.offsets.buffer, arrays.positions.buffer)
      return arrays
    }),
  }))
  return { message: { validBytes, topics, committed: [...index.committed] }, transfer }
}

/** The index a worker built and transferred, its records in frame `journal` of the FrameStore. */
export function adoptIndex(message: TransferableIndex, journal: number): IndexedJournal {
  const index = new LogIndex()
  for (const { spec, partitions } of message.topics)
    index.topics.set(spec.name, {
      spec,
      partitions: partitions.map((arrays) => PartitionLog.of(arrays, journal)),
    })
  for (const [key, offset] of message.committed) index.committed.set(key, offset)
  return { index, validBytes: message.validBytes }
}
