/**
 * Poison records on the real stack: with the serdes registered in the real
 * schema registry, a wrong magic byte, an unknown schema ID and an undecodable
 * body each go to the dead-letter topic with their original bytes, where they
 * came from and why; the partition keeps flowing (the good records around
 * them are counted).
 */
import t from 'tap'
import pino from 'pino'
import { ConfluentSchemaRegistry } from '../../avro/index.ts'
import { loadConfig } from '../../infra/config.ts'
import { DLQ_HEADERS } from '../../streams/index.ts'
import { KafkaStreams } from '../../streams/kafka/kafka-streams.ts'
import {
  buildCountingTopology,
  countingTopics,
  createCountingSerdes,
  COUNTING_DEAD_LETTERS,
} from '../../examples/counting/counting-topology.ts'
import {
  deleteTopicsMatching,
  kafkaClient,
  kafkaConnection,
  readCommitted,
  requireKafka,
} from '../support/kafka.ts'

const registryUrl = loadConfig().schemaRegistryUrl || 'http://127.0.0.1:8081/apis/ccompat/v7'

t.test('poison records are dead-lettered with the reason and the partition keeps flowing', async (t) => {
  await requireKafka()
  const appId = `dlq-${Date.now()}`
  t.teardown(() => deleteTopicsMatching(appId))
  const names = { input: `${appId}-input`, output: `${appId}-output` }
  const registry = new ConfluentSchemaRegistry({ url: registryUrl })
  const { input, output } = await createCountingSerdes(registry, names)
  const streams = new KafkaStreams(buildCountingTopology({ input, output }, names), {
    applicationId: appId,
    deadLetterTopic: COUNTING_DEAD_LETTERS,
    ...kafkaConnection(),
    topics: countingTopics(1, names),
    logger: pino({ level: 'silent' }),
    sessionTimeoutMs: 6000,
  })
  await streams.start()
  t.teardown(() => streams.close())

  const good = (amount: number): Buffer => input.serialize(names.input, { key: 'k', amount, producedAtMs: 0 })
  const valid = good(5)
  const wrongMagic = Buffer.from(valid)
  wrongMagic[0] = 7
  const unknownId = Buffer.from(valid)
  unknownId.writeUInt32BE(0x7ffffff0, 1)
  const undecodable = Buffer.concat([
    valid.subarray(0, 5),
    Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
  ])
  const producer = kafkaClient('poison').producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  await producer.send({
    topic: names.input,
    acks: -1,
    messages: [valid, wrongMagic, unknownId, undecodable, good(7)].map((value) => ({
      key: 'k',
      value,
      partition: 0,
    })),
  })
  await producer.disconnect()

  const outputs = await readCommitted(names.output, { expected: 2, timeoutMs: 60_000, settleMs: 1000 })
  t.same(
    outputs.map((m) => output.deserialize(names.output, m.value!)).map((v) => [v.total, v.count]),
    [
      [5, 1],
      [12, 2],
    ],
    'the good records before and after the poison are processed in order',
  )
  const dead = (
    await readCommitted(COUNTING_DEAD_LETTERS, { expected: 0, timeoutMs: 30_000, settleMs: 3000 })
  ).filter((m) => m.headers?.[DLQ_HEADERS.applicationId]?.toString() === appId)
  t.equal(dead.length, 3, 'three dead letters')
  const byOffset = new Map(dead.map((m) => [m.headers![DLQ_HEADERS.sourceOffset]!.toString(), m]))
  const expectations: [string, Buffer, string][] = [
    ['1', wrongMagic, 'WRONG_MAGIC_BYTE'],
    ['2', unknownId, 'UNKNOWN_SCHEMA_ID'],
    ['3', undecodable, 'UNDECODABLE_BODY'],
  ]
  for (const [offset, bytes, code] of expectations) {
    const m = byOffset.get(offset)
    t.ok(m, `offset ${offset} dead-lettered`)
    t.same(m?.value, bytes, `offset ${offset}: original bytes kept`)
    t.equal(m?.key?.toString(), 'k')
    t.equal(m?.headers?.[DLQ_HEADERS.errorCode]?.toString(), code, `offset ${offset}: ${code}`)
    t.equal(m?.headers?.[DLQ_HEADERS.stage]?.toString(), 'deserialization')
    t.equal(m?.headers?.[DLQ_HEADERS.sourceTopic]?.toString(), names.input)
    t.equal(m?.headers?.[DLQ_HEADERS.sourcePartition]?.toString(), '0')
    t.ok((m?.headers?.[DLQ_HEADERS.errorMessage]?.toString() ?? '').length > 0, 'a message says why')
  }
})
