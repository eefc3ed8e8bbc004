// GET /api/v1/events/{id}/promos and POST /api/v1/promos/validate on the whole embedded service: codes
// created through the API, booked through the pipeline, read back from the projected read model.
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import {
  ADMIN,
  ADMIN_NO_2FA,
  DAY_MS,
  eventBody,
  ORGANIZER,
  ORGANIZER2,
  publishedEvent,
  startHarness,
  USER,
  WAIT,
  type Principal,
} from './api-harness.ts'

const h = await startHarness()
t.teardown(() => h.close())

const PRICE = 500_000
/** A fresh user per call site: the booking rate-limit group (15 a minute) counts validations too. */
let buyers = 0
const buyer = (): Principal => ({ sub: `promo-buyer-${++buyers}`, role: 'user' })

const createPromo = async (
  eventId: string,
  body: Record<string, unknown>,
  as: Principal = ORGANIZER,
): Promise<void> => {
  const res = await h.call(as, {
    method: 'POST',
    url: `/api/v1/events/${eventId}/promos`,
    headers: WAIT,
    payload: { kind: 'PERCENTAGE', value: 10, usageLimit: 5, validUntil: inDays(20), ...body },
  })
  if (res.statusCode !== 201 || res.json().status !== 'ACCEPTED')
    throw new Error(`create promo: ${res.statusCode} ${res.body}`)
}
const inDays = (days: number): string => new Date(Date.now() + days * DAY_MS).toISOString()

const list = (as: Principal, eventId: string, query = '') =>
  h.call(as, { method: 'GET', url: `/api/v1/events/${eventId}/promos${query}` })

const validate = (as: Principal, payload: Record<string, unknown>) =>
  h.call(as, { method: 'POST', url: '/api/v1/promos/validate', payload })

/**
 * The promo listing once `ready` holds. Creating and deactivating a code answers Prefer: wait with the
 * outcome, which is projected apart from the event fact carrying the code: poll briefly for it.
 */
async function listed(
  eventId: string,
  ready: (codes: { code: string; active: boolean; uses: number }[]) => boolean,
): Promise<LightMyRequestResponse> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const res = await list(ORGANIZER, eventId, '?size=100')
    if (res.statusCode === 200 && ready(res.json().items)) return res
    if (Date.now() > deadline) throw new Error(`listing never got ready: ${res.statusCode} ${res.body}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

// One published event of ORGANIZER (10 seats at 5,000.00) with a code of each state.
const eventId = await publishedEvent(h, { capacity: 10, priceMinor: PRICE })
await createPromo(eventId, { code: 'SUMMER10' })
await createPromo(eventId, { code: 'MINUS700', kind: 'FIXED_AMOUNT', value: 70_000, usageLimit: 3 })
await createPromo(eventId, { code: 'LASTONE', usageLimit: 1 })
await createPromo(eventId, { code: 'RETIRED', value: 50 })
await createPromo(eventId, { code: 'TOMORROW', validFrom: inDays(1) })
// Valid for 2 s from now: expired by the time the tests read it (the first one waits for that).
const expiresAtMs = Date.now() + 2000
await createPromo(eventId, { code: 'FLASH', validUntil: new Date(expiresAtMs).toISOString() })
const retired = await h.call(ORGANIZER, {
  method: 'DELETE',
  url: `/api/v1/events/${eventId}/promos/RETIRED`,
  headers: WAIT,
})
if (retired.statusCode !== 200) throw new Error(`deactivate: ${retired.body}`)
const usedUp = await h.call(buyer(), {
  method: 'POST',
  url: '/api/v1/bookings',
  headers: WAIT,
  payload: { eventId, priceOptionId: 'std', seats: 1, promoCode: 'LASTONE' },
})
if (usedUp.statusCode !== 201) throw new Error(`booking with LASTONE: ${usedUp.body}`)
await listed(eventId, (codes) => codes.length === 6 && codes.some((c) => c.code === 'RETIRED' && !c.active))

t.test('the organizer lists the codes with their uses and whether they are usable now', async (t) => {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAtMs + 50 - Date.now())))
  const res = await list(ORGANIZER, eventId)
  t.equal(res.statusCode, 200, res.body)
  const page = res.json()
  t.same([page.page, page.size, page.total], [0, 20, 6])
  t.same(
    page.items.map((p: Record<string, unknown>) => [p.code, p.active, p.uses, p.usableNow, p.unusableReason]),
    [
      ['SUMMER10', true, 0, true, null],
      ['MINUS700', true, 0, true, null],
      ['LASTONE', true, 1, false, 'EXHAUSTED'],
      ['RETIRED', false, 0, false, 'INACTIVE'],
      ['TOMORROW', true, 0, false, 'NOT_YET_VALID'],
      ['FLASH', true, 0, false, 'EXPIRED'],
    ],
    'creation order, deactivated codes included',
  )
  t.same(page.items[1], {
    code: 'MINUS700',
    kind: 'FIXED_AMOUNT',
    value: 70_000,
    usageLimit: 3,
    uses: 0,
    usesLeft: 3,
    validFrom: null,
    validUntil: page.items[1].validUntil,
    active: true,
    maxUsesPerUser: null,
    cancelReturnsUse: false,
    usableNow: true,
    unusableReason: null,
  })
  t.match(page.items[4].validFrom, /Z$/)
  const admin = await list(ADMIN, eventId, '?page=1&size=4')
  t.equal(admin.statusCode, 200, 'admins list any event')
  t.same(
    admin.json().items.map((p: { code: string }) => p.code),
    ['TOMORROW', 'FLASH'],
  )
  t.equal(admin.json().total, 6)
})

t.test('listing: role boundaries, 404 and 400', async (t) => {
  const expect = async (as: Principal, status: number, code: string, id = eventId, query = '') => {
    const res = await list(as, id, query)
    t.equal(res.statusCode, status, `${JSON.stringify(as)} ${id}${query}: ${res.body}`)
    t.equal(res.json().code, code)
    t.type(res.json().traceId, 'string')
  }
  await expect('guest', 401, 'UNAUTHENTICATED')
  await expect(USER, 403, 'FORBIDDEN')
  await expect(ORGANIZER2, 403, 'FORBIDDEN')
  await expect(ADMIN_NO_2FA, 403, 'SECOND_FACTOR_REQUIRED')
  await expect(ORGANIZER, 404, 'EVENT_NOT_FOUND', 'no-such-event')
  const draft = await h.call(ORGANIZER, {
    method: 'POST',
    url: '/api/v1/events',
    headers: WAIT,
    payload: eventBody(),
  })
  t.equal(draft.statusCode, 201)
  await expect(ORGANIZER2, 404, 'EVENT_NOT_FOUND', draft.json().id)
  const own = await list(ORGANIZER, draft.json().id)
  t.same([own.statusCode, own.json().items], [200, []], 'a draft without codes lists none')
  await expect(ORGANIZER, 400, 'VALIDATION_FAILED', eventId, '?size=1000')
  await expect(ORGANIZER, 400, 'VALIDATION_FAILED', eventId, '?page=-1')
  await expect(ORGANIZER, 400, 'VALIDATION_FAILED', eventId, '?status=x')
  await expect(ORGANIZER, 400, 'VALIDATION_FAILED', 'bad id!')
})

t.test('validate: a valid code prices the booking', async (t) => {
  const res = await validate(buyer(), { eventId, code: 'SUMMER10', priceOptionId: 'std', seats: 3 })
  t.equal(res.statusCode, 200, res.body)
  t.same(res.json(), {
    valid: true,
    reasonCode: null,
    reason: null,
    eventId,
    code: 'SUMMER10',
    priceOptionId: 'std',
    seats: 3,
    currency: 'RUB',
    grossMinor: 1_500_000,
    discountMinor: 150_000,
    amountMinor: 1_350_000,
    kind: 'PERCENTAGE',
    value: 10,
    validUntil: res.json().validUntil,
    maxUsesPerUser: null,
    userUses: 0,
  })
  t.match(res.json().validUntil, /Z$/)
  const fixed = await validate(buyer(), { eventId, code: 'MINUS700', priceOptionId: 'std', seats: 1 })
  t.match(fixed.json(), { valid: true, grossMinor: 500_000, discountMinor: 70_000, amountMinor: 430_000 })
  for (const as of [ORGANIZER, ORGANIZER2, ADMIN]) {
    const other = await validate(as, { eventId, code: 'SUMMER10', priceOptionId: 'std', seats: 1 })
    t.equal(other.statusCode, 200, `${as.sub} may check a code too`)
  }
})

t.test('validate: why a code is not valid, with the reason code a booking would get', async (t) => {
  for (const [code, reasonCode, reason] of [
    ['NOSUCHCODE', 'PROMO_INVALID', 'UNKNOWN'],
    ['RETIRED', 'PROMO_INVALID', 'INACTIVE'],
    ['TOMORROW', 'PROMO_INVALID', 'NOT_YET_VALID'],
    ['FLASH', 'PROMO_INVALID', 'EXPIRED'],
    ['LASTONE', 'PROMO_EXHAUSTED', 'EXHAUSTED'],
  ] as const) {
    const res = await validate(buyer(), { eventId, code, priceOptionId: 'std', seats: 2 })
    t.equal(res.statusCode, 200, res.body)
    t.same(
      res.json(),
      {
        valid: false,
        reasonCode,
        reason,
        eventId,
        code,
        priceOptionId: 'std',
        seats: 2,
        currency: 'RUB',
        grossMinor: 1_000_000,
        discountMinor: 0,
        amountMinor: 1_000_000,
        kind: null,
        value: null,
        validUntil: null,
        maxUsesPerUser: null,
        userUses: 0,
      },
      `${code}: ${reason}, terms not revealed`,
    )
  }
})

t.test('validate agrees with the booking decision', async (t) => {
  const who = buyer()
  const check = await validate(who, { eventId, code: 'MINUS700', priceOptionId: 'std', seats: 2 })
  const booked = await h.call(who, {
    method: 'POST',
    url: '/api/v1/bookings',
    headers: WAIT,
    payload: { eventId, priceOptionId: 'std', seats: 2, promoCode: 'MINUS700' },
  })
  t.equal(booked.statusCode, 201, booked.body)
  t.equal(booked.json().amountMinor, check.json().amountMinor, 'the price the check announced')
  const uses = await list(ORGANIZER, eventId)
  t.equal(uses.json().items[1].uses, 1, 'the hold counts as a use at once')
  const exhausted = await validate(buyer(), { eventId, code: 'LASTONE', priceOptionId: 'std', seats: 1 })
  const refused = await h.call(buyer(), {
    method: 'POST',
    url: '/api/v1/bookings',
    headers: WAIT,
    payload: { eventId, priceOptionId: 'std', seats: 1, promoCode: 'LASTONE' },
  })
  t.equal(refused.statusCode, 422)
  t.equal(refused.json().code, exhausted.json().reasonCode, 'PROMO_EXHAUSTED both ways')
})

t.test('validate: 400 for wrong types, lengths and unknown fields', async (t) => {
  const good = { eventId, code: 'SUMMER10', priceOptionId: 'std', seats: 1 }
  for (const [payload, why] of [
    [{ ...good, seats: '1' }, 'a string number (no coercion)'],
    [{ ...good, seats: 0 }, 'no seats'],
    [{ ...good, seats: 21 }, 'more than 20 seats'],
    [{ ...good, seats: 1.5 }, 'fractional seats'],
    [{ ...good, code: 'summer10' }, 'lower case'],
    [{ ...good, code: 'AB' }, 'too short'],
    [{ ...good, code: 'A'.repeat(21) }, 'too long'],
    [{ ...good, code: 'SUMMER-10' }, 'a dash'],
    [{ ...good, eventId: 42 }, 'a numeric event ID'],
    [{ ...good, discount: 100 }, 'an unknown field'],
    [{ eventId, code: 'SUMMER10', seats: 1 }, 'no price option'],
  ] as const) {
    const res = await validate(buyer(), payload)
    t.equal(res.statusCode, 400, why)
    t.equal(res.json().code, 'VALIDATION_FAILED', why)
  }
  const notJson = await h.call(buyer(), {
    method: 'POST',
    url: '/api/v1/promos/validate',
    headers: { 'content-type': 'application/json' },
    payload: '{"eventId":',
  })
  t.same([notJson.statusCode, notJson.json().code], [400, 'MALFORMED_JSON'])
})

t.test(
  'validate: 401 for guests, 403 without a second factor, 404 for what the caller cannot see',
  async (t) => {
    const body = { eventId, code: 'SUMMER10', priceOptionId: 'std', seats: 1 }
    const guest = await validate('guest', body)
    t.same([guest.statusCode, guest.json().code], [401, 'UNAUTHENTICATED'])
    const noMfa = await validate(ADMIN_NO_2FA, body)
    t.same([noMfa.statusCode, noMfa.json().code], [403, 'SECOND_FACTOR_REQUIRED'])
    const unknown = await validate(buyer(), { ...body, eventId: 'no-such-event' })
    t.same([unknown.statusCode, unknown.json().code], [404, 'EVENT_NOT_FOUND'])
    const option = await validate(buyer(), { ...body, priceOptionId: 'vip' })
    t.same([option.statusCode, option.json().code], [404, 'PRICE_OPTION_NOT_FOUND'])
    const draft = await h.call(ORGANIZER2, {
      method: 'POST',
      url: '/api/v1/events',
      headers: WAIT,
      payload: eventBody(),
    })
    const hidden = await validate(USER, { ...body, eventId: draft.json().id })
    t.same([hidden.statusCode, hidden.json().code], [404, 'EVENT_NOT_FOUND'], 'a draft does not leak')
  },
)

t.test('validate is limited with the booking group figures (an oracle for guessing codes)', async (t) => {
  const user: Principal = { sub: 'promo-rate-limited', role: 'user' }
  const body = { eventId, code: 'SUMMER10', priceOptionId: 'std', seats: 1 }
  for (let i = 0; i < 15; i++) {
    const res = await validate(user, body)
    t.equal(res.statusCode, 200, `check ${i + 1} is within the limit`)
    t.equal(res.headers['x-ratelimit-limit'], '15')
  }
  const limited = await validate(user, body)
  t.same([limited.statusCode, limited.json().code], [429, 'RATE_LIMITED'])
  t.equal(limited.json().details.group, 'booking')
  t.ok(Number(limited.headers['retry-after']) > 0)
})

t.test('both routes are in the OpenAPI document with their schemas', async (t) => {
  const doc = h.openapi()
  const listing = doc.paths['/api/v1/events/{id}/promos'].get
  t.ok(listing, 'GET /events/{id}/promos')
  t.same(listing.security, [{ bearer: [] }])
  t.ok(listing.responses['200'].content['application/json'].schema.properties.items)
  const check = doc.paths['/api/v1/promos/validate'].post
  t.ok(check, 'POST /promos/validate')
  const body = check.requestBody.content['application/json'].schema
  t.equal(body.additionalProperties, false)
  t.same([...body.required].sort(), ['code', 'eventId', 'priceOptionId', 'seats'])
  t.ok(check.responses['200'].content['application/json'].schema.properties.amountMinor)
})
