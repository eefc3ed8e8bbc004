import type { ErrorSpec } from '../streams/index.ts'
import { REVIEW_REASON_CODES } from './review-reason-codes.ts'

/**
 * The reason codes a command can be refused with: the refusal section of the service's one error
 * catalogue (processors/error-catalogue.ts, which generates docs/errors.md). Each code is stable (clients
 * and the query API switch on it, never on the message) and has the HTTP status it surfaces as in the API;
 * the API answers with the same codes when it refuses a request before producing a command.
 */
export const REASON_CODES = {
  ...REVIEW_REASON_CODES,
  VALIDATION_FAILED: {
    httpStatus: 400,
    retriable: false,
    meaning:
      'The command or request breaks its schema or a field rule: types, lengths, unknown fields (`details` says which).',
  },
  FORBIDDEN: {
    httpStatus: 403,
    retriable: false,
    meaning: 'The actor may not do this: the role may not, or not on this resource (not its owner).',
  },
  EVENT_NOT_FOUND: {
    httpStatus: 404,
    retriable: false,
    meaning: 'No event with this ID, or a draft the caller may not see.',
  },
  BOOKING_NOT_FOUND: {
    httpStatus: 404,
    retriable: false,
    meaning: 'No booking with this ID on this event, or none the caller may see.',
  },
  PRICE_OPTION_NOT_FOUND: {
    httpStatus: 404,
    retriable: false,
    meaning: 'No price option with this ID on this event.',
  },
  PROMO_NOT_FOUND: {
    httpStatus: 404,
    retriable: false,
    meaning: 'No promo code with this code on this event.',
  },
  EVENT_ALREADY_EXISTS: {
    httpStatus: 409,
    retriable: false,
    meaning: 'An event with this ID exists already.',
  },
  VERSION_CONFLICT: {
    httpStatus: 409,
    retriable: false,
    meaning: 'The expectedVersion is not the current version of the event.',
  },
  INVALID_TRANSITION: {
    httpStatus: 409,
    retriable: false,
    meaning: 'The event status does not allow this change.',
  },
  NO_AVAILABLE_SEATS: {
    httpStatus: 409,
    retriable: false,
    meaning: 'Not enough free seats in the price option or the event.',
  },
  DUPLICATE_BOOKING: {
    httpStatus: 409,
    retriable: false,
    meaning: 'The user already has an active booking on this event, or the booking ID is taken.',
  },
  PRICE_OPTION_EXISTS: {
    httpStatus: 409,
    retriable: false,
    meaning: 'A price option with this ID exists already.',
  },
  PRICE_OPTION_IN_USE: {
    httpStatus: 409,
    retriable: false,
    meaning: 'The price option still has active bookings.',
  },
  PROMO_CODE_EXISTS: {
    httpStatus: 409,
    retriable: false,
    meaning: 'The promo code exists already on this event.',
  },
  ALREADY_ON_WAITING_LIST: {
    httpStatus: 409,
    retriable: false,
    meaning: 'The user is already on the waiting list.',
  },
  SEATS_AVAILABLE: {
    httpStatus: 409,
    retriable: false,
    meaning: 'The event is not sold out: book instead of joining the waiting list.',
  },
  SEAT_CHANGE_PENDING: {
    httpStatus: 409,
    retriable: false,
    meaning:
      'Added seats of this booking await payment: pay, let them lapse, or change back to withdraw them.',
  },
  EVENT_NOT_BOOKABLE: {
    httpStatus: 422,
    retriable: false,
    meaning: 'The event is not PUBLISHED or RESCHEDULED.',
  },
  BOOKING_DEADLINE_PASSED: {
    httpStatus: 422,
    retriable: false,
    meaning: 'The booking deadline (bookingDeadlineHours before the start) or the start has passed.',
  },
  TOO_MANY_SEATS: { httpStatus: 422, retriable: false, meaning: 'More than 20 seats in one booking.' },
  ORGANIZER_OWN_EVENT: {
    httpStatus: 422,
    retriable: false,
    meaning: 'An organizer cannot book their own event.',
  },
  PRICE_OPTION_NOT_AVAILABLE: {
    httpStatus: 422,
    retriable: false,
    meaning: "Outside the price option's validity window.",
  },
  PROMO_INVALID: {
    httpStatus: 422,
    retriable: false,
    meaning: 'Unknown, deactivated or out-of-window promo code.',
  },
  PROMO_EXHAUSTED: { httpStatus: 422, retriable: false, meaning: 'The promo code reached its usage limit.' },
  PROMO_USER_LIMIT: {
    httpStatus: 422,
    retriable: false,
    meaning:
      'The user’s bookings on the event already hold or used the promo code as often as its `maxUsesPerUser` allows (a canceled confirmed booking gives its use back only when the code says `cancelReturnsUse`).',
  },
  INVALID_BOOKING_STATE: {
    httpStatus: 422,
    retriable: false,
    meaning: 'The booking status does not allow this command.',
  },
  NOT_ON_WAITING_LIST: { httpStatus: 422, retriable: false, meaning: 'The user is not on the waiting list.' },
  RECONFIRMATION_NOT_REQUIRED: {
    httpStatus: 422,
    retriable: false,
    meaning: 'No schedule change awaits re-confirmation: none since booking, or re-confirmed already.',
  },
  TICKET_INVALID: {
    httpStatus: 422,
    retriable: false,
    meaning:
      'The scanned code is no ticket of this service: malformed, forged (its signature does not check), or naming no booking of this event.',
  },
  TICKET_WRONG_EVENT: {
    httpStatus: 422,
    retriable: false,
    meaning: 'A genuine ticket, but for another event.',
  },
  TICKET_NOT_CONFIRMED: {
    httpStatus: 422,
    retriable: false,
    meaning: 'The ticket’s booking is not CONFIRMED (awaiting payment, canceled or expired).',
  },
  TICKET_SUPERSEDED: {
    httpStatus: 422,
    retriable: false,
    meaning:
      'An earlier code of the booking: its seats changed or its ticket was re-issued since, and only the current code checks in.',
  },
  CHECK_IN_TOO_EARLY: {
    httpStatus: 422,
    retriable: false,
    meaning: 'Scanned before check-in opens, 2 hours before the event’s start (by the scan’s own time).',
  },
  CHECK_IN_CLOSED: {
    httpStatus: 422,
    retriable: false,
    meaning: 'Scanned after the event’s end (by the scan’s own time).',
  },
  TICKET_ALREADY_USED: {
    httpStatus: 409,
    retriable: false,
    meaning:
      'Every seat of the booking is checked in already; the result’s `firstScannedAt` says when the first scan was.',
  },
  TICKET_SEATS_EXCEEDED: {
    httpStatus: 409,
    retriable: false,
    meaning:
      'The scan asks to admit more seats than the booking has left to check in; the result says how many are (`seats` - `checkedInSeats`).',
  },
  LIMIT_EXCEEDED: {
    httpStatus: 422,
    retriable: false,
    meaning: 'A per-event limit is reached (10 price options, 50 active promo codes, capacity).',
  },
} as const satisfies Record<string, ErrorSpec>

/** A stable reason code, e.g. `NO_AVAILABLE_SEATS`. */
export type ReasonCode = keyof typeof REASON_CODES

/** Every refusal code. */
export const ALL_REASON_CODES: readonly ReasonCode[] = Object.keys(REASON_CODES) as ReasonCode[]

/** A refusal: what the outcome of a refused command carries. */
export interface Refusal {
  readonly reasonCode: ReasonCode
  readonly message: string
}

export function refuse(reasonCode: ReasonCode, message: string): Refusal {
  return { reasonCode, message }
}
