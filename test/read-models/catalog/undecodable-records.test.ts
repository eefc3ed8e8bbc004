// Bytes the catalog projection cannot read (a wrong magic byte, a schema ID no registry holds, a truncated
// body) are skipped: the records around them are projected, the stored position moves past them, and the
// skip is logged once per batch with the count and each reason, not once per record.
import t from 'tap'
import pino from 'pino'
import { ReadModelSink } from '../../../read-models/catalog/projection-sink.ts'
import type { IncomingRecord } from '../../../streams/task.ts'
import { DEFAULT_TOPIC_NAMES } from '../../../topologies/index.ts'
import { bookingSerdes } from '../../topologies/booking-harness.ts'
import { createEvent } from './scenario.ts'
import { dbOf, engines, PipelineScenario } from './support.ts'

const serdes = await bookingSerdes()
const scn = new PipelineScenario(serdes)
t.teardown(() => scn.close())
createEvent(scn, 'ev-garbage', {})

/** The event's facts, as they lie in the log. */
const facts = (() => {
  for (let p = 0; p < scn.log.partitions(DEFAULT_TOPIC_NAMES.eventEvents); p++) {
    const records = scn.log.read(DEFAULT_TOPIC_NAMES.eventEvents, p, 0, 1_000)
    if (records.length > 0) return { partition: p, values: records.map((r) => r.value!) }
  }
  throw new Error('no event fact')
})()

const good = facts.values[0]!
const wrongMagic = Buffer.concat([Buffer.from([1]), good.subarray(1)])
const foreignId = Buffer.from(good)
foreignId.writeUInt32BE(2 ** 31 - 1, 1)
const truncated = good.subarray(0, 8)
const values = [wrongMagic, good, foreignId, foreignId, truncated, ...facts.values.slice(1)]
const records: IncomingRecord[] = values.map((value, offset) => ({
  topic: DEFAULT_TOPIC_NAMES.eventEvents,
  partition: facts.partition,
  offset,
  key: Buffer.from('ev-garbage'),
  value,
  timestamp: 0,
  headers: {},
}))

for (const engine of engines()) {
  t.test(engine.name, async (t) => {
    t.teardown(() => engine.cleanup())
    const model = await engine.open()
    t.teardown(() => model.close())
    const lines: Record<string, unknown>[] = []
    const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(JSON.parse(line)) })
    const sink = new ReadModelSink({ db: dbOf(model), serdes, logger })
    await sink.apply({
      topic: DEFAULT_TOPIC_NAMES.eventEvents,
      partition: facts.partition,
      records,
      nextOffset: records.length,
    })

    const event = await model.getEvent('ev-garbage', { role: 'admin', userId: 'admin-1' })
    t.equal(event?.status, 'PUBLISHED', 'the readable facts around the garbage are projected')
    const stored = await sink.loadOffsets([
      { topic: DEFAULT_TOPIC_NAMES.eventEvents, partition: facts.partition },
    ])
    t.equal(
      stored.get(`${DEFAULT_TOPIC_NAMES.eventEvents}:${facts.partition}`),
      records.length,
      'the position moves past them',
    )

    t.equal(lines.length, 1, 'one log line for the batch')
    const skipped = lines[0]!.skipped as {
      count: number
      firstOffset: number
      lastOffset: number
      reasons: { reason: string; count: number; firstOffset: number }[]
    }
    t.same(
      { count: skipped.count, firstOffset: skipped.firstOffset, lastOffset: skipped.lastOffset },
      { count: 4, firstOffset: 0, lastOffset: 4 },
    )
    t.same(
      skipped.reasons.map((r) => [r.firstOffset, r.count]),
      [
        [0, 1],
        [2, 2],
        [4, 1],
      ],
      'each distinct reason once, with its count and first offset',
    )
    t.match(skipped.reasons[0]!.reason, /magic byte/)
    t.match(skipped.reasons[1]!.reason, /schema ID 2147483647/)
    t.match(skipped.reasons[2]!.reason, /truncated/)
  })
}
