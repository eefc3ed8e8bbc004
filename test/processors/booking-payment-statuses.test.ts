// Payment statuses decided by processors/booking-payment.ts on built booking states: which statuses are
// ignored, INITIATED remembering the payment, FAILED releasing a hold or a top-up (exact outputs), COMPLETED
// on a top-up and late payments retaking their seats.
import t from 'tap'
import type { PaymentStatusChanged } from '../../avro/index.ts'
import { applyPayment } from '../../processors/booking-payment.ts'
import type { BookingState, EventState } from '../../processors/ledger-state.ts'
import type { UserBookings } from '../../processors/ledger-stores.ts'
import {
  confirmedBooking,
  heldBooking,
  NOW,
  paymentStatus,
  pendingTopUpOf,
  publishedEvent,
  stdOption,
  TICKETS,
} from './ledger-fixtures.ts'

const LATER = NOW + 1000
const event = publishedEvent({ capacity: 10, seatsTaken: 4, priceOptions: [stdOption(10, 4)] })

const apply = (
  booking: BookingState | undefined,
  payment: PaymentStatusChanged,
  user?: UserBookings,
  e: EventState = event,
) => applyPayment(e, booking, user, undefined, payment, LATER, TICKETS)

const unchangedEffect = { event, booking: undefined, outputs: [] }

t.test('a refund status, and statuses of refunds, change nothing', async (t) => {
  const refundStatus = paymentStatus('p1', 'COMPLETED', 2000, { refundId: 'rf1' })
  t.strictSame(apply(heldBooking(), refundStatus), unchangedEffect)
  t.strictSame(apply(undefined, refundStatus), unchangedEffect)
  t.strictSame(apply(heldBooking(), paymentStatus('p1', 'REFUNDED', 2000)), unchangedEffect)
  t.strictSame(apply(heldBooking(), paymentStatus('p1', 'PARTIAL_REFUND', 500)), unchangedEffect)
})

t.test('an unknown booking: COMPLETED is refunded, other statuses are ignored', async (t) => {
  const completed = apply(undefined, paymentStatus('p1', 'COMPLETED', 2000))
  t.equal(completed.booking, undefined)
  t.match(completed.outputs, [
    { to: 'refund-requests', value: { reason: 'UNKNOWN_BOOKING', amountMinor: 2000 } },
  ])
  t.strictSame(apply(undefined, paymentStatus('p1', 'FAILED', 2000)), unchangedEffect)
  t.strictSame(apply(undefined, paymentStatus('p1', 'INITIATED', 2000)), unchangedEffect)
})

t.test('INITIATED remembers the payment of a hold once', async (t) => {
  const started = apply(heldBooking(), paymentStatus('p1', 'INITIATED', 2000))
  t.strictSame(started, { event, booking: heldBooking({ paymentId: 'p1', updatedAtMs: LATER }), outputs: [] })
  t.strictSame(
    apply(heldBooking({ paymentId: 'p1' }), paymentStatus('p1', 'INITIATED', 2000)),
    unchangedEffect,
  )
  const canceled = heldBooking({ status: 'CANCELED', endCause: 'USER_CANCELED' })
  t.strictSame(apply(canceled, paymentStatus('p1', 'INITIATED', 2000)), unchangedEffect)
  t.strictSame(apply(confirmedBooking(), paymentStatus('p2', 'INITIATED', 2000)), unchangedEffect)
})

t.test('INITIATED remembers the payment of a pending top-up, not a settled one', async (t) => {
  const booking = confirmedBooking({ topUp: pendingTopUpOf() })
  t.strictSame(apply(booking, paymentStatus('p2', 'INITIATED', 2000)), {
    event,
    booking: { ...booking, topUp: pendingTopUpOf({ paymentId: 'p2' }), updatedAtMs: LATER },
    outputs: [],
  })
  const started = confirmedBooking({ topUp: pendingTopUpOf({ paymentId: 'p2' }) })
  t.strictSame(apply(started, paymentStatus('p2', 'INITIATED', 2000)), unchangedEffect)
  t.strictSame(apply(booking, paymentStatus('p1', 'INITIATED', 2000)), unchangedEffect, 'p1 paid the booking')
})

t.test('FAILED ends the hold it was for, whatever its currency, with exact outputs', async (t) => {
  const held = heldBooking({ paymentId: 'p1' })
  const heldEvent = publishedEvent({ seatsTaken: 2, priceOptions: [stdOption(3, 2)] })
  const failed = apply(held, paymentStatus('p1', 'FAILED', 2000, { currency: 'USD' }), undefined, heldEvent)
  const ended = {
    ...held,
    status: 'CANCELED',
    endCause: 'PAYMENT_FAILED',
    holdExpiresAtMs: null,
    updatedAtMs: LATER,
  }
  t.strictSame(failed.booking, ended)
  t.strictSame(failed.event, { ...heldEvent, seatsTaken: 0, priceOptions: [stdOption(3, 0)] })
  t.equal(failed.outputs.length, 2)
  t.match(failed.outputs[0], {
    to: 'booking-events',
    value: { type: 'PAYMENT_FAILED', status: 'CANCELED', reasonCode: 'PAYMENT_FAILED', requestId: null },
  })
  t.strictSame(failed.outputs[1], {
    to: 'notifications',
    value: {
      dedupKey: 'payment.failed:b1:p1',
      recipientUserId: 'u1',
      templateKey: 'payment.failed',
      locale: heldEvent.locale,
      params: { eventId: 'e1', eventTitle: 'Sailing', bookingId: 'b1' },
      eventId: 'e1',
      createdAtMs: LATER,
    },
  })
})

t.test('FAILED of a top-up payment releases its seats, with exact outputs', async (t) => {
  const booking = confirmedBooking({ topUp: pendingTopUpOf({ paymentId: 'p2' }) })
  const withTopUp = publishedEvent({ capacity: 10, seatsTaken: 6, priceOptions: [stdOption(10, 6)] })
  const failed = apply(booking, paymentStatus('p2', 'FAILED', 2000), undefined, withTopUp)
  t.strictSame(failed.booking, {
    ...booking,
    topUp: pendingTopUpOf({ paymentId: 'p2', status: 'PAYMENT_FAILED' }),
    updatedAtMs: LATER,
  })
  t.strictSame(failed.event, event)
  t.equal(failed.outputs.length, 2)
  t.match(failed.outputs[0], {
    value: { type: 'SEATS_CHANGE_RELEASED', seats: 4, reasonCode: 'PAYMENT_FAILED', requestId: null },
  })
  t.strictSame(failed.outputs[1], {
    to: 'notifications',
    value: {
      dedupKey: 'payment.failed:b1:p2',
      recipientUserId: 'u1',
      templateKey: 'payment.failed',
      locale: event.locale,
      params: { eventId: 'e1', eventTitle: 'Sailing', bookingId: 'b1', seats: '4' },
      eventId: 'e1',
      createdAtMs: LATER,
    },
  })
})

t.test('COMPLETED of a top-up keeps the confirming payment as the booking payment', async (t) => {
  const booking = confirmedBooking({ topUp: pendingTopUpOf({ paymentId: 'p2' }) })
  const paid = apply(booking, paymentStatus('p2', 'COMPLETED', 2000))
  t.match(paid.booking, {
    seats: 6,
    paymentId: 'p1',
    paidMinor: 6000,
    amountMinor: 6000,
    settledPaymentIds: ['p1', 'p2'],
  })
})

t.test('COMPLETED of a hold confirms it', async (t) => {
  const paid = apply(heldBooking({ paymentId: 'p1' }), paymentStatus('p1', 'COMPLETED', 2000))
  t.match(paid.booking, { status: 'CONFIRMED', paymentId: 'p1', paidMinor: 2000, amountMinor: 2000 })
})

const expired = (overrides: Partial<BookingState> = {}) =>
  heldBooking({ status: 'EXPIRED', endCause: 'EXPIRED', holdExpiresAtMs: null, ...overrides })

const promo = {
  code: 'A',
  kind: 'PERCENTAGE' as const,
  value: 10,
  usageLimit: 1,
  used: 1,
  validFromMs: null,
  validUntilMs: NOW + 100 * 24 * 3600_000,
  active: true,
  maxUsesPerUser: null,
  cancelReturnsUse: false,
}

t.test('a late payment retakes the seats when the user has no other active booking', async (t) => {
  const late = apply(expired(), paymentStatus('p1', 'COMPLETED', 2000), {
    activeBookingId: 'b1',
    promoBookings: [],
  })
  t.match(late.booking, { status: 'CONFIRMED', endCause: null })
  t.equal(late.event.seatsTaken, 6)
  const other = apply(expired(), paymentStatus('p1', 'COMPLETED', 2000), {
    activeBookingId: 'b9',
    promoBookings: [],
  })
  t.match(other.outputs[0], { value: { type: 'LATE_PAYMENT_REFUNDED', reasonCode: 'DUPLICATE_BOOKING' } })
})

t.test('a late payment with a promo code: its own code, no per-user limit', async (t) => {
  const withPromos = publishedEvent({
    capacity: 10,
    seatsTaken: 4,
    priceOptions: [stdOption(10, 4)],
    promoCodes: [promo, { ...promo, code: 'B', used: 0 }],
  })
  const booking = expired({ promoCode: 'B', amountMinor: 1800 })
  const late = apply(booking, paymentStatus('p1', 'COMPLETED', 1800), undefined, withPromos)
  t.match(late.booking, { status: 'CONFIRMED', promoCode: 'B' })
  t.same(
    late.event.promoCodes.map((p) => p.used),
    [1, 1],
  )
  const exhausted = apply(
    { ...booking, promoCode: 'A' },
    paymentStatus('p1', 'COMPLETED', 1800),
    undefined,
    withPromos,
  )
  t.match(exhausted.outputs[0], { value: { reasonCode: 'PROMO_EXHAUSTED' } })
})

t.test(
  'a stray payment of a canceled booking whose top-up was withdrawn: refunded for what it is',
  async (t) => {
    // Confirmed by p1, a top-up asked and its payment p-top started, then the booking canceled (the top-up
    // WITHDRAWN): p-top is late, while another payment p2 short of the amount is an underpayment.
    const canceled = confirmedBooking({
      status: 'CANCELED',
      endCause: 'USER_CANCELED',
      topUp: pendingTopUpOf({ paymentId: 'p-top', status: 'WITHDRAWN' }),
    })
    const refund = (payment: PaymentStatusChanged) => {
      const effect = apply(canceled, payment)
      t.equal(effect.event, event, 'the seats stay released')
      return [effect.outputs[0]?.value, effect.outputs[1]?.value]
    }
    t.match(refund(paymentStatus('p2', 'COMPLETED', 500)), [
      { type: 'LATE_PAYMENT_REFUNDED', refundMinor: 500, reasonCode: 'VALIDATION_FAILED' },
      { reason: 'UNDERPAID', amountMinor: 500, paymentId: 'p2' },
    ])
    t.match(refund(paymentStatus('p-top', 'COMPLETED', 500)), [
      { type: 'LATE_PAYMENT_REFUNDED', refundMinor: 500, reasonCode: 'INVALID_BOOKING_STATE' },
      { reason: 'LATE_PAYMENT', amountMinor: 500, paymentId: 'p-top' },
    ])
  },
)

t.test(
  'a late payment with a promo code limited per user: the other bookings of the user count up to the limit',
  async (t) => {
    const limited = { ...promo, code: 'L', usageLimit: 10, used: 0, maxUsesPerUser: 2 }
    const withLimit = publishedEvent({
      capacity: 10,
      seatsTaken: 4,
      priceOptions: [stdOption(10, 4)],
      promoCodes: [limited],
    })
    const booking = expired({ promoCode: 'L', amountMinor: 1800 })
    // Canceled after their tickets were issued with the code: each keeps its use (no cancelReturnsUse).
    const otherUse = (bookingId: string) =>
      confirmedBooking({ bookingId, promoCode: 'L', status: 'CANCELED', endCause: 'USER_CANCELED' })
    const late = (others: readonly BookingState[]) =>
      apply(
        booking,
        paymentStatus('p1', 'COMPLETED', 1800),
        { activeBookingId: undefined, promoBookings: [booking, ...others] },
        withLimit,
      )
    const oneOther = late([otherUse('b7')])
    t.match(oneOther.booking, { status: 'CONFIRMED', promoCode: 'L' })
    t.equal(oneOther.event.promoCodes[0]?.used, 1)
    const atLimit = late([otherUse('b7'), otherUse('b8')])
    t.match(atLimit.booking, { status: 'EXPIRED' })
    t.match(atLimit.outputs[0], { value: { type: 'LATE_PAYMENT_REFUNDED', reasonCode: 'PROMO_USER_LIMIT' } })
    t.equal(atLimit.event, withLimit, 'no seat and no use taken')
  },
)
