import t from 'tap'
import { expireHold } from '../../processors/hold-expiry.ts'
import { bookingFact, TIMER_CAUSE } from '../../processors/ledger-outputs.ts'
import { heldBooking, NOW, publishedEvent, stdOption } from './ledger-fixtures.ts'

const DUE = NOW + 15 * 60_000

const notice = (templateKey: string, dedupKey: string, params: Record<string, string>) => ({
  to: 'notifications',
  value: {
    dedupKey,
    recipientUserId: 'u1',
    templateKey,
    locale: 'ru-RU',
    params: { eventId: 'e1', eventTitle: 'Sailing', ...params },
    eventId: 'e1',
    createdAtMs: DUE,
  },
})

t.test('an unpaid hold expires at its due time: EXPIRED, seats freed, fact and notice', async (t) => {
  const event = publishedEvent({ priceOptions: [stdOption(3, 2)] })
  const booking = heldBooking({ holdExpiresAtMs: DUE })
  t.strictSame(expireHold(event, booking, DUE - 1), { event, booking: undefined, outputs: [] }, 'not yet due')
  const effect = expireHold(event, booking, DUE)
  t.equal(effect.booking?.status, 'EXPIRED')
  t.equal(effect.booking?.endCause, 'EXPIRED')
  t.equal(effect.event.priceOptions[0]?.taken, 0)
  t.strictSame(effect.outputs, [
    bookingFact(effect.event, effect.booking!, 'EXPIRED', TIMER_CAUSE, DUE),
    notice('booking.expired', 'booking.expired:b1', { bookingId: 'b1' }),
  ])
})

t.test('an unpaid top-up of a CONFIRMED booking frees only its extra seats', async (t) => {
  const event = publishedEvent({ priceOptions: [stdOption(3, 3)] })
  const booking = heldBooking({
    status: 'CONFIRMED',
    paidMinor: 2000,
    holdExpiresAtMs: null,
    topUp: {
      seats: 3,
      amountMinor: 1000,
      holdExpiresAtMs: DUE,
      requestId: 'r7',
      paymentId: null,
      status: 'PENDING',
    },
  })
  const effect = expireHold(event, booking, DUE)
  t.equal(effect.booking?.status, 'CONFIRMED')
  t.equal(effect.booking?.seats, 2)
  t.equal(effect.booking?.topUp?.status, 'EXPIRED')
  t.equal(effect.event.priceOptions[0]?.taken, 2)
  t.strictSame(effect.outputs, [
    bookingFact(effect.event, effect.booking!, 'SEATS_CHANGE_RELEASED', TIMER_CAUSE, DUE, {
      reasonCode: 'EXPIRED',
    }),
    notice('booking.seats_change_expired', 'booking.seats_change_expired:b1:r7', {
      bookingId: 'b1',
      seats: '2',
    }),
  ])
})

t.test('a CONFIRMED booking with no pending top-up has no hold to expire', async (t) => {
  const event = publishedEvent()
  const booking = heldBooking({ status: 'CONFIRMED', holdExpiresAtMs: DUE })
  t.strictSame(expireHold(event, booking, DUE + 1), { event, booking: undefined, outputs: [] })
})
