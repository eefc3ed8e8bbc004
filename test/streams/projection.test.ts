/**
 * The projection runners deliver every record of the followed topics once, in
 * order per partition, starting from the positions the sink stored: a restart
 * or a second runner never re-applies what the sink has.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { EmbeddedLog, ensureTopics } from '../../streams/index.ts'
import {
  EmbeddedProjection,
  KafkaProjection,
  type ProjectionBatch,
  type ProjectionSink,
} from '../../streams/projection.ts'
import { deleteTopicsMatching, kafkaClient, kafkaConnection, requireKafka } from '../support/kafka.ts'

/** A sink that records applied values and keeps offsets beside them, as a database transaction would. */
class RecordingSink implements ProjectionSink {
  readonly applied: string[] = []
  readonly offsets = new Map<string, number>()
  async loadOffsets(): Promise<Map<string, number>> {
    return new Map(this.offsets)
  }
  async apply(batch: ProjectionBatch): Promise<void> {
    const k = `${batch.topic}:${batch.partition}`
    const stored = this.offsets.get(k) ?? 0
    for (const r of batch.records) if (r.offset < stored) throw new Error(`re-applied ${k}@${r.offset}`)
    for (const r of batch.records) this.applied.push(r.value!.toString())
    this.offsets.set(k, batch.nextOffset)
  }
}

/** An embedded log with one topic of numbered records: `append(n)` adds the next n, round robin. */
function numberedLog(topic: string, partitions: number): { log: EmbeddedLog; append: (n: number) => void } {
  const log = EmbeddedLog.open()
  log.createTopics([{ name: topic, partitions, cleanupPolicy: 'delete', retentionMs: null }])
  let next = 0
  const append = (n: number): void => {
    const records = Array.from({ length: n }, () => next++).map((i) => ({
      topic,
      partition: i % partitions,
      key: null,
      value: Buffer.from(String(i)),
      timestamp: 0,
      headers: {},
    }))
    log.append(records)
  }
  return { log, append }
}

t.test('embedded projection applies each record once across restarts', async (t) => {
  const { log, append } = numberedLog('p.in', 3)
  const sink = new RecordingSink()
  append(5000)
  const first = new EmbeddedProjection(log, { name: 'p', topics: ['p.in'], sink, maxBatchRecords: 700 })
  await first.start()
  await first.caughtUp()
  append(1000)
  await first.caughtUp()
  await first.close()
  append(1000)
  const second = new EmbeddedProjection(log, { name: 'p', topics: ['p.in'], sink })
  await second.start()
  await second.caughtUp()
  await second.close()
  t.equal(sink.applied.length, 7000)
  t.same(new Set(sink.applied).size, 7000, 'no record twice')
  for (let p = 0; p < 3; p++) {
    const values = sink.applied.map(Number).filter((v) => v % 3 === p)
    t.same(
      values,
      [...values].sort((a, b) => a - b),
      `partition ${p} in order`,
    )
  }
  log.close()
})

/** A sink taking whole rounds (`applyAll`), noting when each started and how many records it had. */
class RoundSink extends RecordingSink {
  readonly rounds: { at: number; records: number }[] = []
  async applyAll(batches: readonly ProjectionBatch[]): Promise<void> {
    this.rounds.push({ at: performance.now(), records: batches.reduce((n, b) => n + b.records.length, 0) })
    for (const batch of batches) await this.apply(batch)
  }
}

t.test(
  'embedded projection with a linger: rounds start lingerMs apart, records wait for the next',
  async (t) => {
    const { log, append } = numberedLog('l.in', 4)
    t.teardown(() => log.close())
    const sink = new RoundSink()
    const projection = new EmbeddedProjection(log, {
      name: 'l',
      topics: ['l.in'],
      sink,
      lingerMs: 150,
      maxBatchRecords: 50,
    })
    append(120) // a backlog: three rounds of at most 50
    await projection.start()
    for (let i = 0; i < 10; i++) {
      append(3)
      await new Promise((r) => setTimeout(r, 20))
    }
    await projection.caughtUp()
    await projection.close()
    t.equal(sink.applied.length, 150, 'every record once')
    t.same(new Set(sink.applied).size, 150)
    t.ok(
      sink.rounds.every((r) => r.records <= 50),
      'no round over the budget',
    )
    const gaps = sink.rounds.slice(1).map((r, i) => r.at - sink.rounds[i]!.at)
    // Timers may fire up to a millisecond before the intended instant.
    t.ok(
      gaps.every((gap) => gap >= 148),
      `rounds at least 150 ms apart: ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`,
    )
    t.ok(sink.rounds.length >= 3, `${sink.rounds.length} rounds`)
  },
)

t.test('closing an embedded projection ends its linger at once; nothing more is applied', async (t) => {
  const { log, append } = numberedLog('l.in', 4)
  t.teardown(() => log.close())
  const sink = new RoundSink()
  const projection = new EmbeddedProjection(log, { name: 'l', topics: ['l.in'], sink, lingerMs: 60_000 })
  append(8)
  await projection.start()
  await projection.caughtUp()
  append(8) // waits for a round a minute away
  await new Promise((r) => setTimeout(r, 20))
  const started = performance.now()
  await projection.close()
  t.ok(performance.now() - started < 5_000, 'closed without waiting out the linger')
  t.same(
    sink.rounds.map((r) => r.records),
    [8],
    'one round: the records appended later were never applied',
  )
})

t.test('Kafka projection resumes from the sink positions and skips aborted data', async (t) => {
  await requireKafka()
  const topic = `projection-${randomUUID()}`
  t.teardown(() => deleteTopicsMatching(topic))
  const admin = kafkaClient().admin()
  await admin.connect()
  await ensureTopics(admin, [{ name: topic, partitions: 3, cleanupPolicy: 'delete', retentionMs: null }])
  await admin.disconnect()
  const producer = kafkaClient().producer({
    transactionalId: `${topic}-tx`,
    idempotent: true,
    maxInFlightRequests: 1,
  })
  await producer.connect()
  const send = async (from: number, to: number, commit: boolean): Promise<void> => {
    const tx = await producer.transaction()
    const messages = []
    for (let i = from; i < to; i++) messages.push({ value: String(i), partition: i % 3 })
    await tx.send({ topic, messages })
    await (commit ? tx.commit() : tx.abort())
  }
  await send(0, 3000, true)
  await send(100_000, 100_300, false)
  const sink = new RecordingSink()
  const options = { name: 'p', topics: [topic], sink, ...kafkaConnection(), groupId: `${topic}-group` }
  const first = new KafkaProjection(options)
  await first.start()
  await first.caughtUp(60_000)
  await first.close()
  await send(3000, 4000, true)
  const second = new KafkaProjection(options)
  await second.start()
  await second.caughtUp(60_000)
  await second.close()
  await producer.disconnect()
  t.equal(sink.applied.length, 4000, 'every committed record, once')
  t.equal(new Set(sink.applied).size, 4000)
  t.notOk(
    sink.applied.some((v) => Number(v) >= 100_000),
    'aborted records are never applied',
  )
})

t.test(
  'regression: caughtUp resolves when a fresh sink starts from group offsets seeded at the end',
  async (t) => {
    await requireKafka()
    const topic = `projection-seeded-${randomUUID()}`
    t.teardown(() => deleteTopicsMatching(topic))
    const admin = kafkaClient().admin()
    await admin.connect()
    await ensureTopics(admin, [{ name: topic, partitions: 3, cleanupPolicy: 'delete', retentionMs: null }])
    const producer = kafkaClient().producer()
    await producer.connect()
    await producer.send({
      topic,
      messages: [0, 1, 2, 3, 4, 5].map((i) => ({ value: `old-${i}`, partition: i % 3 })),
    })
    const groupId = `${topic}-group`
    const ends = await admin.fetchTopicOffsets(topic)
    await admin.setOffsets({
      groupId,
      topic,
      partitions: ends.map((o) => ({ partition: o.partition, offset: o.high })),
    })
    await admin.disconnect()
    const sink = new RecordingSink()
    const projection = new KafkaProjection({
      name: 'p',
      topics: [topic],
      sink,
      ...kafkaConnection(),
      groupId,
    })
    await projection.start()
    await projection.caughtUp(30_000)
    t.same(sink.applied, [], 'nothing before the seeded offsets is applied')
    await producer.send({ topic, messages: [{ value: 'new', partition: 1 }] })
    await projection.caughtUp(30_000)
    await projection.close()
    await producer.disconnect()
    t.same(sink.applied, ['new'], 'new records still arrive')
  },
)
