import type { Admin, ITopicConfig } from 'kafkajs'
import type { Logger } from 'pino'
import { RuntimeError } from '../errors.ts'
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
      // kafkajs' own wait gives up on UNKNOWN_TOPIC_OR_PARTITION while a new topic's metadata propagates; wait below.
      waitForLeaders: false,
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
    await waitForLeaders(
      admin,
      missing.map((s) => s.name),
    )
    options.logger?.info({ topics: missing.map((s) => s.name) }, 'topics created')
  }
  const present = wanted.filter((s) => existing.has(s.name))
  if (present.length > 0) {
    const { topics } = await admin.fetchTopicMetadata({ topics: present.map((s) => s.name) })
    for (const spec of present) {
      const actual = topics.find((t) => t.name === spec.name)?.partitions.length
      if (actual !== spec.partitions)
        throw new RuntimeError(
          'TOPIC_PARTITIONS_MISMATCH',
          `topic ${spec.name} has ${actual} partitions, ${spec.partitions} declared`,
          { details: { topic: spec.name, actual, declared: spec.partitions } },
        )
    }
  }
  return { created: missing.map((s) => s.name) }
}

/** Waits until every partition of the topics has a leader (new topics' metadata reaches the broker's cache). */
async function waitForLeaders(admin: Admin, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [...topics] })
      if (metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
        return
    } catch (error) {
      if ((error as { retriable?: boolean }).retriable !== true || Date.now() > deadline) throw error
    }
    if (Date.now() > deadline)
      throw new RuntimeError(
        'TOPICS_NOT_READY',
        `topics ${topics.join(', ')} have no leaders after ${timeoutMs} ms`,
      )
    await new Promise((r) => setTimeout(r, 100))
  }
}
