import { bookingFact, notify, type Cause, type LedgerOutput } from './ledger-outputs.ts'
import type { BookingState, EventState } from './ledger-state.ts'

/**
 * What a booking's confirmation emits, whether a free request confirms at once or a payment confirms a
 * hold: the CONFIRMED fact, the user's notice with the ticket code, and the organizer's notice.
 */
export function confirmedOutputs(
  event: EventState,
  booking: BookingState,
  cause: Cause,
  nowMs: number,
): LedgerOutput[] {
  const params = {
    bookingId: booking.bookingId,
    ticketCode: booking.ticketCode ?? '',
    seats: String(booking.seats),
  }
  return [
    bookingFact(event, booking, 'CONFIRMED', cause, nowMs),
    notify(
      event,
      booking.userId,
      'booking.confirmed',
      `booking.confirmed:${booking.bookingId}`,
      nowMs,
      params,
    ),
    notify(
      event,
      event.organizerId,
      'booking.confirmed.organizer',
      `booking.confirmed.organizer:${booking.bookingId}`,
      nowMs,
      {
        ...params,
        userId: booking.userId,
      },
    ),
  ]
}
