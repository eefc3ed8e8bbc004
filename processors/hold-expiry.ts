import { unchanged, type BookingEffect } from './booking-decision.ts'
import { bookingFact, notify, TIMER_CAUSE } from './ledger-outputs.ts'
import { holdDueMs, pendingTopUp, type BookingState, type EventState } from './ledger-state.ts'
import { endBooking, releaseTopUp } from './seat-release.ts'

/**
 * Hold expiry (the ledger's timers punctuator, for each booking whose hold timer is due): an unpaid
 * booking whose hold time passed becomes EXPIRED and frees its seats; an unpaid seat top-up of a CONFIRMED
 * booking frees its extra seats (the booking keeps its confirmed ones). A booking with no hold due at
 * `nowMs` is unchanged.
 */
export function expireHold(event: EventState, booking: BookingState, nowMs: number): BookingEffect {
  const dueMs = holdDueMs(booking)
  if (dueMs === null || dueMs > nowMs) return unchanged(event)
  const topUp = pendingTopUp(booking)
  if (booking.status === 'CONFIRMED' && topUp !== null) {
    const released = releaseTopUp(event, booking, topUp, 'EXPIRED', nowMs)
    return {
      ...released,
      outputs: [
        bookingFact(released.event, released.booking, 'SEATS_CHANGE_RELEASED', TIMER_CAUSE, nowMs, {
          reasonCode: 'EXPIRED',
        }),
        notify(
          released.event,
          booking.userId,
          'booking.seats_change_expired',
          `booking.seats_change_expired:${booking.bookingId}:${topUp.requestId}`,
          nowMs,
          { bookingId: booking.bookingId, seats: String(booking.seats) },
        ),
      ],
    }
  }
  const ended = endBooking(event, booking, 'EXPIRED', 'EXPIRED', nowMs)
  return {
    ...ended,
    outputs: [
      bookingFact(ended.event, ended.booking, 'EXPIRED', TIMER_CAUSE, nowMs),
      notify(ended.event, booking.userId, 'booking.expired', `booking.expired:${booking.bookingId}`, nowMs, {
        bookingId: booking.bookingId,
      }),
    ],
  }
}
