/**
 * Reads a journal and checks its frames' CRCs on a worker thread, so the opening thread can do other
 * work meanwhile (the service opens its read model and analytics engine). Most of a large journal's
 * read is not the copy but the first touch of the memory it lands in (page faults: a quarter of a
 * second per 100 MB on a 2-core VM, bench/RESULTS.md), and the CRC walk touches every page: done here,
 * the pages are mapped when the opening thread scans them.
 *
 * The worker then indexes the frames too (log-index.ts `indexJournal`: where each record of each
 * partition is), which the opening thread takes as it is (a tenth of a second of that thread on a folder
 * of 100,000 bookings).
 *
 * This module is also the worker's entry: run as a worker with `workerData.journal`, it reads that
 * file, posts `{ bytes, checkedBytes, index }` (the bytes' and the index's ArrayBuffers transferred, not
 * copied) and ends. A journal it cannot index (a frame naming a topic no frame created) comes without
 * an index: the opening thread indexes it again and reports why.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { checkedBytesOf } from './journal-codec.ts'
import { indexJournal, transferableIndex, type TransferableIndex } from './log-index.ts'

/**
 * A journal's bytes, how many of them from the start are whole frames with good CRCs, and its index when
 * the reader built one.
 */
export interface CheckedJournal {
  readonly bytes: Buffer
  readonly checkedBytes: number
  readonly index?: TransferableIndex
}

/** Reads the journal at `path` and checks its frames on a worker thread. */
export function readCheckedJournal(path: string): Promise<CheckedJournal> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { journal: path } })
    worker.once(
      'message',
      (message: { bytes: ArrayBuffer; length: number; checkedBytes: number; index?: TransferableIndex }) =>
        resolve({
          bytes: Buffer.from(message.bytes, 0, message.length),
          checkedBytes: message.checkedBytes,
          ...(message.index === undefined ? {} : { index: message.index }),
        }),
    )
    worker.once('error', reject)
    // After the message this settles nothing; before it, the worker died without an error event.
    worker.once('exit', (code) =>
      reject(new Error(`the journal reader exited (${code}) before it read ${path}`)),
    )
  })
}

/** The whole file, in an ArrayBuffer of its own (a pooled Buffer's could not be transferred). */
function readWhole(path: string): { buffer: ArrayBuffer; bytes: Buffer } {
  const fd = openSync(path, 'r')
  try {
    const buffer = new ArrayBuffer(fstatSync(fd).size)
    const whole = Buffer.from(buffer)
    let read = 0
    while (read < whole.length) {
      const n = readSync(fd, whole, read, whole.length - read, read)
      if (n === 0) break
      read += n
    }
    return { buffer, bytes: whole.subarray(0, read) }
  } finally {
    closeSync(fd)
  }
}

const job = isMainThread ? undefined : (workerData as { journal?: unknown } | null)?.journal
if (typeof job === 'string') {
  const { buffer, bytes } = readWhole(job)
  const checkedBytes = checkedBytesOf(bytes)
  let index: ReturnType<typeof transferableIndex> | undefined
  try {
    // Frame 0: the opening thread fills in the journal's frame number (log-index.ts `adoptIndex`).
    index = transferableIndex(indexJournal(bytes, checkedBytes, 0))
  } catch {
    // Left to the opening thread, which indexes the journal again and reports why it cannot.
  }
  // Transferred, not copied; `length`: what was read, should the file have shrunk meanwhile.
  parentPort!.postMessage({ bytes: buffer, length: bytes.length, checkedBytes, index: index?.message }, [
    buffer,
    ...(index?.transfer ?? []),
  ])
}
