import kafkajs, { type Admin, type ITopicConfig } from 'kafkajs'
import type { Logger } from 'pino'
import { RuntimeError } from '../errors.ts'
import type { TopicSpec } from '../topic-spec.ts'

// kafkajs is CommonJS; not all of its exports are visible as ESM named exports.
const { ConfigResourceTypes } = kafkajs

/** The topic-level configs a spec pins. */
export function topicConfigs(spec: TopicSpec): Record<string, string> {
  return {
    'cleanup.policy': spec.cleanupPolicy,
    'retention.ms': spec.retentionMs === null ? '-1' : String(spec.retentionMs),
  }
}

/**
 * Creates the declared topics that do not exist (idempotent) and checks that
 * existing ones have the declared partition count: a mismatch would break
 * co-partitioning, so it is an error, never silently accepted. With
 * `reconfigure`, existing topics whose cleanup policy or retention differ from
 * the declaration are brought in line.
 *
 * @throws RuntimeError TOPIC_PARTITIONS_MISMATCH, TOPICS_NOT_READY
 */
export async function ensureTopics(
  admin: Admin,
  specs: Iterable<TopicSpec>,
  options: { replicationFactor?: number; logger?: Logger; reconfigure?: boolean } = {},
): Promise<{ created: string[]; existing: string[]; reconfigured: string[] }> {
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
        configEntries: Object.entries(topicConfigs(s)).map(([name, value]) => ({ name, value })),
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
  const reconfigured = options.reconfigure === true ? await alignConfigs(admin, present, options.logger) : []
  return { created: missing.map((s) => s.name), existing: present.map((s) => s.name), reconfigured }
}

/** Brings cleanup.policy and retention.ms of existing topics in line with their specs; returns those changed. */
async function alignConfigs(admin: Admin, specs: readonly TopicSpec[], logger?: Logger): Promise<string[]> {
  if (specs.length === 0) return []
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((s) => ({
      type: ConfigResourceTypes.TOPIC,
      name: s.name,
      configNames: ['cleanup.policy', 'retention.ms'],
    })),
  })
  const changed: string[] = []
  for (const spec of specs) {
    const want = topicConfigs(spec)
    const resource = described.resources.find((r) => r.resourceName === spec.name)
    const have = new Map((resource?.configEntries ?? []).map((e) => [e.configName, e.configValue]))
    const diff = Object.entries(want).filter(([k, v]) => have.get(k) !== v)
    if (diff.length === 0) continue
    // incrementalAlterConfigs is not in kafkajs; alterConfigs replaces the topic's dynamic configs, which
    // are exactly the ones a spec pins.
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
    changed.push(spec.name)
    logger?.info({ topic: spec.name, configs: Object.fromEntries(diff) }, 'topic reconfigured')
  }
  return changed
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
