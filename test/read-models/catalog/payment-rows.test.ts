// The payments and refunds rows come from three topics with no order between them (payment requests,
// refund requests, payment statuses) and from repeated reports: whatever order the records are applied in,
// the rows end the same (fast-check over permutations, each applied in a transaction rolled back after).
import fc from 'fast-check'
import t from 'tap'
import type { PaymentRequest, PaymentStatusChanged, RefundRequest } from '../../../avro/index.ts'
import { PAYMENT_STATUS_V1_FIELDS } from '../../../processors/index.ts'
import { openReadModel } from '../../../read-models/catalog/index.ts'
import {
  applyPaymentRequests,
  applyPaymentStatuses,
  applyRefundRequests,
} from '../../../read-models/catalog/payment-applier.ts'
import type { Queryable } from '../../../read-models/catalog/db.ts'
import { dbOf } from './support.ts'

const model = await openReadModel()
t.teardown(() => model.close())
const db = dbOf(model)

const T = Date.UTC(2026, 11, 1)
const base = { bookingId: 'b1', eventId: 'e1' }
const request: PaymentRequest = {
  ...base,
  paymentId: 'p1',
  userId: 'u1',
  amountMinor: 500_000,
  currency: 'RUB',
  returnUrl: 'https://example.test/back',
  idempotencyKey: 'p1',
  requestId: 'r1',
  requestedAtMs: T,
}
const status = (s: PaymentStatusChanged['status'], atMs: number, extra: Partial<PaymentStatusChanged> = {}) =>
  ({
    ...base,
    paymentId: 'p1',
    status: s,
    amountMinor: 500_000,
    occurredAtMs: atMs,
    ...PAYMENT_STATUS_V1_FIELDS,
    ...extra,
  }) as PaymentStatusChanged
const refund = (attempt: number, atMs: number): RefundRequest => ({
  ...base,
  refundId: 'b1:refund:0',
  userId: 'u1',
  paymentId: 'p1',
  amountMinor: 200_000,
  reason: 'USER_CANCELED',
  requestId: 'r2',
  requestedAtMs: atMs,
  currency: 'RUB',
  attempt,
})
const refundStatus = (s: 'FAILED' | 'PARTIAL_REFUND', attempt: number, atMs: number) =>
  status(s, atMs, {
    amountMinor: 200_000,
    refundId: 'b1:refund:0',
    refundAttempt: attempt,
    failureReason: s === 'FAILED' ? `down ${attempt}` : null,
  })

type Item =
  | { kind: 'payment'; value: PaymentRequest }
  | { kind: 'refund'; value: RefundRequest }
  | { kind: 'status'; value: PaymentStatusChanged }
const items: Item[] = [
  { kind: 'payment', value: request },
  { kind: 'status', value: status('INITIATED', T + 1, { confirmationUrl: 'https://pay.test/p1' }) },
  { kind: 'status', value: status('COMPLETED', T + 2, { amountMinor: 520_000 }) },
  { kind: 'status', value: status('INITIATED', T + 9, { confirmationUrl: 'https://pay.test/p1' }) },
  { kind: 'refund', value: refund(1, T + 3) },
  { kind: 'status', value: refundStatus('FAILED', 1, T + 4) },
  { kind: 'refund', value: refund(2, T + 5) },
  { kind: 'status', value: refundStatus('FAILED', 2, T + 6) },
  { kind: 'refund', value: refund(3, T + 7) },
  { kind: 'status', value: refundStatus('PARTIAL_REFUND', 3, T + 8) },
  { kind: 'status', value: refundStatus('FAILED', 1, T + 10) },
]

const ROLLBACK = new Error('rollback')
async function rowsAfter(order: readonly Item[]): Promise<unknown> {
  let rows: unknown
  await db
    .transaction(async (tx: Queryable) => {
      for (const item of order) {
        if (item.kind === 'payment') await applyPaymentRequests(tx, [item.value])
        else if (item.kind === 'refund') await applyRefundRequests(tx, [item.value])
        else await applyPaymentStatuses(tx, [item.value])
      }
      rows = JSON.parse(
        JSON.stringify({
          payments: await tx.query('SELECT * FROM payments ORDER BY id'),
          refunds: await tx.query('SELECT * FROM refunds ORDER BY id'),
        }),
      )
      throw ROLLBACK
    })
    .catch((error: unknown) => {
      if (error !== ROLLBACK) throw error
    })
  return rows
}

const inOrder = await rowsAfter(items)

t.test('in log order: the payment COMPLETED as reported, the refund done at its third attempt', async (t) => {
  t.match(inOrder, {
    payments: [
      {
        id: 'p1',
        status: 'COMPLETED',
        amount_minor: 500_000,
        paid_minor: 520_000,
        user_id: 'u1',
        confirmation_url: 'https://pay.test/p1',
        request_id: 'r1',
      },
    ],
    refunds: [
      { id: 'b1:refund:0', status: 'COMPLETED', attempts: 3, reason: 'USER_CANCELED', failure_reason: null },
    ],
  })
})

t.test('any order of the records ends in the same rows', async () => {
  await fc.assert(
    fc.asyncProperty(fc.shuffledSubarray(items, { minLength: items.length }), async (order) => {
      const rows = await rowsAfter(order)
      if (JSON.stringify(rows) !== JSON.stringify(inOrder))
        throw new Error(
          `order ${JSON.stringify(order.map((i) => [i.kind, 'status' in i.value ? i.value.status : '']))} gave ${JSON.stringify(rows)}`,
        )
    }),
    { numRuns: 60 },
  )
})

t.test(
  'a refund whose latest attempt failed shows FAILED with that failure, whatever came before',
  async (t) => {
    const rows = (await rowsAfter([items[7]!, items[4]!, items[6]!, items[5]!])) as { refunds: unknown[] }
    t.match(rows.refunds, [
      { status: 'FAILED', attempts: 2, failure_reason: 'down 2', reason: 'USER_CANCELED' },
    ])
  },
)
