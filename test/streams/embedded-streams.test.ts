import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import {
  CodedError,
  EmbeddedLog,
  EmbeddedStreams,
  ManualClock,
  Stores,
  stringSerde,
  Topology,
  type EmbeddedStreamsConfig,
  type KeyValueStore,
  type OutgoingRecord,
  type ProcessorContext,
  type Record,
} from '../../streams/index.ts'

const IN = 'in'
const OUT = 'out'

function upperCaseTopology(): Topology {
  return new Topology()
    .addSource('source', IN, { keySerde: stringSerde, valueSerde: stringSerde })
    .addProcessor(
      'upper',
      () => {
        let context: ProcessorContext<string, string> | undefined
        return {
          init: (c: ProcessorContext<string, string>) => (context = c),
          process: (record: Record<string, string>) =>
            context!.forward(record.withValue(record.value.toUpperCase())),
        }
      },
      'source',
    )
    .addSink('sink', OUT, { keySerde: stringSerde, valueSerde: stringSerde }, 'upper')
}

function inputs(count: number): OutgoingRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    topic: IN,
    partition: 0,
    key: Buffer.from(`k${i}`),
    value: Buffer.from(`v${i}`),
    timestamp: 0,
    headers: {},
  }))
}

const TOPICS = [IN, OUT, 'aquastream.dlq.v1'].map((name) => ({
  name,
  partitions: 1,
  cleanupPolicy: 'delete' as const,
  retentionMs: null,
}))

/** Streams over an in-memory log whose clock never moves: the commit interval never passes. */
function start(
  t: Test,
  options: Partial<EmbeddedStreamsConfig> = {},
): { log: EmbeddedLog; streams: EmbeddedStreams } {
  const log = EmbeddedLog.open()
  const streams = new EmbeddedStreams(upperCaseTopology(), {
    applicationId: 'app',
    deadLetterTopic: 'aquastream.dlq.v1',
    topics: TOPICS,
    clock: new ManualClock(),
    log,
    ...options,
  })
  t.teardown(async () => {
    await streams.close()
    log.close()
  })
  streams.startSync()
  return { log, streams }
}

t.test('a saturated input commits every commitMaxRecords inputs, within the commit interval', async (t) => {
  const { log, streams } = start(t, { maxPollRecords: 10, commitMaxRecords: 4 })
  log.append(inputs(30))
  t.equal(streams.runOnce(), 10, 'one round reads maxPollRecords')
  t.equal(log.committed('app', IN, 0), 10, 'and commits them though the commit interval has not passed')
  t.same(
    log.read(OUT, 0, 0, 100).map((r) => r.value?.toString()),
    Array.from({ length: 10 }, (_, i) => `V${i}`),
    'with their outputs',
  )
})

t.test('below commitMaxRecords, a round commits only when the input is drained', async (t) => {
  const { log, streams } = start(t, { maxPollRecords: 10, commitMaxRecords: 1000 })
  log.append(inputs(30))
  t.equal(streams.runOnce(), 10)
  t.equal(log.committed('app', IN, 0), undefined, 'nothing committed within the interval')
  t.equal(log.endOffset(OUT, 0), 0, 'no output visible yet')
  streams.runUntilIdle()
  t.equal(log.committed('app', IN, 0), 30, 'drained: committed')
  t.equal(log.endOffset(OUT, 0), 30)
})

t.test('maxPollRecords and commitMaxRecords below 1 are INVALID_CONFIG', async (t) => {
  const log = EmbeddedLog.open()
  t.teardown(() => log.close())
  for (const option of ['maxPollRecords', 'commitMaxRecords'] as const) {
    let error: unknown
    try {
      new EmbeddedStreams(upperCaseTopology(), {
        applicationId: 'app',
        topics: TOPICS,
        deadLetterTopic: 'aquastream.dlq.v1',
        log,
        [option]: 0,
      })
    } catch (e) {
      error = e
    }
    t.type(error, CodedError, option)
    t.equal((error as CodedError).code, 'INVALID_CONFIG', option)
  }
})

t.test(
  'stores restored from a folder without copies keep their values after the ring of recent appends is written over',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-restore-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    // `latest` keeps each key's last value; a 4 KiB ring of recent frames is written over many times below.
    const latest = () =>
      new Topology()
        .addSource('source', IN, { keySerde: stringSerde, valueSerde: stringSerde })
        .addProcessor(
          'keep',
          () => {
            let store: KeyValueStore<string, string>
            return {
              init: (c: ProcessorContext<string, string>) => (store = c.getStateStore('latest')),
              process: (record: Record<string, string>) => store.put(record.key, record.value),
            }
          },
          'source',
        )
        .addStateStore(Stores.keyValueStoreBuilder('latest', stringSerde, stringSerde), 'keep')
    const run = (records: OutgoingRecord[]) => {
      const log = EmbeddedLog.open({ dir, fsyncIntervalMs: 0, recentBytes: 4096 })
      const streams = new EmbeddedStreams(latest(), {
        applicationId: 'app',
        deadLetterTopic: 'aquastream.dlq.v1',
        topics: TOPICS,
        clock: new ManualClock(),
        log,
      })
      streams.startSync()
      const store = () => streams.stateStore('latest', 0) as KeyValueStore<string, string>
      const restored = Object.fromEntries(store().all()) as { [key: string]: string }
      if (records.length > 0) log.append(records)
      streams.runUntilIdle()
      const after = Object.fromEntries(store().all()) as { [key: string]: string }
      void streams.close()
      log.close()
      return { restored, after }
    }
    const value = (i: number, round: number) => `v${i}-${round}-${'x'.repeat(100)}`
    const round = (n: number, keys: number, from = 0) =>
      Array.from({ length: keys }, (_, i) => ({
        topic: IN,
        partition: 0,
        key: Buffer.from(`k${from + i}`),
        value: Buffer.from(value(from + i, n)),
        timestamp: 0,
        headers: {},
      }))
    const first = run(round(1, 200))
    t.equal(Object.keys(first.after).length, 200)
    // The restart restores 200 keys from the journal, then writes 300 new ones: the ring laps ~10 times.
    const second = run(round(2, 300, 200))
    t.same(second.restored, first.after, 'the restore equals the state before the restart')
    t.equal(Object.keys(second.after).length, 500)
    for (let i = 0; i < 200; i++) t.equal(second.after[`k${i}`], value(i, 1), `k${i} kept its restored value`)
    const third = run([])
    t.same(third.restored, second.after, 'and a second restart restores all of it')
  },
)
