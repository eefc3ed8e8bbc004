// The one declarative list of Kafka topics. infra/create-topics.ts and the
// runtime create them (idempotently); code refers to topics through
// topicSpec(name) so that a typo fails at start-up, not as a silently empty
// topic. The README's topic table is generated from this list
// (`node infra/docs.ts`, checked by test/readme.test.ts).
import type { TopicSpec } from '../streams/index.ts'
import { DEFAULT_TOPIC_NAMES, type TopicNames } from '../topologies/index.ts'

export type { TopicSpec } from '../streams/index.ts'

/** A declared topic with what its records carry (for the documentation). */
export interface DeclaredTopic extends TopicSpec {
  /** What the record key is. */
  readonly key: string
  /** The Avro record of the value (Confluent wire format), or what else it carries. */
  readonly value: string
  readonly description: string
}

const DAY_MS = 24 * 60 * 60 * 1000

/**
 * Command and status topics are co-partitioned by eventId: they must all keep
 * the same partition count (EVENT_PARTITIONS).
 */
export const EVENT_PARTITIONS = 12

const byEvent = (
  name: string,
  value: string,
  retentionMs: number | null,
  description: string,
): DeclaredTopic => ({
  name,
  partitions: EVENT_PARTITIONS,
  cleanupPolicy: 'delete',
  retentionMs,
  key: 'eventId',
  value,
  description,
})

/**
 * Every topic of the service under the names of `names` (`topicNames(config.kafkaTopicPrefix)`), with its
 * partitions, cleanup and retention.
 */
export function declareTopics(names: TopicNames): readonly DeclaredTopic[] {
  return [
    // Inputs, keyed by eventId (co-partitioned: one task owns an event's state).
    byEvent(names.eventCommands, 'aquastream.event.EventCommand', 7 * DAY_MS, 'event lifecycle commands'),
    byEvent(names.bookingCommands, 'aquastream.booking.BookingCommand', 7 * DAY_MS, 'booking commands'),
    byEvent(
      names.paymentStatus,
      'aquastream.payment.PaymentStatusChanged',
      7 * DAY_MS,
      'payment status changes (payment service or our webhook)',
    ),
    byEvent(names.crewStatus, 'aquastream.crew.CrewStatusChanged', 7 * DAY_MS, 'crew assigned / unavailable'),
    byEvent(names.reviewCommands, 'aquastream.review.ReviewCommand', 7 * DAY_MS, 'review commands'),
    // Domain events: kept forever, read models replay them.
    byEvent(names.eventEvents, 'aquastream.event.EventDomainEvent', null, 'event domain events (versioned)'),
    byEvent(names.bookingEvents, 'aquastream.booking.BookingDomainEvent', null, 'booking domain events'),
    byEvent(names.reviewEvents, 'aquastream.review.ReviewDomainEvent', null, 'review domain events'),
    // Request outcomes keyed by requestId: compacted, the latest outcome wins.
    {
      name: names.requestOutcomes,
      partitions: EVENT_PARTITIONS,
      cleanupPolicy: 'compact',
      retentionMs: null,
      key: 'requestId',
      value: 'aquastream.outcome.RequestOutcome',
      description: 'the one outcome of every command',
    },
    // Outputs to other services.
    byEvent(
      names.notifications,
      'aquastream.notification.NotificationMessage',
      7 * DAY_MS,
      'messages for the notification service (with dedup keys)',
    ),
    byEvent(
      names.paymentRequests,
      'aquastream.payment.PaymentRequest',
      7 * DAY_MS,
      'payments to start, for the payment service (from `POST /bookings/{id}/pay`)',
    ),
    byEvent(
      names.refundRequests,
      'aquastream.payment.RefundRequest',
      7 * DAY_MS,
      'refunds for the payment service',
    ),
    byEvent(names.crewCommands, 'aquastream.crew.CrewCommand', 7 * DAY_MS, 'crew assign / release / update'),
    // Facts from the API for analytics (JSON, see docs/analytics.md).
    byEvent(
      names.views,
      'JSON `CatalogView` (docs/analytics.md)',
      90 * DAY_MS,
      'catalog and event-page views, for the conversion funnel',
    ),
    byEvent(
      names.favorites,
      'JSON `FavoriteChange` (docs/analytics.md)',
      null,
      'favorites added and removed',
    ),
    // Dead letters: records that could not be processed, with their error.
    {
      name: names.deadLetters,
      partitions: 3,
      cleanupPolicy: 'delete',
      retentionMs: 30 * DAY_MS,
      key: 'the original key',
      value: 'the original bytes; headers `dlq.*` say where from and why',
      description: 'dead letters of every stage',
    },
  ]
}

/** The topics under the names of the README (no prefix). */
export const TOPICS: readonly DeclaredTopic[] = declareTopics(DEFAULT_TOPIC_NAMES)

/** The spec of a declared topic; throws for a name not in `topics`. */
export function topicSpec(name: string, topics: readonly DeclaredTopic[] = TOPICS): DeclaredTopic {
  const spec = topics.find((t) => t.name === name)
  if (spec === undefined) {
    throw new Error(`unknown topic ${JSON.stringify(name)}: not declared in infra/topics.ts`)
  }
  return spec
}
