import { spawn, spawnSync } from 'node:child_process'
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { decodeFrames, encodeFrame, type JournalRecord } from '../../streams/embedded/journal-codec.ts'
import { readCheckedJournal } from '../../streams/embedded/journal-reader.ts'
import { adoptIndex, indexJournal } from '../../streams/embedded/log-index.ts'
import { CodedError, EmbeddedLog, type EmbeddedLogOptions, type OutgoingRecord } from '../../streams/index.ts'
import type { TopicSpec } from '../../streams/index.ts'

const deleteTopic = (name: string, partitions = 1, retentionMs: number | null = null): TopicSpec => ({
  name,
  partitions,
  cleanupPolicy: 'delete',
  retentionMs,
})
const compactTopic = (name: string, partitions = 1): TopicSpec => ({
  name,
  partitions,
  cleanupPolicy: 'compact',
  retentionMs: null,
})

function rec(
  topic: string,
  partition: number,
  key: string | null,
  value: string | null,
  timestamp = 1_000,
  headers: OutgoingRecord['headers'] = {},
): OutgoingRecord {
  return {
    topic,
    partition,
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    timestamp,
    headers,
  }
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'embedded-log-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Opens a log and closes it at teardown (close is idempotent). */
function open(t: Test, options: EmbeddedLogOptions = {}): EmbeddedLog {
  const log = EmbeddedLog.open({ fsyncIntervalMs: 0, ...options })
  t.teardown(() => log.close())
  return log
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return error instanceof CodedError ? error.code : `not a CodedError: ${String(error)}`
  }
  return undefined
}

const text = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'))

t.test('offsets are dense per partition and start at 0', async (t) => {
  const log = open(t)
  log.createTopics([deleteTopic('a', 2), deleteTopic('b', 1)])
  const first = log.append([
    rec('a', 0, 'k', '1'),
    rec('a', 1, 'k', '2'),
    rec('a', 0, 'k', '3'),
    rec('b', 0, 'k', '4'),
  ])
  t.same(first, [0, 0, 1, 0])
  const second = log.append([rec('a', 1, 'k', '5'), rec('a', 0, 'k', '6'), rec('a', 1, 'k', '7')])
  t.same(second, [1, 2, 2])
  t.same(
    log.read('a', 0, 0).map((r) => [r.offset, text(r.value)]),
    [
      [0, '1'],
      [1, '3'],
      [2, '6'],
    ],
  )
  t.same(
    log.read('a', 1, 0).map((r) => [r.offset, text(r.value)]),
    [
      [0, '2'],
      [1, '5'],
      [2, '7'],
    ],
  )
  t.equal(log.endOffset('a', 0), 3)
  t.equal(log.endOffset('a', 1), 3)
  t.equal(log.endOffset('b', 0), 1)
  t.equal(log.startOffset('a', 0), 0)
  t.same(
    log.read('a', 0, 1, 1).map((r) => r.offset),
    [1],
    'read from an offset, at most max',
  )
  t.same(log.read('a', 0, 3), [], 'nothing at the end offset')
  t.same(log.append([]), [], 'an empty append is allowed')
})

t.test('append commits offsets with the records, all or nothing', async (t) => {
  const log = open(t)
  log.createTopics([deleteTopic('in', 1), deleteTopic('out', 1)])
  log.append([rec('in', 0, 'k', 'x'), rec('in', 0, 'k', 'y')])
  t.equal(log.committed('app', 'in', 0), undefined, 'no commit yet')
  log.append([rec('out', 0, 'k', 'X')], [{ group: 'app', topic: 'in', partition: 0, offset: 1 }])
  t.equal(log.committed('app', 'in', 0), 1)
  t.equal(log.committed('other-group', 'in', 0), undefined, 'positions are per group')

  // A batch with one bad record changes nothing: no record, no commit.
  t.equal(
    codeOf(() =>
      log.append(
        [rec('out', 0, 'k', 'Y'), rec('out', 7, 'k', 'Z')],
        [{ group: 'app', topic: 'in', partition: 0, offset: 2 }],
      ),
    ),
    'UNKNOWN_PARTITION',
  )
  t.equal(log.endOffset('out', 0), 1, 'no record of the failed batch was appended')
  t.equal(log.committed('app', 'in', 0), 1, 'the failed batch did not commit')
  t.equal(
    codeOf(() => log.append([rec('nope', 0, 'k', 'v')])),
    'UNKNOWN_TOPIC',
  )
  t.equal(
    codeOf(() => log.read('nope', 0, 0)),
    'UNKNOWN_TOPIC',
  )
  t.equal(
    codeOf(() => log.partitions('nope')),
    'UNKNOWN_TOPIC',
  )
  t.equal(
    codeOf(() => log.endOffset('in', 1)),
    'UNKNOWN_PARTITION',
  )

  // An append with offsets only (a commit of a task that produced nothing).
  t.same(log.append([], [{ group: 'app', topic: 'in', partition: 0, offset: 2 }]), [])
  t.equal(log.committed('app', 'in', 0), 2)
})

t.test('reopening a folder restores records, headers, nulls, topics and committed offsets', async (t) => {
  const dir = tempDir(t)
  const log = EmbeddedLog.open({ dir, fsyncIntervalMs: 0 })
  log.createTopics([deleteTopic('a', 3), compactTopic('c', 2)])
  log.append(
    [
      rec('a', 2, 'k1', 'v1', 111, { trace: Buffer.from([0, 1, 2, 255]), kind: 'text-header', empty: '' }),
      rec('a', 2, null, 'no key', 222),
      rec('c', 1, 'gone', null, 333),
      rec('a', 0, 'héllo', 'wörld', 444),
    ],
    [
      { group: 'g1', topic: 'a', partition: 2, offset: 2 },
      { group: 'g2', topic: 'c', partition: 1, offset: 1 },
    ],
  )
  log.close()
  t.notOk(existsSync(join(dir, 'LOCK')), 'close removes the lock file')

  const again = open(t, { dir })
  t.ok(again.hasTopic('a'))
  t.equal(again.partitions('a'), 3)
  t.equal(again.partitions('c'), 2)
  const [r0, r1] = again.read('a', 2, 0)
  t.equal(r0?.offset, 0)
  t.equal(text(r0!.key), 'k1')
  t.equal(text(r0!.value), 'v1')
  t.equal(r0?.timestamp, 111)
  t.ok(Buffer.isBuffer(r0?.headers.trace), 'header values come back as Buffers')
  t.same([...(r0!.headers.trace as Buffer)], [0, 1, 2, 255])
  t.equal(Buffer.from(r0!.headers.kind as Buffer).toString(), 'text-header')
  t.equal((r0!.headers.empty as Buffer).length, 0)
  t.equal(r1?.key, null, 'null key restored')
  t.equal(text(r1!.value), 'no key')
  const [tomb] = again.read('c', 1, 0)
  t.equal(text(tomb!.key), 'gone')
  t.equal(tomb?.value, null, 'null value (tombstone) restored')
  t.equal(text(again.read('a', 0, 0)[0]!.key), 'héllo')
  t.equal(text(again.read('a', 0, 0)[0]!.value), 'wörld')
  t.equal(again.committed('g1', 'a', 2), 2)
  t.equal(again.committed('g2', 'c', 1), 1)
  t.equal(again.endOffset('a', 2), 2)
  t.equal(again.endOffset('a', 1), 0)
  t.same(again.append([rec('a', 2, 'k', 'next')]), [2], 'appends continue after the restored end')
})

/** Writes three appends to a fresh folder and returns the journal's size after each. */
function threeAppends(dir: string): number[] {
  const log = EmbeddedLog.open({ dir, fsyncIntervalMs: 0 })
  log.createTopics([deleteTopic('t', 1)])
  const sizes: number[] = []
  log.append([rec('t', 0, 'k0', 'first')], [{ group: 'g', topic: 't', partition: 0, offset: 0 }])
  sizes.push(log.journalBytes())
  log.append([rec('t', 0, 'k1', 'second')], [{ group: 'g', topic: 't', partition: 0, offset: 1 }])
  sizes.push(log.journalBytes())
  log.append([rec('t', 0, 'k2', 'third')], [{ group: 'g', topic: 't', partition: 0, offset: 2 }])
  sizes.push(log.journalBytes())
  log.close()
  return sizes
}

/** Flips the bits of `mask` in the byte at `at` of the file at `path`. */
function flipBits(path: string, at: number, mask: number): void {
  const bytes = readFileSync(path)
  bytes[at] = bytes[at]! ^ mask
  writeFileSync(path, bytes)
}

/** The two ways to open a folder: the journal read on this thread, or on a worker (`load`). */
const REOPENERS: [string, (t: Test, options: EmbeddedLogOptions) => Promise<EmbeddedLog>][] = [
  ['open', async (t, options) => open(t, options)],
  [
    'load',
    async (t, options) => {
      const log = await EmbeddedLog.load({ fsyncIntervalMs: 0, ...options })
      t.teardown(() => log.close())
      return log
    },
  ],
]

for (const [via, reopen] of REOPENERS) {
  /** After recovery the third append (records and commit) is gone and the first two are intact. */
  const checkRecoveredToTwo = async (t: Test, dir: string, sizes: number[]): Promise<void> => {
    const log = await reopen(t, { dir })
    t.same(
      log.read('t', 0, 0).map((r) => [r.offset, text(r.key), text(r.value)]),
      [
        [0, 'k0', 'first'],
        [1, 'k1', 'second'],
      ],
    )
    t.equal(log.endOffset('t', 0), 2)
    t.equal(log.committed('g', 't', 0), 1, "the dropped frame's commit is dropped with its records")
    t.equal(statSync(join(dir, 'log.jnl')).size, sizes[1], 'the journal is truncated to the last good frame')
    t.same(log.append([rec('t', 0, 'k2', 'again')]), [2], 'the next append reuses the dropped offset')
    log.close()
    const third = await reopen(t, { dir })
    t.same(
      third.read('t', 0, 0).map((r) => text(r.value)),
      ['first', 'second', 'again'],
      'the journal is valid after recovery and a new append',
    )
  }

  t.test(`${via}: a torn last frame (file cut short) is dropped and the journal truncated`, async (t) => {
    const dir = tempDir(t)
    const sizes = threeAppends(dir)
    truncateSync(join(dir, 'log.jnl'), sizes[2]! - 3)
    await checkRecoveredToTwo(t, dir, sizes)
  })

  t.test(`${via}: a frame cut inside its 8-byte header is dropped`, async (t) => {
    const dir = tempDir(t)
    const sizes = threeAppends(dir)
    truncateSync(join(dir, 'log.jnl'), sizes[1]! + 5)
    await checkRecoveredToTwo(t, dir, sizes)
  })

  t.test(`${via}: garbage after the last frame is dropped`, async (t) => {
    const dir = tempDir(t)
    const sizes = threeAppends(dir)
    truncateSync(join(dir, 'log.jnl'), sizes[1]!)
    // A plausible header (small length, wrong CRC) followed by junk.
    const junk = Buffer.alloc(40, 0xab)
    junk.writeUInt32BE(20, 0)
    junk.writeUInt32BE(0xdeadbeef, 4)
    appendFileSync(join(dir, 'log.jnl'), junk)
    await checkRecoveredToTwo(t, dir, sizes)
  })

  t.test(`${via}: a zero-filled tail (as a crash can leave after the last write) is dropped`, async (t) => {
    // A crash after the file grew but before its data reached the disk leaves zeros
    // at the end. A zero header reads as "length 0, crc32 0" and crc32 of no bytes is 0,
    // so only a check of the payload length can reject it.
    const dir = tempDir(t)
    const sizes = threeAppends(dir)
    truncateSync(join(dir, 'log.jnl'), sizes[1]!)
    appendFileSync(join(dir, 'log.jnl'), Buffer.alloc(64))
    const opened = await reopen(t, { dir }).catch((error: unknown) => error)
    t.type(opened, EmbeddedLog, 'the log recovers from a zero-filled tail')
    if (opened instanceof EmbeddedLog) {
      opened.close()
      await checkRecoveredToTwo(t, dir, sizes)
    }
  })

  t.test(`${via}: a flipped byte in the last frame's payload (CRC mismatch) drops that frame`, async (t) => {
    const dir = tempDir(t)
    const sizes = threeAppends(dir)
    flipBits(join(dir, 'log.jnl'), sizes[2]! - 4, 0x01) // inside the third frame's payload
    await checkRecoveredToTwo(t, dir, sizes)
  })

  t.test(`${via}: a flipped byte in an earlier frame drops it and everything after it`, async (t) => {
    const dir = tempDir(t)
    const sizes = threeAppends(dir)
    const path = join(dir, 'log.jnl')
    flipBits(path, sizes[1]! - 2, 0x80) // inside the second append's frame
    const log = await reopen(t, { dir })
    t.same(
      log.read('t', 0, 0).map((r) => text(r.value)),
      ['first'],
    )
    t.equal(log.committed('g', 't', 0), 0)
    t.equal(statSync(path).size, sizes[0])
  })
}

t.test('load: a journal it cannot read is an error, and the folder is not left locked', async (t) => {
  const dir = tempDir(t)
  mkdirSync(join(dir, 'log.jnl')) // a folder where the journal should be: the reader's open fails
  await t.rejects(EmbeddedLog.load({ dir }), { code: 'EISDIR' })
  t.notOk(existsSync(join(dir, 'LOCK')), 'the lock is released')
})

t.test('load reads a journal of many frames as open does', async (t) => {
  const dir = tempDir(t)
  const log = EmbeddedLog.open({ dir, fsyncIntervalMs: 0 })
  log.createTopics([deleteTopic('m', 2)])
  for (let i = 0; i < 500; i++)
    log.append(
      [rec('m', i % 2, `k${i}`, 'v'.repeat(i))],
      [{ group: 'g', topic: 'm', partition: i % 2, offset: i }],
    )
  log.close()
  const opened = open(t, { dir })
  const loaded = await REOPENERS[1]![1](t, { dir })
  for (const partition of [0, 1])
    t.same(
      loaded.read('m', partition, 0).map((r) => [r.offset, text(r.key), text(r.value)]),
      opened.read('m', partition, 0).map((r) => [r.offset, text(r.key), text(r.value)]),
      `partition ${partition}`,
    )
  t.equal(loaded.read('m', 1, 0).length, 250)
  t.equal(loaded.committed('g', 'm', 1), 499)
})

t.test('the reader indexes the journal on its worker, and the log takes that index as it is', async (t) => {
  const dir = tempDir(t)
  const log = EmbeddedLog.open({ dir, fsyncIntervalMs: 0 })
  log.createTopics([deleteTopic('m', 3), compactTopic('c')])
  for (let i = 0; i < 300; i++)
    log.append([rec('m', i % 3, `k${i}`, `v${i}`)], [{ group: 'g', topic: 'm', partition: i % 3, offset: i }])
  log.append([rec('c', 0, 'a', '1')])
  log.close()
  const path = join(dir, 'log.jnl')
  const journal = await readCheckedJournal(path)
  t.ok(journal.index !== undefined, 'the worker sent an index')
  const built = indexJournal(readFileSync(path), 0, 7)
  const adopted = adoptIndex(journal.index!, 7)
  t.equal(adopted.validBytes, built.validBytes)
  t.same([...adopted.index.committed], [...built.index.committed])
  const shape = (index: typeof built.index) =>
    [...index.topics.values()].map(({ spec, partitions }) => [
      spec,
      partitions.map((p) => [
        p.end,
        Array.from({ length: p.length }, (_, i) => [p.offsetAt(i), p.frameAt(i), p.positionAt(i)]),
      ]),
    ])
  t.same(shape(adopted.index), shape(built.index), 'the same index as one built on this thread')
  t.equal(adopted.index.partition('m', 1).length, 100)

  // Loaded with that index, the log reads, commits and appends as one opened on this thread.
  const loaded = await EmbeddedLog.load({ dir, fsyncIntervalMs: 0 })
  t.teardown(() => loaded.close())
  t.same(
    loaded.read('m', 2, 95).map((r) => [r.offset, text(r.key), text(r.value)]),
    [
      [95, 'k287', 'v287'],
      [96, 'k290', 'v290'],
      [97, 'k293', 'v293'],
      [98, 'k296', 'v296'],
      [99, 'k299', 'v299'],
    ],
  )
  t.equal(loaded.committed('g', 'm', 2), 299)
  // Past the capacity the worker's arrays were made with: they grow.
  for (let i = 0; i < 200; i++) t.same(loaded.append([rec('m', 0, `n${i}`, 'x')]), [100 + i])
  t.equal(loaded.endOffset('m', 0), 300)
  t.same(
    loaded.read('m', 0, 299).map((r) => text(r.key)),
    ['n199'],
  )
})

t.test('a journal whose frames name a topic none created is refused on open and on load alike', async (t) => {
  for (const opener of ['open', 'load'] as const) {
    const dir = tempDir(t)
    writeFileSync(
      join(dir, 'log.jnl'),
      Buffer.concat([
        encodeFrame({
          type: 'topic',
          topic: { name: 'a', partitions: 1, compact: false, retentionMs: null },
        }),
        encodeFrame({
          type: 'append',
          records: [
            { topic: 'b', partition: 0, offset: 0, timestamp: 1, key: null, value: null, headers: {} },
          ],
          offsets: [],
        }),
      ]),
    )
    if (opener === 'open') t.throws(() => EmbeddedLog.open({ dir }), { code: 'UNKNOWN_TOPIC' }, opener)
    else await t.rejects(EmbeddedLog.load({ dir }), { code: 'UNKNOWN_TOPIC' }, opener)
    t.notOk(existsSync(join(dir, 'LOCK')), `${opener}: the lock is released`)
  }
})

t.test('journal codec: frames round-trip and decodeFrames reports the valid prefix', async (t) => {
  const record: JournalRecord = {
    topic: 'tø',
    partition: 3,
    offset: 2 ** 40,
    timestamp: 1_767_225_600_000,
    key: null,
    value: Buffer.from('v'),
    headers: { h: Buffer.from([9]), s: 'str', skipped: undefined },
  }
  const frames = [
    encodeFrame({ type: 'topic', topic: { name: 'tø', partitions: 4, compact: true, retentionMs: null } }),
    encodeFrame({
      type: 'topic',
      topic: { name: 'd', partitions: 1, compact: false, retentionMs: 86_400_000 },
    }),
    encodeFrame({
      type: 'append',
      records: [record],
      offsets: [{ group: 'g', topic: 'tø', partition: 3, offset: 2 ** 40 + 1 }],
    }),
    encodeFrame({ type: 'end', topic: 'tø', partition: 3, endOffset: 17 }),
  ]
  const all = Buffer.concat(frames)
  const decoded = decodeFrames(all)
  t.equal(decoded.validBytes, all.length)
  t.same(decoded.frames[0], {
    type: 'topic',
    topic: { name: 'tø', partitions: 4, compact: true, retentionMs: null },
  })
  t.same(decoded.frames[1], {
    type: 'topic',
    topic: { name: 'd', partitions: 1, compact: false, retentionMs: 86_400_000 },
  })
  const append = decoded.frames[2]
  t.equal(append?.type, 'append')
  if (append?.type === 'append') {
    const r = append.records[0]!
    t.equal(r.topic, 'tø')
    t.equal(r.partition, 3)
    t.equal(r.offset, 2 ** 40)
    t.equal(r.timestamp, 1_767_225_600_000)
    t.equal(r.key, null)
    t.same([...(r.value as Buffer)], [...Buffer.from('v')])
    t.same(Object.keys(r.headers).sort(), ['h', 's'], 'undefined headers are not written')
    t.same([...(r.headers.s as Buffer)], [...Buffer.from('str')])
    t.same(append.offsets, [{ group: 'g', topic: 'tø', partition: 3, offset: 2 ** 40 + 1 }])
  }
  t.same(decoded.frames[3], { type: 'end', topic: 'tø', partition: 3, endOffset: 17 })
  const cut = decodeFrames(all.subarray(0, all.length - 1))
  t.equal(cut.frames.length, 3)
  t.equal(cut.validBytes, all.length - frames[3]!.length)
})

/**
 * A journal as the first version of the log wrote it: appends as frames of type 1, with the topic
 * name in every record. Base64 of: topic `old` (2 partitions); an append of
 * old/1@0 (k1 → v1 at 111, header h = [7]) and old/1@1 (null key → v2 at 222) committing g's
 * position old/1 → 2; an end frame old/0 → 5.
 */
const FIRST_VERSION_JOURNAL =
  'AAAAE7dqvH0CAANvbGQAAAACAL/wAAAAAAAAAAAAcSjXSOIBAAAAAgADb2xkAAAAAQAAAAAAAAAAQFvAAAAAAAAAAAACazEAAAACdjEAAQABaAAAAAEHAANvbGQAAAABP/AAAAAAAABAa8AAAAAAAP////8AAAACdjIAAAAAAAEAAWcAA29sZAAAAAFAAAAAAAAAAAAAABJgjfRfAwADb2xkAAAAAEAUAAAAAAAA'

t.test('a journal of the first format (type-1 appends) still opens, and takes appends', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'log.jnl'), Buffer.from(FIRST_VERSION_JOURNAL, 'base64'))
  const check = (log: EmbeddedLog): void => {
    const [first, second] = log.read('old', 1, 0)
    t.same([first?.offset, text(first!.key), text(first!.value), first?.timestamp], [0, 'k1', 'v1', 111])
    t.same([...(first!.headers.h as Buffer)], [7])
    t.same([second?.offset, second?.key, text(second!.value), second?.timestamp], [1, null, 'v2', 222])
    t.equal(log.committed('g', 'old', 1), 2)
    t.equal(log.endOffset('old', 0), 5, 'the end frame is applied')
  }
  const log = open(t, { dir })
  check(log)
  t.same(log.append([rec('old', 1, 'k3', 'v3')]), [2])
  log.close()
  const again = open(t, { dir })
  check(again)
  t.same(
    again.read('old', 1, 2).map((r) => text(r.value)),
    ['v3'],
    'an append in the current format after the old frames',
  )
  again.close()
  const compacted = open(t, { dir, compactAtOpenBytes: 1 })
  check(compacted)
  t.equal(text(compacted.read('old', 1, 2)[0]!.value), 'v3', 'and a compaction rewrites both')
})

t.test(
  'with a folder, records the recent-appends ring no longer holds are read back from the journal',
  async (t) => {
    const dir = tempDir(t)
    // A 4 KiB ring: a few appends of ~300 bytes each fill it, and later ones write over the first.
    const log = open(t, { dir, recentBytes: 4096 })
    log.createTopics([deleteTopic('t', 2)])
    const value = (i: number): string => `value-${i}-${'x'.repeat(200)}`
    const early = log.read('t', 0, 0)
    t.same(early, [])
    for (let i = 0; i < 100; i++)
      log.append([rec('t', i % 2, `k${i}`, value(i), 1000 + i, i === 7 ? { h: 'x' } : {})])
    const firstRead = log.read('t', 1, 0, 3)
    for (let i = 100; i < 200; i++) log.append([rec('t', i % 2, `k${i}`, value(i))])
    t.same(
      firstRead.map((r) => text(r.value)),
      [value(1), value(3), value(5)],
      'records read from the ring are copies: writing over the ring does not change them',
    )
    const all = [0, 1].flatMap((p) => log.read('t', p, 0, 1000))
    t.equal(all.length, 200, 'every record is still readable')
    t.same(
      all.map((r) => text(r.value)).sort(),
      Array.from({ length: 200 }, (_, i) => value(i)).sort(),
      'old ones from the journal, recent ones from memory',
    )
    const seven = log.read('t', 1, 3, 1)[0]!
    t.same(
      [text(seven.key), seven.timestamp, String(seven.headers.h)],
      ['k7', 1007, 'x'],
      'with their fields',
    )
    t.same(
      log.read('t', 0, 40, 3).map((r) => r.offset),
      [40, 41, 42],
      'a read from an offset in the middle of the journal',
    )
    log.close()
    t.equal(
      codeOf(() => log.read('t', 0, 0)),
      'LOG_CLOSED',
      'after close, records only the journal holds cannot be read',
    )
    const again = open(t, { dir })
    t.equal(again.read('t', 0, 0, 1000).length + again.read('t', 1, 0, 1000).length, 200)
  },
)

t.test(
  'with a folder, a frame larger than a quarter of the ring is read back from the journal',
  async (t) => {
    const dir = tempDir(t)
    const log = open(t, { dir, recentBytes: 4096 })
    log.createTopics([deleteTopic('t', 1)])
    const big = 'y'.repeat(2000)
    log.append([rec('t', 0, 'a', big), rec('t', 0, 'b', 'small')])
    t.same(
      log.read('t', 0, 0).map((r) => [text(r.key), text(r.value)]),
      [
        ['a', big],
        ['b', 'small'],
      ],
    )
    t.same(
      log.read('t', 0, 1).map((r) => text(r.key)),
      ['b'],
      'from a record in the middle of the frame',
    )
  },
)

t.test('visitKeyValues hands the keys and values read() gives, wherever the records are', async (t) => {
  const visited = (log: EmbeddedLog, partition: number, offset: number) => {
    const out: [string | null, string | null][] = []
    const count = log.visitKeyValues(
      't',
      partition,
      offset,
      (bytes, keyAt, keyLength, valueAt, valueLength) =>
        out.push([
          keyLength < 0 ? null : bytes.toString('utf8', keyAt, keyAt + keyLength),
          valueLength < 0 ? null : bytes.toString('utf8', valueAt, valueAt + valueLength),
        ]),
    )
    t.equal(count, out.length, 'it returns how many it visited')
    return out
  }
  const read = (log: EmbeddedLog, partition: number, offset: number) =>
    log.read('t', partition, offset, 10_000).map((r) => [text(r.key), text(r.value)])
  const dir = tempDir(t)
  // A 4 KiB ring: the first records are read back from the journal, the last are in the ring, one frame
  // is too large for it; with nulls, headers, and an empty value.
  const log = open(t, { dir, recentBytes: 4096 })
  log.createTopics([deleteTopic('t', 2)])
  for (let i = 0; i < 60; i++)
    log.append([
      rec('t', i % 2, i % 7 === 0 ? null : `k${i}`, i % 5 === 0 ? null : `v${i}-${'x'.repeat(150)}`, 1, {
        h: `${i}`,
      }),
      rec('t', (i + 1) % 2, `e${i}`, ''),
    ])
  log.append([rec('t', 0, 'big', 'y'.repeat(3000))])
  for (const partition of [0, 1])
    for (const offset of [0, 17, 59, 200]) {
      const expected = read(log, partition, offset)
      t.same(visited(log, partition, offset), expected, `partition ${partition} from ${offset}`)
    }
  t.ok(read(log, 0, 0).length > 60)
  // Kept as handed out, then decoded after appends that go round the ring again.
  const kept: [Buffer, number, number, number, number][] = []
  log.visitKeyValues('t', 1, 0, (...args) => kept.push(args))
  const before = visited(log, 1, 0)
  for (let i = 0; i < 40; i++) log.append([rec('t', 0, `later${i}`, 'z'.repeat(200))])
  t.same(
    kept.map(([bytes, keyAt, keyLength, valueAt, valueLength]) => [
      keyLength < 0 ? null : bytes.toString('utf8', keyAt, keyAt + keyLength),
      valueLength < 0 ? null : bytes.toString('utf8', valueAt, valueAt + valueLength),
    ]),
    before,
    'the bytes handed out are never written over by later appends',
  )
  log.close()
  const reopened = open(t, { dir })
  for (const partition of [0, 1])
    t.same(visited(reopened, partition, 0), read(reopened, partition, 0), 'after reopening: the journal')
})

t.test('a folder locked by another live process is refused with DATA_DIR_LOCKED', async (t) => {
  const dir = tempDir(t)
  // The parent of this test process is alive for the whole test.
  writeFileSync(join(dir, 'LOCK'), String(process.ppid))
  let error: unknown
  try {
    EmbeddedLog.open({ dir }).close()
  } catch (e) {
    error = e
  }
  t.type(error, CodedError)
  t.equal((error as CodedError).code, 'DATA_DIR_LOCKED')
  t.same((error as CodedError).details, { dir, pid: process.ppid })
  t.equal(readFileSync(join(dir, 'LOCK'), 'utf8'), String(process.ppid), 'the lock is left to its owner')
})

t.test('a second process opening a folder in use gets DATA_DIR_LOCKED', async (t) => {
  const dir = tempDir(t)
  const logModule = fileURLToPath(new URL('../../streams/embedded/log.ts', import.meta.url))
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { EmbeddedLog } from ${JSON.stringify(logModule)}
       const log = EmbeddedLog.open({ dir: ${JSON.stringify(dir)} })
       process.stdout.write('open\\n')
       process.stdin.on('data', () => {})
       process.stdin.on('end', () => { log.close(); process.exit(0) })`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('open')) resolve()
    })
    child.on('exit', (code) => reject(new Error(`child exited early (${code})`)))
  })
  t.equal(readFileSync(join(dir, 'LOCK'), 'utf8'), String(child.pid), 'the child holds the lock')
  t.equal(
    codeOf(() => EmbeddedLog.open({ dir }).close()),
    'DATA_DIR_LOCKED',
  )
  child.stdin.end()
  t.equal(await exited, 0, 'the child closed its log')
  t.notOk(existsSync(join(dir, 'LOCK')), 'the child released the lock')
  const log = open(t, { dir })
  t.equal(readFileSync(join(dir, 'LOCK'), 'utf8'), String(process.pid), 'this process takes the folder')
  log.close()
})

t.test('a lock left by a dead process (or an unreadable lock) is taken over', async (t) => {
  const dir = tempDir(t)
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  })
  const deadPid = Number(dead.stdout)
  t.ok(Number.isInteger(deadPid) && deadPid > 0, `a pid of an exited process (${deadPid})`)
  writeFileSync(join(dir, 'LOCK'), String(deadPid))
  const first = open(t, { dir })
  t.equal(readFileSync(join(dir, 'LOCK'), 'utf8'), String(process.pid))
  first.createTopics([deleteTopic('t')])
  first.close()

  writeFileSync(join(dir, 'LOCK'), 'not a pid')
  const second = open(t, { dir })
  t.ok(second.hasTopic('t'), 'the journal of the folder is read')
  t.equal(readFileSync(join(dir, 'LOCK'), 'utf8'), String(process.pid))
})

t.test('createTopics is idempotent; a different partition count is TOPIC_PARTITIONS_MISMATCH', async (t) => {
  const dir = tempDir(t)
  const log = EmbeddedLog.open({ dir, fsyncIntervalMs: 0 })
  log.createTopics([deleteTopic('t', 3)])
  const size = log.journalBytes()
  t.doesNotThrow(() => log.createTopics([deleteTopic('t', 3)]))
  t.equal(log.journalBytes(), size, 'an existing topic is not written again')
  t.equal(
    codeOf(() => log.createTopics([deleteTopic('t', 4)])),
    'TOPIC_PARTITIONS_MISMATCH',
  )
  t.equal(log.partitions('t'), 3)
  log.close()
  const again = open(t, { dir })
  t.equal(
    codeOf(() => again.createTopics([deleteTopic('t', 2)])),
    'TOPIC_PARTITIONS_MISMATCH',
    'also against a topic restored from the journal',
  )
})

for (const [via, reopen] of REOPENERS)
  t.test(`compaction at ${via} keeps the last value per key, offsets, ends and commits`, async (t) => {
    const dir = tempDir(t)
    const now = Date.now()
    const log = EmbeddedLog.open({ dir, fsyncIntervalMs: 0 })
    log.createTopics([compactTopic('c', 2), deleteTopic('d', 1), deleteTopic('r', 1, 60_000)])
    log.append([
      rec('c', 0, 'k1', 'k1-v1'), // 0
      rec('c', 0, 'k2', 'k2-v1'), // 1
      rec('c', 0, 'k1', 'k1-v2'), // 2
      rec('c', 0, 'k3', 'k3-v1'), // 3
      rec('c', 0, 'k2', null), // 4 tombstone
      rec('c', 0, 'k4', 'k4-v1'), // 5
      rec('c', 1, 'gone', 'x'), // p1: 0
      rec('c', 1, 'gone', null), // p1: 1
      rec('d', 0, 'k1', 'd1'),
      rec('d', 0, 'k1', 'd2'),
      rec('r', 0, 'old', 'expired', now - 3_600_000),
      rec('r', 0, 'new', 'recent', now),
    ])
    log.append([rec('c', 0, 'k4', null)], [{ group: 'g', topic: 'c', partition: 0, offset: 3 }]) // 6
    log.append([rec('c', 0, 'k3', 'k3-v2')], [{ group: 'g', topic: 'c', partition: 1, offset: 2 }]) // 7
    const before = log.journalBytes()
    log.close()

    const compacted = await reopen(t, { dir, compactAtOpenBytes: 1 })
    t.ok(compacted.journalBytes() < before, `the journal shrank (${before} → ${compacted.journalBytes()})`)
    t.notOk(existsSync(join(dir, 'log.jnl.compacting')), 'no temporary file is left')
    const check = (log: EmbeddedLog, label: string): void => {
      t.same(
        log.read('c', 0, 0).map((r) => [r.offset, text(r.key), text(r.value)]),
        [
          [2, 'k1', 'k1-v2'],
          [7, 'k3', 'k3-v2'],
        ],
        `${label}: last value per key, tombstoned keys dropped, original offsets`,
      )
      t.equal(log.endOffset('c', 0), 8, `${label}: end offset kept`)
      t.equal(log.startOffset('c', 0), 2, `${label}: start offset is the first retained record`)
      t.same(log.read('c', 1, 0), [], `${label}: a partition of tombstones only is empty`)
      t.equal(log.endOffset('c', 1), 2, `${label}: an emptied partition keeps its end offset`)
      t.equal(log.startOffset('c', 1), 2)
      t.same(
        log.read('c', 0, 3).map((r) => r.offset),
        [7],
        `${label}: a read from a removed offset returns the next retained record`,
      )
      t.same(
        log.read('c', 0, 0, 1).map((r) => r.offset),
        [2],
      )
      t.same(log.read('c', 0, 8), [])
      t.equal(log.committed('g', 'c', 0), 3, `${label}: committed positions kept`)
      t.equal(log.committed('g', 'c', 1), 2)
      t.same(
        log.read('d', 0, 0).map((r) => text(r.value)),
        ['d1', 'd2'],
        `${label}: a delete topic without retention keeps everything`,
      )
      t.same(
        log.read('r', 0, 0).map((r) => [r.offset, text(r.value)]),
        [[1, 'recent']],
        `${label}: a delete topic drops records older than its retention`,
      )
      t.equal(log.endOffset('r', 0), 2)
    }
    check(compacted, 'after compaction')
    t.same(compacted.append([rec('c', 0, 'k5', 'k5-v1')]), [8], 'appends continue at the kept end offset')
    compacted.close()

    const reopened = open(t, { dir })
    t.same(
      reopened.read('c', 0, 0).map((r) => r.offset),
      [2, 7, 8],
      'the compacted journal and the later append reopen as they were',
    )
    t.equal(reopened.endOffset('c', 0), 9)
    t.equal(reopened.endOffset('c', 1), 2)
    t.equal(reopened.committed('g', 'c', 0), 3)
  })

t.test('onAppend listeners get the records with their offsets; unsubscribe stops them', async (t) => {
  const log = open(t)
  log.createTopics([deleteTopic('t', 2)])
  log.append([rec('t', 1, 'a', '0')])
  const seen: { record: OutgoingRecord; offset: number }[][] = []
  const unsubscribe = log.onAppend((records, offsets) =>
    seen.push(records.map((record, i) => ({ record, offset: offsets[i]! }))),
  )
  log.append([rec('t', 1, 'b', '1', 5, { h: 'x' }), rec('t', 0, null, null, 6)])
  t.equal(seen.length, 1, 'one call per append')
  t.same(
    seen[0]!.map(({ record: r, offset }) => ({
      topic: r.topic,
      partition: r.partition,
      offset,
      key: text(r.key),
      value: text(r.value),
      timestamp: r.timestamp,
      headers: r.headers,
    })),
    [
      { topic: 't', partition: 1, offset: 1, key: 'b', value: '1', timestamp: 5, headers: { h: 'x' } },
      { topic: 't', partition: 0, offset: 0, key: null, value: null, timestamp: 6, headers: {} },
    ],
  )
  unsubscribe()
  log.append([rec('t', 0, 'c', '2')])
  t.equal(seen.length, 1, 'no call after unsubscribe')
})

t.test('a closed log refuses appends with LOG_CLOSED', async (t) => {
  const log = EmbeddedLog.open()
  log.createTopics([deleteTopic('t')])
  log.close()
  t.equal(
    codeOf(() => log.append([rec('t', 0, 'k', 'v')])),
    'LOG_CLOSED',
  )
  t.doesNotThrow(() => log.close(), 'close is idempotent')
})
