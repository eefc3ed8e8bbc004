// The one declarative list of Kafka topics. infra/create-topics.ts and the
// runtime create them (idempotently); code refers to topics through
// topicSpec(name) so that a typo fails at start-up, not as a silently empty
// topic. The README's topic table is generated from this list
// (`node infra/docs.ts`, checked by test/readme.test.ts).
import type { TopicSpec } from '../streams/topic-spec.ts'
import {
  BOOKING_COMMANDS_TOPIC,
  BOOKING_EVENTS_TOPIC,
  CREW_COMMANDS_TOPIC,
  CREW_STATUS_TOPIC,
  DEAD_LETTER_TOPIC,
  EVENT_COMMANDS_TOPIC,
  EVENT_EVENTS_TOPIC,
  NOTIFICATIONS_TOPIC,
  PAYMENT_STATUS_TOPIC,
  REFUND_REQUESTS_TOPIC,
  REQUEST_OUTCOMES_TOPIC,
} from '../topologies/topic-names.ts'
import { FAVORITES_TOPIC, VIEWS_TOPIC } from './clickhouse/analytics-topics.ts'

export type { TopicSpec } from '../streams/topic-spec.ts'

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

export const TOPICS: readonly DeclaredTopic[] = [
  // Inputs, keyed by eventId (co-partitioned: one task owns an event's state).
  byEvent(EVENT_COMMANDS_TOPIC, 'aquastream.event.EventCommand', 7 * DAY_MS, 'event lifecycle commands'),
  byEvent(BOOKING_COMMANDS_TOPIC, 'aquastream.booking.BookingCommand', 7 * DAY_MS, 'booking commands'),
  byEvent(
    PAYMENT_STATUS_TOPIC,
    'aquastream.payment.PaymentStatusChanged',
    7 * DAY_MS,
    'payment status changes (payment service or our webhook)',
  ),
  byEvent(CREW_STATUS_TOPIC, 'aquastream.crew.CrewStatusChanged', 7 * DAY_MS, 'crew assigned / unavailable'),
  // Domain events: kept forever, read models replay them.
  byEvent(EVENT_EVENTS_TOPIC, 'aquastream.event.EventDomainEvent', null, 'event domain events (versioned)'),
  byEvent(BOOKING_EVENTS_TOPIC, 'aquastream.booking.BookingDomainEvent', null, 'booking domain events'),
  // Request outcomes keyed by requestId: compacted, the latest outcome wins.
  {
    name: REQUEST_OUTCOMES_TOPIC,
    partitions: EVENT_PARTITIONS,
    cleanupPolicy: 'compact',
    retentionMs: null,
    key: 'requestId',
    value: 'aquastream.outcome.RequestOutcome',
    description: 'the one outcome of every command',
  },
  // Outputs to other services.
  byEvent(
    NOTIFICATIONS_TOPIC,
    'aquastream.notification.NotificationMessage',
    7 * DAY_MS,
    'messages for the notification service (with dedup keys)',
  ),
  byEvent(
    REFUND_REQUESTS_TOPIC,
    'aquastream.payment.RefundRequest',
    7 * DAY_MS,
    'refunds for the payment service',
  ),
  byEvent(CREW_COMMANDS_TOPIC, 'aquastream.crew.CrewCommand', 7 * DAY_MS, 'crew assign / release / update'),
  // Facts from the API for analytics (JSON, see docs/analytics.md).
  byEvent(
    VIEWS_TOPIC,
    'JSON `CatalogView` (docs/analytics.md)',
    90 * DAY_MS,
    'catalog and event-page views, for the conversion funnel',
  ),
  byEvent(FAVORITES_TOPIC, 'JSON `FavoriteChange` (docs/analytics.md)', null, 'favorites added and removed'),
  // Dead letters: records that could not be processed, with their error.
  {
    name: DEAD_LETTER_TOPIC,
    partitions: 3,
    cleanupPolicy: 'delete',
    retentionMs: 30 * DAY_MS,
    key: 'the original key',
    value: 'the original bytes; headers `dlq.*` say where from and why',
    description: 'dead letters of every stage',
  },
]

const BY_NAME: ReadonlyMap<string, DeclaredTopic> = new Map(TOPICS.map((t) => [t.name, t]))

/** The spec of a declared topic; throws for a name not in TOPICS. */
export function topicSpec(name: string): DeclaredTopic {
  const spec = BY_NAME.get(name)
  if (spec === undefined) {
    throw new Error(`unknown topic ${JSON.stringify(name)}: not declared in infra/topics.ts`)
  }
  return spec
}
