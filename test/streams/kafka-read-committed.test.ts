/**
 * `read_committed` on kafkajs (streams/kafka/read-committed.ts): records of aborted transactions never
 * reach a consumer, also when the transactions of several producers interleave on a partition and
 * are aborted out of order (as when a dead instance's tasks are fenced one after the other), and when
 * a fetch starts inside several aborted transactions. kafkajs' own filter lets such records through.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { hideAbortedRecords, type FetchedRecord } from '../../streams/kafka/read-committed.ts'
import { ensureTopics } from '../../streams/index.ts'
import { kafkaClient, requireKafka } from '../support/kafka.ts'

const ABORT = Buffer.from([0, 0, 0, 0])
const COMMIT = Buffer.from([0, 0, 0, 1])

/** One single-record batch per entry: [offset, producer ('-' = not transactional), 'data' | 'abort' | 'commit']. */
function records(entries: [number, string, 'data' | 'abort' | 'commit'][]): FetchedRecord[] {
  return entries.map(([offset, producer, kind]) => ({
    offset: String(offset),
    key: kind === 'abort' ? ABORT : kind === 'commit' ? COMMIT : Buffer.from('k'),
    isControlRecord: kind !== 'data',
    batchContext: {
      firstOffset: String(offset),
      lastOffsetDelta: 0,
      producerId: producer === '-' ? '-1' : producer,
      inTransaction: producer !== '-',
    },
  }))
}

const visible = (messages: FetchedRecord[]): number[] =>
  messages.filter((m) => !m.isControlRecord).map((m) => Number(m.offset))

t.test('hideAbortedRecords: aborted transactions listed in marker order, not by first offset', async (t) => {
  const messages = records([
    [10, '1', 'data'],
    [11, '2', 'data'],
    [12, '1', 'data'],
    [13, '-', 'data'],
    [14, '3', 'data'],
    [15, '2', 'abort'],
    [16, '1', 'abort'],
    [17, '3', 'commit'],
  ])
  const partition = {
    // The broker lists them as their abort markers were written: producer 2 first.
    abortedTransactions: [
      { producerId: '2', firstOffset: '11' },
      { producerId: '1', firstOffset: '10' },
    ],
    messages,
  }
  hideAbortedRecords(partition)
  t.same(visible(messages), [13, 14], 'only the plain record and the committed one')
  t.same(partition.abortedTransactions, [], "kafkajs' own filter has nothing left to do")
})

t.test('hideAbortedRecords: a fetch that starts inside several aborted transactions', async (t) => {
  const messages = records([
    [20, '2', 'data'],
    [21, '1', 'data'],
    [22, '1', 'abort'],
    [23, '2', 'abort'],
    [24, '1', 'data'],
    [25, '1', 'commit'],
  ])
  hideAbortedRecords({
    abortedTransactions: [
      { producerId: '1', firstOffset: '5' },
      { producerId: '2', firstOffset: '7' },
    ],
    messages,
  })
  t.same(visible(messages), [24], 'the next transaction of a producer whose earlier one aborted stays')
})

t.test('hideAbortedRecords: no aborted transactions, nothing changes', async (t) => {
  const messages = records([
    [0, '1', 'data'],
    [1, '1', 'commit'],
    [2, '-', 'data'],
  ])
  hideAbortedRecords({ abortedTransactions: [], messages })
  t.same(visible(messages), [0, 2])
})

t.test('a kafkajs consumer reads no aborted record of interleaved transactions (real broker)', async (t) => {
  await requireKafka()
  const kafka = kafkaClient('read-committed-test')
  const topic = `read-committed-${randomUUID().slice(0, 8)}`
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined)
    await admin.disconnect()
  })
  // Not kafkajs' own wait: it fails on UNKNOWN_TOPIC_OR_PARTITION while the new topic's metadata propagates.
  await ensureTopics(admin, [{ name: topic, partitions: 1, cleanupPolicy: 'delete', retentionMs: null }])

  const producers = [1, 2, 3].map((i) =>
    kafka.producer({ transactionalId: `${topic}-${i}`, idempotent: true, maxInFlightRequests: 1 }),
  )
  await Promise.all(producers.map((p) => p.connect()))
  const send = (
    tx: { send: (r: { topic: string; messages: { value: string }[] }) => Promise<unknown> },
    value: string,
  ) => tx.send({ topic, messages: [{ value }] })
  const first = await producers[0]!.transaction()
  await send(first, 'committed-1')
  await first.commit()
  // Three open transactions interleaved on the partition, the first two aborted in reverse order.
  const open = await Promise.all(producers.map((p) => p.transaction()))
  for (let round = 0; round < 3; round++)
    for (const [i, tx] of open.entries())
      await send(tx, i === 2 ? `committed-2-${round}` : `aborted-${i}-${round}`)
  await open[1]!.abort()
  await open[0]!.abort()
  await open[2]!.commit()
  const last = await producers[0]!.transaction()
  await send(last, 'committed-3')
  await last.commit()
  await Promise.all(producers.map((p) => p.disconnect()))

  // Whole fetches and fetches of one record batch each (every fetch but the first starts mid-transaction).
  for (const maxBytesPerPartition of [1024 * 1024, 64]) {
    const seen: string[] = []
    const consumer = kafka.consumer({
      groupId: `${topic}-${maxBytesPerPartition}`,
      readUncommitted: false,
      maxWaitTimeInMs: 50,
      maxBytesPerPartition,
      maxBytes: maxBytesPerPartition,
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) seen.push(m.value!.toString())
      },
    })
    // Records arrive in offset order: once the last one is in, everything before it is.
    const deadline = Date.now() + 20_000
    while (!seen.includes('committed-3') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    await consumer.disconnect()
    await admin.deleteGroups([`${topic}-${maxBytesPerPartition}`]).catch(() => undefined)
    t.same(
      seen,
      ['committed-1', 'committed-2-0', 'committed-2-1', 'committed-2-2', 'committed-3'],
      `committed records only, in order (fetches of at most ${maxBytesPerPartition} bytes)`,
    )
  }
})
