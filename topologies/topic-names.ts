/**
 * The topics of the booking topology, by name. Every one is declared (partitions, retention) in
 * infra/topics.ts; test/topologies/booking-topology.test.ts checks they stay in step.
 */
export const EVENT_COMMANDS_TOPIC = 'aquastream.event.commands.v1'
export const BOOKING_COMMANDS_TOPIC = 'aquastream.booking.commands.v1'
export const PAYMENT_STATUS_TOPIC = 'aquastream.payment.status.v1'
export const CREW_STATUS_TOPIC = 'aquastream.crew.status.v1'
export const EVENT_EVENTS_TOPIC = 'aquastream.event.events.v1'
export const BOOKING_EVENTS_TOPIC = 'aquastream.booking.events.v1'
export const REQUEST_OUTCOMES_TOPIC = 'aquastream.request.outcomes.v1'
export const NOTIFICATIONS_TOPIC = 'aquastream.notifications.v1'
export const REFUND_REQUESTS_TOPIC = 'aquastream.refund.requests.v1'
export const CREW_COMMANDS_TOPIC = 'aquastream.crew.commands.v1'
