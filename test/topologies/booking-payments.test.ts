// The ledger's money checks and refund follow-up on the TestDriver: an overpayment confirms and the
// difference is refunded (OVERPAID), a payment in another currency confirms nothing and goes back whole
// (WRONG_CURRENCY), and a refund the payment service reports FAILED is asked again with backoff until it is
// done or its attempts run out.
import t from 'tap'
import type { BookingDomainEvent, RefundRequest } from '../../avro/index.ts'
import {
  MAX_REFUND_ATTEMPTS,
  REFUND_RETRY_BASE_DELAY_MS,
  refundRetryDelayMs,
} from '../../processors/index.ts'
import {
  BookingHarness,
  bookingCommand,
  bookingSerdes,
  bookRequest,
  HOUR_MS,
  user,
} from './booking-harness.ts'

async function harness(t: { teardown(fn: () => void): void }): Promise<BookingHarness> {
  const h = new BookingHarness(await bookingSerdes())
  t.teardown(() => h.close())
  h.publishedEvent('e1', { priceMinor: 500_000 })
  return h
}

const facts = (h: BookingHarness): BookingDomainEvent[] =>
  h.bookingEvents.readKeyValuesToList().map(([, v]) => v as BookingDomainEvent)
const refunds = (h: BookingHarness): RefundRequest[] =>
  h.refunds.readKeyValuesToList().map(([, v]) => v as RefundRequest)

t.test('an overpayment confirms the booking and refunds the difference, flagged OVERPAID', async (t) => {
  const h = await harness(t)
  t.ok(h.booking(bookRequest('e1', 'u1', 'b1', 2)).accepted)
  h.drain()
  h.payment('e1', 'b1', 'COMPLETED', 1_300_000, 'pay-1')
  const [confirmed] = facts(h)
  t.match(confirmed, {
    type: 'CONFIRMED',
    status: 'CONFIRMED',
    amountMinor: 1_000_000,
    paidMinor: 1_300_000,
    refundMinor: 300_000,
    reasonCode: 'OVERPAID',
  })
  t.type(confirmed?.ticketCode, 'string', 'confirmed with a ticket')
  t.match(refunds(h), [
    { refundId: 'b1:refund:0', paymentId: 'pay-1', amountMinor: 300_000, reason: 'OVERPAID', attempt: 1 },
  ])
  h.payment('e1', 'b1', 'COMPLETED', 1_300_000, 'pay-1')
  t.same([facts(h), refunds(h)], [[], []], 'a redelivered overpayment is a no-op')

  // A later cancellation by the organizer refunds in full what the booking kept, not the overpayment again.
  const cancel = bookingCommand(
    'e1',
    'CANCEL',
    { cancel: { bookingId: 'b1', reason: null, forceMajeure: false } },
    {
      userId: 'org-1',
      role: 'ORGANIZER',
    },
  )
  t.ok(h.booking(cancel).accepted)
  t.match(facts(h), [{ type: 'CANCELED', refundMinor: 1_000_000 }])
  const back = refunds(h)
  t.equal(
    back.reduce((sum, r) => sum + r.amountMinor, 0),
    1_000_000,
  )
  t.ok(
    back.every((r) => r.refundId !== 'b1:refund:0'),
    'a refund ID is never reused',
  )
})

t.test('an overpaid seat top-up adds the seats at their price and refunds the rest', async (t) => {
  const h = await harness(t)
  t.ok(h.booking(bookRequest('e1', 'u1', 'b1', 1)).accepted)
  h.payment('e1', 'b1', 'COMPLETED', 500_000, 'pay-1')
  const grow = bookingCommand(
    'e1',
    'CHANGE_SEATS',
    { changeSeats: { bookingId: 'b1', seats: 2 } },
    user('u1'),
  )
  t.ok(h.booking(grow).accepted)
  h.drain()
  h.payment('e1', 'b1', 'INITIATED', 500_000, 'pay-2')
  h.payment('e1', 'b1', 'COMPLETED', 600_000, 'pay-2')
  t.match(facts(h), [
    { type: 'SEATS_CHANGED', seats: 2, amountMinor: 1_000_000, refundMinor: 100_000, reasonCode: 'OVERPAID' },
  ])
  t.match(refunds(h), [{ paymentId: 'pay-2', amountMinor: 100_000, reason: 'OVERPAID' }])
})

t.test('a payment in another currency confirms nothing and goes back whole, flagged', async (t) => {
  const h = await harness(t)
  t.ok(h.booking(bookRequest('e1', 'u1', 'b1', 2)).accepted)
  h.drain()
  h.payment('e1', 'b1', 'COMPLETED', 1_000_000, 'pay-usd', { currency: 'USD' })
  t.match(facts(h), [
    {
      type: 'LATE_PAYMENT_REFUNDED',
      status: 'PENDING_PAYMENT',
      paidMinor: 0,
      refundMinor: 0,
      reasonCode: 'WRONG_CURRENCY',
    },
  ])
  t.match(refunds(h), [
    { paymentId: 'pay-usd', amountMinor: 1_000_000, currency: 'USD', reason: 'WRONG_CURRENCY', attempt: 1 },
  ])
  h.payment('e1', 'b1', 'COMPLETED', 1_000_000, 'pay-usd', { currency: 'USD' })
  t.same([facts(h), refunds(h)], [[], []], 'a redelivered foreign payment is a no-op')
  // The hold still waits for a payment in roubles, which confirms it.
  h.payment('e1', 'b1', 'COMPLETED', 1_000_000, 'pay-rub', { currency: 'RUB' })
  t.match(facts(h), [{ type: 'CONFIRMED', paidMinor: 1_000_000, refundMinor: 0, reasonCode: null }])
  t.same(refunds(h), [])
})

t.test('a refund reported FAILED is asked again with backoff until it is done', async (t) => {
  const h = await harness(t)
  t.ok(h.booking(bookRequest('e1', 'u1', 'b1', 1)).accepted)
  h.payment('e1', 'b1', 'COMPLETED', 700_000, 'pay-1')
  const [first] = refunds(h)
  t.match(first, { refundId: 'b1:refund:0', amountMinor: 200_000, attempt: 1 })
  t.match(facts(h), [{ type: 'HELD' }, { type: 'CONFIRMED', refundMinor: 200_000 }])
  const report = (status: 'FAILED' | 'REFUNDED', attempt: number) =>
    h.payment('e1', 'b1', status, 200_000, 'pay-1', {
      refundId: 'b1:refund:0',
      refundAttempt: attempt,
      failureReason: status === 'FAILED' ? 'provider down' : null,
    })
  report('FAILED', 1)
  t.same(facts(h), [], 'a refund status leaves the booking as it is')
  h.driver.advanceWallClockTime(REFUND_RETRY_BASE_DELAY_MS - 1000)
  t.same(refunds(h), [], 'not before the backoff')
  h.driver.advanceWallClockTime(1000)
  t.match(refunds(h), [{ refundId: 'b1:refund:0', amountMinor: 200_000, reason: 'OVERPAID', attempt: 2 }])
  report('FAILED', 1)
  h.driver.advanceWallClockTime(HOUR_MS)
  t.same(refunds(h), [], 'a repeated report of an earlier attempt changes nothing')
  report('FAILED', 2)
  t.equal(refundRetryDelayMs(2), 2 * REFUND_RETRY_BASE_DELAY_MS, 'the delay doubles')
  h.driver.advanceWallClockTime(refundRetryDelayMs(2))
  t.match(refunds(h), [{ refundId: 'b1:refund:0', attempt: 3 }])
  report('REFUNDED', 3)
  report('FAILED', 3)
  h.driver.advanceWallClockTime(2 * HOUR_MS)
  t.same(refunds(h), [], 'done: no retry, whatever is reported after')
})

t.test(`a refund failing ${MAX_REFUND_ATTEMPTS} times is left for an admin`, async (t) => {
  const h = await harness(t)
  t.ok(h.booking(bookRequest('e1', 'u1', 'b1', 1)).accepted)
  h.payment('e1', 'b1', 'COMPLETED', 600_000, 'pay-1')
  const attempts = refunds(h).map((r) => r.attempt)
  for (let attempt = 1; attempt <= MAX_REFUND_ATTEMPTS; attempt++) {
    h.payment('e1', 'b1', 'FAILED', 100_000, 'pay-1', { refundId: 'b1:refund:0', refundAttempt: attempt })
    h.driver.advanceWallClockTime(refundRetryDelayMs(attempt))
    attempts.push(...refunds(h).map((r) => r.attempt))
  }
  t.same(attempts, [1, 2, 3, 4, 5], `asked ${MAX_REFUND_ATTEMPTS} times, no more`)
  h.driver.advanceWallClockTime(24 * HOUR_MS)
  t.same(refunds(h), [])
})

t.test('a FAILED refund status never releases the booking it was for', async (t) => {
  const h = await harness(t)
  t.ok(h.booking(bookRequest('e1', 'u1', 'b1', 1)).accepted)
  h.payment('e1', 'b1', 'INITIATED', 500_000, 'pay-1')
  h.drain()
  // The payment under way failing as a refund (refundId set) is the refund's, not the hold's.
  h.payment('e1', 'b1', 'FAILED', 500_000, 'pay-1', { refundId: 'b1:refund:9', refundAttempt: 1 })
  t.same(facts(h), [])
  h.payment('e1', 'b1', 'COMPLETED', 500_000, 'pay-1')
  t.match(facts(h), [{ type: 'CONFIRMED' }])
})
