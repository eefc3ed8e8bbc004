/**
 * Wire format of the embedded log's journal. A journal is a sequence of frames:
 *
 *   u32 payloadLength | u32 crc32(payload) | payload
 *
 * and a payload is one of (all integers big-endian, offsets and timestamps as f64):
 *
 *   4 = append:  u16 t, t × str topic, u32 n, n × record, u32 m, m × offset commit
 *        record: u16 topic (index into the frame's topics), u32 partition, f64 offset,
 *                f64 timestamp, i32 keyLength (-1: null) + bytes,
 *                i32 valueLength (-1: null) + bytes,
 *                u16 headerCount, headerCount × (str name, i32 length + bytes)
 *        offset commit: str group, str topic, u32 partition, f64 offset
 *   1 = append as first written (read, never written): u32 n, n × record, u32 m, m × offset
 *        commit, with the record's topic as a str instead of an index
 *   2 = topic:   str name, u32 partitions, u8 compact, f64 retentionMs (-1: forever)
 *   3 = end:     str topic, u32 partition, f64 endOffset (a compacted snapshot keeps log ends)
 *
 * with str = u16 byteLength + UTF-8. A frame is written with one write(2), so a
 * crash leaves at most a torn last frame, which recovery detects (length or CRC)
 * and truncates: an append, and so a commit, is all or nothing.
 *
 * The log keeps frames as they were written and indexes where each record's
 * fields after its topic start (`encodeAppend`'s positions, `scanFrames` at
 * recovery); `readRecord` decodes a record from there when it is read.
 */
import { crc32 } from 'node:zlib'
import type { Headers } from '../record.ts'

export interface StoredRecord {
  readonly offset: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly timestamp: number
  readonly headers: Headers
}

export interface JournalRecord extends StoredRecord {
  readonly topic: string
  readonly partition: number
}

export interface OffsetCommit {
  readonly group: string
  readonly topic: string
  readonly partition: number
  readonly offset: number
}

export interface TopicFrame {
  readonly name: string
  readonly partitions: number
  readonly compact: boolean
  readonly retentionMs: number | null
}

/** A journal frame whose append records are `R`. */
type FrameOf<R> =
  | { readonly type: 'append'; readonly records: readonly R[]; readonly offsets: readonly OffsetCommit[] }
  | { readonly type: 'topic'; readonly topic: TopicFrame }
  | { readonly type: 'end'; readonly topic: string; readonly partition: number; readonly endOffset: number }

export type Frame = FrameOf<JournalRecord>

const HEADER = 8

/**
 * The records of an append frame as `scanFrames` finds them (keys and values not decoded), in arrays
 * rather than an object per record: record `i` of `count` is of topic `topics[topicOf[i]]`, partition
 * `partitions[i]`, offset `offsets[i]`, and `readRecord` reads it at `positions[i]` of the scanned buffer.
 * The arrays are the scan's and reused for the next frame: read them during `onFrame`.
 */
export interface LocatedRecords {
  readonly count: number
  readonly topics: readonly string[]
  readonly topicOf: Uint16Array
  readonly partitions: Uint32Array
  readonly offsets: Float64Array
  readonly positions: Float64Array
}

/** A frame as `scanFrames` reports it: appends locate their records instead of decoding them. */
export type IndexedFrame =
  | { readonly type: 'append'; readonly records: LocatedRecords; readonly offsets: readonly OffsetCommit[] }
  | Exclude<Frame, { readonly type: 'append' }>

/** `scanFrames`' arrays, grown as frames need. */
class RecordArrays implements LocatedRecords {
  count = 0
  topics: string[] = []
  topicOf = new Uint16Array(256)
  partitions = new Uint32Array(256)
  offsets = new Float64Array(256)
  positions = new Float64Array(256)

  /** Starts a frame of `n` records of `topics`. */
  reset(n: number, topics: string[]): void {
    this.count = n
    this.topics = topics
    if (n <= this.topicOf.length) return
    const capacity = Math.max(n, this.topicOf.length * 2)
    this.topicOf = new Uint16Array(capacity)
    this.partitions = new Uint32Array(capacity)
    this.offsets = new Float64Array(capacity)
    this.positions = new Float64Array(capacity)
  }
}

/** Headers of a record that has none (shared: records are immutable). */
const NO_HEADERS: Headers = Object.freeze({})

/**
 * UTF-8 bytes of names written again and again (topics, groups, header names). Bounded: names past
 * the limit are encoded each time instead.
 */
const encodedNames = new Map<string, Buffer>()
const MAX_ENCODED_NAMES = 4096

function nameBytes(name: string): Buffer {
  let bytes = encodedNames.get(name)
  if (bytes === undefined) {
    bytes = Buffer.from(name, 'utf8')
    if (encodedNames.size < MAX_ENCODED_NAMES) encodedNames.set(name, bytes)
  }
  return bytes
}

function strLength(s: string): number {
  return 2 + nameBytes(s).length
}

/** A record's bytes besides its key, value and headers: topic index, partition, offset, timestamp, lengths, header count. */
const RECORD_FIXED_BYTES = 2 + 4 + 8 + 8 + 4 + 4 + 2

function bytesLength(b: Buffer | string | null | undefined): number {
  if (b === null || b === undefined) return 4
  return 4 + (typeof b === 'string' ? Buffer.byteLength(b, 'utf8') : b.length)
}

/** Gives the buffer a frame of `bytes` bytes (header included) is encoded into. */
export type FrameAllocator = (bytes: number) => Buffer

const allocateFrame: FrameAllocator = (bytes) => Buffer.allocUnsafe(bytes)

class Writer {
  readonly buf: Buffer
  readonly #view: DataView
  pos = HEADER
  constructor(payloadBytes: number, allocate: FrameAllocator = allocateFrame) {
    this.buf = allocate(HEADER + payloadBytes)
    this.#view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length)
  }
  u8(v: number): void {
    this.buf[this.pos++] = v
  }
  u16(v: number): void {
    this.#view.setUint16(this.pos, v)
    this.pos += 2
  }
  u32(v: number): void {
    this.#view.setUint32(this.pos, v)
    this.pos += 4
  }
  i32(v: number): void {
    this.#view.setInt32(this.pos, v)
    this.pos += 4
  }
  f64(v: number): void {
    this.#view.setFloat64(this.pos, v)
    this.pos += 8
  }
  str(s: string): void {
    const bytes = nameBytes(s)
    this.u16(bytes.length)
    this.buf.set(bytes, this.pos)
    this.pos += bytes.length
  }
  bytes(b: Buffer | string | null | undefined): void {
    if (b === null || b === undefined) {
      this.i32(-1)
      return
    }
    if (typeof b === 'string') {
      const n = this.buf.write(b, this.pos + 4, 'utf8')
      this.i32(n)
      this.pos += n
      return
    }
    this.i32(b.length)
    // TypedArray#set: a plain memory copy, much cheaper than Buffer#copy for small buffers.
    this.buf.set(b, this.pos)
    this.pos += b.length
  }
  finish(): Buffer {
    const payload = this.buf.subarray(HEADER, this.pos)
    this.#view.setUint32(0, payload.length)
    this.#view.setUint32(4, crc32(payload))
    return this.buf.subarray(0, this.pos)
  }
}

/** Encodes a frame, header included. */
export function encodeFrame(frame: Frame): Buffer {
  if (frame.type === 'append')
    return encodeAppend(
      frame.records,
      frame.records.map((r) => r.offset),
      frame.offsets,
    )
  if (frame.type === 'topic') {
    const t = frame.topic
    const w = new Writer(1 + strLength(t.name) + 4 + 1 + 8)
    w.u8(2)
    w.str(t.name)
    w.u32(t.partitions)
    w.u8(t.compact ? 1 : 0)
    w.f64(t.retentionMs ?? -1)
    return w.finish()
  }
  const w = new Writer(1 + strLength(frame.topic) + 4 + 8)
  w.u8(3)
  w.str(frame.topic)
  w.u32(frame.partition)
  w.f64(frame.endOffset)
  return w.finish()
}

/** `encodeAppend`'s per-record scratch, reused (encoding is synchronous). */
let scratch = { topicOf: new Uint16Array(1024), headerCounts: new Uint16Array(1024) }

/** A record's fields but its offset: what `encodeAppend` writes with the offset it is given. */
export type UnstampedRecord = Omit<JournalRecord, 'offset'>

/**
 * Encodes an append frame, header included: `records[i]` at offset `offsets[i]`, then the offset
 * commits. `positions` (when given) receives, for each record, the position in the returned buffer
 * that `readRecord` reads it from. `allocate` gives the buffer to encode into (by default a new one).
 */
export function encodeAppend(
  records: readonly UnstampedRecord[],
  offsets: readonly number[],
  commits: readonly OffsetCommit[],
  positions?: { [index: number]: number },
  allocate?: FrameAllocator,
): Buffer {
  const n = records.length
  const topics = new Map<string, number>()
  if (scratch.topicOf.length < n)
    scratch = { topicOf: new Uint16Array(n * 2), headerCounts: new Uint16Array(n * 2) }
  // Per record, from the first pass to the second: its topic's index and how many headers it writes.
  const { topicOf, headerCounts } = scratch
  let size = 1 + 2 + 4 + 4
  for (let i = 0; i < n; i++) {
    const r = records[i]!
    let topic = topics.get(r.topic)
    if (topic === undefined) {
      topic = topics.size
      if (topic === 0xffff) throw new RangeError('an append names more than 65535 topics')
      topics.set(r.topic, topic)
      size += strLength(r.topic)
    }
    topicOf[i] = topic
    size += RECORD_FIXED_BYTES + (r.key === null ? 0 : r.key.length) + (r.value === null ? 0 : r.value.length)
    let count = 0
    for (const name in r.headers) {
      const v = r.headers[name]
      if (v === undefined) continue
      count++
      size += strLength(name) + bytesLength(v)
    }
    if (count > 0xffff) throw new RangeError(`a record has ${count} headers, at most 65535`)
    headerCounts[i] = count
  }
  for (const o of commits) size += strLength(o.group) + strLength(o.topic) + 4 + 8
  const w = new Writer(size, allocate)
  w.u8(4)
  w.u16(topics.size)
  for (const topic of topics.keys()) w.str(topic)
  w.u32(n)
  for (let i = 0; i < n; i++) {
    const r = records[i]!
    w.u16(topicOf[i]!)
    if (positions !== undefined) positions[i] = w.pos
    w.u32(r.partition)
    w.f64(offsets[i]!)
    w.f64(r.timestamp)
    w.bytes(r.key)
    w.bytes(r.value)
    const count = headerCounts[i]!
    w.u16(count)
    if (count === 0) continue
    for (const name in r.headers) {
      const v = r.headers[name]
      if (v === undefined) continue
      w.str(name)
      w.bytes(v)
    }
  }
  w.u32(commits.length)
  for (const o of commits) {
    w.str(o.group)
    w.str(o.topic)
    w.u32(o.partition)
    w.f64(o.offset)
  }
  return w.finish()
}

/**
 * Topic names met while scanning a journal of type-1 frames, matched by their bytes so that a
 * million records of a few topics do not decode a million strings.
 */
class TopicNames {
  readonly #known: { readonly bytes: Buffer; readonly name: string }[] = []

  read(buf: Buffer, start: number, length: number): string {
    for (const k of this.#known) {
      if (k.bytes.length !== length) continue
      let i = 0
      while (i < length && k.bytes[i] === buf[start + i]) i++
      if (i === length) return k.name
    }
    const name = buf.toString('utf8', start, start + length)
    if (this.#known.length < 64)
      this.#known.push({ bytes: Buffer.from(buf.subarray(start, start + length)), name })
    return name
  }
}

class Reader {
  readonly buf: Buffer
  readonly #view: DataView
  pos: number
  constructor(buf: Buffer, start: number) {
    this.buf = buf
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.length)
    this.pos = start
  }
  u8(): number {
    return this.#view.getUint8(this.pos++)
  }
  u16(): number {
    const v = this.#view.getUint16(this.pos)
    this.pos += 2
    return v
  }
  u32(): number {
    const v = this.#view.getUint32(this.pos)
    this.pos += 4
    return v
  }
  i32(): number {
    const v = this.#view.getInt32(this.pos)
    this.pos += 4
    return v
  }
  f64(): number {
    const v = this.#view.getFloat64(this.pos)
    this.pos += 8
    return v
  }
  str(): string {
    const n = this.u16()
    const s = this.buf.toString('utf8', this.pos, this.pos + n)
    this.pos += n
    return s
  }
  skipStr(): void {
    this.pos += 2 + this.u16()
  }
  /** A view into the buffer (no copy): frames are kept for as long as the log lives. */
  bytes(): Buffer | null {
    const n = this.i32()
    if (n < 0) return null
    const b = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return b
  }
  skipBytes(): void {
    const n = this.i32()
    if (n > 0) this.pos += n
  }
  /** Skips a record's fields after its partition and offset. */
  skipRecordRest(): void {
    this.pos += 8 // timestamp
    this.skipBytes() // key
    this.skipBytes() // value
    const headerCount = this.u16()
    for (let h = 0; h < headerCount; h++) {
      this.skipStr()
      this.skipBytes()
    }
  }
}

/**
 * Decodes a record of `topic` from `position` of `buf`, where its fields after the topic start (a
 * position from `encodeAppend` or `scanFrames`). Keys, values and header values are views into `buf`,
 * or into a copy of the record's bytes when `copy` is set (for a buffer that is written over later).
 */
export function readRecord(buf: Buffer, position: number, topic: string, copy = false): JournalRecord {
  // Buffer's own reads, not a Reader: this runs once per record read.
  const partition = buf.readUInt32BE(position)
  const offset = buf.readDoubleBE(position + 4)
  const timestamp = buf.readDoubleBE(position + 12)
  let pos = position + 20
  const keyLength = buf.readInt32BE(pos)
  pos += 4 + Math.max(0, keyLength)
  const valueLength = buf.readInt32BE(pos)
  pos += 4 + Math.max(0, valueLength)
  const headerCount = buf.readUInt16BE(pos)
  let bytes = buf
  let keyAt = position + 24
  if (copy) {
    // The key and value (and headers) only: they are what outlives the call.
    const end = headerCount === 0 ? pos : recordEnd(buf, pos)
    bytes = Buffer.copyBytesFrom(buf, keyAt, end - keyAt)
    pos -= keyAt
    keyAt = 0
  }
  const key = keyLength < 0 ? null : bytes.subarray(keyAt, keyAt + keyLength)
  const valueAt = keyAt + Math.max(0, keyLength) + 4
  const value = valueLength < 0 ? null : bytes.subarray(valueAt, valueAt + valueLength)
  let headers = NO_HEADERS
  if (headerCount > 0) {
    const r = new Reader(bytes, pos + 2)
    const read: { [name: string]: Buffer } = {}
    for (let h = 0; h < headerCount; h++) read[r.str()] = r.bytes() ?? Buffer.alloc(0)
    headers = read
  }
  return { topic, partition, offset, timestamp, key, value, headers }
}

/**
 * Receives a record's key and value as ranges of `bytes` (a length of -1 for null), undecoded: the
 * restore's path, which keeps values as bytes and would only throw the record objects away.
 */
export type KeyValueVisitor = (
  bytes: Buffer,
  keyAt: number,
  keyLength: number,
  valueAt: number,
  valueLength: number,
) => void

/**
 * Hands the key and value of the record at `position` of `buf` (as for `readRecord`) to `visit`.
 */
export function visitKeyValue(buf: Buffer, position: number, visit: KeyValueVisitor): void {
  const keyAt = position + 24
  const keyLength = buf.readInt32BE(position + 20)
  const valueLengthAt = keyAt + Math.max(0, keyLength)
  visit(buf, keyAt, keyLength, valueLengthAt + 4, buf.readInt32BE(valueLengthAt))
}

/** Where the value of the record at `position` of `buf` ends. */
export function keyValueEnd(buf: Buffer, position: number): number {
  const valueLengthAt = position + 24 + Math.max(0, buf.readInt32BE(position + 20))
  return valueLengthAt + 4 + Math.max(0, buf.readInt32BE(valueLengthAt))
}

/** Where a record ends, from the position of its header count. */
function recordEnd(buf: Buffer, headerCountAt: number): number {
  const r = new Reader(buf, headerCountAt)
  const headerCount = r.u16()
  for (let h = 0; h < headerCount; h++) {
    r.skipStr()
    r.skipBytes()
  }
  return r.pos
}

/**
 * Where the frame at `pos` of `buf` ends, or -1 when it is torn (cut short) or corrupt (its CRC).
 * A zero-filled tail (a crash while the file grew) reads as length 0 with a matching CRC 0: torn too.
 */
export function checkedFrameEnd(buf: Buffer, pos: number): number {
  if (pos + HEADER > buf.length) return -1
  const length = buf.readUInt32BE(pos)
  const end = pos + HEADER + length
  if (length === 0 || end > buf.length) return -1
  return crc32(buf.subarray(pos + HEADER, end)) === buf.readUInt32BE(pos + 4) ? end : -1
}

/** How many bytes from the start of `buf` are whole frames with good CRCs (`checkedFrameEnd`). */
export function checkedBytesOf(buf: Buffer): number {
  let pos = 0
  for (let end = checkedFrameEnd(buf, 0); end >= 0; end = checkedFrameEnd(buf, pos)) pos = end
  return pos
}

/**
 * Walks the frames of a journal and hands each valid one to `onFrame`, appends with their records
 * located, not decoded. Stops at the first torn or corrupt frame and returns how many bytes were
 * good, so the caller truncates the rest. A frame is parsed completely before `onFrame` sees it.
 * `checkedBytes`: a prefix of whole frames whose CRCs were checked already (`checkedBytesOf`).
 */
export function scanFrames(buf: Buffer, onFrame: (frame: IndexedFrame) => void, checkedBytes = 0): number {
  const names = new TopicNames()
  const records = new RecordArrays()
  const r = new Reader(buf, 0)
  let pos = 0
  while (pos + HEADER <= buf.length) {
    const end = pos < checkedBytes ? pos + HEADER + buf.readUInt32BE(pos) : checkedFrameEnd(buf, pos)
    if (end < 0 || end > buf.length) break
    let frame: IndexedFrame
    try {
      r.pos = pos + HEADER
      frame = scanPayload(r, end, names, records)
    } catch {
      break
    }
    onFrame(frame)
    pos = end
  }
  return pos
}

function scanPayload(r: Reader, end: number, names: TopicNames, records: RecordArrays): IndexedFrame {
  const type = r.u8()
  if (type === 2) {
    const name = r.str()
    const partitions = r.u32()
    const compact = r.u8() === 1
    const retention = r.f64()
    return {
      type: 'topic',
      topic: { name, partitions, compact, retentionMs: retention < 0 ? null : retention },
    }
  }
  if (type === 3) return { type: 'end', topic: r.str(), partition: r.u32(), endOffset: r.f64() }
  if (type !== 1 && type !== 4) throw new Error(`unknown journal frame type ${type}`)
  // A type-1 frame names the topic of each record: its distinct names are indexed here as a type 4's are.
  const indexed = type === 4
  let topics: string[]
  if (indexed) {
    topics = new Array(r.u16())
    for (let t = 0; t < topics.length; t++) topics[t] = r.str()
  } else topics = []
  const n = r.u32()
  records.reset(n, topics)
  const { topicOf, partitions, offsets: recordOffsets, positions } = records
  for (let i = 0; i < n; i++) {
    if (indexed) {
      const index = r.u16()
      if (index >= topics.length) throw new RangeError(`topic index ${index} of ${topics.length}`)
      topicOf[i] = index
    } else {
      const nameLength = r.u16()
      const topic = names.read(r.buf, r.pos, nameLength)
      r.pos += nameLength
      let index = topics.indexOf(topic)
      if (index < 0) index = topics.push(topic) - 1
      topicOf[i] = index
    }
    positions[i] = r.pos
    partitions[i] = r.u32()
    recordOffsets[i] = r.f64()
    r.skipRecordRest()
  }
  const m = r.u32()
  const offsets: OffsetCommit[] = new Array(m)
  for (let i = 0; i < m; i++)
    offsets[i] = { group: r.str(), topic: r.str(), partition: r.u32(), offset: r.f64() }
  // Records are located, not decoded: a payload that does not end where its frame ends is corrupt.
  if (r.pos !== end) throw new RangeError('the records of an append frame do not end where the frame ends')
  return { type: 'append', records, offsets }
}

/**
 * Decodes every frame of a journal, records included (keys and values are views into `buf`). Stops
 * at the first torn or corrupt frame and reports how many bytes were good.
 */
export function decodeFrames(buf: Buffer): { frames: Frame[]; validBytes: number } {
  const frames: Frame[] = []
  const validBytes = scanFrames(buf, (frame) => {
    if (frame.type !== 'append') frames.push(frame)
    else
      frames.push({
        type: 'append',
        records: Array.from({ length: frame.records.count }, (_, i) =>
          readRecord(buf, frame.records.positions[i]!, frame.records.topics[frame.records.topicOf[i]!]!),
        ),
        offsets: frame.offsets,
      })
  })
  return { frames, validBytes }
}
