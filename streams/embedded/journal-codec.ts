/**
 * Wire format of the embedded log's journal. A journal is a sequence of frames:
 *
 *   u32 payloadLength | u32 crc32(payload) | payload
 *
 * and a payload is one of (all integers big-endian, offsets and timestamps as f64):
 *
 *   1 = append:  u32 n, n × record, u32 m, m × offset commit
 *        record: str topic, u32 partition, f64 offset, f64 timestamp,
 *                i32 keyLength (-1: null) + bytes, i32 valueLength (-1: null) + bytes,
 *                u16 headerCount, headerCount × (str name, i32 length + bytes)
 *        offset commit: str group, str topic, u32 partition, f64 offset
 *   2 = topic:   str name, u32 partitions, u8 compact, f64 retentionMs (-1: forever)
 *   3 = end:     str topic, u32 partition, f64 endOffset (a compacted snapshot keeps log ends)
 *
 * with str = u16 byteLength + UTF-8. A frame is written with one write(2), so a
 * crash leaves at most a torn last frame, which recovery detects (length or CRC)
 * and truncates: an append, and so a commit, is all or nothing.
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

export type Frame =
  | {
      readonly type: 'append'
      readonly records: readonly JournalRecord[]
      readonly offsets: readonly OffsetCommit[]
    }
  | { readonly type: 'topic'; readonly topic: TopicFrame }
  | { readonly type: 'end'; readonly topic: string; readonly partition: number; readonly endOffset: number }

const HEADER = 8

function strLength(s: string): number {
  return 2 + Buffer.byteLength(s, 'utf8')
}

function bytesLength(b: Buffer | string | null | undefined): number {
  if (b === null || b === undefined) return 4
  return 4 + (typeof b === 'string' ? Buffer.byteLength(b, 'utf8') : b.length)
}

class Writer {
  readonly buf: Buffer
  pos = HEADER
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(HEADER + size)
  }
  u8(v: number): void {
    this.pos = this.buf.writeUInt8(v, this.pos)
  }
  u16(v: number): void {
    this.pos = this.buf.writeUInt16BE(v, this.pos)
  }
  u32(v: number): void {
    this.pos = this.buf.writeUInt32BE(v, this.pos)
  }
  f64(v: number): void {
    this.pos = this.buf.writeDoubleBE(v, this.pos)
  }
  str(s: string): void {
    const n = this.buf.write(s, this.pos + 2, 'utf8')
    this.buf.writeUInt16BE(n, this.pos)
    this.pos += 2 + n
  }
  bytes(b: Buffer | string | null | undefined): void {
    if (b === null || b === undefined) {
      this.pos = this.buf.writeInt32BE(-1, this.pos)
      return
    }
    if (typeof b === 'string') {
      const n = this.buf.write(b, this.pos + 4, 'utf8')
      this.buf.writeInt32BE(n, this.pos)
      this.pos += 4 + n
      return
    }
    this.pos = this.buf.writeInt32BE(b.length, this.pos)
    this.pos += b.copy(this.buf, this.pos)
  }
  finish(): Buffer {
    const payload = this.buf.subarray(HEADER, this.pos)
    this.buf.writeUInt32BE(payload.length, 0)
    this.buf.writeUInt32BE(crc32(payload), 4)
    return this.buf.subarray(0, this.pos)
  }
}

export function encodeFrame(frame: Frame): Buffer {
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
  if (frame.type === 'end') {
    const w = new Writer(1 + strLength(frame.topic) + 4 + 8)
    w.u8(3)
    w.str(frame.topic)
    w.u32(frame.partition)
    w.f64(frame.endOffset)
    return w.finish()
  }
  let size = 1 + 4 + 4
  for (const r of frame.records) {
    size += strLength(r.topic) + 4 + 8 + 8 + bytesLength(r.key) + bytesLength(r.value) + 2
    for (const name in r.headers) {
      const v = r.headers[name]
      if (v !== undefined) size += strLength(name) + bytesLength(v)
    }
  }
  for (const o of frame.offsets) size += strLength(o.group) + strLength(o.topic) + 4 + 8
  const w = new Writer(size)
  w.u8(1)
  w.u32(frame.records.length)
  for (const r of frame.records) {
    w.str(r.topic)
    w.u32(r.partition)
    w.f64(r.offset)
    w.f64(r.timestamp)
    w.bytes(r.key)
    w.bytes(r.value)
    let count = 0
    for (const name in r.headers) if (r.headers[name] !== undefined) count++
    w.u16(count)
    for (const name in r.headers) {
      const v = r.headers[name]
      if (v === undefined) continue
      w.str(name)
      w.bytes(v)
    }
  }
  w.u32(frame.offsets.length)
  for (const o of frame.offsets) {
    w.str(o.group)
    w.str(o.topic)
    w.u32(o.partition)
    w.f64(o.offset)
  }
  return w.finish()
}

class Reader {
  readonly buf: Buffer
  pos: number
  constructor(buf: Buffer, start: number) {
    this.buf = buf
    this.pos = start
  }
  u8(): number {
    return this.buf.readUInt8(this.pos++)
  }
  u16(): number {
    const v = this.buf.readUInt16BE(this.pos)
    this.pos += 2
    return v
  }
  u32(): number {
    const v = this.buf.readUInt32BE(this.pos)
    this.pos += 4
    return v
  }
  f64(): number {
    const v = this.buf.readDoubleBE(this.pos)
    this.pos += 8
    return v
  }
  str(): string {
    const n = this.u16()
    const s = this.buf.toString('utf8', this.pos, this.pos + n)
    this.pos += n
    return s
  }
  bytes(): Buffer | null {
    const n = this.buf.readInt32BE(this.pos)
    this.pos += 4
    if (n < 0) return null
    // A copy: the journal buffer is released after recovery.
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + n))
    this.pos += n
    return b
  }
}

/**
 * Decodes the frames of a journal. Stops at the first torn or corrupt frame and
 * reports how many bytes were good, so the caller truncates the rest.
 */
export function decodeFrames(buf: Buffer): { frames: Frame[]; validBytes: number } {
  const frames: Frame[] = []
  let pos = 0
  while (pos + HEADER <= buf.length) {
    const length = buf.readUInt32BE(pos)
    const crc = buf.readUInt32BE(pos + 4)
    const end = pos + HEADER + length
    if (end > buf.length) break
    // A zero-filled tail (a crash while the file grew) reads as length 0 with a matching CRC 0: torn too.
    if (length === 0 || crc32(buf.subarray(pos + HEADER, end)) !== crc) break
    let frame: Frame
    try {
      frame = decodePayload(new Reader(buf, pos + HEADER))
    } catch {
      break
    }
    frames.push(frame)
    pos = end
  }
  return { frames, validBytes: pos }
}

function decodePayload(r: Reader): Frame {
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
  if (type !== 1) throw new Error(`unknown journal frame type ${type}`)
  const n = r.u32()
  const records: JournalRecord[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const topic = r.str()
    const partition = r.u32()
    const offset = r.f64()
    const timestamp = r.f64()
    const key = r.bytes()
    const value = r.bytes()
    const headerCount = r.u16()
    const headers: { [name: string]: Buffer } = {}
    for (let h = 0; h < headerCount; h++) headers[r.str()] = r.bytes() ?? Buffer.alloc(0)
    records[i] = { topic, partition, offset, timestamp, key, value, headers }
  }
  const m = r.u32()
  const offsets: OffsetCommit[] = new Array(m)
  for (let i = 0; i < m; i++)
    offsets[i] = { group: r.str(), topic: r.str(), partition: r.u32(), offset: r.f64() }
  return { type: 'append', records, offsets }
}
