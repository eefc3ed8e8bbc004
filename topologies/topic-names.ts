/**
 * The service's topics by role. `topicNames(prefix)` gives their names in one environment: the
 * `KAFKA_TOPIC_PREFIX` of the configuration goes in front of every one of them (environments or test
 * runs sharing a cluster each get topics of their own). The prefix is passed down from the configuration;
 * nothing here reads the environment. infra/topics.ts declares each topic (partitions, retention).
 */

/** The names with no prefix: the ones the README's topic table shows. */
export const TOPIC_BASE_NAMES = {
  eventCommands: 'aquastream.event.commands.v1',
  bookingCommands: 'aquastream.booking.commands.v1',
  paymentStatus: 'aquastream.payment.status.v1',
  /** Payment requests of the API for the payment service (PaymentRequest). */
  paymentRequests: 'aquastream.payment.requests.v1',
  crewStatus: 'aquastream.crew.status.v1',
  eventEvents: 'aquastream.event.events.v1',
  bookingEvents: 'aquastream.booking.events.v1',
  requestOutcomes: 'aquastream.request.outcomes.v1',
  notifications: 'aquastream.notifications.v1',
  refundRequests: 'aquastream.refund.requests.v1',
  crewCommands: 'aquastream.crew.commands.v1',
  reviewCommands: 'aquastream.review.commands.v1',
  reviewEvents: 'aquastream.review.events.v1',
  /** JSON facts the query API produces for the analytics (topologies/analytics-facts.ts). */
  views: 'aquastream.analytics.views.v1',
  favorites: 'aquastream.favorites.v1',
  /** Dead letters of every stage. */
  deadLetters: 'aquastream.dlq.v1',
} as const

/** The topic names of one environment, by role. */
export type TopicNames = { readonly [Role in keyof typeof TOPIC_BASE_NAMES]: string }

/** What a prefix may be: at most 100 of the characters Kafka allows in topic names. */
export const TOPIC_PREFIX_PATTERN = /^[a-zA-Z0-9._-]{0,100}$/

/**
 * The topic names with `prefix` in front of each (empty by default: the names of the README).
 *
 * @throws RangeError when the prefix has characters Kafka refuses in a topic name (the configuration
 *   validates `KAFKA_TOPIC_PREFIX` against TOPIC_PREFIX_PATTERN first, so this is a programming error)
 * @example
 *   const topics = topicNames(config.kafkaTopicPrefix)
 *   topics.bookingCommands // 'staging.aquastream.booking.commands.v1' with prefix 'staging.'
 */
export function topicNames(prefix = ''): TopicNames {
  if (!TOPIC_PREFIX_PATTERN.test(prefix))
    throw new RangeError(`topic prefix ${JSON.stringify(prefix)} does not match ${TOPIC_PREFIX_PATTERN}`)
  const names: { [role: string]: string } = {}
  for (const [role, base] of Object.entries(TOPIC_BASE_NAMES)) names[role] = prefix + base
  return names as TopicNames
}

/** The names with no prefix. */
export const DEFAULT_TOPIC_NAMES: TopicNames = topicNames()
