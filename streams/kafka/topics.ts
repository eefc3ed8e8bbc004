import type { Admin, ITopicConfig } from 'kafkajs'
import type { Logger } from 'pino'
import { CodedError } from '../errors.ts'
import type { TopicSpec } from '../topic-spec.ts'

/**
 * Creates the declared topics that do not exist (idempotent) and checks that
 * existing ones have the declared partition count: a mismatch would break
 * co-partitioning, so it is an error, never silently accepted.
 */
export async function ensureTopics(
  admin: Admin,
  specs: Iterable<TopicSpec>,
  options: { replicationFactor?: number; logger?: Logger } = {},
): Promise<{ created: string[] }> {
  const wanted = [...specs]
  const existing = new Set(await admin.listTopics())
  const missing = wanted.filter((s) => !existing.has(s.name))
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s): ITopicConfig => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: options.replicationFactor ?? 1,
        configEntries: [
          { name: 'cleanup.policy', value: s.cleanupPolicy },
          { name: 'retention.ms', value: String(s.retentionMs ?? -1) },
        ],
      })),
    })
    options.logger?.info({ topics: missing.map((s) => s.name) }, 'topics created')
  }
  const present = wanted.filter((s) => existing.has(s.name))
  if (present.length > 0) {
    const { topics } = await admin.fetchTopicMetadata({ topics: present.map((s) => s.name) })
    for (const spec of present) {
      const actual = topics.find((t) => t.name === spec.name)?.partitions.length
      if (actual !== spec.partitions)
        throw new CodedError(
          'TOPIC_PARTITIONS_MISMATCH',
          `topic ${spec.name} has ${actual} partitions, ${spec.partitions} declared`,
          { details: { topic: spec.name, actual, declared: spec.partitions } },
        )
    }
  }
  return { created: missing.map((s) => s.name) }
}
