import t from 'tap'
import type { PaymentStatusChanged } from '../../avro/index.ts'
import { bookingFact, TIMER_CAUSE } from '../../processors/ledger-outputs.ts'
import {
  PAYMENT_STATUS_V1_FIELDS,
  refundForeignCurrency,
  refundUnknownBooking,
  withOverpaymentRefunded,
} from '../../processors/payment-checks.ts'
import { heldBooking, NOW, publishedEvent } from './ledger-fixtures.ts'

const AT = NOW + 60_000

const payment = (overrides: Partial<PaymentStatusChanged> = {}): PaymentStatusChanged => ({
  paymentId: 'p1',
  bookingId: 'b1',
  eventId: 'e1',
  status: 'COMPLETED',
  amountMinor: 2500,
  occurredAtMs: AT,
  ...PAYMENT_STATUS_V1_FIELDS,
  ...overrides,
})

const notice = (dedupKey: string, params: Record<string, string>) => ({
  to: 'notifications',
  value: {
    dedupKey,
    recipientUserId: 'u1',
    templateKey: 'payment.refunded',
    locale: 'ru-RU',
    params: { eventId: 'e1', eventTitle: 'Sailing', ...params },
    eventId: 'e1',
    createdAtMs: AT,
  },
})

t.test('a payment in another currency: counted once, refunded whole in its currency', async (t) => {
  const event = publishedEvent()
  const booking = heldBooking({ refundCount: 2, settledPaymentIds: ['p0'] })
  const effect = refundForeignCurrency(event, booking, payment({ currency: 'EUR' }), AT)
  const refused = { ...booking, settledPaymentIds: ['p0', 'p1'], refundCount: 3, updatedAtMs: AT }
  t.strictSame(effect.event, event)
  t.strictSame(effect.booking, refused)
  t.strictSame(effect.outputs, [
    bookingFact(event, refused, 'LATE_PAYMENT_REFUNDED', TIMER_CAUSE, AT, { reasonCode: 'WRONG_CURRENCY' }),
    {
      to: 'refund-requests',
      value: {
        refundId: 'b1:refund:2',
        eventId: 'e1',
        bookingId: 'b1',
        userId: 'u1',
        paymentId: 'p1',
        amountMinor: 2500,
        reason: 'WRONG_CURRENCY',
        requestId: null,
        requestedAtMs: AT,
        currency: 'EUR',
        attempt: 1,
      },
    },
    notice('payment.refunded:b1:p1', {
      bookingId: 'b1',
      refundMinor: '2500',
      currency: 'EUR',
      reasonCode: 'WRONG_CURRENCY',
    }),
  ])
  t.equal((effect.outputs[0]?.value as { reasonCode: unknown }).reasonCode, 'WRONG_CURRENCY')
  const again = refundForeignCurrency(event, refused, payment({ currency: 'EUR' }), AT)
  t.strictSame(again, { event, booking: undefined, outputs: [] }, 'a redelivery is a no-op')
})

t.test(
  'an overpayment: the excess is refunded and counted, only this booking’s fact carries it',
  async (t) => {
    const event = publishedEvent()
    const booking = heldBooking({ status: 'CONFIRMED', paidMinor: 2500, refundedMinor: 100, refundCount: 1 })
    const own = bookingFact(event, booking, 'CONFIRMED', TIMER_CAUSE, AT)
    const other = bookingFact(event, { ...booking, bookingId: 'b2' }, 'CONFIRMED', TIMER_CAUSE, AT)
    const effect = withOverpaymentRefunded({ event, booking, outputs: [own, other] }, 2000, payment(), AT)
    t.strictSame(effect.booking, { ...booking, refundedMinor: 600, refundCount: 2 })
    t.strictSame(effect.outputs, [
      { to: 'booking-events', value: { ...own.value, refundMinor: 500, reasonCode: 'OVERPAID' } },
      other,
      {
        to: 'refund-requests',
        value: {
          refundId: 'b1:refund:1',
          eventId: 'e1',
          bookingId: 'b1',
          userId: 'u1',
          paymentId: 'p1',
          amountMinor: 500,
          reason: 'OVERPAID',
          requestId: null,
          requestedAtMs: AT,
          currency: 'RUB',
          attempt: 1,
        },
      },
      notice('payment.refunded:b1:p1', { bookingId: 'b1', refundMinor: '500', reasonCode: 'OVERPAID' }),
    ])
    t.equal((other.value as { refundMinor: unknown }).refundMinor, 0)
    const exact = { event, booking, outputs: [own] }
    t.equal(withOverpaymentRefunded(exact, 2500, payment(), AT), exact, 'an exact payment: as it was')
  },
)

t.test('a payment for a booking never held goes back whole', async (t) => {
  const event = publishedEvent()
  t.strictSame(refundUnknownBooking(event, payment({ bookingId: 'bx', currency: 'USD' }), AT), {
    event,
    booking: undefined,
    outputs: [
      {
        to: 'refund-requests',
        value: {
          refundId: 'bx:refund:p1',
          eventId: 'e1',
          bookingId: 'bx',
          userId: null,
          paymentId: 'p1',
          amountMinor: 2500,
          reason: 'UNKNOWN_BOOKING',
          requestId: null,
          requestedAtMs: AT,
          currency: 'USD',
          attempt: 1,
        },
      },
    ],
  })
})
