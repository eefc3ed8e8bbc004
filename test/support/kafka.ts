import { randomUUID } from 'node:crypto'
import type { Kafka } from 'kafkajs'
import { logLevel, Partitioners, type KafkaMessage } from 'kafkajs'
import { kafkaSecurityOf, loadConfig } from '../../infra/config.ts'
import { createKafka, type KafkaSecurity } from '../../streams/kafka/client.ts'

/**
 * Brokers of the real stack (infra/up.sh exports KAFKA_BROKERS: its SASL/SCRAM listener, with the service
 * principal's credentials in KAFKA_SASL_*). Tests fail, never skip, when it is down.
 */
export function brokers(): string[] {
  const configured = loadConfig().kafkaBrokers
  return configured.length > 0 ? configured : ['127.0.0.1:9092']
}

/** TLS and SASL of the real stack's clients, from the same configuration the service reads. */
export function kafkaSecurity(): KafkaSecurity {
  return kafkaSecurityOf(loadConfig())
}

/** Brokers and security together, to spread into a KafkaStreams, KafkaProjection or transport's options. */
export function kafkaConnection(): { brokers: string[]; kafka: KafkaSecurity } {
  return { brokers: brokers(), kafka: kafkaSecurity() }
}

export function kafkaClient(clientId = 'tests'): Kafka {
  return createKafka({ ...kafkaSecurity(), brokers: brokers(), clientId, logLevel: logLevel.ERROR })
}

/** Fails with a clear message when the broker is unreachable (under CI=true and everywhere else). */
export async function requireKafka(): Promise<void> {
  const admin = kafkaClient('probe').admin()
  try {
    await admin.connect()
    await admin.listTopics()
  } catch (error) {
    throw new Error(`Kafka at ${brokers().join(',')} is unreachable: start it with \`bash infra/up.sh\``, {
      cause: error,
    })
  } finally {
    await admin.disconnect()
  }
}

export async function deleteTopicsMatching(prefix: string): Promise<void> {
  const admin = kafkaClient('cleanup').admin()
  await admin.connect()
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix))
    if (topics.length > 0) await admin.deleteTopics({ topics })
  } finally {
    await admin.disconnect()
  }
}

/** Produces keyed records with Kafka's default (murmur2) partitioner, idempotently, in chunks. */
export async function produce(
  topic: string,
  records: readonly { key: string; value: Buffer }[],
  options: { chunk?: number; pauseMs?: number } = {},
): Promise<void> {
  const producer = kafkaClient('producer').producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  await producer.connect()
  try {
    const chunk = options.chunk ?? 5000
    for (let i = 0; i < records.length; i += chunk) {
      await producer.send({ topic, acks: -1, messages: records.slice(i, i + chunk) })
      if (options.pauseMs !== undefined) await new Promise((r) => setTimeout(r, options.pauseMs))
    }
  } finally {
    await producer.disconnect()
  }
}

/**
 * Reads a topic from the beginning with `read_committed` until `expected`
 * records arrived and nothing more came for `settleMs`, or until `timeoutMs`.
 */
export async function readCommitted(
  topic: string,
  options: { expected: number; timeoutMs: number; settleMs?: number },
): Promise<(KafkaMessage & { partition: number })[]> {
  const consumer = kafkaClient('reader').consumer({
    groupId: `reader-${randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
  })
  const out: (KafkaMessage & { partition: number })[] = []
  let last = Date.now()
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) out.push({ ...m, partition: batch.partition })
        if (batch.messages.length > 0) last = Date.now()
      },
    })
    const deadline = Date.now() + options.timeoutMs
    const settle = options.settleMs ?? 2000
    while (Date.now() < deadline) {
      if (out.length >= options.expected && Date.now() - last >= settle) break
      await new Promise((r) => setTimeout(r, 200))
    }
  } finally {
    await consumer.disconnect()
  }
  return out
}

/**
 * Each partition's end for read_committed readers: the last stable offset (kafkajs' ListOffsets asks with
 * READ_COMMITTED), below the high watermark while a transaction with records on the partition is open.
 */
export async function stableEnds(topic: string): Promise<Map<number, number>> {
  const admin = kafkaClient('ends').admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchTopicOffsets(topic)
    return new Map(offsets.map((o) => [o.partition, Number(o.offset)]))
  } finally {
    await admin.disconnect()
  }
}

/** The sum over a topic's partitions of a group's committed offsets (0 for a partition never committed). */
export async function committedOffsetSum(groupId: string, topic: string): Promise<number> {
  const admin = kafkaClient('committed').admin()
  await admin.connect()
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
    return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)
  } finally {
    await admin.disconnect()
  }
}

/**
 * Reads a topic from the beginning with `read_committed` to the end offsets it has when the read starts
 * (stableEnds), every partition: it returns only once the consumer has fetched up to each end (control
 * records and aborted records included in that position), so an empty or short result means the records
 * are not there, not that the read stopped early. Fails after `timeoutMs`.
 */
export async function readToEnd(
  topic: string,
  options: { timeoutMs?: number } = {},
): Promise<{ messages: (KafkaMessage & { partition: number })[]; ends: Map<number, number> }> {
  const ends = await stableEnds(topic)
  const consumer = kafkaClient('to-end').consumer({
    groupId: `to-end-${randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
  })
  const messages: (KafkaMessage & { partition: number })[] = []
  const position = new Map<number, number>()
  const done = (): boolean => [...ends].every(([p, end]) => end === 0 || (position.get(p) ?? 0) >= end)
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const next = Number(payload.lastOffset) + 1
    if (next > (position.get(payload.partition) ?? 0)) position.set(payload.partition, next)
  })
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) messages.push({ ...m, partition: batch.partition })
      },
    })
    const deadline = Date.now() + (options.timeoutMs ?? 120_000)
    while (!done()) {
      if (Date.now() > deadline)
        throw new Error(
          `${topic}: read to ${JSON.stringify([...ends])} reached only ${JSON.stringify([...position])}`,
        )
      await new Promise((r) => setTimeout(r, 100))
    }
  } finally {
    await consumer.disconnect()
  }
  return { messages, ends }
}
