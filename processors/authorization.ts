import type { Actor } from '../avro/index.ts'

/**
 * Who may do what: one pure predicate per rule, shared by the ledger (which refuses with FORBIDDEN or
 * ORGANIZER_OWN_EVENT) and the query API (which may check the same rule before it produces a command).
 * They take only the fields they look at, so a read model's row serves as well as the ledger's state.
 * The ledger stays the judge: a command the API let through is still decided here.
 */

/** The part of an event its authorization looks at. */
export interface OrganizedEvent {
  readonly organizerId: string
}

/** The part of a booking its authorization looks at. */
export interface HeldBooking {
  readonly userId: string
}

/**
 * Whether `actor` may create an event for `organizerId` (null: for the actor): an organizer for
 * themselves, an admin for anyone. A user never.
 *
 * @example
 * canCreateEvent({ userId: 'org', role: 'ORGANIZER' }, 'other') // false
 */
export function canCreateEvent(actor: Actor, organizerId: string | null): boolean {
  if (actor.role === 'ADMIN') return true
  return actor.role === 'ORGANIZER' && (organizerId === null || organizerId === actor.userId)
}

/**
 * Whether `actor` may change `event` (edit, publish, reschedule, cancel, prices, promo codes, crew, refund
 * policy): an admin, or the event's organizer acting with the ORGANIZER role.
 */
export function canManageEvent(event: OrganizedEvent, actor: Actor): boolean {
  return actor.role === 'ADMIN' || (actor.role === 'ORGANIZER' && actor.userId === event.organizerId)
}

/**
 * Whether `actor` may act in the name of `userId` (book, join or leave a waiting list): the user
 * themselves, or an admin for anyone.
 */
export function canActForUser(actor: Actor, userId: string): boolean {
  return actor.role === 'ADMIN' || actor.userId === userId
}

/** Whether `userId` may hold a booking (or a waiting-list place) on `event`: anyone but its organizer. */
export function mayBook(event: OrganizedEvent, userId: string): boolean {
  return userId !== event.organizerId
}

/**
 * Whether `actor` may see and cancel `booking` of `event`: the booking's user, or whoever manages the event
 * ({@link canManageEvent}: its organizer, an admin). The organizer may cancel a participant's booking of
 * their own event; that cancellation refunds in full.
 */
export function canActOnBooking(booking: HeldBooking, event: OrganizedEvent, actor: Actor): boolean {
  return actor.userId === booking.userId || canManageEvent(event, actor)
}

/**
 * Whether `actor` may change `booking` itself (its seat count, a re-confirmation): the booking's user or an
 * admin. The event's organizer may not: those are the participant's choices.
 */
export function canChangeBooking(booking: HeldBooking, actor: Actor): boolean {
  return actor.role === 'ADMIN' || actor.userId === booking.userId
}

/** Whether `actor` may cancel a booking for force majeure (a full refund, whatever the policy): an admin. */
export function canCancelForForceMajeure(actor: Actor): boolean {
  return actor.role === 'ADMIN'
}
