import t from 'tap'
import { signWebhook } from '../../query-api/payments/webhook-signature.ts'
import {
  ADMIN,
  ORGANIZER,
  ORGANIZER2,
  publishedEvent,
  startHarness,
  USER,
  USER2,
  WAIT,
  WEBHOOK_SECRET,
  eventBody,
} from './api-harness.ts'

const h = await startHarness()
t.teardown(() => h.close())
const book = (as: Parameters<typeof h.call>[0], payload: unknown, headers: Record<string, string> = WAIT) =>
  h.call(as, {
    method: 'POST',
    url: '/api/v1/bookings',
    headers,
    payload: payload as Record<string, unknown>,
  })

t.test('booking with Prefer: wait answers 201 with the booking; reads agree', async (t) => {
  const eventId = await publishedEvent(h, { capacity: 3 })
  const res = await book(USER, { eventId, priceOptionId: 'std', seats: 2 })
  t.equal(res.statusCode, 201, res.body)
  const booking = res.json()
  t.equal(booking.status, 'PENDING_PAYMENT')
  t.equal(booking.seats, 2)
  t.equal(res.headers['preference-applied'], 'wait=10')
  t.match(res.headers.location, `/api/v1/bookings/${booking.id}`)
  const one = await h.call(USER, { method: 'GET', url: `/api/v1/bookings/${booking.id}` })
  t.equal(one.statusCode, 200)
  t.same(one.json().id, booking.id)
  const mine = await h.call(USER, { method: 'GET', url: '/api/v1/bookings' })
  t.ok(mine.json().items.some((b: { id: string }) => b.id === booking.id))
  const other = await h.call(USER2, { method: 'GET', url: `/api/v1/bookings/${booking.id}` })
  t.equal(other.statusCode, 404, 'another user does not see it')
  t.equal(other.json().code, 'BOOKING_NOT_FOUND')
  const organizerView = await h.call(ORGANIZER, { method: 'GET', url: `/api/v1/events/${eventId}/bookings` })
  t.equal(organizerView.statusCode, 200)
  t.equal(organizerView.json().total, 1)
  const foreign = await h.call(ORGANIZER2, { method: 'GET', url: `/api/v1/events/${eventId}/bookings` })
  t.equal(foreign.statusCode, 403)

  const full = await book(USER2, { eventId, priceOptionId: 'std', seats: 2 })
  t.equal(full.statusCode, 409)
  t.equal(full.json().code, 'NO_AVAILABLE_SEATS')
  t.type(full.json().traceId, 'string')
  const duplicate = await book(USER, { eventId, priceOptionId: 'std', seats: 1 })
  t.equal(duplicate.statusCode, 409)
  t.equal(duplicate.json().code, 'DUPLICATE_BOOKING')
  const event = await h.call('guest', { method: 'GET', url: `/api/v1/events/${eventId}` })
  t.equal(event.json().seatsAvailable, 1, 'the catalog shows the held seats (cache invalidated)')
})

t.test(
  'without Prefer the answer is 202 with the outcome link; GET /requests tells the decision',
  async (t) => {
    const eventId = await publishedEvent(h)
    const res = await book(USER, { eventId, priceOptionId: 'std', seats: 1 }, {})
    t.equal(res.statusCode, 202, res.body)
    const { requestId, resourceId, links } = res.json()
    t.equal(links.outcome, `/api/v1/requests/${requestId}`)
    let outcome
    for (let i = 0; i < 100; i++) {
      outcome = (await h.call(USER, { method: 'GET', url: links.outcome })).json()
      if (outcome.status !== 'PENDING') break
      await new Promise((r) => setTimeout(r, 50))
    }
    t.equal(outcome.status, 'ACCEPTED')
    t.equal(outcome.resourceId, resourceId)
    const stranger = await h.call(USER2, { method: 'GET', url: links.outcome })
    t.equal(stranger.statusCode, 404)
    const unknown = await h.call(USER, { method: 'GET', url: '/api/v1/requests/nope' })
    t.equal(unknown.statusCode, 404)
    t.equal(unknown.json().code, 'REQUEST_NOT_FOUND')
    const admin = await h.call(ADMIN, { method: 'GET', url: links.outcome })
    t.equal(admin.statusCode, 200)
  },
)

t.test('Idempotency-Key: a repeat gets the same request and booking, another body is refused', async (t) => {
  const eventId = await publishedEvent(h)
  const headers = { ...WAIT, 'idempotency-key': 'key-123' }
  const first = await book(USER, { eventId, priceOptionId: 'std', seats: 1 }, headers)
  const second = await book(USER, { eventId, priceOptionId: 'std', seats: 1 }, headers)
  t.equal(first.statusCode, 201)
  t.equal(second.statusCode, 201, 'the repeat gets the original outcome, not DUPLICATE_BOOKING')
  t.equal(first.json().id, second.json().id)
  t.equal(first.headers['x-request-id'], second.headers['x-request-id'])
  const reused = await book(USER, { eventId, priceOptionId: 'std', seats: 2 }, headers)
  t.equal(reused.statusCode, 409)
  t.equal(reused.json().code, 'IDEMPOTENCY_KEY_REUSED')
  const otherUser = await book(USER2, { eventId, priceOptionId: 'std', seats: 2 }, headers)
  t.equal(otherUser.statusCode, 201, 'keys are per user')
})

t.test('change seats, cancel, and INVALID_BOOKING_STATE', async (t) => {
  const eventId = await publishedEvent(h)
  const id = (await book(USER, { eventId, priceOptionId: 'std', seats: 1 })).json().id
  const patched = await h.call(USER, {
    method: 'PATCH',
    url: `/api/v1/bookings/${id}`,
    headers: WAIT,
    payload: { seats: 3 },
  })
  t.equal(patched.statusCode, 200, patched.body)
  t.equal(patched.json().seats, 3)
  const notMine = await h.call(USER2, { method: 'POST', url: `/api/v1/bookings/${id}/cancel`, headers: WAIT })
  t.equal(notMine.statusCode, 404)
  const forceMajeure = await h.call(USER, {
    method: 'POST',
    url: `/api/v1/bookings/${id}/cancel`,
    headers: WAIT,
    payload: { forceMajeure: true },
  })
  t.equal(forceMajeure.statusCode, 403)
  const canceled = await h.call(USER, { method: 'POST', url: `/api/v1/bookings/${id}/cancel`, headers: WAIT })
  t.equal(canceled.statusCode, 200, canceled.body)
  t.equal(canceled.json().status, 'CANCELED')
  const again = await h.call(USER, { method: 'POST', url: `/api/v1/bookings/${id}/cancel`, headers: WAIT })
  t.equal(again.statusCode, 422)
  t.equal(again.json().code, 'INVALID_BOOKING_STATE')
  const pay = await h.call(USER, { method: 'POST', url: `/api/v1/bookings/${id}/pay` })
  t.equal(pay.statusCode, 422)
  t.equal(pay.json().code, 'PAYMENT_NOT_POSSIBLE')
})

t.test('a draft event is not bookable (422)', async (t) => {
  const created = await h.call(ORGANIZER, {
    method: 'POST',
    url: '/api/v1/events',
    headers: WAIT,
    payload: eventBody(),
  })
  const res = await book(USER, { eventId: created.json().id, priceOptionId: 'std', seats: 1 })
  t.equal(res.statusCode, 422)
  t.equal(res.json().code, 'EVENT_NOT_BOOKABLE')
})

t.test(
  'pay through the in-process payment service; the sandbox confirms; a replayed webhook is harmless',
  async (t) => {
    const eventId = await publishedEvent(h)
    const id = (await book(USER, { eventId, priceOptionId: 'std', seats: 2 })).json().id
    const pay = await h.call(USER, { method: 'POST', url: `/api/v1/bookings/${id}/pay`, headers: WAIT })
    t.equal(pay.statusCode, 201, pay.body)
    const { paymentId, amountMinor } = pay.json()
    t.equal(amountMinor, 1_000_000)
    t.match(pay.json(), { status: 'INITIATED', currency: 'RUB', confirmationUrl: /\/complete$/ })
    const settled = await h.call(USER, {
      method: 'POST',
      url: `/api/v1/payments/sandbox/${paymentId}/complete`,
    })
    t.equal(settled.statusCode, 200, settled.body)
    t.same(settled.json(), { paymentId, status: 'COMPLETED' })
    let booking
    for (let i = 0; i < 100; i++) {
      booking = (await h.call(USER, { method: 'GET', url: `/api/v1/bookings/${id}` })).json()
      if (booking.status === 'CONFIRMED') break
      await new Promise((r) => setTimeout(r, 50))
    }
    t.equal(booking.status, 'CONFIRMED')
    t.type(booking.ticketCode, 'string')
    const raw = JSON.stringify({
      paymentId,
      bookingId: id,
      eventId,
      status: 'COMPLETED',
      amountMinor,
      occurredAtMs: Date.now(),
    })
    const replay = await h.call('guest', {
      method: 'POST',
      url: '/api/v1/payments/webhook',
      headers: { 'content-type': 'application/json', 'x-signature': signWebhook(WEBHOOK_SECRET, raw) },
      payload: raw,
    })
    t.equal(replay.statusCode, 200)
    await h.projection.caughtUp()
    const after = (await h.call(USER, { method: 'GET', url: `/api/v1/bookings/${id}` })).json()
    t.equal(after.paidMinor, 1_000_000, 'paid once')
    t.equal(after.refundedMinor, 0)
    const forged = await h.call('guest', {
      method: 'POST',
      url: '/api/v1/payments/webhook',
      headers: { 'content-type': 'application/json', 'x-signature': signWebhook('wrong', raw) },
      payload: raw,
    })
    t.equal(forged.statusCode, 401)
    t.equal(forged.json().code, 'INVALID_SIGNATURE')
    const unsigned = await h.call('guest', {
      method: 'POST',
      url: '/api/v1/payments/webhook',
      headers: { 'content-type': 'application/json' },
      payload: raw,
    })
    t.equal(unsigned.statusCode, 401)
    const old = await h.call('guest', {
      method: 'POST',
      url: '/api/v1/payments/webhook',
      headers: {
        'content-type': 'application/json',
        'x-signature': signWebhook(WEBHOOK_SECRET, raw, Date.now() - 3_600_000),
      },
      payload: raw,
    })
    t.equal(old.statusCode, 401, 'a stale signature is refused')
  },
)

t.test('booking bodies are validated; guests cannot book', async (t) => {
  const USER = { sub: 'user-validation', role: 'user' } as const
  const eventId = 'some-event'
  const cases: [string, unknown][] = [
    ['seats as a string', { eventId, priceOptionId: 'std', seats: '2' }],
    ['21 seats', { eventId, priceOptionId: 'std', seats: 21 }],
    ['0 seats', { eventId, priceOptionId: 'std', seats: 0 }],
    ['unknown field', { eventId, priceOptionId: 'std', seats: 1, discount: 50 }],
    ['missing priceOptionId', { eventId, seats: 1 }],
    ['bad promo code', { eventId, priceOptionId: 'std', seats: 1, promoCode: 'lower' }],
    ['too long event ID', { eventId: 'x'.repeat(65), priceOptionId: 'std', seats: 1 }],
  ]
  for (const [name, body] of cases) {
    const res = await book(USER, body)
    t.equal(res.statusCode, 400, name)
    t.equal(res.json().code, 'VALIDATION_FAILED', name)
  }
  const guest = await book('guest', { eventId, priceOptionId: 'std', seats: 1 })
  t.equal(guest.statusCode, 401)
  t.equal(guest.json().code, 'UNAUTHENTICATED')
  const forOther = await book(USER, { eventId, priceOptionId: 'std', seats: 1, userId: 'user-2' })
  t.equal(forOther.statusCode, 403)
})

t.test('the booking group is rate limited per role: 429 with Retry-After and X-RateLimit-*', async (t) => {
  const user = { sub: 'user-rate-limited', role: 'user' } as const
  const body = { eventId: 'no-such-event', priceOptionId: 'std', seats: 0 }
  for (let i = 0; i < 15; i++) {
    const res = await book(user, body, {})
    t.equal(res.statusCode, 400, `request ${i + 1} is within the limit`)
    t.equal(res.headers['x-ratelimit-limit'], '15')
  }
  const limited = await book(user, body, {})
  t.equal(limited.statusCode, 429)
  t.equal(limited.json().code, 'RATE_LIMITED')
  t.equal(limited.json().details.group, 'booking')
  t.ok(Number(limited.headers['retry-after']) > 0)
  t.equal(limited.headers['x-ratelimit-remaining'], '0')
  const reads = await h.call(user, { method: 'GET', url: '/api/v1/bookings' })
  t.equal(reads.statusCode, 200, 'other method groups keep their own budget')
  t.equal(reads.headers['x-ratelimit-limit'], '300')
  const guests = []
  for (let i = 0; i < 6; i++) guests.push((await book('guest', body, {})).statusCode)
  t.same(guests, [401, 401, 401, 401, 401, 401], 'a guest is refused before counting')
})

/** Polls the booking until `done` holds (the projection is asynchronous). */
async function bookingWhen(
  as: Parameters<typeof h.call>[0],
  id: string,
  done: (booking: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  let booking: Record<string, unknown> = {}
  for (let i = 0; i < 100; i++) {
    booking = (await h.call(as, { method: 'GET', url: `/api/v1/bookings/${id}` })).json()
    if (done(booking)) break
    await new Promise((r) => setTimeout(r, 50))
  }
  return booking
}

t.test('POST /bookings/{id}/reconfirm after a reschedule: 200, 202, 400, 401, 403, 404, 422', async (t) => {
  const guestOf = { sub: 'user-reconfirm', role: 'user' } as const
  const second = { sub: 'user-reconfirm-2', role: 'user' } as const
  const eventId = await publishedEvent(h)
  const id = (await book(guestOf, { eventId, priceOptionId: 'std', seats: 1 })).json().id
  const id2 = (await book(second, { eventId, priceOptionId: 'std', seats: 1 })).json().id
  const reconfirm = (as: Parameters<typeof h.call>[0], bookingId: string, options: object = {}) =>
    h.call(as, {
      method: 'POST',
      url: `/api/v1/bookings/${bookingId}/reconfirm`,
      headers: WAIT,
      ...options,
    })

  const early = await reconfirm(guestOf, id)
  t.equal(early.statusCode, 422, early.body)
  t.equal(early.json().code, 'RECONFIRMATION_NOT_REQUIRED', 'no schedule change yet')

  const start = Date.now() + 40 * 24 * 3_600_000
  const rescheduled = await h.call(ORGANIZER, {
    method: 'POST',
    url: `/api/v1/events/${eventId}/reschedule`,
    headers: WAIT,
    payload: {
      startsAt: new Date(start).toISOString(),
      endsAt: new Date(start + 24 * 3_600_000).toISOString(),
      place: 'Altai, Katun river, new camp',
    },
  })
  t.equal(rescheduled.statusCode, 200, rescheduled.body)

  const guest = await reconfirm('guest', id)
  t.equal(guest.statusCode, 401)
  t.equal(guest.json().code, 'UNAUTHENTICATED')
  const stranger = await reconfirm(USER2, id)
  t.equal(stranger.statusCode, 404, 'another user does not see the booking')
  t.equal(stranger.json().code, 'BOOKING_NOT_FOUND')
  const organizer = await reconfirm(ORGANIZER, id)
  t.equal(organizer.statusCode, 403, 'the organizer sees the booking but does not accept for the user')
  t.equal(organizer.json().code, 'FORBIDDEN')
  const unknown = await reconfirm(guestOf, 'no-such-booking')
  t.equal(unknown.statusCode, 404)
  const body = await reconfirm(guestOf, id, { payload: { bookingId: id } })
  t.equal(body.statusCode, 400, 'the route takes no parameters')
  t.equal(body.json().code, 'VALIDATION_FAILED')
  const badId = await reconfirm(guestOf, '-not-an-id')
  t.equal(badId.statusCode, 400, 'a malformed booking ID')
  t.equal(badId.json().code, 'VALIDATION_FAILED')

  const headers = { ...WAIT, 'idempotency-key': 'reconfirm-key-1' }
  const done = await reconfirm(guestOf, id, { headers })
  t.equal(done.statusCode, 200, done.body)
  t.match(done.json(), { id, status: 'PENDING_PAYMENT', lastEvent: 'RECONFIRMED', topUpSeats: null })
  const reconfirmedAt = done.json().reconfirmedAt
  t.ok(reconfirmedAt !== null && !Number.isNaN(Date.parse(reconfirmedAt)), 'reconfirmedAt: an instant')
  const read = await h.call(guestOf, { method: 'GET', url: `/api/v1/bookings/${id}` })
  t.equal(read.json().reconfirmedAt, reconfirmedAt, 'GET /bookings/{id} shows it')
  const repeat = await reconfirm(guestOf, id, { headers })
  t.equal(repeat.statusCode, 200, 'the same key gets the original outcome')
  t.equal(repeat.headers['x-request-id'], done.headers['x-request-id'])
  const again = await reconfirm(guestOf, id)
  t.equal(again.statusCode, 422)
  t.equal(again.json().code, 'RECONFIRMATION_NOT_REQUIRED', 're-confirmed already')

  const accepted = await reconfirm(second, id2, { headers: {} })
  t.equal(accepted.statusCode, 202, accepted.body)
  const { links } = accepted.json()
  let outcome
  for (let i = 0; i < 100; i++) {
    outcome = (await h.call(second, { method: 'GET', url: links.outcome })).json()
    if (outcome.status !== 'PENDING') break
    await new Promise((r) => setTimeout(r, 50))
  }
  t.match(outcome, { status: 'ACCEPTED', commandType: 'booking.RECONFIRM', resourceId: id2 })

  const canceled = await h.call(guestOf, {
    method: 'POST',
    url: `/api/v1/bookings/${id}/cancel`,
    headers: WAIT,
  })
  t.equal(canceled.statusCode, 200)
  const ended = await reconfirm(guestOf, id)
  t.equal(ended.statusCode, 422)
  t.equal(ended.json().code, 'INVALID_BOOKING_STATE')
})

t.test('a paid booking grows: the added seats are held, paid at the gateway, then confirmed', async (t) => {
  const buyer = { sub: 'user-top-up', role: 'user' } as const
  const eventId = await publishedEvent(h, { capacity: 4 })
  const id = (await book(buyer, { eventId, priceOptionId: 'std', seats: 2 })).json().id
  const pay = async () => h.call(buyer, { method: 'POST', url: `/api/v1/bookings/${id}/pay`, headers: WAIT })
  const first = await pay()
  t.equal(first.statusCode, 201)
  await h.call(buyer, { method: 'POST', url: `/api/v1/payments/sandbox/${first.json().paymentId}/complete` })
  t.equal((await bookingWhen(buyer, id, (b) => b.status === 'CONFIRMED')).status, 'CONFIRMED')

  const grow = await h.call(buyer, {
    method: 'PATCH',
    url: `/api/v1/bookings/${id}`,
    headers: WAIT,
    payload: { seats: 3 },
  })
  t.equal(grow.statusCode, 200, grow.body)
  t.match(grow.json(), {
    status: 'CONFIRMED',
    seats: 3,
    amountMinor: 1_500_000,
    paidMinor: 1_000_000,
    holdExpiresAt: String,
    lastEvent: 'SEATS_CHANGE_HELD',
  })
  const held = (await h.call(buyer, { method: 'GET', url: `/api/v1/bookings/${id}` })).json()
  t.equal(held.topUpSeats, 1, 'GET /bookings/{id}: one added seat pending, two confirmed')
  t.equal(held.reconfirmedAt, null, 'never re-confirmed')
  const other = await h.call(buyer, {
    method: 'PATCH',
    url: `/api/v1/bookings/${id}`,
    headers: WAIT,
    payload: { seats: 4 },
  })
  t.equal(other.statusCode, 409)
  t.equal(other.json().code, 'SEAT_CHANGE_PENDING')

  const topUp = await pay()
  t.equal(topUp.statusCode, 201, topUp.body)
  t.equal(topUp.json().amountMinor, 500_000, 'what is left to pay: the added seat')
  await h.call(buyer, { method: 'POST', url: `/api/v1/payments/sandbox/${topUp.json().paymentId}/complete` })
  const grown = await bookingWhen(buyer, id, (b) => b.lastEvent === 'SEATS_CHANGED')
  t.match(grown, {
    status: 'CONFIRMED',
    seats: 3,
    paidMinor: 1_500_000,
    amountMinor: 1_500_000,
    holdExpiresAt: null,
  })
  t.equal(grown.topUpSeats, null, 'no top-up pending once paid')
  const spec = h.openapi()
  const view = spec.paths['/api/v1/bookings/{id}'].get.responses['200'].content['application/json'].schema
  t.ok(view.properties.topUpSeats && view.properties.reconfirmedAt, 'both fields in the OpenAPI document')
  const nothing = await pay()
  t.equal(nothing.statusCode, 422)
  t.equal(nothing.json().code, 'PAYMENT_NOT_POSSIBLE')
})

t.test(
  "the event's organizer cancels a participant's booking with a full refund; another organizer cannot",
  async (t) => {
    const participant = { sub: 'user-organizer-cancel', role: 'user' } as const
    const other = { sub: 'user-organizer-cancel-2', role: 'user' } as const
    const eventId = await publishedEvent(h)
    // A policy of half back whenever the user cancels, so the organizer's full refund shows.
    const policy = await h.call(ORGANIZER, {
      method: 'PUT',
      url: `/api/v1/events/${eventId}/refund-policy`,
      headers: WAIT,
      payload: { tiers: [{ minHoursBeforeStart: 0, percent: 50 }] },
    })
    t.equal(policy.statusCode, 200, policy.body)
    const confirmed = async (as: typeof participant | typeof other, seats: number): Promise<string> => {
      const id = (await book(as, { eventId, priceOptionId: 'std', seats })).json().id
      const pay = await h.call(as, { method: 'POST', url: `/api/v1/bookings/${id}/pay`, headers: WAIT })
      await h.call(as, { method: 'POST', url: `/api/v1/payments/sandbox/${pay.json().paymentId}/complete` })
      t.equal((await bookingWhen(as, id, (b) => b.status === 'CONFIRMED')).status, 'CONFIRMED')
      return id
    }
    const cancel = (as: Parameters<typeof h.call>[0], id: string) =>
      h.call(as, { method: 'POST', url: `/api/v1/bookings/${id}/cancel`, headers: WAIT })

    const id = await confirmed(participant, 2)
    const foreign = await cancel(ORGANIZER2, id)
    t.equal(foreign.statusCode, 404, 'another organizer does not see the booking')
    t.equal(foreign.json().code, 'BOOKING_NOT_FOUND')

    const byOrganizer = await cancel(ORGANIZER, id)
    t.equal(byOrganizer.statusCode, 200, byOrganizer.body)
    t.match(byOrganizer.json(), { id, status: 'CANCELED', paidMinor: 1_000_000, refundedMinor: 1_000_000 })
    const read = await h.call(participant, { method: 'GET', url: `/api/v1/bookings/${id}` })
    t.match(read.json(), { status: 'CANCELED', refundedMinor: 1_000_000 }, 'the participant sees it refunded')

    const own = await confirmed(other, 1)
    const byUser = await cancel(other, own)
    t.equal(byUser.statusCode, 200, byUser.body)
    t.match(byUser.json(), { status: 'CANCELED', refundedMinor: 250_000 }, 'the user gets the policy share')

    const spec = h.openapi()
    const route = spec.paths['/api/v1/bookings/{id}/cancel'].post
    t.match(route.description, /organizer/, 'the OpenAPI document says who may cancel')
  },
)
