/**
 * The topics of the booking topology, by name (with `KAFKA_TOPIC_PREFIX` in front, see
 * infra/topic-prefix.ts). infra/topics.ts declares each one (partitions, retention) by these constants.
 */
import { DEFAULT_DEAD_LETTER_TOPIC } from '../streams/streams-config.ts'
import { topicName } from '../infra/topic-prefix.ts'

export const EVENT_COMMANDS_TOPIC = topicName('aquastream.event.commands.v1')
export const BOOKING_COMMANDS_TOPIC = topicName('aquastream.booking.commands.v1')
export const PAYMENT_STATUS_TOPIC = topicName('aquastream.payment.status.v1')
export const CREW_STATUS_TOPIC = topicName('aquastream.crew.status.v1')
export const EVENT_EVENTS_TOPIC = topicName('aquastream.event.events.v1')
export const BOOKING_EVENTS_TOPIC = topicName('aquastream.booking.events.v1')
export const REQUEST_OUTCOMES_TOPIC = topicName('aquastream.request.outcomes.v1')
export const NOTIFICATIONS_TOPIC = topicName('aquastream.notifications.v1')
export const REFUND_REQUESTS_TOPIC = topicName('aquastream.refund.requests.v1')
export const CREW_COMMANDS_TOPIC = topicName('aquastream.crew.commands.v1')
/** Dead letters of every stage. */
export const DEAD_LETTER_TOPIC = topicName(DEFAULT_DEAD_LETTER_TOPIC)
