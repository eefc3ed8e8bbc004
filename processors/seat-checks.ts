import {
  HOUR_MS,
  isBookable,
  MAX_SEATS_PER_BOOKING,
  offeredSeats,
  type EventState,
  type PriceOptionState,
  type WaitingListState,
} from './ledger-state.ts'
import { refuse, type Refusal } from './reason-codes.ts'

/**
 * The checks every decision that takes seats makes (a request, added seats, a late payment taking its
 * seats again), so that they all refuse alike.
 */

/**
 * Seats free for `userId` in the option and in the event: the least of what the option's allotment and
 * the event's capacity leave, outstanding waiting-list offers to others held back. 0 for an unknown option.
 */
export function freeSeats(
  event: EventState,
  priceOptionId: string,
  waitingList: WaitingListState | undefined,
  userId: string,
): number {
  const option = event.priceOptions.find((o) => o.priceOptionId === priceOptionId)
  if (option === undefined) return 0
  const inEvent = event.capacity - event.seatsTaken - offeredSeats(waitingList, userId)
  return Math.max(0, Math.min(option.allotment - option.taken, inEvent))
}

/**
 * Why the event takes no bookings at `nowMs`, if it does not: EVENT_NOT_BOOKABLE (not PUBLISHED or
 * RESCHEDULED), BOOKING_DEADLINE_PASSED (later than `bookingDeadlineHours` before the start).
 */
export function bookingClosed(event: EventState, nowMs: number): Refusal | undefined {
  if (!isBookable(event)) return refuse('EVENT_NOT_BOOKABLE', `event is ${event.status}`)
  if (nowMs > event.startsAtMs - event.bookingDeadlineHours * HOUR_MS)
    return refuse(
      'BOOKING_DEADLINE_PASSED',
      `booking closed ${event.bookingDeadlineHours} h before the start`,
    )
  return undefined
}

/** Whether `nowMs` is within the option's validity window (both ends inclusive, open ends when null). */
export function onSale(option: PriceOptionState, nowMs: number): boolean {
  return (
    (option.validFromMs === null || nowMs >= option.validFromMs) &&
    (option.validUntilMs === null || nowMs <= option.validUntilMs)
  )
}

/** Why a booking cannot have `seats` seats, if it cannot: VALIDATION_FAILED (below 1), TOO_MANY_SEATS. */
export function checkSeatCount(seats: number): Refusal | undefined {
  if (!Number.isInteger(seats) || seats < 1) return refuse('VALIDATION_FAILED', 'seats must be 1-20')
  if (seats > MAX_SEATS_PER_BOOKING)
    return refuse('TOO_MANY_SEATS', `at most ${MAX_SEATS_PER_BOOKING} seats per booking`)
  return undefined
}
