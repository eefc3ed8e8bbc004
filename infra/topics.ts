// The one declarative list of Kafka topics. infra/create-topics.ts creates
// them (idempotently); code refers to topics through topicSpec(name) so that a
// typo fails at start-up, not as a silently empty topic.

export type { TopicSpec } from '../streams/topic-spec.ts'
import type { TopicSpec } from '../streams/topic-spec.ts'

const DAY_MS = 24 * 60 * 60 * 1000

/**
 * Command and status topics are co-partitioned by eventId: they must all keep
 * the same partition count (EVENT_PARTITIONS).
 */
export const EVENT_PARTITIONS = 12

export const TOPICS: readonly TopicSpec[] = [
  // Inputs, keyed by eventId (co-partitioned).
  {
    name: 'aquastream.event.commands.v1',
    partitions: EVENT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
  },
  {
    name: 'aquastream.booking.commands.v1',
    partitions: EVENT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
  },
  {
    name: 'aquastream.payment.status.v1',
    partitions: EVENT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
  },
  {
    name: 'aquastream.crew.status.v1',
    partitions: EVENT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
  },
  // Domain events: kept forever, read models replay them.
  {
    name: 'aquastream.event.events.v1',
    partitions: EVENT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: null,
  },
  {
    name: 'aquastream.booking.events.v1',
    partitions: EVENT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: null,
  },
  // Request outcomes keyed by requestId: compacted, the latest outcome wins.
  {
    name: 'aquastream.request.outcomes.v1',
    partitions: EVENT_PARTITIONS,
    cleanupPolicy: 'compact',
    retentionMs: null,
  },
  // Outputs to other services.
  {
    name: 'aquastream.notifications.v1',
    partitions: EVENT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
  },
  {
    name: 'aquastream.refund.requests.v1',
    partitions: EVENT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
  },
  {
    name: 'aquastream.crew.commands.v1',
    partitions: EVENT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
  },
  // Dead letters: records that could not be processed, with their error.
  { name: 'aquastream.dlq.v1', partitions: 3, cleanupPolicy: 'delete', retentionMs: 30 * DAY_MS },
]

const BY_NAME: ReadonlyMap<string, TopicSpec> = new Map(TOPICS.map((t) => [t.name, t]))

/** The spec of a declared topic; throws for a name not in TOPICS. */
export function topicSpec(name: string): TopicSpec {
  const spec = BY_NAME.get(name)
  if (spec === undefined) {
    throw new Error(`unknown topic ${JSON.stringify(name)}: not declared in infra/topics.ts`)
  }
  return spec
}
