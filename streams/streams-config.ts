import pino, { type Logger } from 'pino'
import { systemClock, type Clock } from './clock.ts'
import { RuntimeError } from './errors.ts'
import { defaultExceptionHandlers, type ExceptionHandlers } from './exception-handlers.ts'
import { changelogTopicName } from './task.ts'
import type { TopicSpec } from './topic-spec.ts'
import type { Topology } from './topology.ts'

/** What both runtimes (Kafka and embedded) and the TestDriver are configured with. */
export interface StreamsConfig {
  /** Names the consumer group, transactional IDs and changelog topics. */
  readonly applicationId: string
  /** The declared topics (partitions, cleanup, retention); sources and sinks must be among them. */
  readonly topics: readonly TopicSpec[]
  /** How often a task commits its transaction (outputs + changelog + offsets). Default 100. */
  readonly commitIntervalMs?: number
  /** How often the runtime checks for due punctuators. Default 50. */
  readonly punctuationCheckMs?: number
  readonly clock?: Clock
  readonly logger?: Logger
  readonly exceptionHandlers?: Partial<ExceptionHandlers>
  /** Where dead letters of every stage go; must be among `topics`. */
  readonly deadLetterTopic: string
  /**
   * Prefix of the runtime's metric names (`<prefix>_records_processed_total`, …); default `streams`.
   * Applications name theirs (`backend_event_streams`).
   */
  readonly metricPrefix?: string
  /** Largest key + value an output may have; larger ones are production errors. Default 1 MiB - 1 KiB. */
  readonly maxRecordBytes?: number
}

export interface ResolvedStreamsConfig {
  readonly applicationId: string
  readonly topics: ReadonlyMap<string, TopicSpec>
  readonly commitIntervalMs: number
  readonly punctuationCheckMs: number
  readonly clock: Clock
  readonly logger: Logger
  readonly exceptionHandlers: ExceptionHandlers
  readonly deadLetterTopic: string
  readonly metricPrefix: string
  readonly maxRecordBytes: number
}

/**
 * Validates the configuration against the topology: every topic declared, the
 * co-partitioning of each subtopology, and adds the changelog topics (compacted,
 * one partition per task of their subtopology).
 */
export function resolveStreamsConfig(topology: Topology, config: StreamsConfig): ResolvedStreamsConfig {
  if (!/^[A-Za-z0-9._-]+$/.test(config.applicationId))
    throw new RuntimeError(
      'INVALID_CONFIG',
      `applicationId "${config.applicationId}" must match [A-Za-z0-9._-]+`,
    )
  const topics = new Map(config.topics.map((t) => [t.name, t]))
  const { deadLetterTopic } = config
  const partitionsOf = (topic: string): number => {
    const spec = topics.get(topic)
    if (spec === undefined)
      throw new RuntimeError('UNDECLARED_TOPIC', `topic ${topic} is used by the topology but not declared`, {
        details: { topic },
      })
    return spec.partitions
  }
  const { sinks } = topology.topics()
  for (const topic of [...sinks, deadLetterTopic]) partitionsOf(topic)
  const counts = topology.validatePartitions(partitionsOf)
  topology.subtopologies().forEach((sub, i) => {
    for (const store of sub.stores) {
      if (!store.logged) continue
      const name = changelogTopicName(config.applicationId, store.name)
      if (!topics.has(name))
        topics.set(name, { name, partitions: counts[i]!, cleanupPolicy: 'compact', retentionMs: null })
    }
  })
  const commitIntervalMs = config.commitIntervalMs ?? 100
  if (!(commitIntervalMs >= 1)) throw new RuntimeError('INVALID_CONFIG', 'commitIntervalMs must be >= 1')
  return {
    applicationId: config.applicationId,
    topics,
    commitIntervalMs,
    punctuationCheckMs: config.punctuationCheckMs ?? 50,
    clock: config.clock ?? systemClock,
    logger: config.logger ?? pino({ level: 'silent' }),
    exceptionHandlers: { ...defaultExceptionHandlers, ...config.exceptionHandlers },
    deadLetterTopic,
    metricPrefix: config.metricPrefix ?? 'streams',
    maxRecordBytes: config.maxRecordBytes ?? 1024 * 1024 - 1024,
  }
}

/** Partition count of a declared topic. */
export function partitionsOf(config: ResolvedStreamsConfig, topic: string): number {
  const spec = config.topics.get(topic)
  if (spec === undefined)
    throw new RuntimeError('UNDECLARED_TOPIC', `topic ${topic} is not declared`, { details: { topic } })
  return spec.partitions
}
