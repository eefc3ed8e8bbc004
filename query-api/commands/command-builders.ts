import type { Actor, BookingCommand, EventCommand, ReviewCommand } from '../../avro/index.ts'

const NO_EVENT_PAYLOADS = {
  expectedVersion: null,
  create: null,
  update: null,
  publish: null,
  reschedule: null,
  cancel: null,
  priceOption: null,
  removePriceOption: null,
  createPromoCode: null,
  deactivatePromoCode: null,
  refundPolicy: null,
  crewRequest: null,
} as const

const NO_BOOKING_PAYLOADS = {
  request: null,
  cancel: null,
  changeSeats: null,
  joinWaitingList: null,
  leaveWaitingList: null,
  reconfirm: null,
  checkIn: null,
  reissueTicket: null,
} as const

export interface Envelope {
  readonly requestId: string
  readonly eventId: string
  readonly actor: Actor
  readonly issuedAtMs?: number
  /** The client's Idempotency-Key, when it sent one. */
  readonly idempotencyKey?: string | null
}

/** The fields every command carries, from its envelope (issued now unless told otherwise). */
function envelopeFields(envelope: Envelope): Required<Envelope> {
  return {
    requestId: envelope.requestId,
    eventId: envelope.eventId,
    actor: envelope.actor,
    issuedAtMs: envelope.issuedAtMs ?? Date.now(),
    idempotencyKey: envelope.idempotencyKey ?? null,
  }
}

/** An EventCommand with every payload but the given ones null. */
export function eventCommand(
  envelope: Envelope,
  type: EventCommand['type'],
  payload: Partial<Omit<EventCommand, 'requestId' | 'eventId' | 'actor' | 'type' | 'idempotencyKey'>>,
): EventCommand {
  return {
    ...NO_EVENT_PAYLOADS,
    ...envelopeFields(envelope),
    type,
    ...payload,
  }
}

/** A BookingCommand with every payload but the given one null. */
export function bookingCommand(
  envelope: Envelope,
  type: BookingCommand['type'],
  payload: Partial<Omit<BookingCommand, 'requestId' | 'eventId' | 'actor' | 'type' | 'idempotencyKey'>>,
): BookingCommand {
  return {
    ...NO_BOOKING_PAYLOADS,
    ...envelopeFields(envelope),
    type,
    ...payload,
  }
}

/**
 * A CHECK_IN of a scanned ticket code at the event's entrance; `deviceId` names the check-in device that
 * scanned (null for a person's token).
 */
export function checkInCommand(
  envelope: Envelope,
  scan: { code: string; scannedAtMs: number; seats: number; deviceId: string | null },
): BookingCommand {
  return bookingCommand(envelope, 'CHECK_IN', { checkIn: { ...scan } })
}

/** A REISSUE_TICKET of the booking: a new ticket code, the old one stops checking in. */
export function reissueTicketCommand(envelope: Envelope, bookingId: string): BookingCommand {
  return bookingCommand(envelope, 'REISSUE_TICKET', { reissueTicket: { bookingId } })
}

/** A ReviewCommand on `reviewId` with every payload but the given one null. */
export function reviewCommand(
  envelope: Envelope,
  type: ReviewCommand['type'],
  reviewId: string,
  payload: Partial<Pick<ReviewCommand, 'submit' | 'edit' | 'moderate' | 'reply'>> = {},
): ReviewCommand {
  return {
    submit: null,
    edit: null,
    moderate: null,
    reply: null,
    ...envelopeFields(envelope),
    type,
    reviewId,
    ...payload,
  }
}
