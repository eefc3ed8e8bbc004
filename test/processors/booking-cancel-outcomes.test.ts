// CANCEL and the cancel of an event, decided by processors/booking-cancel.ts, and the refunds of
// processors/booking-refunds.ts: refusal codes and messages, the user's notice, the refund reason, and
// refunds spread over the charges.
import t from 'tap'
import type { CancelBooking } from '../../avro/index.ts'
import { cancelBooking, cancelForEvent } from '../../processors/booking-cancel.ts'
import { refundCharges, refundWholePayment } from '../../processors/booking-refunds.ts'
import { TIMER_CAUSE } from '../../processors/ledger-outputs.ts'
import { DAY_MS } from '../../processors/ledger-state.ts'
import {
  bookingCommand,
  confirmedBooking,
  NOW,
  paymentStatus,
  publishedEvent,
  stdOption,
} from './ledger-fixtures.ts'

const event = publishedEvent({ capacity: 10, seatsTaken: 4, priceOptions: [stdOption(10, 4)] })
const LATER = NOW + 1000

const cancel = (input: Partial<CancelBooking> | null, actor?: Parameters<typeof bookingCommand>[2]) =>
  bookingCommand(
    'CANCEL',
    { cancel: input === null ? null : { bookingId: 'b1', reason: null, forceMajeure: false, ...input } },
    actor,
  )

t.test('refusals with their codes and messages', async (t) => {
  const refusal = (...args: Parameters<typeof cancelBooking>) => {
    const decision = cancelBooking(...args)
    return decision.ok ? 'granted' : decision.refusal
  }
  t.same(refusal(event, confirmedBooking(), cancel(null), LATER), {
    reasonCode: 'VALIDATION_FAILED',
    message: 'CANCEL needs the cancel payload',
  })
  t.same(refusal(event, undefined, cancel({}), LATER), {
    reasonCode: 'BOOKING_NOT_FOUND',
    message: 'no booking b1',
  })
  t.same(refusal(event, confirmedBooking(), cancel({ forceMajeure: true }), LATER), {
    reasonCode: 'FORBIDDEN',
    message: 'only an admin cancels for force majeure',
  })
  t.same(refusal(event, confirmedBooking({ status: 'EXPIRED' }), cancel({}), LATER), {
    reasonCode: 'INVALID_BOOKING_STATE',
    message: 'booking is EXPIRED',
  })
  t.same(refusal(event, confirmedBooking(), cancel({}), event.startsAtMs), {
    reasonCode: 'INVALID_BOOKING_STATE',
    message: 'the event has started',
  })
})

t.test('a user cancel refunds by the policy with its notice and message', async (t) => {
  const decision = cancelBooking(event, confirmedBooking(), cancel({}), LATER)
  if (!decision.ok) throw new Error(decision.refusal.message)
  t.equal(decision.message, 'booking canceled, refund 4000')
  t.equal(decision.outputs.length, 3)
  t.strictSame(decision.outputs[1], {
    to: 'notifications',
    value: {
      dedupKey: 'booking.canceled:b1',
      recipientUserId: 'u1',
      templateKey: 'booking.canceled',
      locale: event.locale,
      params: { eventId: 'e1', eventTitle: 'Sailing', bookingId: 'b1', refundMinor: '4000' },
      eventId: 'e1',
      createdAtMs: LATER,
    },
  })
  t.match(decision.outputs[2], {
    to: 'refund-requests',
    value: { reason: 'USER_CANCELED', amountMinor: 4000 },
  })
})

t.test('the refund reason after a reschedule: the user’s own cancel only', async (t) => {
  const moved = { ...event, lastRescheduledAtMs: NOW + 10 }
  const own = cancelBooking(moved, confirmedBooking(), cancel({}), LATER)
  t.match(own, { ok: true, outputs: [{}, {}, { value: { reason: 'RESCHEDULE_CANCELED' } }] })
  const byOrganizer = cancelBooking(
    moved,
    confirmedBooking(),
    cancel({}, { userId: 'org', role: 'ORGANIZER' }),
    LATER,
  )
  t.match(byOrganizer, { ok: true, outputs: [{}, {}, { value: { reason: 'USER_CANCELED' } }] })
})

t.test(
  'an event cancel: an ended booking is unchanged, an active one refunded with its notice',
  async (t) => {
    t.strictSame(cancelForEvent(event, confirmedBooking({ status: 'CANCELED' }), TIMER_CAUSE, LATER), {
      event,
      booking: undefined,
      outputs: [],
    })
    const effect = cancelForEvent(event, confirmedBooking(), TIMER_CAUSE, LATER)
    t.match(effect.booking, { status: 'CANCELED', endCause: 'EVENT_CANCELED', refundedMinor: 4000 })
    t.strictSame(effect.outputs[1], {
      to: 'notifications',
      value: {
        dedupKey: 'event.canceled:e1:b1',
        recipientUserId: 'u1',
        templateKey: 'event.canceled',
        locale: event.locale,
        params: { eventId: 'e1', eventTitle: 'Sailing', bookingId: 'b1', refundMinor: '4000' },
        eventId: 'e1',
        createdAtMs: LATER,
      },
    })
  },
)

t.test('refundCharges: newest charge first, never more than the charges hold', async (t) => {
  const booking = confirmedBooking({
    paidMinor: 6000,
    charges: [
      { paymentId: 'p1', amountMinor: 4000, refundedMinor: 0 },
      { paymentId: 'p2', amountMinor: 2000, refundedMinor: 500 },
    ],
    refundedMinor: 500,
  })
  const all = refundCharges(booking, 9000, 'EVENT_CANCELED', TIMER_CAUSE, LATER)
  t.equal(all.refundMinor, 5500)
  t.strictSame(all.booking.charges, [
    { paymentId: 'p1', amountMinor: 4000, refundedMinor: 4000 },
    { paymentId: 'p2', amountMinor: 2000, refundedMinor: 2000 },
  ])
  t.equal(all.booking.refundedMinor, 6000)
  t.equal(all.booking.refundCount, 2)
  t.match(all.outputs, [
    { to: 'refund-requests', value: { paymentId: 'p2', amountMinor: 1500, refundId: 'b1:refund:0' } },
    { to: 'refund-requests', value: { paymentId: 'p1', amountMinor: 4000, refundId: 'b1:refund:1' } },
  ])
  t.equal(all.outputs.length, 2)
  const part = refundCharges(booking, 1000, 'SEATS_REDUCED', TIMER_CAUSE, LATER)
  t.equal(part.refundMinor, 1000)
  t.equal(part.outputs.length, 1)
})

t.test('refundWholePayment: the user is told why, with the amount', async (t) => {
  const effect = refundWholePayment(
    event,
    confirmedBooking(),
    paymentStatus('p2', 'COMPLETED', 700),
    'DUPLICATE_PAYMENT',
    'DUPLICATE_BOOKING',
    LATER + DAY_MS,
  )
  t.strictSame(effect.outputs[2], {
    to: 'notifications',
    value: {
      dedupKey: 'payment.refunded:b1:p2',
      recipientUserId: 'u1',
      templateKey: 'payment.refunded',
      locale: event.locale,
      params: {
        eventId: 'e1',
        eventTitle: 'Sailing',
        bookingId: 'b1',
        refundMinor: '700',
        reasonCode: 'DUPLICATE_BOOKING',
      },
      eventId: 'e1',
      createdAtMs: LATER + DAY_MS,
    },
  })
})
