// Reviews through the API, end to end on the in-process service (pipeline, read model, app) with the
// pipeline's timers on a hand-moved clock: participants book and pay, the event completes, then the review
// routes across roles: guests read, users write (attendance decided by the pipeline), authors see their own
// pending review, admins moderate only with a second factor, organizers reply only on their own events,
// helpful votes once per user and not on one's own review; the event's rating and reviewCount follow.
import t from 'tap'
import { ManualClock } from '../../streams/index.ts'
import {
  ADMIN,
  ADMIN_NO_2FA,
  DAY_MS,
  ORGANIZER,
  ORGANIZER2,
  publishedEvent,
  startHarness,
  USER,
  USER2,
  WAIT,
  type Harness,
  type Principal,
  jsonCalls,
  until,
} from './api-harness.ts'

const USER3: Principal = { sub: 'user-3', role: 'user' }
const clock = new ManualClock(Date.now())
const h: Harness = await startHarness({ rateLimits: false, clock })
t.teardown(() => h.close())

const { post, get } = jsonCalls(h)

async function bookAndPay(as: Principal & { sub: string }, eventId: string): Promise<void> {
  const booked = await post(as, '/api/v1/bookings', { eventId, priceOptionId: 'std', seats: 1 })
  if (booked.statusCode !== 201) throw new Error(`book: ${booked.body}`)
  const id = booked.json<{ id: string }>().id
  const pay = await post(as, `/api/v1/bookings/${id}/pay`)
  const settled = await post(as, `/api/v1/payments/sandbox/${pay.json().paymentId}/complete`, undefined, {})
  if (settled.statusCode !== 200) throw new Error(`pay: ${settled.body}`)
  const booking = await until(
    async () => (await get(as, `/api/v1/bookings/${id}`)).json<{ status: string }>(),
    (b) => b.status === 'CONFIRMED',
  )
  if (booking.status !== 'CONFIRMED') throw new Error(`booking ${id} is ${booking.status}`)
}

const eventId = await publishedEvent(h)
await bookAndPay(USER as { sub: string } & Principal, eventId)
await bookAndPay(USER2 as { sub: string } & Principal, eventId)
const reviews = `/api/v1/events/${eventId}/reviews`

t.test('before the event completed, no one may review it', async (t) => {
  const early = await post(USER, reviews, { rating: 5, text: 'Looking forward to it' })
  t.equal(early.statusCode, 403, early.body)
  t.equal(early.json().code, 'REVIEW_NOT_ALLOWED')
})

t.test('after it ends (the clock moved 32 days), the review flow across roles', async (t) => {
  clock.advance(32 * DAY_MS)
  const event = await until(
    async () => (await get('guest', `/api/v1/events/${eventId}`)).json<{ status: string }>(),
    (e) => e.status === 'COMPLETED',
  )
  t.equal(event.status, 'COMPLETED')

  t.equal((await post('guest', reviews, { rating: 5, text: 'Anonymous praise' })).statusCode, 401)
  const bad = await post(USER, reviews, { rating: 6, text: 'Too many stars' })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'VALIDATION_FAILED')
  const html = await post(USER, reviews, { rating: 5, text: 'Nice <script>x</script>' })
  t.equal(html.statusCode, 400, 'the pipeline refuses HTML')
  t.equal(html.json().code, 'VALIDATION_FAILED')
  const stranger = await post(USER3, reviews, { rating: 1, text: 'Never went there' })
  t.equal(stranger.statusCode, 403)
  t.equal(stranger.json().code, 'REVIEW_NOT_ALLOWED', 'no confirmed booking')

  const key = { ...WAIT, 'idempotency-key': 'review-user-1' }
  const created = await post(USER, reviews, { rating: 5, text: 'Superb guides' }, key)
  t.equal(created.statusCode, 201, created.body)
  const review = created.json<{ id: string; status: string; authorId: string; authorName?: string | null }>()
  t.match(review, { status: 'PENDING', authorId: USER.sub, rating: 5 })
  t.equal(created.headers.location, `/api/v1/reviews/${review.id}`)
  const again = await post(USER, reviews, { rating: 5, text: 'Superb guides' }, key)
  t.equal(again.json().id, review.id, 'a retry with the same Idempotency-Key names the same review')
  const second = await post(USER, reviews, { rating: 4, text: 'Second thoughts' })
  t.equal(second.statusCode, 409)
  t.equal(second.json().code, 'DUPLICATE_REVIEW')
  const named = await post({ ...(USER2 as object), name: '  Мария   К. ' } as Principal, reviews, {
    rating: 3,
    text: 'It was fine',
  })
  t.equal(named.statusCode, 201)
  t.equal(named.json().authorName, 'Мария К.', "the author is shown by the token's name claim")
  t.equal(review.authorName ?? null, null, 'no name claim: no name')

  t.same((await get('guest', reviews)).json().items, [], 'guests see no pending review')
  t.same(
    (await get(USER, reviews)).json().items.map((r: { id: string }) => r.id),
    [review.id],
    'the author sees their own pending one',
  )
  const patch = await h.call(USER2, {
    method: 'PATCH',
    url: `/api/v1/reviews/${review.id}`,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ rating: 1, text: 'Hijacked' }),
  })
  t.equal(patch.statusCode, 403, 'only the author edits')

  const moderate = (as: Principal, body: unknown) =>
    post(as, `/api/v1/admin/reviews/${review.id}/moderate`, body)
  t.equal((await moderate(USER, { status: 'ACTIVE' })).statusCode, 403)
  const no2fa = await moderate(ADMIN_NO_2FA, { status: 'ACTIVE' })
  t.equal(no2fa.statusCode, 403)
  t.equal(no2fa.json().code, 'SECOND_FACTOR_REQUIRED')
  t.equal((await moderate(ADMIN, { status: 'REJECTED' })).json().code, 'VALIDATION_FAILED', 'no reason')
  const queue = (await get(ADMIN, '/api/v1/admin/reviews?status=PENDING')).json()
  t.same(queue.items.map((r: { id: string }) => r.id).includes(review.id), true, 'in the moderation queue')
  const approved = await moderate(ADMIN, { status: 'ACTIVE' })
  t.equal(approved.statusCode, 200, approved.body)
  t.equal(approved.json().status, 'ACCEPTED')
  t.equal((await moderate(ADMIN, { status: 'ACTIVE' })).json().code, 'INVALID_REVIEW_STATE', 'moderated once')

  const listed = await until(
    async () => (await get('guest', reviews)).json<{ items: { id: string }[] }>(),
    (page) => page.items.length === 1,
  )
  t.same(
    listed.items.map((r) => r.id),
    [review.id],
    'guests see it once ACTIVE',
  )
  const rated = await until(
    async () => (await get('guest', `/api/v1/events/${eventId}`)).json<{ rating: number | null }>(),
    (e) => e.rating !== null,
  )
  t.match(rated, { rating: 5, reviewCount: 1 })
  const byRating = await get('guest', '/api/v1/events?status=COMPLETED&sort=rating,desc&minRating=4.5')
  t.same(
    byRating.json().items.map((e: { id: string }) => e.id),
    [eventId],
    'minRating and sort=rating',
  )
  t.equal((await get('guest', '/api/v1/events?status=COMPLETED&minRating=5.0')).json().total, 1)

  const reply = (as: Principal, text: string) => post(as, `/api/v1/reviews/${review.id}/reply`, { text })
  t.equal((await reply(ORGANIZER2, 'Not mine')).statusCode, 403, "another organizer's event")
  t.equal((await reply(USER2, 'Me too')).statusCode, 403, 'users do not reply')
  t.equal((await reply(ORGANIZER, 'Thank you!')).statusCode, 200)
  t.equal((await reply(ORGANIZER, 'Thanks again')).json().code, 'REVIEW_ALREADY_REPLIED')

  const helpful = `/api/v1/reviews/${review.id}/helpful`
  t.equal((await post(USER, helpful)).json().code, 'OWN_REVIEW_VOTE')
  t.equal((await post(USER2, helpful)).statusCode, 200)
  t.equal((await post(USER2, helpful)).json().code, 'DUPLICATE_VOTE')
  t.equal((await post(USER3, helpful)).statusCode, 200, 'any signed-in user votes')
  const unvote = await h.call(USER3, { method: 'DELETE', url: helpful, headers: WAIT })
  t.equal(unvote.statusCode, 200)
  const final = await until(
    async () =>
      (await get('guest', reviews)).json<{ items: { helpfulCount: number; reply: string | null }[] }>(),
    (page) => page.items[0]?.helpfulCount === 1 && page.items[0]?.reply !== null,
  )
  t.match(final.items[0], { helpfulCount: 1, reply: 'Thank you!' })
  const late = await h.call(USER, {
    method: 'PATCH',
    url: `/api/v1/reviews/${review.id}`,
    headers: { ...WAIT, 'content-type': 'application/json' },
    payload: JSON.stringify({ rating: 4, text: 'Edited after moderation' }),
  })
  t.equal(late.json().code, 'INVALID_REVIEW_STATE')
})

t.test('30 days after the end the window is closed', async (t) => {
  clock.advance(30 * DAY_MS)
  const event = await until(
    async () => (await get('guest', `/api/v1/events/${eventId}`)).json<{ status: string }>(),
    (e) => e.status === 'REVIEWED',
  )
  t.equal(event.status, 'REVIEWED')
  const late = await post(USER3, reviews, { rating: 2, text: 'Too late anyway' })
  t.equal(late.json().code, 'REVIEW_WINDOW_CLOSED')
  t.equal(late.statusCode, 422)
})
