import type { BookingCommand } from '../avro/index.ts'
import { canActOnBooking } from './authorization.ts'
import { forbiddenOn, refused, type BookingDecision } from './booking-decision.ts'
import { bookingFact, causeOf, notify, type LedgerOutput } from './ledger-outputs.ts'
import type { BookingState, EventState } from './ledger-state.ts'
import { refuse } from './reason-codes.ts'
import type { TicketSigner } from './ticket-code.ts'

/**
 * The booking with the next issue of its ticket: a code signed for its current seats. Called when a booking
 * is confirmed, when a confirmed booking's seats change, and on REISSUE_TICKET; the previous code stops
 * checking in (TICKET_SUPERSEDED). The same booking state always signs the same code, so a replay or a
 * restored task issues the same ticket.
 */
export function withNewTicket(booking: BookingState, tickets: TicketSigner): BookingState {
  const issue = booking.ticketIssue + 1
  return {
    ...booking,
    ticketIssue: issue,
    ticketCode: tickets.sign({
      eventId: booking.eventId,
      bookingId: booking.bookingId,
      seats: booking.seats,
      issue,
    }),
  }
}

/**
 * REISSUE_TICKET: a new code for a CONFIRMED booking (a ticket shared or lost); the old one stops checking
 * in. Seats already checked in stay checked in. Asked by the booking's user, the event's organizer or an
 * admin; the user is sent the new code.
 *
 * Refusals: VALIDATION_FAILED (no payload), BOOKING_NOT_FOUND, FORBIDDEN, INVALID_BOOKING_STATE (not
 * CONFIRMED).
 */
export function reissueTicket(
  event: EventState,
  booking: BookingState | undefined,
  command: BookingCommand,
  nowMs: number,
  tickets: TicketSigner,
): BookingDecision {
  const input = command.reissueTicket
  if (input === null) return refused(refuse('VALIDATION_FAILED', 'REISSUE_TICKET needs its payload'))
  if (booking === undefined) return refused(refuse('BOOKING_NOT_FOUND', `no booking ${input.bookingId}`))
  if (!canActOnBooking(booking, event, command.actor)) return refused(forbiddenOn(booking, command))
  if (booking.status !== 'CONFIRMED')
    return refused(
      refuse('INVALID_BOOKING_STATE', `booking is ${booking.status}: only a confirmed booking has a ticket`),
    )
  const next = { ...withNewTicket(booking, tickets), updatedAtMs: nowMs }
  return {
    ok: true,
    event,
    booking: next,
    outputs: [
      bookingFact(event, next, 'TICKET_REISSUED', causeOf(command), nowMs),
      ticketNotice(event, next, 'booking.ticket_reissued', nowMs),
    ],
    message: `ticket re-issued (issue ${next.ticketIssue}); the previous code no longer checks in`,
  }
}

/**
 * The booking's user is sent its current ticket code, like the confirmation's notice; the issue makes the
 * key unique, so a replay sends it once.
 */
export function ticketNotice(
  event: EventState,
  booking: BookingState,
  templateKey: string,
  nowMs: number,
): LedgerOutput {
  return notify(
    event,
    booking.userId,
    templateKey,
    `${templateKey}:${booking.bookingId}:${booking.ticketIssue}`,
    nowMs,
    { bookingId: booking.bookingId, ticketCode: booking.ticketCode ?? '', seats: String(booking.seats) },
  )
}
