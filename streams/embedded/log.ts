import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { RuntimeError } from '../errors.ts'
import type { OutgoingRecord, TopicPartitionOffset } from '../task.ts'
import type { TopicSpec } from '../topic-spec.ts'
import { FrameStore } from './frame-store.ts'
import { readCheckedJournal, type CheckedJournal } from './journal-reader.ts'
import { adoptIndex, indexJournal, LogIndex, offsetKey, type PartitionLog } from './log-index.ts'
import {
  encodeAppend,
  encodeFrame,
  type JournalRecord,
  type KeyValueVisitor,
  type OffsetCommit,
} from './journal-codec.ts'

export interface EmbeddedLogOptions {
  /** Folder of the journal; undefined keeps everything in memory (TestDriver, tests). */
  readonly dir?: string
  /**
   * When appends reach the disk: 0 = fdatasync after every append; N = an fdatasync
   * starts at most N ms later, off the processing thread (group commit). Either way
   * an append is written (survives a process kill) before `append` returns; the
   * interval (plus the duration of one fdatasync) bounds loss on power failure.
   */
  readonly fsyncIntervalMs?: number
  /** Rewrite (compact) the journal at open when it is larger than this. */
  readonly compactAtOpenBytes?: number
  /**
   * With a folder: bytes of memory for the most recent appends (a ring), from which reads are
   * served; older records are read back from the journal. Default 32 MiB; 0 keeps every record in
   * memory, as the log does without a folder.
   */
  readonly recentBytes?: number
}

/**
 * Told of every append: `records[i]` got offset `offsets[i]`. The arrays are the caller's: read them
 * during the call, copy what you keep.
 */
export type AppendListener = (records: readonly OutgoingRecord[], offsets: readonly number[]) => void

/**
 * An in-process partitioned log with Kafka's semantics where this runtime
 * needs them: topics of numbered partitions, dense offsets, committed positions
 * per consumer group, and an atomic append of records and offset commits (the
 * embedded transport's transaction). Durable in a folder as a journal of
 * CRC-checked frames; recovery truncates a torn tail. One process owns a folder
 * at a time (a lock file refuses a second one).
 *
 * The log keeps an index of where each record is and the encoded frames (the
 * journal's bytes; with a folder only the recent ones, see FrameStore); `read`
 * decodes records.
 */
export class EmbeddedLog {
  /** Topics, where each partition's records are, committed offsets; replaced when a journal is loaded. */
  #index = new LogIndex()
  readonly #listeners = new Set<AppendListener>()
  /** The frames that hold the records (PartitionLog points into them), in memory or in the journal. */
  readonly #frames: FrameStore
  readonly #dir: string | undefined
  readonly #fsyncIntervalMs: number
  #fd: number | undefined
  /** Bytes of the journal that hold whole frames (where a failed write is cut back to). */
  #journalBytes = 0
  #batch = 0
  /** `append`'s scratch, reused: each record's partition and where the frame puts it. */
  readonly #scratchLogs: PartitionLog[] = []
  #scratchPositions = new Uint32Array(1024)
  #syncTimer: NodeJS.Timeout | undefined
  #unsynced = false
  /** An fdatasync runs in the background; the descriptor stays open until it is done. */
  #syncing = false
  #closed = false

  private constructor(options: EmbeddedLogOptions) {
    this.#dir = options.dir
    this.#fsyncIntervalMs = options.fsyncIntervalMs ?? 100
    const recentBytes = options.recentBytes ?? 32 * 1024 * 1024
    if (!(recentBytes >= 0)) throw new RuntimeError('INVALID_CONFIG', 'recentBytes must be >= 0')
    this.#frames = new FrameStore(options.dir === undefined ? 0 : recentBytes)
  }

  /** Opens (recovering) or creates the log. */
  static open(options: EmbeddedLogOptions = {}): EmbeddedLog {
    const log = new EmbeddedLog(options)
    if (options.dir !== undefined) {
      const path = log.#lock(options.dir)
      try {
        log.#openJournal(
          path,
          options,
          existsSync(path) ? { bytes: readFileSync(path), checkedBytes: 0 } : undefined,
        )
      } catch (error) {
        log.#unlock()
        throw error
      }
    }
    return log
  }

  /**
   * Opens the log as `open` does, with the journal read and its CRCs checked on a worker thread
   * (journal-reader.ts): the calling thread is free meanwhile, and what is left for it is the scan.
   */
  static async load(options: EmbeddedLogOptions = {}): Promise<EmbeddedLog> {
    const log = new EmbeddedLog(options)
    if (options.dir === undefined) return log
    const path = log.#lock(options.dir)
    try {
      log.#openJournal(path, options, existsSync(path) ? await readCheckedJournal(path) : undefined)
    } catch (error) {
      log.#unlock()
      throw error
    }
    return log
  }

  /** Takes the folder's lock (DATA_DIR_LOCKED while another live process holds it); the journal's path. */
  #lock(dir: string): string {
    mkdirSync(dir, { recursive: true })
    const lock = join(dir, 'LOCK')
    if (existsSync(lock)) {
      const pid = Number(readFileSync(lock, 'utf8'))
      if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid))
        throw new RuntimeError('DATA_DIR_LOCKED', `the data folder ${dir} is in use by process ${pid}`, {
          details: { dir, pid },
        })
    }
    writeFileSync(lock, String(process.pid))
    return join(dir, 'log.jnl')
  }

  /** Removes the folder's lock if this process holds it. */
  #unlock(): void {
    const lock = join(this.#dir!, 'LOCK')
    if (existsSync(lock) && readFileSync(lock, 'utf8') === String(process.pid)) unlinkSync(lock)
  }

  /** Recovers the journal read (if there is one), compacts it when large, and opens it for appends. */
  #openJournal(path: string, options: EmbeddedLogOptions, journal: CheckedJournal | undefined): void {
    if (journal !== undefined) {
      this.#load(path, journal)
      if (this.#journalBytes > (options.compactAtOpenBytes ?? 256 * 1024 * 1024)) {
        this.#rewrite(path)
        this.#frames.clear()
        this.#load(path, { bytes: readFileSync(path), checkedBytes: 0 })
      }
    }
    // Read and append: records the ring no longer holds are read back from the journal.
    this.#fd = openSync(path, 'a+')
    this.#frames.attachJournal(this.#fd)
  }

  /**
   * Takes a journal read (kept in memory, for restores) with its index, the one the reader's worker built
   * or else one built here, and truncates a torn tail.
   */
  #load(path: string, { bytes, checkedBytes, index }: CheckedJournal): void {
    const journal = this.#frames.addJournal(bytes)
    const indexed =
      index === undefined ? indexJournal(bytes, checkedBytes, journal) : adoptIndex(index, journal)
    this.#index = indexed.index
    const { validBytes } = indexed
    if (validBytes < bytes.length) {
      const fd = openSync(path, 'r+')
      ftruncateSync(fd, validBytes)
      closeSync(fd)
    }
    this.#journalBytes = validBytes
  }

  /** Writes a snapshot of what is retained to a new journal and swaps it in atomically. */
  #rewrite(path: string): void {
    const tmp = `${path}.compacting`
    const fd = openSync(tmp, 'w')
    const now = Date.now()
    for (const [name, topic] of this.#index.topics) {
      writeSync(fd, encodeFrame({ type: 'topic', topic: toTopicFrame(topic.spec) }))
      topic.partitions.forEach((log, partition) => {
        const kept = retained(topic.spec, this.#records(name, log, 0, log.length), now)
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
    const offsets: OffsetCommit[] = [...this.#index.committed].map(([k, offset]) => {
      const [group, topic, partition] = k.split('\u0000') as [string, string, string]
      return { group, topic, partition: Number(partition), offset }
    })
    writeSync(fd, encodeFrame({ type: 'append', records: [], offsets }))
    fdatasyncSync(fd)
    closeSync(fd)
    renameSync(tmp, path)
  }

  #partition(topic: string, partition: number): PartitionLog {
    return this.#index.partition(topic, partition)
  }

  /** Creates topics that do not exist yet (idempotent); a different partition count is an error. */
  createTopics(specs: readonly TopicSpec[]): void {
    for (const spec of specs)
      if (this.#index.ensureTopic(spec).created)
        this.#write(encodeFrame({ type: 'topic', topic: toTopicFrame(spec) }))
  }

  hasTopic(topic: string): boolean {
    return this.#index.topics.has(topic)
  }

  partitions(topic: string): number {
    return this.#index.topicState(topic).spec.partitions
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
    if (this.#closed) throw new RuntimeError('LOG_CLOSED', 'the embedded log is closed')
    const n = records.length
    const offsets: number[] = new Array(n)
    const logs = this.#scratchLogs
    // Offsets are given from each partition's end without touching it: a bad record leaves no trace.
    const batch = ++this.#batch
    for (let i = 0; i < n; i++) {
      const r = records[i]!
      const log = this.#partition(r.topic, r.partition)
      if (log.batch !== batch) {
        log.batch = batch
        log.next = log.end
      }
      logs[i] = log
      offsets[i] = log.next++
    }
    if (this.#scratchPositions.length < n) this.#scratchPositions = new Uint32Array(n * 2)
    const positions = this.#scratchPositions
    try {
      const frame = encodeAppend(records, offsets, commits, positions, this.#frames.allocate)
      const filePosition = this.#journalBytes
      this.#write(frame)
      if (n > 0) {
        const stored = this.#frames.add(frame, filePosition)
        for (let i = 0; i < n; i++) logs[i]!.push(offsets[i]!, stored, positions[i]!)
      }
    } finally {
      logs.length = 0
    }
    for (const o of commits) this.#index.committed.set(offsetKey(o.group, o.topic, o.partition), o.offset)
    for (const listener of this.#listeners) listener(records, offsets)
    return offsets
  }

  #write(bytes: Buffer): void {
    if (this.#fd === undefined) return
    let written = 0
    try {
      while (written < bytes.length) written += writeSync(this.#fd, bytes, written)
    } catch (error) {
      // A frame written in part would hide every later frame from recovery: cut it off.
      if (written > 0) ftruncateSync(this.#fd, this.#journalBytes)
      throw error
    }
    this.#journalBytes += bytes.length
    if (this.#fsyncIntervalMs <= 0) {
      fdatasyncSync(this.#fd)
      return
    }
    this.#unsynced = true
    this.#scheduleSync()
  }

  #scheduleSync(): void {
    this.#syncTimer ??= setTimeout(() => {
      this.#syncTimer = undefined
      this.#syncInBackground()
    }, this.#fsyncIntervalMs).unref()
  }

  /** Group commit: fdatasync on the thread pool, so processing goes on while the disk catches up. */
  #syncInBackground(): void {
    const fd = this.#fd
    if (fd === undefined || !this.#unsynced || this.#syncing) return
    this.#unsynced = false
    this.#syncing = true
    fdatasync(fd, (error) => {
      this.#syncing = false
      if (this.#closed) closeSync(fd)
      // As a failed fdatasyncSync did: stop the process rather than go on with appends the disk may not hold.
      if (error !== null) throw error
      if (this.#unsynced && !this.#closed) this.#scheduleSync()
    })
  }

  /** Forces written appends to the disk. */
  sync(): void {
    if (this.#fd !== undefined && this.#unsynced) {
      this.#unsynced = false
      fdatasyncSync(this.#fd)
    }
  }

  /** Decodes the records at indexes [from, to) of a partition. */
  #records(topic: string, log: PartitionLog, from: number, to: number): JournalRecord[] {
    return this.#frames.read(
      topic,
      from,
      to,
      (i) => log.frameAt(i),
      (i) => log.positionAt(i),
    )
  }

  /**
   * Records of a partition from `offset` on, at most `max`. Their bytes are never written over (views into
   * the journal read at open, which stays in memory, or copies of their own), so a caller may keep them.
   */
  read(topic: string, partition: number, offset: number, max = 1000): readonly JournalRecord[] {
    const log = this.#partition(topic, partition)
    const from = log.indexOf(offset)
    return this.#records(topic, log, from, Math.min(log.length, from + max))
  }

  /**
   * Hands the key and value of every record of a partition from `offset` on to `visit`, undecoded (a null
   * key or value has length -1), as ranges of bytes that are never written over (as `read`'s), and
   * returns how many: a restore keeps values as bytes, so it needs no record objects.
   */
  visitKeyValues(topic: string, partition: number, offset: number, visit: KeyValueVisitor): number {
    const log = this.#partition(topic, partition)
    const from = log.indexOf(offset)
    const to = log.length
    this.#frames.visitKeyValues(
      from,
      to,
      (i) => log.frameAt(i),
      (i) => log.positionAt(i),
      visit,
    )
    return Math.max(0, to - from)
  }

  /** The offset the next append to the partition gets (Kafka's log end offset). */
  endOffset(topic: string, partition: number): number {
    return this.#partition(topic, partition).end
  }

  /** The first offset still in the partition. */
  startOffset(topic: string, partition: number): number {
    const log = this.#partition(topic, partition)
    return log.length > 0 ? log.offsetAt(0) : log.end
  }

  /** The committed position of a group, or undefined when the group never committed there. */
  committed(group: string, topic: string, partition: number): number | undefined {
    return this.#index.committed.get(offsetKey(group, topic, partition))
  }

  /**
   * Calls `listener` after every append with its records and the offsets they got (runners wake up
   * on it). Returns the unsubscribe function.
   */
  onAppend(listener: AppendListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Whether `close` ran: appends then fail with LOG_CLOSED. */
  get closed(): boolean {
    return this.#closed
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#syncTimer !== undefined) clearTimeout(this.#syncTimer)
    if (this.#fd !== undefined) {
      this.#frames.attachJournal(undefined)
      // A background fdatasync may not be done: sync here rather than wait for it.
      if (this.#syncing) this.#unsynced = true
      this.sync()
      // A background fdatasync may still use the descriptor: it closes it when done.
      if (!this.#syncing) closeSync(this.#fd)
      this.#fd = undefined
      this.#unlock()
    }
    this.#listeners.clear()
  }

  /** Size of the journal file in bytes (0 in memory). */
  journalBytes(): number {
    return this.#dir === undefined ? 0 : statSync(join(this.#dir, 'log.jnl')).size
  }
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
