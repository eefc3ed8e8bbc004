import t, { type Test } from 'tap'
import {
  CodedError,
  EmbeddedLog,
  EmbeddedStreams,
  ManualClock,
  stringSerde,
  Topology,
  type EmbeddedStreamsConfig,
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
