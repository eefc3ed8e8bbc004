import t from 'tap'
import { followUpEffect } from '../../processors/event-follow-up.ts'
import type { BookingState } from '../../processors/ledger-state.ts'
import { scheduleNotice } from '../../processors/schedule-notices.ts'
import { CAUSE, eventState, NOW } from './event-state-builders.ts'

const booking = (overrides: Partial<BookingState> = {}): BookingState => ({
  bookingId: 'b1',
  eventId: 'e1',
  userId: 'u1',
  priceOptionId: 'a',
  seats: 1,
  status: 'PENDING_PAYMENT',
  amountMinor: 1000,
  seatsValueMinor: 1000,
  promoCode: null,
  paidMinor: 0,
  refundedMinor: 0,
  refundCount: 0,
  paymentId: null,
  settledPaymentIds: [],
  charges: [],
  ticketCode: null,
  ticketIssue: 0,
  checkIns: [],
  holdExpiresAtMs: NOW + 60_000,
  endCause: null,
  topUp: null,
  reconfirmation: null,
  createdAtMs: NOW - 1000,
  updatedAtMs: NOW - 1000,
  ...overrides,
})

t.test('the reminder goes to CONFIRMED bookings only', async (t) => {
  const event = eventState({ status: 'PUBLISHED' })
  t.strictSame(scheduleNotice(event, booking(), 'REMIND', NOW), [])
  t.equal(scheduleNotice(event, booking({ status: 'CONFIRMED' }), 'REMIND', NOW).length, 1)
})

t.test('CANCEL_ALL closes the waiting list only when there is one', async (t) => {
  const event = eventState({ status: 'CANCELED' })
  const effect = followUpEffect(event, [], undefined, 'CANCEL_ALL', CAUSE, NOW)
  t.strictSame(effect, { event, bookings: [], listClosed: false, outputs: [] })
})
