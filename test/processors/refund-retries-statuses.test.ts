import t from 'tap'
import type { PaymentStatusChanged, RefundRequest } from '../../avro/index.ts'
import {
  dueRefundRetry,
  MAX_REFUND_ATTEMPTS,
  refundStatusLanded,
  trackRefund,
  type TrackedRefund,
} from '../../processors/refund-retries.ts'
import { NOW } from './ledger-fixtures.ts'

const request = (attempt: number): RefundRequest => ({
  refundId: 'b1:refund:0',
  eventId: 'e1',
  bookingId: 'b1',
  userId: 'u1',
  paymentId: 'p1',
  amountMinor: 500,
  reason: 'OVERPAID',
  requestId: null,
  requestedAtMs: NOW,
  currency: 'RUB',
  attempt,
})

const status = (s: PaymentStatusChanged['status'], refundAttempt: number | null): PaymentStatusChanged => ({
  paymentId: 'p1',
  bookingId: 'b1',
  eventId: 'e1',
  status: s,
  amountMinor: 500,
  occurredAtMs: NOW,
  currency: null,
  confirmationUrl: null,
  refundId: 'b1:refund:0',
  refundAttempt,
  failureReason: null,
})

t.test('a completed refund leaves the retries, whether or not its status names the attempt', async (t) => {
  const tracked = trackRefund(request(2))
  t.equal(refundStatusLanded(tracked, status('REFUNDED', null), NOW), null)
  t.equal(refundStatusLanded(tracked, status('PARTIAL_REFUND', 2), NOW), null)
  t.equal(refundStatusLanded(tracked, status('REFUNDED', 1), NOW), undefined, 'another attempt: nothing')
})

t.test('a refund not under way (untracked, or FAILED waiting for its retry) ignores statuses', async (t) => {
  const failed: TrackedRefund = { request: request(1), status: 'FAILED', retryAtMs: NOW + 30_000 }
  t.equal(refundStatusLanded(undefined, status('REFUNDED', null), NOW), undefined)
  t.equal(refundStatusLanded(failed, status('REFUNDED', null), NOW), undefined)
  t.equal(refundStatusLanded(failed, status('FAILED', 1), NOW), undefined)
})

t.test('a status that is neither done nor failed changes nothing', async (t) => {
  const tracked = trackRefund(request(1))
  t.equal(refundStatusLanded(tracked, status('INITIATED', 1), NOW), undefined)
  t.equal(refundStatusLanded(tracked, status('COMPLETED', null), NOW), undefined)
})

t.test('a FAILED attempt is retried after its delay, the last one is dropped', async (t) => {
  const failed = refundStatusLanded(trackRefund(request(1)), status('FAILED', 1), NOW)
  t.strictSame(failed, { request: request(1), status: 'FAILED', retryAtMs: NOW + 30_000 })
  t.equal(dueRefundRetry(failed!, NOW + 29_999), undefined)
  t.strictSame(dueRefundRetry(failed!, NOW + 30_000), {
    to: 'refund-requests',
    value: { ...request(1), attempt: 2, requestedAtMs: NOW + 30_000 },
  })
  t.equal(dueRefundRetry(trackRefund(request(1)), NOW + 60_000), undefined, 'under way: no retry')
  const last = trackRefund(request(MAX_REFUND_ATTEMPTS))
  t.equal(refundStatusLanded(last, status('FAILED', MAX_REFUND_ATTEMPTS), NOW), null)
})
