import { readSync } from 'node:fs'
import { RuntimeError } from '../errors.ts'
import {
  keyValueEnd,
  readRecord,
  visitKeyValue,
  type FrameAllocator,
  type JournalRecord,
  type KeyValueVisitor,
} from './journal-codec.ts'

/**
 * The bytes behind an embedded log's records. Without a journal every frame stays in memory. With
 * one, the frames of this process are encoded into a ring of `ringBytes` reused over and over, and a
 * frame the ring comes round to is read back from the journal when needed (as Kafka serves recent
 * reads from the page cache): memory stays bounded, and the log allocates nothing per append that
 * the garbage collector would have to account for and collect. The journal read at open stays in
 * memory for restores.
 *
 * Records read from the ring are copies (the ring is written over later); others are views.
 */
export class FrameStore {
  /** Per frame: its bytes while in memory (undefined once they are only in the journal). */
  readonly #bytes: (Buffer | undefined)[] = []
  /** Per frame: where it starts in the ring, or -1 outside it (its own buffer, or the journal read at open). */
  #ringStarts = new Int32Array(1024)
  /** Per frame: where it starts in the journal file. */
  #filePositions = new Float64Array(1024)
  readonly #ringBytes: number
  #ring: Buffer | undefined
  #ringHead = 0
  /** Frames in the ring, oldest first, from `#ringFirst` on. */
  readonly #ringFrames: number[] = []
  #ringFirst = 0
  #fd: number | undefined

  /** `ringBytes` 0: every frame stays in memory. */
  constructor(ringBytes: number) {
    this.#ringBytes = ringBytes
  }

  /** The journal file to read frames back from (a descriptor opened for reading). */
  attachJournal(fd: number | undefined): void {
    this.#fd = fd
  }

  /** Forgets every frame (the log reloads its journal). */
  clear(): void {
    this.#bytes.length = 0
    this.#ringFrames.length = 0
    this.#ringFirst = 0
    this.#ringHead = 0
  }

  /**
   * Gives the buffer the next frame is encoded into: a slot of the ring when it fits in a quarter of
   * it (frames the slot covers leave memory), else a buffer of its own.
   */
  readonly allocate: FrameAllocator = (bytes) => {
    if (this.#ringBytes === 0 || bytes > this.#ringBytes / 4) return Buffer.allocUnsafe(bytes)
    this.#ring ??= Buffer.allocUnsafeSlow(this.#ringBytes)
    if (this.#ringHead + bytes > this.#ringBytes) {
      // Wrap: what is left of the previous lap (the oldest frames) goes first.
      while (this.#ringFirst < this.#ringFrames.length && this.#oldestRingStart() >= this.#ringHead)
        this.#evictOldest()
      this.#ringHead = 0
    }
    const start = this.#ringHead
    while (this.#ringFirst < this.#ringFrames.length && this.#oldestRingStart() < start + bytes)
      this.#evictOldest()
    this.#ringHead = (start + bytes + 7) & ~7
    return this.#ring.subarray(start, start + bytes)
  }

  /** Registers the journal read at open (kept in memory) and returns its number. */
  addJournal(journal: Buffer): number {
    return this.#register(journal, -1, 0)
  }

  /** Registers a frame from `allocate`, written at `filePosition` of the journal, and returns its number. */
  add(frame: Buffer, filePosition: number): number {
    const ring = this.#ring
    const inRing = ring !== undefined && frame.buffer === ring.buffer
    // With a ring, a frame too large for it is read back from the journal, not kept.
    const kept = inRing || this.#ringBytes === 0
    const ringStart = inRing ? frame.byteOffset - ring.byteOffset : -1
    const id = this.#register(kept ? frame : undefined, ringStart, filePosition)
    if (inRing) this.#ringFrames.push(id)
    return id
  }

  #register(bytes: Buffer | undefined, ringStart: number, filePosition: number): number {
    const id = this.#bytes.push(bytes) - 1
    if (id === this.#ringStarts.length) {
      const ringStarts = new Int32Array(id * 2)
      ringStarts.set(this.#ringStarts)
      this.#ringStarts = ringStarts
      const filePositions = new Float64Array(id * 2)
      filePositions.set(this.#filePositions)
      this.#filePositions = filePositions
    }
    this.#ringStarts[id] = ringStart
    this.#filePositions[id] = filePosition
    return id
  }

  #oldestRingStart(): number {
    return this.#ringStarts[this.#ringFrames[this.#ringFirst]!]!
  }

  #evictOldest(): void {
    this.#bytes[this.#ringFrames[this.#ringFirst]!] = undefined
    this.#ringFirst++
    if (this.#ringFirst > 1024 && this.#ringFirst * 2 > this.#ringFrames.length) {
      this.#ringFrames.splice(0, this.#ringFirst)
      this.#ringFirst = 0
    }
  }

  /**
   * Decodes records of `topic`: the i-th at `positionOf(i)` of frame `frameOf(i)`, for i in [from, to).
   * A partition's records of one frame come in the order they were encoded, so the records of a frame
   * that is only in the journal are read back with one read from the first of them to the frame's end.
   */
  read(
    topic: string,
    from: number,
    to: number,
    frameOf: (i: number) => number,
    positionOf: (i: number) => number,
  ): JournalRecord[] {
    const out: JournalRecord[] = new Array(Math.max(0, to - from))
    let readBack: { frame: number; from: number; bytes: Buffer } | undefined
    for (let i = from; i < to; i++) {
      const id = frameOf(i)
      const position = positionOf(i)
      const bytes = this.#bytes[id]
      if (bytes !== undefined) {
        out[i - from] = readRecord(bytes, position, topic, this.#ringStarts[id]! >= 0)
        continue
      }
      if (readBack?.frame !== id)
        readBack = { frame: id, from: position, bytes: this.#readBack(id, position) }
      out[i - from] = readRecord(readBack.bytes, position - readBack.from, topic)
    }
    return out
  }

  /**
   * Hands the keys and values of records [from, to) (as for `read`) to `visit`, undecoded, as ranges of
   * bytes that are never written over: the frame's own (the journal read at open), a read-back, or a
   * copy of a record in the ring.
   */
  visitKeyValues(
    from: number,
    to: number,
    frameOf: (i: number) => number,
    positionOf: (i: number) => number,
    visit: KeyValueVisitor,
  ): void {
    let readBack: { frame: number; from: number; bytes: Buffer } | undefined
    for (let i = from; i < to; i++) {
      const id = frameOf(i)
      const position = positionOf(i)
      const bytes = this.#bytes[id]
      if (bytes === undefined) {
        if (readBack?.frame !== id)
          readBack = { frame: id, from: position, bytes: this.#readBack(id, position) }
        visitKeyValue(readBack.bytes, position - readBack.from, visit)
      } else if (this.#ringStarts[id]! >= 0)
        visitKeyValue(
          Buffer.copyBytesFrom(bytes, position, keyValueEnd(bytes, position) - position),
          0,
          visit,
        )
      else visitKeyValue(bytes, position, visit)
    }
  }

  /** Frame `id`'s bytes from `position` to its end, read from the journal. */
  #readBack(id: number, position: number): Buffer {
    const fd = this.#fd
    if (fd === undefined) throw new RuntimeError('LOG_CLOSED', 'the embedded log is closed')
    const filePosition = this.#filePositions[id]!
    const header = Buffer.allocUnsafe(4)
    if (readSync(fd, header, 0, 4, filePosition) !== 4) throw journalShort(filePosition)
    // The frame's length is its payload's plus the 8-byte header (length, CRC).
    const end = 8 + header.readUInt32BE(0)
    const bytes = Buffer.allocUnsafe(end - position)
    let read = 0
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, filePosition + position + read)
      if (n === 0) throw journalShort(filePosition)
      read += n
    }
    return bytes
  }
}

/** The journal lost bytes this process wrote (truncated under it): nothing a caller can handle. */
function journalShort(filePosition: number): Error {
  return new Error(`the journal ends inside the frame it has at byte ${filePosition}`)
}
