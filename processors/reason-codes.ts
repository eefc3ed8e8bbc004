/**
 * The one catalogue of reason codes a command can be refused with. Each code is stable (clients and the
 * query API switch on it, never on the message), has the HTTP status it surfaces as in the API, and is
 * documented in docs/errors.md; test/processors/reason-codes.test.ts keeps both in step.
 */
export const REASON_CODES = {
  VALIDATION_FAILED: { httpStatus: 400, summary: 'The command is malformed or breaks a field rule.' },
  FORBIDDEN: { httpStatus: 403, summary: 'The actor may not do this (not the owner, wrong role).' },
  EVENT_NOT_FOUND: { httpStatus: 404, summary: 'No event with this ID.' },
  BOOKING_NOT_FOUND: { httpStatus: 404, summary: 'No booking with this ID on this event.' },
  PRICE_OPTION_NOT_FOUND: { httpStatus: 404, summary: 'No price option with this ID on this event.' },
  PROMO_NOT_FOUND: { httpStatus: 404, summary: 'No promo code with this code on this event.' },
  EVENT_ALREADY_EXISTS: { httpStatus: 409, summary: 'An event with this ID exists already.' },
  VERSION_CONFLICT: {
    httpStatus: 409,
    summary: 'The expectedVersion is not the current version of the event.',
  },
  INVALID_TRANSITION: { httpStatus: 409, summary: 'The event status does not allow this change.' },
  NO_AVAILABLE_SEATS: { httpStatus: 409, summary: 'Not enough free seats in the price option or the event.' },
  DUPLICATE_BOOKING: {
    httpStatus: 409,
    summary: 'The user already has an active booking on this event, or the booking ID is taken.',
  },
  PRICE_OPTION_EXISTS: { httpStatus: 409, summary: 'A price option with this ID exists already.' },
  PRICE_OPTION_IN_USE: { httpStatus: 409, summary: 'The price option still has active bookings.' },
  PROMO_CODE_EXISTS: { httpStatus: 409, summary: 'The promo code exists already on this event.' },
  ALREADY_ON_WAITING_LIST: { httpStatus: 409, summary: 'The user is already on the waiting list.' },
  SEATS_AVAILABLE: {
    httpStatus: 409,
    summary: 'The event is not sold out: book instead of joining the waiting list.',
  },
  SEAT_CHANGE_PENDING: {
    httpStatus: 409,
    summary:
      'Added seats of this booking await payment: pay, let them lapse, or change back to withdraw them.',
  },
  EVENT_NOT_BOOKABLE: { httpStatus: 422, summary: 'The event is not PUBLISHED or RESCHEDULED.' },
  BOOKING_DEADLINE_PASSED: {
    httpStatus: 422,
    summary: 'The booking deadline (bookingDeadlineHours before the start) or the start has passed.',
  },
  TOO_MANY_SEATS: { httpStatus: 422, summary: 'More than 20 seats in one booking.' },
  ORGANIZER_OWN_EVENT: { httpStatus: 422, summary: 'An organizer cannot book their own event.' },
  PRICE_OPTION_NOT_AVAILABLE: { httpStatus: 422, summary: "Outside the price option's validity window." },
  PROMO_INVALID: { httpStatus: 422, summary: 'Unknown, deactivated or out-of-window promo code.' },
  PROMO_EXHAUSTED: { httpStatus: 422, summary: 'The promo code reached its usage limit.' },
  INVALID_BOOKING_STATE: { httpStatus: 422, summary: 'The booking status does not allow this command.' },
  NOT_ON_WAITING_LIST: { httpStatus: 422, summary: 'The user is not on the waiting list.' },
  RECONFIRMATION_NOT_REQUIRED: {
    httpStatus: 422,
    summary: 'No schedule change awaits re-confirmation: none since booking, or re-confirmed already.',
  },
  LIMIT_EXCEEDED: {
    httpStatus: 422,
    summary: 'A per-event limit is reached (10 price options, 50 active promo codes, capacity).',
  },
} as const satisfies Record<string, { readonly httpStatus: number; readonly summary: string }>

/** A stable reason code, e.g. `NO_AVAILABLE_SEATS`. */
export type ReasonCode = keyof typeof REASON_CODES

/** Every code of the catalogue. */
export const ALL_REASON_CODES: readonly ReasonCode[] = Object.keys(REASON_CODES) as ReasonCode[]

/** A refusal: what the outcome of a refused command carries. */
export interface Refusal {
  readonly reasonCode: ReasonCode
  readonly message: string
}

export function refuse(reasonCode: ReasonCode, message: string): Refusal {
  return { reasonCode, message }
}
