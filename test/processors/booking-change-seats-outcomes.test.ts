// CHANGE_SEATS decided by processors/booking-change-seats.ts on built booking states: each refusal with its
// exact code and message, the bounds of check-in, and what an added or removed seat does to the booking.
import t from 'tap'
import { changeSeats } from '../../processors/booking-change-seats.ts'
import type { BookingState, CheckInRecord, EventState } from '../../processors/ledger-state.ts'
import {
  bookingCommand,
  confirmedBooking,
  heldBooking,
  NOW,
  pendingTopUpOf,
  publishedEvent,
  stdOption,
  TICKETS,
} from './ledger-fixtures.ts'

const event = publishedEvent({ capacity: 10, seatsTaken: 4, priceOptions: [stdOption(10, 4)] })
const LATER = NOW + 1000

const command = (seats: number | null) =>
  bookingCommand('CHANGE_SEATS', { changeSeats: seats === null ? null : { bookingId: 'b1', seats } })

function decide(
  booking: BookingState | undefined,
  seats: number | null,
  e: EventState = event,
  nowMs = LATER,
) {
  return changeSeats(e, booking, undefined, command(seats), nowMs, TICKETS)
}

function refusal(...args: Parameters<typeof decide>) {
  const decision = decide(...args)
  return decision.ok ? 'granted' : decision.refusal
}

const scan = (seats: number): CheckInRecord => ({
  code: 'T-1',
  scannedAtMs: NOW,
  seats,
  deviceId: null,
  requestId: `scan-${seats}`,
})

t.test('refusals with their codes and messages', async (t) => {
  t.same(refusal(confirmedBooking(), null), {
    reasonCode: 'VALIDATION_FAILED',
    message: 'CHANGE_SEATS needs its payload',
  })
  t.same(refusal(undefined, 3), { reasonCode: 'BOOKING_NOT_FOUND', message: 'no booking b1' })
  t.same(refusal(confirmedBooking({ status: 'CANCELED' }), 3), {
    reasonCode: 'INVALID_BOOKING_STATE',
    message: 'booking is CANCELED',
  })
  t.same(refusal(confirmedBooking({ topUp: pendingTopUpOf() }), 5), {
    reasonCode: 'SEAT_CHANGE_PENDING',
    message: `2 added seats await payment until ${new Date(NOW + 3600_000).toISOString()}; change back to 4 seats to withdraw them`,
  })
  t.same(refusal(confirmedBooking(), 4), {
    reasonCode: 'VALIDATION_FAILED',
    message: 'the seat count is unchanged',
  })
  t.same(refusal(confirmedBooking(), 3, event, event.startsAtMs), {
    reasonCode: 'INVALID_BOOKING_STATE',
    message: 'the event has started',
  })
  t.equal(refusal(confirmedBooking(), 3, event, event.startsAtMs - 1), 'granted')
  t.same(refusal(confirmedBooking({ priceOptionId: 'vip' }), 5), {
    reasonCode: 'PRICE_OPTION_NOT_FOUND',
    message: 'no price option vip',
  })
  const notYet = publishedEvent({
    capacity: 10,
    priceOptions: [{ ...stdOption(10, 4), validFromMs: LATER + 1 }],
  })
  t.same(refusal(confirmedBooking(), 5, notYet), {
    reasonCode: 'PRICE_OPTION_NOT_AVAILABLE',
    message: 'price option std is not on sale now',
  })
  const full = publishedEvent({ capacity: 10, seatsTaken: 8, priceOptions: [stdOption(10, 8)] })
  t.same(refusal(confirmedBooking(), 7, full), {
    reasonCode: 'NO_AVAILABLE_SEATS',
    message: 'fewer than 3 free seats',
  })
  t.equal(refusal(confirmedBooking(), 6, full), 'granted')
})

t.test('seats checked in bound the reduction: down to them, not below', async (t) => {
  const booking = confirmedBooking({ checkIns: [scan(2)] })
  t.same(refusal(booking, 1), {
    reasonCode: 'INVALID_BOOKING_STATE',
    message: '2 seats of the booking are checked in',
  })
  const decision = decide(booking, 2)
  t.match(decision, { ok: true, message: 'seats changed to 2', booking: { seats: 2 } })
})

t.test('a held booking adds and removes seats at the option price, without a ticket', async (t) => {
  const held = heldBooking()
  const added = decide(held, 3)
  if (!added.ok) throw new Error(added.refusal.message)
  t.equal(added.message, 'seats changed to 3')
  t.strictSame(added.booking, { ...held, seats: 3, amountMinor: 3000, updatedAtMs: LATER })
  t.strictSame(added.outputs[1], {
    to: 'notifications',
    value: {
      dedupKey: 'booking.seats_changed:b1:r1',
      recipientUserId: 'u1',
      templateKey: 'booking.seats_changed',
      locale: event.locale,
      params: { eventId: 'e1', eventTitle: 'Sailing', bookingId: 'b1', seats: '3', ticketCode: '' },
      eventId: 'e1',
      createdAtMs: LATER,
    },
  })
  const removed = decide(held, 1)
  if (!removed.ok) throw new Error(removed.refusal.message)
  t.equal(removed.message, 'seats changed to 1')
  t.strictSame(removed.booking, { ...held, seats: 1, amountMinor: 1000, updatedAtMs: LATER })
})

t.test('free added seats of a confirmed booking: confirmed at once, amount kept, next ticket', async (t) => {
  const free = publishedEvent({
    capacity: 10,
    seatsTaken: 4,
    priceOptions: [{ ...stdOption(10, 4), priceMinor: 0 }],
  })
  const decision = decide(confirmedBooking(), 5, free)
  if (!decision.ok) throw new Error(decision.refusal.message)
  t.equal(decision.message, 'seats changed to 5')
  t.match(decision.booking, { seats: 5, amountMinor: 4000, ticketIssue: 2, topUp: null })
  t.not(decision.booking.ticketCode, 'T-1')
  t.equal(decision.event.seatsTaken, 5)
})
