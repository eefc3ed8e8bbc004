// Payments and refunds end to end in the embedded mode: the pipeline (timers on a hand-moved clock), the
// read model, the app and the in-process payment service with the sandbox provider. A user books and pays
// through the payment service (confirmed, with a ticket); cancels (the refund fails once, is retried after
// its backoff and completes); an overpayment is confirmed and the difference refunded, flagged; a payment in
// another currency is refused and refunded, flagged; who may read a booking's payments.
import t from 'tap'
import { REFUND_RETRY_BASE_DELAY_MS } from '../../processors/index.ts'
import { ManualClock } from '../../streams/index.ts'
import {
  ADMIN,
  ORGANIZER,
  ORGANIZER2,
  payThroughSandbox,
  publishedEvent,
  startHarness,
  until,
  USER,
  USER2,
  WAIT,
  type Harness,
  type Signed,
} from './api-harness.ts'

const clock = new ManualClock(Date.now())
const h: Harness = await startHarness({ rateLimits: false, clock })
t.teardown(() => h.close())
const eventId = await publishedEvent(h, { priceMinor: 500_000 })

interface Payments {
  payments: {
    id: string
    status: string
    amountMinor: number
    paidMinor: number | null
    paidCurrency: string | null
  }[]
  refunds: {
    id: string
    status: string
    amountMinor: number
    currency: string
    reason: string
    attempts: number
  }[]
}

async function book(as: Signed, seats: number): Promise<string> {
  const res = await h.call(as, {
    method: 'POST',
    url: '/api/v1/bookings',
    headers: WAIT,
    payload: { eventId, priceOptionId: 'std', seats },
  })
  if (res.statusCode !== 201) throw new Error(`book: ${res.statusCode} ${res.body}`)
  return res.json<{ id: string }>().id
}
const booking = async (as: Signed, id: string) =>
  (await h.call(as, { method: 'GET', url: `/api/v1/bookings/${id}` })).json<Record<string, unknown>>()
const payments = async (as: Signed, id: string) =>
  (await h.call(as, { method: 'GET', url: `/api/v1/bookings/${id}/payments` })).json<Payments>()

t.test(
  'book, pay through the payment service, confirmed with a ticket; cancel; a failed refund is retried',
  async (t) => {
    const id = await book(USER, 2)
    const pay = await h.call(USER, {
      method: 'POST',
      url: `/api/v1/bookings/${id}/pay`,
      headers: { ...WAIT, 'idempotency-key': 'pay-once' },
    })
    t.equal(pay.statusCode, 201, pay.body)
    t.match(pay.json(), {
      bookingId: id,
      amountMinor: 1_000_000,
      currency: 'RUB',
      status: 'INITIATED',
      confirmationUrl: `/api/v1/payments/sandbox/${pay.json().paymentId}/complete`,
    })
    const again = await h.call(USER, {
      method: 'POST',
      url: `/api/v1/bookings/${id}/pay`,
      headers: { ...WAIT, 'idempotency-key': 'pay-once' },
    })
    t.equal(again.json().paymentId, pay.json().paymentId, 'the same key names the same payment')
    const paymentId = pay.json().paymentId as string
    t.match(await payments(USER, id), { payments: [{ id: paymentId, status: 'INITIATED' }], refunds: [] })
    t.equal((await payments(USER, id)).payments.length, 1, 'one payment for the repeated request')

    const settled = await h.call(USER, {
      method: 'POST',
      url: `/api/v1/payments/sandbox/${paymentId}/complete`,
    })
    t.same(settled.json(), { paymentId, status: 'COMPLETED' })
    const confirmed = await until(
      () => booking(USER, id),
      (b) => b.status === 'CONFIRMED',
    )
    t.match(confirmed, { status: 'CONFIRMED', paidMinor: 1_000_000, refundedMinor: 0, reasonCode: null })
    t.type(confirmed.ticketCode, 'string', 'confirmed with a ticket')
    t.match(
      await until(
        () => payments(USER, id),
        (p) => p.payments[0]?.status === 'COMPLETED',
      ),
      {
        payments: [{ id: paymentId, status: 'COMPLETED', paidMinor: 1_000_000, paidCurrency: 'RUB' }],
      },
    )

    const failing = await h.call(ADMIN, {
      method: 'POST',
      url: `/api/v1/payments/sandbox/${paymentId}/refund-failures`,
      payload: { count: 1 },
    })
    t.equal(failing.statusCode, 200, failing.body)
    const canceled = await h.call(USER, {
      method: 'POST',
      url: `/api/v1/bookings/${id}/cancel`,
      headers: WAIT,
    })
    t.equal(canceled.statusCode, 200, canceled.body)
    const refunded = canceled.json().refundedMinor as number
    t.ok(refunded > 0, 'the policy refunds something 30 days ahead')
    const failed = await until(
      () => payments(USER, id),
      (p) => p.refunds[0]?.status === 'FAILED',
    )
    t.match(failed.refunds, [
      { status: 'FAILED', attempts: 1, amountMinor: refunded, reason: 'USER_CANCELED' },
    ])
    const forAdmins = await h.call(ADMIN, { method: 'GET', url: '/api/v1/admin/refunds?status=FAILED' })
    t.ok(
      forAdmins.json().items.some((r: { bookingId: string }) => r.bookingId === id),
      'the failed refund is listed for admins',
    )
    clock.advance(REFUND_RETRY_BASE_DELAY_MS)
    const done = await until(
      () => payments(USER, id),
      (p) => p.refunds[0]?.status === 'COMPLETED',
    )
    t.match(
      done.refunds,
      [{ status: 'COMPLETED', attempts: 2, amountMinor: refunded }],
      'retried once, then done',
    )
    t.match(
      await booking(USER, id),
      { status: 'CANCELED', refunds: [{ status: 'COMPLETED', attempts: 2, reason: 'USER_CANCELED' }] },
      'the booking shows its refund',
    )
    const after = await h.call(ADMIN, { method: 'GET', url: '/api/v1/admin/refunds?status=FAILED' })
    t.notOk(
      after.json().items.some((r: { bookingId: string }) => r.bookingId === id),
      'no longer among the failed ones',
    )
  },
)

t.test('an overpayment confirms and the difference is refunded, flagged OVERPAID', async (t) => {
  const id = await book(USER2, 1)
  const paymentId = await payThroughSandbox(h, USER2, id, 'complete', { amountMinor: 700_000 })
  const confirmed = await until(
    () => booking(USER2, id),
    (b) => b.status === 'CONFIRMED',
  )
  t.match(confirmed, {
    paidMinor: 700_000,
    refundedMinor: 200_000,
    amountMinor: 500_000,
    reasonCode: 'OVERPAID',
  })
  const seen = await until(
    () => payments(USER2, id),
    (p) => p.refunds[0]?.status === 'COMPLETED',
  )
  t.match(seen, {
    payments: [{ id: paymentId, status: 'COMPLETED', amountMinor: 500_000, paidMinor: 700_000 }],
    refunds: [{ status: 'COMPLETED', amountMinor: 200_000, currency: 'RUB', reason: 'OVERPAID' }],
  })
})

t.test('a payment in another currency is refused and refunded whole, flagged WRONG_CURRENCY', async (t) => {
  const payer: Signed = { sub: 'user-usd', role: 'user' }
  const id = await book(payer, 1)
  await payThroughSandbox(h, payer, id, 'complete', { currency: 'USD' })
  const flagged = await until(
    () => booking(payer, id),
    (b) => b.reasonCode === 'WRONG_CURRENCY',
  )
  t.match(flagged, {
    status: 'PENDING_PAYMENT',
    paidMinor: 0,
    refundedMinor: 0,
    reasonCode: 'WRONG_CURRENCY',
  })
  const seen = await until(
    () => payments(payer, id),
    (p) => p.refunds[0]?.status === 'COMPLETED',
  )
  t.match(seen.refunds, [
    { status: 'COMPLETED', amountMinor: 500_000, currency: 'USD', reason: 'WRONG_CURRENCY' },
  ])
  t.match(seen.payments, [{ status: 'COMPLETED', paidCurrency: 'USD' }])
})

t.test("a booking's payments: its user, the event's organizer and admins; nobody else", async (t) => {
  const id = await book({ sub: 'user-reader', role: 'user' }, 1)
  const read = (as: Signed) => h.call(as, { method: 'GET', url: `/api/v1/bookings/${id}/payments` })
  t.equal((await read({ sub: 'user-reader', role: 'user' })).statusCode, 200)
  t.equal((await read(ORGANIZER)).statusCode, 200)
  t.equal((await read(ADMIN)).statusCode, 200)
  const other = await read(USER2)
  t.equal(other.statusCode, 404)
  t.equal(other.json().code, 'BOOKING_NOT_FOUND')
  t.equal((await read(ORGANIZER2)).statusCode, 404)
  const organizerPays = await h.call(ORGANIZER, { method: 'POST', url: `/api/v1/bookings/${id}/pay` })
  t.equal(organizerPays.statusCode, 403, 'the organizer may not pay for the participant')
})
