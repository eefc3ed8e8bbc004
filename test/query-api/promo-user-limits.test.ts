// Per-user promo limits through the API on the whole embedded service: `maxUsesPerUser` and
// `cancelReturnsUse` set when creating a code, shown in the listing, enforced by the pipeline
// (PROMO_USER_LIMIT) and announced by POST /promos/validate from the caller's projected bookings.
import t from 'tap'
import { DAY_MS, ORGANIZER, publishedEvent, startHarness, WAIT, type Principal } from './api-harness.ts'

const h = await startHarness()
t.teardown(() => h.close())

let buyers = 0
const buyer = (): Exclude<Principal, 'guest'> => ({ sub: `limit-buyer-${++buyers}`, role: 'user' })
const validUntil = new Date(Date.now() + 20 * DAY_MS).toISOString()

const createPromo = (eventId: string, body: Record<string, unknown>) =>
  h.call(ORGANIZER, {
    method: 'POST',
    url: `/api/v1/events/${eventId}/promos`,
    headers: WAIT,
    payload: { kind: 'PERCENTAGE', value: 100, usageLimit: 5, validUntil, ...body },
  })
const book = (as: Principal, eventId: string, promoCode: string) =>
  h.call(as, {
    method: 'POST',
    url: '/api/v1/bookings',
    headers: WAIT,
    payload: { eventId, priceOptionId: 'std', seats: 1, promoCode },
  })
const cancel = (as: Principal, bookingId: string) =>
  h.call(as, { method: 'POST', url: `/api/v1/bookings/${bookingId}/cancel`, headers: WAIT, payload: {} })
const validate = (as: Principal, eventId: string, code: string) =>
  h.call(as, {
    method: 'POST',
    url: '/api/v1/promos/validate',
    payload: { eventId, code, priceOptionId: 'std', seats: 1 },
  })

/** Validates until the read model has projected `uses` of the caller's uses (it lags the pipeline). */
async function validated(as: Principal, eventId: string, code: string, uses: number) {
  const deadline = Date.now() + 10_000
  for (;;) {
    const res = await validate(as, eventId, code)
    if (res.statusCode === 200 && res.json().userUses === uses) return res
    if (Date.now() > deadline) throw new Error(`validate never showed ${uses} uses: ${res.body}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const eventId = await publishedEvent(h, { capacity: 20 })
for (const body of [
  { code: 'ONCE', maxUsesPerUser: 1 },
  { code: 'AGAIN', maxUsesPerUser: 1, cancelReturnsUse: true },
  { code: 'OPEN' },
]) {
  const res = await createPromo(eventId, body)
  if (res.statusCode !== 201) throw new Error(`create ${body.code}: ${res.body}`)
}

t.test('the listing shows each code’s per-user limit and cancel rule', async (t) => {
  const deadline = Date.now() + 10_000
  let items: Record<string, unknown>[] = []
  while (items.length < 3 && Date.now() < deadline) {
    const res = await h.call(ORGANIZER, { method: 'GET', url: `/api/v1/events/${eventId}/promos` })
    items = res.json().items
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.same(
    items.map((p) => [p.code, p.maxUsesPerUser, p.cancelReturnsUse]),
    [
      ['ONCE', 1, false],
      ['AGAIN', 1, true],
      ['OPEN', null, false],
    ],
  )
})

t.test('a per-user limit above the total is refused with 400', async (t) => {
  const res = await createPromo(eventId, { code: 'BROKEN', usageLimit: 2, maxUsesPerUser: 3 })
  t.equal(res.statusCode, 400, res.body)
  t.match(res.json(), { code: 'VALIDATION_FAILED', details: { field: 'maxUsesPerUser' } })
  const zero = await createPromo(eventId, { code: 'ZERO', maxUsesPerUser: 0 })
  t.equal(zero.statusCode, 400, zero.body)
})

t.test('a canceled use is kept: validate and the booking both say PROMO_USER_LIMIT', async (t) => {
  const who = buyer()
  const before = await validate(who, eventId, 'ONCE')
  t.match(before.json(), { valid: true, maxUsesPerUser: 1, userUses: 0 })
  const first = await book(who, eventId, 'ONCE')
  t.equal(first.statusCode, 201, first.body)
  t.equal((await cancel(who, first.json().id)).statusCode, 200)
  const after = await validated(who, eventId, 'ONCE', 1)
  t.match(after.json(), {
    valid: false,
    reasonCode: 'PROMO_USER_LIMIT',
    reason: 'USER_LIMIT',
    maxUsesPerUser: null,
    userUses: 1,
  })
  const second = await book(who, eventId, 'ONCE')
  t.equal(second.statusCode, 422, second.body)
  t.equal(second.json().code, 'PROMO_USER_LIMIT')
  const other = await validate(buyer(), eventId, 'ONCE')
  t.match(other.json(), { valid: true, userUses: 0 }, 'another user still may')
})

t.test('cancelReturnsUse: a canceled booking gives the use back to its user', async (t) => {
  const who = buyer()
  const first = await book(who, eventId, 'AGAIN')
  t.equal(first.statusCode, 201, first.body)
  await validated(who, eventId, 'AGAIN', 1)
  t.equal((await cancel(who, first.json().id)).statusCode, 200)
  const after = await validated(who, eventId, 'AGAIN', 0)
  t.match(after.json(), { valid: true, reasonCode: null })
  const again = await book(who, eventId, 'AGAIN')
  t.equal(again.statusCode, 201, again.body)
  await validated(who, eventId, 'AGAIN', 1)
  const listing = await h.call(ORGANIZER, { method: 'GET', url: `/api/v1/events/${eventId}/promos` })
  t.same(
    listing.json().items.map((p: { code: string; uses: number }) => [p.code, p.uses]),
    [
      ['ONCE', 1],
      ['AGAIN', 1],
      ['OPEN', 0],
    ],
    'the total: ONCE keeps its canceled use, AGAIN counts only the booking that holds it',
  )
})
