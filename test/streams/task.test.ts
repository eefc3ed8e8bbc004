import pino from 'pino'
import t from 'tap'
import {
  CodedError,
  continueOnError,
  defaultExceptionHandlers,
  DLQ_HEADERS,
  failOnError,
  ManualClock,
  Record,
  Stores,
  StreamsFatalError,
  stringSerde,
  TestDriver,
  Topology,
  type ExceptionHandlers,
  type IncomingRecord,
  type KeyValueStore,
  type OutgoingRecord,
  type ProcessorContext,
  type Serde,
  TEST_DRIVER_DEAD_LETTER_TOPIC,
} from '../../streams/index.ts'
import { StreamTask, type TaskOptions } from '../../streams/task.ts'

const DLQ = 'dlq'
const START_MS = Date.UTC(2026, 0, 1)

/** A value serde that refuses values containing "poison". */
const pickySerde: Serde<string> = {
  serialize: (_topic, data) => {
    if (data.includes('poison')) throw new Error(`cannot encode ${data}`)
    return Buffer.from(data)
  },
  deserialize: (_topic, data) => data.toString(),
}

function buildTask(
  topology: Topology,
  options: Omit<Partial<TaskOptions>, 'handlers'> & { handlers?: Partial<ExceptionHandlers> } = {},
  partition = 0,
): { task: StreamTask; clock: ManualClock } {
  const clock = new ManualClock(START_MS)
  const sub = topology.subtopologies()[0]!
  const task = new StreamTask(sub, partition, {
    applicationId: 'app',
    clock,
    logger: pino({ level: 'silent' }),
    partitionsOf: () => 1,
    deadLetterTopic: DLQ,
    maxRecordBytes: 64,
    ...options,
    handlers: { ...defaultExceptionHandlers, ...options.handlers },
  })
  task.initialize()
  return { task, clock }
}

function input(
  offset: number,
  key: string | null,
  value: string | null,
  topic = 'in',
  partition = 0,
): IncomingRecord {
  return {
    topic,
    partition,
    offset,
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    timestamp: START_MS - 1000 + offset,
    headers: {},
  }
}

const str = (b: Buffer | null): string | null => (b === null ? null : b.toString())
const onTopic = (records: readonly OutgoingRecord[], topic: string): OutgoingRecord[] =>
  records.filter((r) => r.topic === topic)

/** in → fan-out processor → sinks `out.a` and `out.b` (string serdes; out.b's value serde is `bSerde`). */
function twoSinkTopology(bSerde: Serde<string> = stringSerde): Topology {
  return new Topology()
    .addSource('in', 'in', { keySerde: stringSerde, valueSerde: stringSerde })
    .addProcessor(
      'fan',
      () => {
        let ctx: ProcessorContext<string, string>
        return {
          init(c: ProcessorContext<string, string>) {
            ctx = c
            // The store write must survive a production failure (only outputs fail).
          },
          process(record: Record<string, string>) {
            ctx.getStateStore<KeyValueStore<string, string>>('seen').put(record.key, record.value)
            ctx.forward(record.withValue(`a:${record.value}`), 'a')
            ctx.forward(record.withValue(`b:${record.value}`), 'b')
          },
        }
      },
      'in',
    )
    .addStateStore(Stores.keyValueStoreBuilder('seen', stringSerde, stringSerde), 'fan')
    .addSink('a', 'out.a', { keySerde: stringSerde, valueSerde: stringSerde }, 'fan')
    .addSink('b', 'out.b', { keySerde: stringSerde, valueSerde: bSerde }, 'fan')
}

t.test(
  'a sink serde that throws: dead-lettered at stage production, other outputs still go out',
  async (t) => {
    const { task } = buildTask(twoSinkTopology(pickySerde))
    task.process(input(0, 'k1', 'fine'))
    task.process(input(1, 'k2', 'poison'))
    const batch = task.prepareCommit()
    t.same(
      onTopic(batch.records, 'out.a').map((r) => [str(r.key), str(r.value)]),
      [
        ['k1', 'a:fine'],
        ['k2', 'a:poison'],
      ],
      "the failed record's output to the other sink goes out",
    )
    t.same(
      onTopic(batch.records, 'out.b').map((r) => str(r.value)),
      ['b:fine'],
    )
    const dlq = onTopic(batch.records, DLQ)
    t.equal(dlq.length, 1)
    const [dead] = dlq
    t.equal(dead?.headers[DLQ_HEADERS.stage], 'production')
    t.equal(dead?.headers[DLQ_HEADERS.errorCode], 'SERIALIZATION_FAILED')
    t.match(String(dead?.headers[DLQ_HEADERS.errorMessage]), /cannot encode b:poison/)
    t.equal(dead?.headers[DLQ_HEADERS.sinkTopic], 'out.b')
    t.equal(dead?.headers[DLQ_HEADERS.sourceTopic], 'in')
    t.equal(dead?.headers[DLQ_HEADERS.sourcePartition], '0')
    t.equal(dead?.headers[DLQ_HEADERS.sourceOffset], '1')
    t.equal(dead?.headers[DLQ_HEADERS.taskId], '0_0')
    t.equal(dead?.headers[DLQ_HEADERS.applicationId], 'app')
    t.equal(str(dead!.key), 'k2', 'the dead letter carries the source key bytes')
    t.equal(str(dead!.value), 'poison', 'and the source value bytes')
    t.equal(dead?.timestamp, START_MS - 1000 + 1, 'and the source timestamp')
    t.same(
      onTopic(batch.records, 'app-seen-changelog').map((r) => [str(r.key), str(r.value)]),
      [
        ['k1', 'fine'],
        ['k2', 'poison'],
      ],
      'store writes of the record are kept (a production failure is not a processing failure)',
    )
    t.same(batch.offsets, [{ topic: 'in', partition: 0, offset: 2 }])
  },
)

t.test('a value larger than maxRecordBytes is a RECORD_TOO_LARGE production error', async (t) => {
  const { task } = buildTask(twoSinkTopology(), { maxRecordBytes: 12 })
  task.process(input(0, 'k', '1234567')) // a:1234567 = 9 bytes + key 1: fits
  task.process(input(1, 'k', '123456789')) // a:… = 11 + 1 = 12: fits (limit inclusive)
  task.process(input(2, 'k', '1234567890')) // 12 + 1 = 13: too large on both sinks
  task.process(input(3, 'long-key', '1234')) // value 6 + key 8 = 14: key counts too
  const batch = task.prepareCommit()
  t.same(
    onTopic(batch.records, 'out.a').map((r) => str(r.value)),
    ['a:1234567', 'a:123456789'],
  )
  const dlq = onTopic(batch.records, DLQ)
  t.same(
    dlq.map((r) => [r.headers[DLQ_HEADERS.sourceOffset], r.headers[DLQ_HEADERS.errorCode]]),
    [
      ['2', 'RECORD_TOO_LARGE'],
      ['3', 'RECORD_TOO_LARGE'],
    ],
    'one dead letter per failed input record, even when several outputs fail',
  )
  t.equal(dlq[0]?.headers[DLQ_HEADERS.stage], 'production')
  t.equal(dlq[0]?.headers[DLQ_HEADERS.sinkTopic], 'out.a', 'names the first sink that failed')
})

t.test('a production handler answering CONTINUE drops the output without a dead letter', async (t) => {
  const seen: string[] = []
  const { task } = buildTask(twoSinkTopology(pickySerde), {
    handlers: {
      production: (failure) => {
        seen.push(`${failure.stage}:${failure.sinkTopic}:${(failure.error as CodedError).code}`)
        return continueOnError(failure)
      },
    },
  })
  task.process(input(0, 'k', 'poison'))
  task.process(input(1, 'k', 'fine'))
  const batch = task.prepareCommit()
  t.same(seen, ['production:out.b:SERIALIZATION_FAILED'], 'the handler saw the failure')
  t.same(onTopic(batch.records, DLQ), [], 'no dead letter')
  t.same(
    onTopic(batch.records, 'out.b').map((r) => str(r.value)),
    ['b:fine'],
  )
  t.same(
    onTopic(batch.records, 'out.a').map((r) => str(r.value)),
    ['a:poison', 'a:fine'],
  )
  t.same(batch.offsets, [{ topic: 'in', partition: 0, offset: 2 }], 'the input is consumed')
})

t.test('a production handler answering FAIL stops with STREAMS_FATAL', async (t) => {
  const { task } = buildTask(twoSinkTopology(pickySerde), { handlers: { production: failOnError } })
  let error: unknown
  try {
    task.process(input(0, 'k', 'poison'))
  } catch (e) {
    error = e
  }
  t.type(error, StreamsFatalError)
  t.equal((error as StreamsFatalError).code, 'STREAMS_FATAL')
  t.equal(((error as StreamsFatalError).cause as CodedError).code, 'SERIALIZATION_FAILED')
  t.same((error as StreamsFatalError).details, { taskId: '0_0', stage: 'production' })
})

t.test('the commit batch holds the next offset (last + 1) of every input topic read', async (t) => {
  const topology = new Topology()
    .addSource('s1', ['in', 'in2'], { keySerde: stringSerde, valueSerde: stringSerde })
    .addProcessor('p', () => ({ process() {} }), 's1')
  const { task } = buildTask(topology, {}, 3)
  t.equal(task.id, '0_3')
  t.same(task.sourcePartitions(), [
    { topic: 'in', partition: 3 },
    { topic: 'in2', partition: 3 },
  ])
  t.notOk(task.hasUncommitted())
  task.process(input(5, 'k', 'v', 'in', 3))
  task.process(input(6, 'k', 'v', 'in', 3))
  task.process(input(41, null, null, 'in2', 3))
  task.process(input(9, 'k', 'v', 'in', 3)) // offsets may have gaps (compaction, transactions)
  t.ok(task.hasUncommitted())
  t.equal(task.position('in'), 10)
  const batch = task.prepareCommit()
  t.same(
    [...batch.offsets].sort((a, b) => (a.topic < b.topic ? -1 : 1)),
    [
      { topic: 'in', partition: 3, offset: 10 },
      { topic: 'in2', partition: 3, offset: 42 },
    ],
  )
  t.same(batch.records, [])
  t.notOk(task.hasUncommitted(), 'nothing left after prepareCommit')
  t.same(task.prepareCommit(), { records: [], offsets: [] }, 'an empty batch the second time')
  task.seek('in', 100)
  t.notOk(task.hasUncommitted(), 'seek does not mark a position for commit')
  task.process(input(100, 'k', 'v', 'in', 3))
  t.same(task.prepareCommit().offsets, [{ topic: 'in', partition: 3, offset: 101 }], 'only topics read since')
})

t.test('a dead-lettered (failed) input offset is committed too', async (t) => {
  const topology = new Topology()
    .addSource('s', 'in', { keySerde: stringSerde, valueSerde: stringSerde })
    .addProcessor(
      'p',
      () => ({
        process() {
          throw new Error('boom')
        },
      }),
      's',
    )
  const { task } = buildTask(topology)
  task.process(input(7, 'k', 'v'))
  const batch = task.prepareCommit()
  t.same(batch.offsets, [{ topic: 'in', partition: 0, offset: 8 }])
  t.equal(onTopic(batch.records, DLQ)[0]?.headers[DLQ_HEADERS.errorCode], 'UNEXPECTED_ERROR')
  t.equal(onTopic(batch.records, DLQ)[0]?.headers[DLQ_HEADERS.stage], 'processing')
})

/** Two processors in one subtopology, each connected to its own store only. */
function twoStoreTopology(initReach?: string, processReach?: string): Topology {
  const reaching = (store: string | undefined, inInit: boolean) => () => {
    let ctx: ProcessorContext
    return {
      init(c: ProcessorContext) {
        ctx = c
        if (inInit && store !== undefined) ctx.getStateStore(store)
      },
      process(record: Record<unknown, unknown>) {
        if (!inInit && store !== undefined) ctx.getStateStore(store)
        ctx.forward(record)
      },
    }
  }
  return new Topology()
    .addSource('s', 'in', { keySerde: stringSerde, valueSerde: stringSerde })
    .addProcessor('p1', reaching(initReach, true), 's')
    .addProcessor('p2', reaching(processReach, false), 'p1')
    .addStateStore(Stores.keyValueStoreBuilder('store1', stringSerde, stringSerde), 'p1')
    .addStateStore(Stores.keyValueStoreBuilder('store2', stringSerde, stringSerde), 'p2')
}

t.test('getStateStore of a store not connected to the processor throws INVALID_TOPOLOGY', async (t) => {
  const sub = twoStoreTopology('store2').subtopologies()[0]!
  t.same(sub.stores.map((s) => s.name).sort(), ['store1', 'store2'], 'both stores are in the task')
  t.throws(() => buildTask(twoStoreTopology('store2')), { code: 'INVALID_TOPOLOGY' }, 'in init')
  t.doesNotThrow(() => buildTask(twoStoreTopology('store1')), 'its own store is fine')
  t.throws(() => buildTask(twoStoreTopology('nope')), { code: 'INVALID_TOPOLOGY' }, 'an unknown store too')

  const { task } = buildTask(twoStoreTopology(undefined, 'store1'))
  task.process(input(0, 'k', 'v'))
  const dlq = onTopic(task.prepareCommit().records, DLQ)
  t.equal(dlq[0]?.headers[DLQ_HEADERS.errorCode], 'INVALID_TOPOLOGY', 'while processing: dead-lettered')
  t.equal(dlq[0]?.headers[DLQ_HEADERS.stage], 'processing')
})

t.test('forward to an unknown child throws INVALID_TOPOLOGY', async (t) => {
  const topology = new Topology()
    .addSource('s', 'in', { keySerde: stringSerde, valueSerde: stringSerde })
    .addProcessor(
      'p',
      () => {
        let ctx: ProcessorContext
        return {
          init: (c: ProcessorContext) => void (ctx = c),
          process: (r: Record<unknown, unknown>) => ctx.forward(r, 'missing'),
        }
      },
      's',
    )
    .addSink('out', 'out', { keySerde: stringSerde, valueSerde: stringSerde }, 'p')
  const { task } = buildTask(topology)
  task.process(input(0, 'k', 'v'))
  const records = task.prepareCommit().records
  t.same(onTopic(records, 'out'), [])
  t.equal(onTopic(records, DLQ)[0]?.headers[DLQ_HEADERS.errorCode], 'INVALID_TOPOLOGY')
})

/** A processor that schedules a punctuator in init; the test controls it through `hooks`. */
function punctuatingTopology(hooks: {
  onPunctuate: (
    ctx: ProcessorContext<string, string>,
    store: KeyValueStore<string, string>,
    now: number,
  ) => void
  cancellable?: { cancel(): void }[]
}): Topology {
  return new Topology()
    .addSource('s', 'in', { keySerde: stringSerde, valueSerde: stringSerde })
    .addProcessor(
      'p',
      () => ({
        init(ctx: ProcessorContext<string, string>) {
          const store = ctx.getStateStore<KeyValueStore<string, string>>('state')
          const c = ctx.schedule(100, 'WALL_CLOCK_TIME', (now) => hooks.onPunctuate(ctx, store, now))
          hooks.cancellable?.push(c)
        },
        process() {},
      }),
      's',
    )
    .addStateStore(Stores.keyValueStoreBuilder('state', stringSerde, stringSerde), 'p')
    .addSink('out', 'out', { keySerde: stringSerde, valueSerde: stringSerde }, 'p')
}

t.test('schedule: a punctuator runs when due; cancel stops it', async (t) => {
  const calls: number[] = []
  const cancellable: { cancel(): void }[] = []
  const { task } = buildTask(
    punctuatingTopology({
      onPunctuate: (ctx, _store, now) => {
        calls.push(now)
        t.equal(ctx.recordMetadata(), undefined, 'no record metadata inside a punctuation')
      },
      cancellable,
    }),
  )
  t.equal(task.nextPunctuationMs(), START_MS + 100)
  t.equal(task.punctuate(START_MS + 99), 0, 'not due yet')
  t.equal(task.punctuate(START_MS + 100), 1)
  t.equal(task.nextPunctuationMs(), START_MS + 200)
  t.equal(task.punctuate(START_MS + 450), 1, 'missed intervals are skipped, not replayed')
  t.equal(task.nextPunctuationMs(), START_MS + 550)
  cancellable[0]!.cancel()
  t.equal(task.nextPunctuationMs(), Infinity)
  t.equal(task.punctuate(START_MS + 10_000), 0, 'a cancelled punctuator never runs again')
  t.same(calls, [START_MS + 100, START_MS + 450])
})

t.test('schedule refuses an interval below 1 ms', async (t) => {
  const topology = new Topology()
    .addSource('s', 'in', { keySerde: stringSerde, valueSerde: stringSerde })
    .addProcessor(
      'p',
      () => ({
        init: (ctx: ProcessorContext) => void ctx.schedule(0, 'WALL_CLOCK_TIME', () => {}),
        process() {},
      }),
      's',
    )
  t.throws(() => buildTask(topology), RangeError)
})

t.test(
  'a punctuator that throws is dead-lettered (stage punctuation) and its writes rolled back',
  async (t) => {
    let fail = true
    const { task } = buildTask(
      punctuatingTopology({
        onPunctuate: (ctx, store, now) => {
          store.put('existing', `changed-at-${now}`)
          store.put('added', 'x')
          store.delete('to-delete')
          ctx.forward(new Record('k', `tick-${now}`, now))
          if (fail) throw new CodedError('SOMETHING_BROKE', 'punctuation failed')
        },
      }),
    )
    const store = task.store('state') as KeyValueStore<string, string>
    store.put('existing', 'before')
    store.put('to-delete', 'keep me')
    task.prepareCommit() // commit the set-up writes

    t.equal(task.punctuate(START_MS + 100), 1)
    t.equal(store.get('existing'), 'before', 'the changed value is rolled back')
    t.equal(store.get('added'), undefined, 'the added key is removed')
    t.equal(store.get('to-delete'), 'keep me', 'the deleted key is back')
    const batch = task.prepareCommit()
    t.same(onTopic(batch.records, 'out'), [], 'the forwarded output is dropped')
    const dlq = onTopic(batch.records, DLQ)
    t.equal(dlq.length, 1)
    t.equal(dlq[0]?.headers[DLQ_HEADERS.stage], 'punctuation')
    t.equal(dlq[0]?.headers[DLQ_HEADERS.errorCode], 'SOMETHING_BROKE')
    t.equal(dlq[0]?.headers[DLQ_HEADERS.sourceTopic], undefined, 'no source record')
    t.equal(dlq[0]?.key, null)
    t.equal(dlq[0]?.value, null)
    t.equal(dlq[0]?.timestamp, START_MS, 'stamped with the wall clock')
    const changelog = onTopic(batch.records, 'app-state-changelog')
    for (const r of changelog) {
      const key = str(r.key)!
      t.equal(str(r.value), store.get(key) ?? null, `changelog of ${key} matches the rolled-back store`)
    }
    t.notOk(
      changelog.some((r) => str(r.value) === 'x' || str(r.value)?.startsWith('changed-at')),
      'no rolled-back value reaches the changelog',
    )

    fail = false
    t.equal(task.punctuate(START_MS + 200), 1)
    t.equal(store.get('added'), 'x', 'a successful punctuation keeps its writes')
    const ok = task.prepareCommit()
    t.same(
      onTopic(ok.records, 'out').map((r) => str(r.value)),
      [`tick-${START_MS + 200}`],
    )
    t.same(onTopic(ok.records, DLQ), [])
  },
)

t.test(
  'TestDriver: a production failure reaches the dead-letter topic, the good output the sink',
  async (t) => {
    const driver = new TestDriver(twoSinkTopology(pickySerde), { maxRecordBytes: 1000 })
    t.teardown(() => driver.close())
    const a = driver.createOutputTopic('out.a', stringSerde, stringSerde)
    const b = driver.createOutputTopic('out.b', stringSerde, stringSerde)
    const dlq = driver.createOutputTopic(TEST_DRIVER_DEAD_LETTER_TOPIC, stringSerde, stringSerde)
    const input = driver.createInputTopic('in', stringSerde, stringSerde)
    input.pipeInput('k1', 'poison')
    input.pipeInput('k2', 'fine')
    t.same(a.readValue(), 'a:poison')
    t.same(a.readValue(), 'a:fine')
    t.same(b.readKeyValuesToList(), [['k2', 'b:fine']])
    const dead = dlq.readRecordsToList()
    t.equal(dead.length, 1)
    t.equal(dead[0]?.key, 'k1')
    t.equal(dead[0]?.value, 'poison')
    t.equal(dead[0]?.headers[DLQ_HEADERS.stage], 'production')
    t.equal(dead[0]?.headers[DLQ_HEADERS.errorCode], 'SERIALIZATION_FAILED')
    t.equal(driver.getKeyValueStore<string, string>('seen').get('k1'), 'poison')
  },
)
