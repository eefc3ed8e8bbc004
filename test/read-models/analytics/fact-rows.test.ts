// Which decoded values are facts of the analytics tables: refund statuses are no payments, and a refund
// asked again after a failed attempt is counted once.
import t from 'tap'
import type { PaymentStatusChanged, RefundRequest } from '../../../avro/index.ts'
import { PAYMENT_STATUS_V1_FIELDS } from '../../../processors/index.ts'
import { isFactOf } from '../../../read-models/analytics/fact-rows.ts'

const status: PaymentStatusChanged = {
  paymentId: 'p1',
  bookingId: 'b1',
  eventId: 'e1',
  status: 'FAILED',
  amountMinor: 100,
  occurredAtMs: 0,
  ...PAYMENT_STATUS_V1_FIELDS,
}
const refund: RefundRequest = {
  refundId: 'b1:refund:0',
  eventId: 'e1',
  bookingId: 'b1',
  userId: 'u1',
  paymentId: 'p1',
  amountMinor: 100,
  reason: 'USER_CANCELED',
  requestId: null,
  requestedAtMs: 0,
  currency: 'RUB',
  attempt: 1,
}

t.test('a payment status is a payment fact; a refund status is not', async (t) => {
  t.equal(isFactOf('paymentStatus', status), true)
  t.equal(isFactOf('paymentStatus', { ...status, refundId: 'b1:refund:0', refundAttempt: 1 }), false)
})

t.test("a refund's first request is its fact; its retries are not", async (t) => {
  t.equal(isFactOf('refundRequests', refund), true)
  t.equal(isFactOf('refundRequests', { ...refund, attempt: 2 }), false)
})
