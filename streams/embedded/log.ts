import {
  closeSync,
  existsSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  ftruncateSync,
  writeFileSync,
  writeSync,
  unlinkSync,
  statSync,
} from 'node:fs'
import { join } from 'node:path'
import { CodedError } from '../errors.ts'
import type { OutgoingRecord, TopicPartitionOffset } from '../task.ts'
import type { TopicSpec } from '../topic-spec.ts'
import {
  decodeFrames,
  encodeFrame,
  type Frame,
  type JournalRecord,
  type OffsetCommit,
} from './journal-codec.ts'

export interface EmbeddedLogOptions {
  /** Folder of the journal; undefined keeps everything in memory (TestDriver, tests). */
  readonly dir?: string
  /**
   * When appends reach the disk: 0 = fdatasync after every append; N = at most
   * N ms later (group commit). Either way an append is written (survives a
   * process kill) before `append` returns; the interval bounds loss on power failure.
   */
  readonly fsyncIntervalMs?: number
  /** Rewrite (compact) the journal at open when it is larger than this. */
  readonly compactAtOpenBytes?: number
}

class PartitionLog {
  /** records sorted by offset; offsets may have gaps after compaction */
  records: JournalRecord[] = []
  end = 0

  /** Index of the first record with offset >= `offset`. */
  indexOf(offset: number): number {
    const first = this.records[0]
    if (first === undefined || offset <= first.offset) return 0
    // Dense logs (the common case) index directly; compacted ones search.
    const guess = offset - first.offset
    if (this.records[guess]?.offset === offset) return guess
    let lo = 0
    let hi = this.records.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.records[mid]!.offset < offset) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

interface TopicState {
  readonly spec: TopicSpec
  readonly partitions: PartitionLog[]
}

/**
 * An in-process partitioned log with Kafka's semantics where this runtime
 * needs them: topics of numbered partitions, dense offsets, committed positions
 * per consumer group, and an atomic append of records and offset commits (the
 * embedded transport's transaction). Durable in a folder as a journal of
 * CRC-checked frames; recovery truncates a torn tail. One process owns a folder
 * at a time (a lock file refuses a second one).
 */
export class EmbeddedLog {
  readonly #topics = new Map<string, TopicState>()
  readonly #committed = new Map<string, number>()
  readonly #listeners = new Set<(records: readonly JournalRecord[]) => void>()
  readonly #dir: string | undefined
  readonly #fsyncIntervalMs: number
  #fd: number | undefined
  #syncTimer: NodeJS.Timeout | undefined
  #unsynced = false
  #closed = false

  private constructor(options: EmbeddedLogOptions) {
    this.#dir = options.dir
    this.#fsyncIntervalMs = options.fsyncIntervalMs ?? 100
  }

  /** Opens (recovering) or creates the log. */
  static open(options: EmbeddedLogOptions = {}): EmbeddedLog {
    const log = new EmbeddedLog(options)
    if (options.dir !== undefined) log.#openDir(options.dir, options.compactAtOpenBytes ?? 256 * 1024 * 1024)
    return log
  }

  #openDir(dir: string, compactAtOpenBytes: number): void {
    mkdirSync(dir, { recursive: true })
    const lock = join(dir, 'LOCK')
    if (existsSync(lock)) {
      const pid = Number(readFileSync(lock, 'utf8'))
      if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid))
        throw new CodedError('DATA_DIR_LOCKED', `the data folder ${dir} is in use by process ${pid}`, {
          details: { dir, pid },
        })
    }
    writeFileSync(lock, String(process.pid))
    const path = join(dir, 'log.jnl')
    if (existsSync(path)) {
      const buf = readFileSync(path)
      const { frames, validBytes } = decodeFrames(buf)
      for (const frame of frames) this.#apply(frame)
      if (validBytes < buf.length) {
        const fd = openSync(path, 'r+')
        ftruncateSync(fd, validBytes)
        closeSync(fd)
      }
      if (validBytes > compactAtOpenBytes) this.#rewrite(path)
    }
    this.#fd = openSync(path, 'a')
  }

  /** Writes a snapshot of what is retained to a new journal and swaps it in atomically. */
  #rewrite(path: string): void {
    const tmp = `${path}.compacting`
    const fd = openSync(tmp, 'w')
    const now = Date.now()
    for (const [name, topic] of this.#topics) {
      writeSync(fd, encodeFrame({ type: 'topic', topic: toTopicFrame(topic.spec) }))
      topic.partitions.forEach((log, partition) => {
        const kept = retained(topic.spec, log.records, now)
        log.records = kept
        for (let i = 0; i < kept.length; i += 1000)
          writeSync(
            fd,
            encodeFrame({
              type: 'append',
              records: kept.slice(i, i + 1000),
              offsets: [],
            }),
          )
        writeSync(fd, encodeFrame({ type: 'end', topic: name, partition, endOffset: log.end }))
      })
    }
    const offsets: OffsetCommit[] = [...this.#committed].map(([k, offset]) => {
      const [group, topic, partition] = k.split('\u0000') as [string, string, string]
      return { group, topic, partition: Number(partition), offset }
    })
    writeSync(fd, encodeFrame({ type: 'append', records: [], offsets }))
    fdatasyncSync(fd)
    closeSync(fd)
    renameSync(tmp, path)
  }

  #apply(frame: Frame): void {
    if (frame.type === 'topic') {
      this.#ensureTopic(fromTopicFrame(frame.topic))
      return
    }
    if (frame.type === 'end') {
      const log = this.#partition(frame.topic, frame.partition)
      log.end = Math.max(log.end, frame.endOffset)
      return
    }
    // Records are kept as they were stamped (one object per record, no copy).
    for (const r of frame.records) {
      const log = this.#partition(r.topic, r.partition)
      log.records.push(r)
      log.end = r.offset + 1
    }
    for (const o of frame.offsets) this.#committed.set(offsetKey(o.group, o.topic, o.partition), o.offset)
  }

  #ensureTopic(spec: TopicSpec): { created: boolean } {
    const existing = this.#topics.get(spec.name)
    if (existing !== undefined) {
      if (existing.spec.partitions !== spec.partitions)
        throw new CodedError(
          'TOPIC_PARTITIONS_MISMATCH',
          `topic ${spec.name} has ${existing.spec.partitions} partitions, ${spec.partitions} declared`,
          { details: { topic: spec.name } },
        )
      return { created: false }
    }
    this.#topics.set(spec.name, {
      spec,
      partitions: Array.from({ length: spec.partitions }, () => new PartitionLog()),
    })
    return { created: true }
  }

  #partition(topic: string, partition: number): PartitionLog {
    const t = this.#topics.get(topic)
    if (t === undefined)
      throw new CodedError('UNKNOWN_TOPIC', `topic ${topic} does not exist`, { details: { topic } })
    const log = t.partitions[partition]
    if (log === undefined)
      throw new CodedError('UNKNOWN_PARTITION', `topic ${topic} has no partition ${partition}`, {
        details: { topic, partition },
      })
    return log
  }

  /** Creates topics that do not exist yet (idempotent); a different partition count is an error. */
  createTopics(specs: readonly TopicSpec[]): void {
    for (const spec of specs)
      if (this.#ensureTopic(spec).created)
        this.#write(encodeFrame({ type: 'topic', topic: toTopicFrame(spec) }))
  }

  hasTopic(topic: string): boolean {
    return this.#topics.has(topic)
  }

  partitions(topic: string): number {
    const t = this.#topics.get(topic)
    if (t === undefined)
      throw new CodedError('UNKNOWN_TOPIC', `topic ${topic} does not exist`, { details: { topic } })
    return t.spec.partitions
  }

  /**
   * Appends records and commits offsets, all or nothing, and returns the offsets
   * given to the records. This is the embedded transaction: a task's outputs,
   * changelog records and input positions go in one call.
   */
  append(
    records: readonly OutgoingRecord[],
    commits: readonly (TopicPartitionOffset & { group: string })[] = [],
  ): number[] {
    if (this.#closed) throw new CodedError('LOG_CLOSED', 'the embedded log is closed')
    const stamped: JournalRecord[] = new Array(records.length)
    const offsets: number[] = new Array(records.length)
    const next = new Map<PartitionLog, number>()
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!
      const log = this.#partition(r.topic, r.partition)
      const offset = next.get(log) ?? log.end
      next.set(log, offset + 1)
      offsets[i] = offset
      stamped[i] = {
        topic: r.topic,
        partition: r.partition,
        offset,
        key: r.key,
        value: r.value,
        timestamp: r.timestamp,
        headers: r.headers,
      }
    }
    const frame: Frame = { type: 'append', records: stamped, offsets: commits }
    if (this.#dir !== undefined) this.#write(encodeFrame(frame))
    this.#apply(frame)
    for (const listener of this.#listeners) listener(stamped)
    return offsets
  }

  #write(bytes: Buffer): void {
    if (this.#fd === undefined) return
    let written = 0
    while (written < bytes.length) written += writeSync(this.#fd, bytes, written)
    if (this.#fsyncIntervalMs <= 0) {
      fdatasyncSync(this.#fd)
      return
    }
    this.#unsynced = true
    this.#syncTimer ??= setTimeout(() => {
      this.#syncTimer = undefined
      this.sync()
    }, this.#fsyncIntervalMs).unref()
  }

  /** Forces written appends to the disk. */
  sync(): void {
    if (this.#fd !== undefined && this.#unsynced) {
      this.#unsynced = false
      fdatasyncSync(this.#fd)
    }
  }

  /** Records of a partition from `offset` on, at most `max`. */
  read(topic: string, partition: number, offset: number, max = 1000): readonly JournalRecord[] {
    const log = this.#partition(topic, partition)
    const from = log.indexOf(offset)
    if (from >= log.records.length) return []
    return log.records.slice(from, from + max)
  }

  /** The offset the next append to the partition gets (Kafka's log end offset). */
  endOffset(topic: string, partition: number): number {
    return this.#partition(topic, partition).end
  }

  /** The first offset still in the partition. */
  startOffset(topic: string, partition: number): number {
    const log = this.#partition(topic, partition)
    return log.records[0]?.offset ?? log.end
  }

  /** The committed position of a group, or undefined when the group never committed there. */
  committed(group: string, topic: string, partition: number): number | undefined {
    return this.#committed.get(offsetKey(group, topic, partition))
  }

  /** Calls `listener` with the records of every append (runners wake up on it). Returns the unsubscribe function. */
  onAppend(listener: (records: readonly JournalRecord[]) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#syncTimer !== undefined) clearTimeout(this.#syncTimer)
    if (this.#fd !== undefined) {
      this.sync()
      closeSync(this.#fd)
      this.#fd = undefined
      const lock = join(this.#dir!, 'LOCK')
      if (existsSync(lock) && readFileSync(lock, 'utf8') === String(process.pid)) unlinkSync(lock)
    }
    this.#listeners.clear()
  }

  /** Size of the journal file in bytes (0 in memory). */
  journalBytes(): number {
    return this.#dir === undefined ? 0 : statSync(join(this.#dir, 'log.jnl')).size
  }
}

function offsetKey(group: string, topic: string, partition: number): string {
  return `${group}\u0000${topic}\u0000${partition}`
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function toTopicFrame(spec: TopicSpec): {
  name: string
  partitions: number
  compact: boolean
  retentionMs: number | null
} {
  return {
    name: spec.name,
    partitions: spec.partitions,
    compact: spec.cleanupPolicy === 'compact',
    retentionMs: spec.retentionMs,
  }
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

/** What a compaction keeps: the last record per key of a compacted topic (no tombstones), or records within retention. */
function retained(spec: TopicSpec, records: JournalRecord[], nowMs: number): JournalRecord[] {
  if (spec.cleanupPolicy === 'compact') {
    const last = new Map<string, JournalRecord>()
    for (const r of records) last.set(r.key === null ? `\u0000${r.offset}` : r.key.toString('latin1'), r)
    return [...last.values()].filter((r) => r.value !== null).sort((a, b) => a.offset - b.offset)
  }
  if (spec.retentionMs === null) return records
  const horizon = nowMs - spec.retentionMs
  return records.filter((r) => r.timestamp >= horizon)
}
