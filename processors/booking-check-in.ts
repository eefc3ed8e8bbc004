import type { BookingCommand, CheckInResult, RequestOutcome } from '../avro/index.ts'
import { canManageEvent } from './authorization.ts'
import { bookingFact, causeOf, type LedgerOutput } from './ledger-outputs.ts'
import {
  checkedInSeats,
  firstScannedAtMs,
  HOUR_MS,
  MAX_SEATS_PER_BOOKING,
  type BookingState,
  type EventState,
} from './ledger-state.ts'
import { refuse, type Refusal } from './reason-codes.ts'
import { acceptedOutcome, refusedOutcome, type CommandIdentity } from './request-outcomes.ts'
import { isLegacyTicketCode, type TicketSigner } from './ticket-code.ts'

/** Check-in opens this long before the event's start (and closes at its end). */
export const CHECK_IN_OPENS_BEFORE_START_MS = 2 * HOUR_MS

/** A scan reported this far ahead of the task's clock is refused: the scanner's clock is wrong. */
export const SCANNER_CLOCK_TOLERANCE_MS = 5 * 60 * 1000

/** The state a CHECK_IN is decided on. */
export interface CheckInContext {
  readonly event: EventState | undefined
  /** The event's booking with this ID. */
  readonly booking: (bookingId: string) => BookingState | undefined
  /** The event's booking that still holds this unsigned 12-hex code (confirmed before signed tickets). */
  readonly legacyBooking: (code: string) => BookingState | undefined
  readonly tickets: TicketSigner
}

/**
 * What a CHECK_IN decides. Accepted: the booking with the scan recorded and the CHECKED_IN fact, or, for a
 * repeat of a scan counted already, no change (`booking` undefined) and no output. Either way, and on a
 * refusal that names a booking of the event, `checkIn` is the booking's check-in state after the decision.
 */
export type CheckInDecision =
  | {
      readonly ok: true
      readonly booking: BookingState | undefined
      readonly outputs: readonly LedgerOutput[]
      readonly message: string
      readonly checkIn: CheckInResult
    }
  | {
      readonly ok: false
      readonly refusal: Refusal
      /** The booking the code names, '' when it names none of this event. */
      readonly bookingId: string
      readonly checkIn: CheckInResult | null
    }

/**
 * CHECK_IN: a ticket code scanned at the event's entrance, by the event's organizer or an admin (a check-in
 * device acts for the organizer and names itself in `deviceId`). Everything is judged at the scan's own
 * time (`scannedAtMs`), so an offline scanner's batch, sent later and in any order, is decided as if each
 * scan had arrived when it was made. The same scan (code, scannedAtMs, deviceId) sent again under another
 * request ID is answered as counted, once.
 *
 * Refusals, in this order: VALIDATION_FAILED (no payload, seats outside 1-20, a scan time more than 5
 * minutes ahead of the task's clock), EVENT_NOT_FOUND, FORBIDDEN (not the event's organizer or an admin),
 * TICKET_INVALID (no ticket code, a forged one, or no such booking on the event), TICKET_WRONG_EVENT (a
 * genuine ticket of another event), TICKET_NOT_CONFIRMED (the booking is pending, canceled or expired),
 * TICKET_SUPERSEDED (an earlier code of the booking: its seats changed or its ticket was re-issued),
 * CHECK_IN_TOO_EARLY (before 2 h ahead of the start), CHECK_IN_CLOSED (after the end), TICKET_ALREADY_USED
 * (every seat is checked in; `checkIn.firstScannedAtMs` says when the first scan was), TICKET_SEATS_EXCEEDED
 * (more seats than are left; `checkIn` says how many are).
 */
export function checkIn(ctx: CheckInContext, command: BookingCommand, nowMs: number): CheckInDecision {
  const input = command.checkIn
  const refused = (refusal: Refusal, booking?: BookingState): CheckInDecision => ({
    ok: false,
    refusal,
    bookingId: booking?.bookingId ?? '',
    checkIn: booking === undefined || input === null ? null : resultOf(booking, input.scannedAtMs),
  })
  if (input === null) return refused(refuse('VALIDATION_FAILED', 'CHECK_IN needs its payload'))
  const { event } = ctx
  if (event === undefined) return refused(refuse('EVENT_NOT_FOUND', `no event ${command.eventId}`))
  if (!canManageEvent(event, command.actor))
    return refused(refuse('FORBIDDEN', `${command.actor.userId} may not check in tickets of this event`))
  if (!Number.isInteger(input.seats) || input.seats < 1 || input.seats > MAX_SEATS_PER_BOOKING)
    return refused(refuse('VALIDATION_FAILED', `seats must be 1-${MAX_SEATS_PER_BOOKING}`))
  if (input.scannedAtMs > nowMs + SCANNER_CLOCK_TOLERANCE_MS)
    return refused(
      refuse(
        'VALIDATION_FAILED',
        `scannedAt ${new Date(input.scannedAtMs).toISOString()} is in the future: check the scanner's clock`,
      ),
    )
  const code = input.code.trim()
  const found = ticketBooking(ctx, event, code)
  if ('reasonCode' in found) return refused(found)
  const booking = found

  // A repeat of a counted scan is answered before the booking's current state: whatever happened since
  // (a re-issue, a cancellation), that scan was let in.
  const counted = booking.checkIns.some(
    (c) => c.code === code && c.scannedAtMs === input.scannedAtMs && c.deviceId === input.deviceId,
  )
  if (counted)
    return {
      ok: true,
      booking: undefined,
      outputs: [],
      message: 'this scan was counted already',
      checkIn: resultOf(booking, input.scannedAtMs),
    }
  if (booking.status !== 'CONFIRMED')
    return refused(
      refuse('TICKET_NOT_CONFIRMED', `booking ${booking.bookingId} is ${booking.status}`),
      booking,
    )
  // A legacy code was found by its exact match with the booking's code, so it is current by construction.
  if (code !== booking.ticketCode)
    return refused(
      refuse(
        'TICKET_SUPERSEDED',
        `booking ${booking.bookingId} has a newer ticket (seats changed or re-issued)`,
      ),
      booking,
    )
  const opensAtMs = event.startsAtMs - CHECK_IN_OPENS_BEFORE_START_MS
  if (input.scannedAtMs < opensAtMs)
    return refused(
      refuse('CHECK_IN_TOO_EARLY', `check-in opens at ${new Date(opensAtMs).toISOString()}`),
      booking,
    )
  if (input.scannedAtMs > event.endsAtMs)
    return refused(
      refuse('CHECK_IN_CLOSED', `check-in closed at the end, ${new Date(event.endsAtMs).toISOString()}`),
      booking,
    )
  const done = checkedInSeats(booking)
  const left = booking.seats - done
  if (left <= 0) {
    const first = firstScannedAtMs(booking)
    return refused(
      refuse(
        'TICKET_ALREADY_USED',
        `all ${booking.seats} seats are checked in; first scan at ${first === null ? 'unknown' : new Date(first).toISOString()}`,
      ),
      booking,
    )
  }
  if (input.seats > left)
    return refused(
      refuse(
        'TICKET_SEATS_EXCEEDED',
        `only ${left} of the booking's ${booking.seats} seats are left to check in`,
      ),
      booking,
    )
  const next: BookingState = {
    ...booking,
    checkIns: [
      ...booking.checkIns,
      {
        code,
        scannedAtMs: input.scannedAtMs,
        seats: input.seats,
        deviceId: input.deviceId,
        requestId: command.requestId,
      },
    ],
    updatedAtMs: nowMs,
  }
  const total = done + input.seats
  return {
    ok: true,
    booking: next,
    outputs: [
      bookingFact(event, next, 'CHECKED_IN', causeOf(command), nowMs, {
        checkIn: {
          seats: input.seats,
          checkedInSeats: total,
          scannedAtMs: input.scannedAtMs,
          deviceId: input.deviceId,
        },
      }),
    ],
    message: `${input.seats} seat(s) checked in: ${total} of ${booking.seats}`,
    checkIn: resultOf(next, input.scannedAtMs),
  }
}

/**
 * The outcome of a CHECK_IN: the booking's check-in state (`checkIn`) whenever the code names a booking of
 * the event, accepted or refused.
 */
export function checkInOutcome(
  identity: CommandIdentity,
  decision: CheckInDecision,
  nowMs: number,
): RequestOutcome {
  const outcome = decision.ok
    ? acceptedOutcome(identity, 'BOOKING', decision.checkIn.bookingId, decision.message, nowMs)
    : refusedOutcome(identity, 'BOOKING', decision.bookingId, decision.refusal, nowMs)
  return { ...outcome, checkIn: decision.checkIn }
}

/** The event's booking a scanned code admits to, or why it admits to none. */
function ticketBooking(ctx: CheckInContext, event: EventState, code: string): BookingState | Refusal {
  const read = ctx.tickets.read(code)
  if (read === undefined) {
    // Codes of bookings confirmed before signed tickets carry no signature: only the exact code a booking
    // of this event still holds checks in.
    const legacy = isLegacyTicketCode(code) ? ctx.legacyBooking(code) : undefined
    return legacy ?? refuse('TICKET_INVALID', 'not a ticket code of this service')
  }
  if (!read.genuine) return refuse('TICKET_INVALID', 'the ticket code is not genuine')
  if (read.claim.eventId !== event.eventId)
    return refuse('TICKET_WRONG_EVENT', `the ticket is for another event (${read.claim.eventId})`)
  return (
    ctx.booking(read.claim.bookingId) ??
    refuse('TICKET_INVALID', `no booking ${read.claim.bookingId} on this event`)
  )
}

function resultOf(booking: BookingState, scannedAtMs: number): CheckInResult {
  return {
    bookingId: booking.bookingId,
    seats: booking.seats,
    checkedInSeats: checkedInSeats(booking),
    firstScannedAtMs: firstScannedAtMs(booking),
    scannedAtMs,
  }
}
