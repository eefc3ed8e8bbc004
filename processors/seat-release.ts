import {
  pendingTopUp,
  seatsHeld,
  takeSeats,
  usePromo,
  type BookingState,
  type EventState,
  type SeatTopUp,
} from './ledger-state.ts'
import { holdsPromoUse } from './promo-codes.ts'

/**
 * How held seats go back to the pool when a booking ends (cancel, expiry, failed payment, event cancel) or
 * a seat top-up does (expiry, failed payment, withdrawal). Every path that frees seats goes through here,
 * so the event's counters stay the sum of its active bookings.
 */

/**
 * Ends an active booking as `status` for `endCause`: releases its seats with a pending top-up's extra
 * seats (the top-up is marked WITHDRAWN), and an unpaid hold's promo use (a confirmed booking keeps its
 * use: a ticket was issued with the code; unless it is CANCELED and the code has `cancelReturnsUse`).
 */
export function endBooking(
  event: EventState,
  booking: BookingState,
  status: 'CANCELED' | 'EXPIRED',
  endCause: NonNullable<BookingState['endCause']>,
  nowMs: number,
): { event: EventState; booking: BookingState } {
  const topUp = pendingTopUp(booking)
  const promo = event.promoCodes.find((p) => p.code === booking.promoCode)
  const ended = { status, ticketCode: booking.ticketCode }
  // The use goes back when the ended booking no longer holds one (promo-codes.ts `holdsPromoUse`).
  const released = usePromo(
    takeSeats(event, booking.priceOptionId, -seatsHeld(booking)),
    promo !== undefined && !holdsPromoUse(ended, promo) ? promo.code : null,
    -1,
  )
  return {
    event: released,
    booking: {
      ...booking,
      status,
      endCause,
      holdExpiresAtMs: null,
      topUp: topUp === null ? booking.topUp : { ...topUp, status: 'WITHDRAWN' },
      updatedAtMs: nowMs,
    },
  }
}

/**
 * Gives a pending top-up's extra seats back to the pool and marks how the top-up ended; the booking keeps
 * its confirmed seats.
 */
export function releaseTopUp(
  event: EventState,
  booking: BookingState,
  topUp: SeatTopUp,
  status: 'EXPIRED' | 'PAYMENT_FAILED' | 'WITHDRAWN',
  nowMs: number,
): { event: EventState; booking: BookingState } {
  return {
    event: takeSeats(event, booking.priceOptionId, -(topUp.seats - booking.seats)),
    booking: { ...booking, topUp: { ...topUp, status }, updatedAtMs: nowMs },
  }
}
