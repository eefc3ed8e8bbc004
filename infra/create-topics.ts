// Creates the topics of infra/topics.ts, idempotently.
//
//   node infra/create-topics.ts          (KAFKA_BROKERS, default 127.0.0.1:9092)
//
// A topic that exists with the declared partition count is left alone (its
// cleanup.policy / retention.ms are brought in line when they differ); one
// with a different partition count is an error: re-partitioning would break
// co-partitioning by key, so it must be a deliberate migration.

import kafkajs from 'kafkajs'
import type { ITopicConfig } from 'kafkajs'
import { createKafka } from '../streams/index.ts'
import { TOPICS } from './topics.ts'
import type { TopicSpec } from './topics.ts'

// kafkajs is CommonJS; not all of its exports are visible as ESM named exports.
const { logLevel, ConfigResourceTypes } = kafkajs

export interface TopicLogger {
  info(message: string): void
}

export interface EnsureTopicsResult {
  readonly created: readonly string[]
  readonly existing: readonly string[]
  readonly reconfigured: readonly string[]
}

/** The topic-level configs a spec pins. */
export function topicConfigs(spec: TopicSpec): Record<string, string> {
  return {
    'cleanup.policy': spec.cleanupPolicy,
    'retention.ms': spec.retentionMs === null ? '-1' : String(spec.retentionMs),
  }
}

function replicationFactor(): number {
  const raw = process.env.KAFKA_REPLICATION_FACTOR
  if (raw === undefined || raw === '') return 1
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`KAFKA_REPLICATION_FACTOR must be a positive integer, got ${raw}`)
  return n
}

export async function ensureTopics(
  brokers: string[],
  specs: readonly TopicSpec[],
  logger: TopicLogger = { info: () => {} },
): Promise<EnsureTopicsResult> {
  const kafka = createKafka({
    clientId: 'infra-create-topics',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 200 },
  })
  const admin = kafka.admin()
  await admin.connect()
  try {
    const existingNames = new Set(await admin.listTopics())
    const missing = specs.filter((s) => !existingNames.has(s.name))
    const present = specs.filter((s) => existingNames.has(s.name))

    // Partition counts of existing topics must match.
    const mismatches: string[] = []
    if (present.length > 0) {
      const meta = await admin.fetchTopicMetadata({ topics: present.map((s) => s.name) })
      for (const spec of present) {
        const t = meta.topics.find((m) => m.name === spec.name)
        const actual = t?.partitions.length ?? -1
        if (actual !== spec.partitions) {
          mismatches.push(
            `${spec.name}: exists with ${actual} partitions, infra/topics.ts declares ${spec.partitions}`,
          )
        }
      }
    }
    if (mismatches.length > 0) {
      throw new Error(
        `topic partition count mismatch (delete and recreate the topic, or change infra/topics.ts):\n  ${mismatches.join('\n  ')}`,
      )
    }

    const rf = replicationFactor()
    if (missing.length > 0) {
      const topics: ITopicConfig[] = missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: rf,
        configEntries: Object.entries(topicConfigs(s)).map(([name, value]) => ({ name, value })),
      }))
      await admin.createTopics({ topics, waitForLeaders: true, timeout: 30_000 })
      for (const s of missing)
        logger.info(`created ${s.name} (${s.partitions} partitions, ${s.cleanupPolicy})`)
    }

    // Existing topics: bring cleanup.policy / retention.ms in line.
    const reconfigured: string[] = []
    if (present.length > 0) {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: present.map((s) => ({
          type: ConfigResourceTypes.TOPIC,
          name: s.name,
          configNames: ['cleanup.policy', 'retention.ms'],
        })),
      })
      for (const spec of present) {
        const want = topicConfigs(spec)
        const res = described.resources.find((r) => r.resourceName === spec.name)
        const have = new Map((res?.configEntries ?? []).map((e) => [e.configName, e.configValue]))
        const diff = Object.entries(want).filter(([k, v]) => have.get(k) !== v)
        if (diff.length > 0) {
          // incrementalAlterConfigs is not in kafkajs; alterConfigs replaces the
          // topic's dynamic configs, which are exactly the ones we pin.
          await admin.alterConfigs({
            validateOnly: false,
            resources: [
              {
                type: ConfigResourceTypes.TOPIC,
                name: spec.name,
                configEntries: Object.entries(want).map(([name, value]) => ({ name, value })),
              },
            ],
          })
          reconfigured.push(spec.name)
          logger.info(`reconfigured ${spec.name}: ${diff.map(([k, v]) => `${k}=${v}`).join(', ')}`)
        }
      }
    }

    return { created: missing.map((s) => s.name), existing: present.map((s) => s.name), reconfigured }
  } finally {
    await admin.disconnect()
  }
}

export function brokersFromEnv(): string[] {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '')
}

if (import.meta.main) {
  try {
    const r = await ensureTopics(brokersFromEnv(), TOPICS, { info: (m) => console.log(`topics: ${m}`) })
    console.log(
      `topics: ${TOPICS.length} declared, ${r.created.length} created, ${r.existing.length} already present` +
        (r.reconfigured.length > 0 ? `, ${r.reconfigured.length} reconfigured` : ''),
    )
  } catch (e) {
    console.error(`topics: ${e instanceof Error ? e.message : String(e)}`)
    process.exitCode = 1
  }
}
