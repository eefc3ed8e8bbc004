import t from 'tap'
import { PAYMENT_STATUS_V1_FIELDS } from '../../processors/index.ts'
import type { BookingCommand } from '../../avro/index.ts'
import { cancelBooking } from '../../processors/booking-cancel.ts'
import { changeSeats } from '../../processors/booking-change-seats.ts'
import { applyPayment } from '../../processors/booking-payment.ts'
import { reconfirmBooking } from '../../processors/booking-reconfirm.ts'
import { requestBooking } from '../../processors/booking-request.ts'
import { expireHold } from '../../processors/hold-expiry.ts'
import { DAY_MS, HOUR_MS, type BookingState, type EventState } from '../../processors/ledger-state.ts'
import { freeSeats } from '../../processors/seat-checks.ts'
import { NOW, publishedEvent, TICKETS } from './ledger-fixtures.ts'

function request(userId: string, bookingId: string, seats: number): BookingCommand {
  return {
    requestId: `r-${bookingId}`,
    eventId: 'e1',
    actor: { userId, role: 'USER' },
    issuedAtMs: NOW,
    idempotencyKey: null,
    type: 'REQUEST',
    request: { bookingId, userId, priceOptionId: 'std', seats, promoCode: null },
    cancel: null,
    changeSeats: null,
    joinWaitingList: null,
    leaveWaitingList: null,
    reconfirm: null,
    checkIn: null,
    reissueTicket: null,
  }
}

const ctx = (event: EventState) => ({
  event,
  existing: undefined,
  activeBookingId: undefined,
  promoBookings: [],
  waitingList: undefined,
})

t.test('a request holds seats against the option allotment, never beyond it', async (t) => {
  const event = publishedEvent()
  const first = requestBooking(ctx(event), request('u1', 'b1', 2), NOW, TICKETS)
  if (!first.ok) throw new Error(first.refusal.message)
  t.equal(first.event.seatsTaken, 2)
  t.equal(first.event.priceOptions[0]!.taken, 2)
  t.match(first.booking, { status: 'PENDING_PAYMENT', amountMinor: 2000, holdExpiresAtMs: NOW + 2 * HOUR_MS })
  t.equal(event.seatsTaken, 0, 'the input state is not mutated')
  const second = requestBooking(ctx(first.event), request('u2', 'b2', 2), NOW, TICKETS)
  t.match(second, { ok: false, refusal: { reasonCode: 'NO_AVAILABLE_SEATS' } }, 'allotment 3 < 2 + 2')
  t.equal(freeSeats(first.event, 'std', undefined, 'u2'), 1)
})

t.test('waiting-list offers to others hold seats back', async (t) => {
  const event = publishedEvent({ capacity: 3 })
  const list = {
    eventId: 'e1',
    queue: [],
    offers: [{ userId: 'w', seats: 2, joinedAtMs: NOW, offeredAtMs: NOW, expiresAtMs: NOW + 1 }],
  }
  t.equal(freeSeats(event, 'std', list, 'u1'), 1)
  t.equal(freeSeats(event, 'std', list, 'w'), 3)
})

t.test('expiry and payment: late payment after expiry confirms when seats are free', async (t) => {
  const held = requestBooking(ctx(publishedEvent()), request('u1', 'b1', 1), NOW, TICKETS)
  if (!held.ok) throw new Error('refused')
  t.same(expireHold(held.event, held.booking, NOW + HOUR_MS).outputs, [], 'not due yet')
  const expired = expireHold(held.event, held.booking, NOW + 2 * HOUR_MS)
  t.equal(expired.booking?.status, 'EXPIRED')
  t.equal(expired.event.seatsTaken, 0)
  const payment = {
    paymentId: 'p1',
    bookingId: 'b1',
    eventId: 'e1',
    status: 'COMPLETED' as const,
    amountMinor: 1000,
    occurredAtMs: NOW,
    ...PAYMENT_STATUS_V1_FIELDS,
  }
  const late = applyPayment(
    expired.event,
    expired.booking,
    undefined,
    undefined,
    payment,
    NOW + 3 * HOUR_MS,
    TICKETS,
  )
  t.match(late.booking, { status: 'CONFIRMED', paidMinor: 1000 })
  t.equal(late.event.seatsTaken, 1)
  const again = applyPayment(
    late.event,
    late.booking,
    { activeBookingId: 'b1', promoBookings: [] },
    undefined,
    payment,
    NOW + 3 * HOUR_MS,
    TICKETS,
  )
  t.same(again.outputs, [], 'a redelivered payment is a no-op')
})

t.test('user cancel of a confirmed booking refunds by the policy, capped by the payment', async (t) => {
  const event = publishedEvent()
  const held = requestBooking(ctx(event), request('u1', 'b1', 1), NOW, TICKETS)
  if (!held.ok) throw new Error('refused')
  const paid = applyPayment(
    held.event,
    held.booking,
    { activeBookingId: 'b1', promoBookings: [] },
    undefined,
    {
      paymentId: 'p1',
      bookingId: 'b1',
      eventId: 'e1',
      status: 'COMPLETED',
      amountMinor: 1000,
      occurredAtMs: NOW,
      ...PAYMENT_STATUS_V1_FIELDS,
    },
    NOW,
    TICKETS,
  )
  const command: BookingCommand = {
    ...request('u1', 'b1', 1),
    type: 'CANCEL',
    request: null,
    cancel: { bookingId: 'b1', reason: null, forceMajeure: false },
  }
  const canceled = cancelBooking(paid.event, paid.booking, command, event.startsAtMs - 3 * DAY_MS)
  if (!canceled.ok) throw new Error('refused')
  t.match(canceled.booking, { status: 'CANCELED', refundedMinor: 800 })
  t.match(canceled.outputs.find((o) => o.to === 'refund-requests')?.value, {
    amountMinor: 800,
    reason: 'USER_CANCELED',
    refundId: 'b1:refund:0',
  })
})

/** b1 of u1 with `seats` seats, paid in full (`p1`), on `event`. */
function confirmed(event: EventState, seats: number): { event: EventState; booking: BookingState } {
  const held = requestBooking(ctx(event), request('u1', 'b1', seats), NOW, TICKETS)
  if (!held.ok) throw new Error(held.refusal.message)
  const paid = applyPayment(
    held.event,
    held.booking,
    { activeBookingId: 'b1', promoBookings: [] },
    undefined,
    {
      paymentId: 'p1',
      bookingId: 'b1',
      eventId: 'e1',
      status: 'COMPLETED',
      amountMinor: held.booking.amountMinor,
      occurredAtMs: NOW,
      ...PAYMENT_STATUS_V1_FIELDS,
    },
    NOW,
    TICKETS,
  )
  return { event: paid.event, booking: paid.booking! }
}

const command = (type: BookingCommand['type'], payload: Partial<BookingCommand>): BookingCommand => ({
  ...request('u1', 'b1', 1),
  requestId: `r-${type}`,
  type,
  request: null,
  ...payload,
})

t.test('more seats of a paid confirmed booking are a top-up priced with the booking promo', async (t) => {
  const promo = {
    code: 'FIXED',
    kind: 'FIXED_AMOUNT' as const,
    value: 1500,
    usageLimit: 5,
    used: 0,
    validFromMs: null,
    validUntilMs: NOW + 30 * DAY_MS,
    maxUsesPerUser: null,
    cancelReturnsUse: false,
    active: true,
  }
  const event = publishedEvent({ promoCodes: [promo] })
  const held = requestBooking(
    ctx(event),
    { ...request('u1', 'b1', 2), request: { ...request('u1', 'b1', 2).request!, promoCode: 'FIXED' } },
    NOW,
    TICKETS,
  )
  if (!held.ok) throw new Error(held.refusal.message)
  t.equal(held.booking.amountMinor, 500, '2 × 1000 - 1500')
  const paid = applyPayment(
    held.event,
    held.booking,
    { activeBookingId: 'b1', promoBookings: [] },
    undefined,
    {
      paymentId: 'p1',
      bookingId: 'b1',
      eventId: 'e1',
      status: 'COMPLETED',
      amountMinor: 500,
      occurredAtMs: NOW,
      ...PAYMENT_STATUS_V1_FIELDS,
    },
    NOW,
    TICKETS,
  )
  const grown = changeSeats(
    paid.event,
    paid.booking,
    undefined,
    command('CHANGE_SEATS', { changeSeats: { bookingId: 'b1', seats: 3 } }),
    NOW,
    TICKETS,
  )
  if (!grown.ok) throw new Error(grown.refusal.message)
  t.match(
    grown.booking,
    { seats: 2, topUp: { seats: 3, amountMinor: 1000, status: 'PENDING' } },
    'the fixed discount was used up',
  )
  t.equal(grown.event.seatsTaken, 3)
  t.equal(paid.event.seatsTaken, 2, 'the input state is not mutated')
  const due = expireHold(grown.event, grown.booking, NOW + 2 * HOUR_MS)
  t.match(due.booking, { seats: 2, status: 'CONFIRMED', topUp: { status: 'EXPIRED' } })
  t.equal(due.event.seatsTaken, 2)
})

t.test('fewer seats refund the share of the paid seat value; the rest is the retained fee', async (t) => {
  const { event, booking } = confirmed(publishedEvent(), 3)
  const at = event.startsAtMs - 3 * DAY_MS // 80%
  const fewer = changeSeats(
    event,
    booking,
    undefined,
    command('CHANGE_SEATS', { changeSeats: { bookingId: 'b1', seats: 1 } }),
    at,
    TICKETS,
  )
  if (!fewer.ok) throw new Error(fewer.refusal.message)
  t.match(fewer.booking, { seats: 1, seatsValueMinor: 1000, amountMinor: 1400, refundedMinor: 1600 })
  t.match(
    fewer.outputs.filter((o) => o.to === 'refund-requests').map((o) => o.value),
    [{ refundId: 'b1:refund:0', paymentId: 'p1', amountMinor: 1600, reason: 'SEATS_REDUCED' }],
  )
})

t.test('RECONFIRM: only for a booking made before the latest schedule change, once', async (t) => {
  const { event, booking } = confirmed(publishedEvent(), 1)
  const reconfirm = command('RECONFIRM', { reconfirm: { bookingId: 'b1' } })
  t.match(reconfirmBooking(event, booking, reconfirm, NOW), {
    ok: false,
    refusal: { reasonCode: 'RECONFIRMATION_NOT_REQUIRED' },
  })
  const rescheduled: EventState = { ...event, lastRescheduledAtMs: NOW + 1000 }
  const done = reconfirmBooking(rescheduled, booking, reconfirm, NOW + 2000)
  if (!done.ok) throw new Error(done.refusal.message)
  t.same(done.booking.reconfirmation, { scheduleChangedAtMs: NOW + 1000, atMs: NOW + 2000 })
  t.equal(done.event, rescheduled, 'the event is unchanged')
  t.match(reconfirmBooking(rescheduled, done.booking, reconfirm, NOW + 3000), {
    ok: false,
    refusal: { reasonCode: 'RECONFIRMATION_NOT_REQUIRED' },
  })
  t.ok(
    reconfirmBooking({ ...rescheduled, lastRescheduledAtMs: NOW + 4000 }, done.booking, reconfirm, NOW + 5000)
      .ok,
    'a later change asks again',
  )
  t.match(reconfirmBooking(rescheduled, booking, reconfirm, rescheduled.startsAtMs), {
    ok: false,
    refusal: { reasonCode: 'INVALID_BOOKING_STATE' },
  })
})
