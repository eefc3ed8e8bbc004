/**
 * A process running the counting topology, for crash tests and benchmarks:
 * tests start it, kill it with SIGKILL, restart it, and check exactness.
 *
 *   TRANSPORT=kafka|embedded  APP_ID=…  DATA_DIR=… (embedded)  PARTITIONS=12
 *   DUMP_STORE=path: on SIGTERM, after a clean close, write the store as JSON
 *
 * Prints one JSON line {"ready":true} when processing has started. On Kafka it also reports its committed
 * progress and holds a commit on SIGUSR2 (commit-hold.ts).
 */
import { writeFileSync } from 'node:fs'
import pino from 'pino'
import { kafkaSecurityOf, loadConfig } from '../../infra/config.ts'
import { schemaRegistryFor } from '../../infra/serdes.ts'
import { EmbeddedLog, EmbeddedStreams, type KeyValueStore } from '../../streams/index.ts'
import { KafkaStreams } from '../../streams/kafka/kafka-streams.ts'
import {
  buildCountingTopology,
  countingTopics,
  DEFAULT_COUNTING_TOPICS,
  createCountingSerdes,
  COUNTING_DEAD_LETTERS,
} from '../../examples/counting/counting-topology.ts'
import { COUNT_STORE } from '../../examples/counting/count-sum.ts'
import { installCommitHold } from './commit-hold.ts'

const config = loadConfig()
const transport = process.env.TRANSPORT ?? 'embedded'
const applicationId = process.env.APP_ID ?? 'counting'
const partitions = Number(process.env.PARTITIONS ?? 12)
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2))

const names = {
  input: process.env.INPUT_TOPIC ?? DEFAULT_COUNTING_TOPICS.input,
  output: process.env.OUTPUT_TOPIC ?? DEFAULT_COUNTING_TOPICS.output,
}
const registry = schemaRegistryFor(config)
const { input, output } = await createCountingSerdes(registry, names)
const topology = buildCountingTopology({ input, output }, names)
const streamsConfig = {
  applicationId,
  topics: countingTopics(partitions, names),
  deadLetterTopic: COUNTING_DEAD_LETTERS,
  commitIntervalMs: config.commitIntervalMs,
  logger,
}

let close: () => Promise<void>
let dump: () => { [key: string]: unknown }
if (transport === 'kafka') {
  installCommitHold((line) => process.stdout.write(JSON.stringify(line) + '\n'))
  const streams = new KafkaStreams(topology, {
    ...streamsConfig,
    brokers: config.kafkaBrokers.length > 0 ? config.kafkaBrokers : ['127.0.0.1:9092'],
    kafka: kafkaSecurityOf(config),
    sessionTimeoutMs: Number(process.env.SESSION_TIMEOUT_MS ?? 6000),
    heartbeatIntervalMs: 500,
  })
  streams.onError((error) => {
    logger.fatal({ err: error }, 'fatal')
    process.exit(70)
  })
  streams.onTasksChanged((tasks) => process.stdout.write(JSON.stringify({ tasks }) + '\n'))
  await streams.start()
  close = async () => {
    await streams.close()
    const failures = await streams.metrics.commitFailures.get()
    process.stdout.write(JSON.stringify({ commitFailures: failures.values }) + '\n')
  }
  dump = () => ({ tasks: streams.activeTasks() })
} else {
  const log = EmbeddedLog.open({
    dir: process.env.DATA_DIR ?? config.dataDir,
    fsyncIntervalMs: config.embeddedFsyncIntervalMs,
  })
  const streams = new EmbeddedStreams(topology, { ...streamsConfig, log })
  streams.onError((error) => {
    logger.fatal({ err: error }, 'fatal')
    process.exit(70)
  })
  await streams.start()
  // Progress for tests: how many input records are committed.
  setInterval(() => {
    let committed = 0
    for (let p = 0; p < partitions; p++) committed += log.committed(applicationId, names.input, p) ?? 0
    process.stdout.write(JSON.stringify({ committed }) + '\n')
  }, 100).unref()
  close = async () => {
    await streams.close()
    log.close()
  }
  dump = () => {
    const out: { [key: string]: unknown } = {}
    for (let p = 0; p < partitions; p++) {
      const store = streams.stateStore(COUNT_STORE, p) as unknown as KeyValueStore<string, unknown>
      for (const [k, v] of store.all()) out[k] = v
    }
    return out
  }
}
process.stdout.write(JSON.stringify({ ready: true, pid: process.pid }) + '\n')

let stopping = false
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    const snapshot = process.env.DUMP_STORE !== undefined && transport === 'embedded' ? dump() : undefined
    void close().then(() => {
      if (process.env.DUMP_STORE !== undefined)
        writeFileSync(process.env.DUMP_STORE, JSON.stringify(snapshot ?? dump()))
      process.exit(0)
    })
  })
