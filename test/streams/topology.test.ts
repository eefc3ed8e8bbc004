import t from 'tap'
import {
  DLQ_HEADERS,
  jsonSerde,
  Record,
  Stores,
  stringSerde,
  TestDriver,
  Topology,
  TopologyError,
  type KeyValueStore,
  type Processor,
  type ProcessorContext,
  TEST_DRIVER_DEAD_LETTER_TOPIC,
} from '../../streams/index.ts'
import {
  COUNT_STORE,
  CountSumProcessor,
  type CountInputValue,
  type CountTotalValue,
} from '../../examples/counting/count-sum.ts'

const inputSerde = jsonSerde<CountInputValue>()
const totalSerde = jsonSerde<CountTotalValue>()

function countingTopology(): Topology {
  return new Topology()
    .addSource('input', 'count.in', { keySerde: stringSerde, valueSerde: inputSerde })
    .addProcessor('sum', () => new CountSumProcessor(), 'input')
    .addStateStore(
      Stores.keyValueStoreBuilder(COUNT_STORE, stringSerde, jsonSerde<{ total: number; count: number }>()),
      'sum',
    )
    .addSink('output', 'count.out', { keySerde: stringSerde, valueSerde: totalSerde }, 'sum')
}

t.test('counting topology sums per key into the store and the output', (t) => {
  const driver = new TestDriver(countingTopology())
  t.teardown(() => driver.close())
  const input = driver.createInputTopic('count.in', stringSerde, inputSerde)
  const output = driver.createOutputTopic('count.out', stringSerde, totalSerde)
  input.pipeInput('a', { key: 'a', amount: 5, producedAtMs: 0 })
  input.pipeInput('b', { key: 'b', amount: 7, producedAtMs: 0 })
  input.pipeInput('a', { key: 'a', amount: -2, producedAtMs: 0 })
  t.same(
    output.readKeyValuesToList().map(([k, v]) => [k, v?.total, v?.count]),
    [
      ['a', 5, 1],
      ['b', 7, 1],
      ['a', 3, 2],
    ],
  )
  const store = driver.getKeyValueStore<string, { total: number; count: number }>(COUNT_STORE)
  t.same(store.get('a'), { total: 3, count: 2 })
  t.same(store.get('b'), { total: 7, count: 1 })
  t.ok(output.isEmpty())
  t.end()
})

t.test('describe() names every node, store and topic', (t) => {
  const text = countingTopology().describe().toString()
  t.match(text, /Sub-topology: 0/)
  t.match(text, /Source: input \(topics: \[count\.in\]\)/)
  t.match(text, /Processor: sum \(stores: \[count-sums\]\)/)
  t.match(text, /Sink: output \(topic: count\.out\)/)
  t.end()
})

t.test('co-partitioned sources with different partition counts are refused', (t) => {
  const topology = new Topology()
    .addSource('a', 'a.in', { keySerde: stringSerde, valueSerde: stringSerde })
    .addSource('b', 'b.in', { keySerde: stringSerde, valueSerde: stringSerde })
    .addProcessor('p', () => ({ process() {} }), 'a', 'b')
  t.throws(
    () =>
      new TestDriver(topology, {
        topics: [
          { name: 'a.in', partitions: 3, cleanupPolicy: 'delete', retentionMs: null },
          { name: 'b.in', partitions: 4, cleanupPolicy: 'delete', retentionMs: null },
        ],
      }),
    TopologyError,
  )
  t.throws(() => new Topology().addProcessor('x', () => ({ process() {} }), 'missing'), TopologyError)
  t.end()
})

t.test('sources sharing a store form one subtopology and one task per partition', (t) => {
  const seen: string[] = []
  class Recorder implements Processor<string, string> {
    #ctx!: ProcessorContext
    init(ctx: ProcessorContext): void {
      this.#ctx = ctx
    }
    process(record: Record<string, string>): void {
      seen.push(`${this.#ctx.taskId}:${this.#ctx.recordMetadata()?.topic}:${record.value}`)
    }
  }
  const topology = new Topology()
    .addSource('a', 'a.in', { keySerde: stringSerde, valueSerde: stringSerde })
    .addSource('b', 'b.in', { keySerde: stringSerde, valueSerde: stringSerde })
    .addProcessor('pa', () => new Recorder(), 'a')
    .addProcessor('pb', () => new Recorder(), 'b')
    .addStateStore(Stores.keyValueStoreBuilder('shared', stringSerde, stringSerde), 'pa', 'pb')
  t.equal(topology.subtopologies().length, 1)
  const spec = (name: string) => ({
    name,
    partitions: 4,
    cleanupPolicy: 'delete' as const,
    retentionMs: null,
  })
  const driver = new TestDriver(topology, { topics: [spec('a.in'), spec('b.in')] })
  t.teardown(() => driver.close())
  driver.createInputTopic('a.in', stringSerde, stringSerde).pipeInput('event-1', 'x')
  driver.createInputTopic('b.in', stringSerde, stringSerde).pipeInput('event-1', 'y')
  t.equal(seen.length, 2)
  const [taskA] = seen[0]!.split(':')
  t.equal(seen[1]!.split(':')[0], taskA, 'the same key reaches the same task from both topics')
  t.end()
})

class Reminder implements Processor<string, string, string, string> {
  #ctx!: ProcessorContext<string, string>
  #store!: KeyValueStore<string, number>
  init(ctx: ProcessorContext<string, string>): void {
    this.#ctx = ctx
    this.#store = ctx.getStateStore('due')
    ctx.schedule(1000, 'WALL_CLOCK_TIME', (now) => {
      for (const [key, dueMs] of [...this.#store.all()]) {
        if (dueMs > now) continue
        this.#store.delete(key)
        this.#ctx.forward(new Record(key, `due at ${dueMs}, fired at ${now}`, now))
      }
    })
  }
  process(record: Record<string, string>): void {
    this.#store.put(record.key, this.#ctx.currentSystemTimeMs() + Number(record.value))
  }
}

t.test('wall-clock punctuators run only when the hand-moved clock passes them', (t) => {
  const topology = new Topology()
    .addSource('in', 'timers.in', { keySerde: stringSerde, valueSerde: stringSerde })
    .addProcessor('reminder', () => new Reminder(), 'in')
    .addStateStore(Stores.keyValueStoreBuilder('due', stringSerde, jsonSerde<number>()), 'reminder')
    .addSink('out', 'timers.out', { keySerde: stringSerde, valueSerde: stringSerde }, 'reminder')
  const driver = new TestDriver(topology, { initialWallClockTimeMs: 1_000_000 })
  t.teardown(() => driver.close())
  const input = driver.createInputTopic('timers.in', stringSerde, stringSerde)
  const output = driver.createOutputTopic('timers.out', stringSerde, stringSerde)
  input.pipeInput('x', '2500')
  input.pipeInput('y', '10000')
  driver.advanceWallClockTime(999)
  t.ok(output.isEmpty(), 'nothing before the first interval')
  driver.advanceWallClockTime(1)
  t.ok(output.isEmpty(), 'the punctuator ran but nothing is due yet')
  driver.advanceWallClockTime(2000)
  t.same(output.readKeyValuesToList(), [['x', 'due at 1002500, fired at 1003000']])
  driver.advanceWallClockTime(60_000)
  t.same(
    output.readKeyValuesToList(),
    [['y', 'due at 1010000, fired at 1063000']],
    'missed intervals run once',
  )
  t.equal(driver.getKeyValueStore('due').approximateNumEntries(), 0)
  t.end()
})

t.test(
  'a poison record goes to the dead-letter topic with its bytes and reason; the partition keeps flowing',
  (t) => {
    const driver = new TestDriver(countingTopology())
    t.teardown(() => driver.close())
    const dlq = driver.createOutputTopic(TEST_DRIVER_DEAD_LETTER_TOPIC, stringSerde, stringSerde)
    const output = driver.createOutputTopic('count.out', stringSerde, totalSerde)
    driver.pipeRaw('count.in', Buffer.from('a'), Buffer.from('{not json'))
    driver
      .createInputTopic('count.in', stringSerde, inputSerde)
      .pipeInput('a', { key: 'a', amount: 1, producedAtMs: 0 })
    const [dead] = dlq.readRecordsToList()
    t.ok(dead)
    t.equal(dead!.value, '{not json', 'original bytes kept')
    t.equal(String(dead!.headers[DLQ_HEADERS.stage]), 'deserialization')
    t.equal(String(dead!.headers[DLQ_HEADERS.sourceTopic]), 'count.in')
    t.equal(String(dead!.headers[DLQ_HEADERS.sourceOffset]), '0')
    t.equal(String(dead!.headers[DLQ_HEADERS.errorCode]), 'SyntaxError')
    t.equal(output.readValue()?.total, 1, 'the next record is processed')
    t.end()
  },
)

t.test('a processing failure rolls back the record: no store write, no output, dead-lettered', (t) => {
  class Flaky implements Processor<string, string, string, string> {
    #ctx!: ProcessorContext<string, string>
    #store!: KeyValueStore<string, string>
    init(ctx: ProcessorContext<string, string>): void {
      this.#ctx = ctx
      this.#store = ctx.getStateStore('s')
    }
    process(record: Record<string, string>): void {
      this.#store.put(record.key, record.value)
      this.#ctx.forward(record)
      if (record.value === 'boom') throw new RangeError('boom refused')
    }
  }
  const topology = new Topology()
    .addSource('in', 'f.in', { keySerde: stringSerde, valueSerde: stringSerde })
    .addProcessor('p', () => new Flaky(), 'in')
    .addStateStore(Stores.keyValueStoreBuilder('s', stringSerde, stringSerde), 'p')
    .addSink('out', 'f.out', { keySerde: stringSerde, valueSerde: stringSerde }, 'p')
  const driver = new TestDriver(topology)
  t.teardown(() => driver.close())
  const input = driver.createInputTopic('f.in', stringSerde, stringSerde)
  input.pipeInput('k', 'fine')
  input.pipeInput('k', 'boom')
  t.same(driver.createOutputTopic('f.out', stringSerde, stringSerde).readKeyValuesToList(), [['k', 'fine']])
  t.equal(driver.getKeyValueStore<string, string>('s').get('k'), 'fine')
  const [dead] = driver
    .createOutputTopic(TEST_DRIVER_DEAD_LETTER_TOPIC, stringSerde, stringSerde)
    .readRecordsToList()
  t.equal(dead?.value, 'boom')
  t.equal(String(dead?.headers[DLQ_HEADERS.errorCode]), 'RangeError')
  t.equal(String(dead?.headers[DLQ_HEADERS.stage]), 'processing')
  t.end()
})

t.test('a handler answering FAIL stops the application with the cause', (t) => {
  const driver = new TestDriver(countingTopology(), { exceptionHandlers: { deserialization: () => 'FAIL' } })
  t.teardown(() => driver.close())
  t.throws(() => driver.pipeRaw('count.in', Buffer.from('a'), Buffer.from('}')), { code: 'STREAMS_FATAL' })
  t.end()
})

t.test('connectProcessorAndStateStores connects every store it is given', (t) => {
  const topology = new Topology()
    .addSource('in', 'in', { keySerde: stringSerde, valueSerde: stringSerde })
    .addProcessor('owner', () => ({ process() {} }), 'in')
    .addProcessor('reader', () => ({ process() {} }), 'in')
    .addStateStore(Stores.keyValueStoreBuilder('first', stringSerde, stringSerde), 'owner')
    .addStateStore(Stores.keyValueStoreBuilder('second', stringSerde, stringSerde), 'owner')
    .addStateStore(Stores.keyValueStoreBuilder('third', stringSerde, stringSerde), 'owner')
    .connectProcessorAndStateStores('reader', 'first', 'second', 'third')
  t.match(topology.describe().toString(), /Processor: reader \(stores: \[first, second, third\]\)/)
  t.end()
})
