/**
 * A fixed state of the whole API for the authorization matrix and the fuzz test: the harness with the stats
 * routes on chDB, built up through the API with the pipeline running (an organizer's published event with a
 * price option and a promo code, the same organizer's draft with a price option, a user's pending booking
 * and the request that made it, another user's confirmed booking (paid through the sandbox), a category, the analytics of both events), then the pipeline stopped: a
 * write the API lets through is appended to the log and stays undecided, so every request meets the same
 * state. Also: one valid request per route, and the route table as Fastify serves it.
 */
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { randomUUID } from 'node:crypto'
import { signWebhook } from '../../query-api/payments/webhook-signature.ts'
import { statsRoutes } from '../../query-api/routes/stats.ts'
import {
  AnalyticsSink,
  analyticsTopics,
  createClickHouse,
  createStatsQueries,
  migrate,
} from '../../read-models/analytics/index.ts'
import { MAX_DEVICES_PER_EVENT } from '../../read-models/catalog/index.ts'
import { defaultPartitioner, EmbeddedProjection, stringSerde } from '../../streams/index.ts'
import { DEFAULT_TOPIC_NAMES } from '../../topologies/index.ts'
import {
  ADMIN,
  eventBody,
  ORGANIZER,
  payThroughSandbox,
  publishedEvent,
  serdes,
  startHarness,
  USER,
  USER2,
  WAIT,
  WEBHOOK_SECRET,
  type Harness,
  type Principal,
} from './api-harness.ts'

/** The IDs of the state. */
export interface Fixture {
  readonly published: string
  readonly draft: string
  readonly booking: string
  /** USER2's CONFIRMED booking of the published event (paid through the sandbox), with its ticket code. */
  readonly confirmed: string
  readonly request: string
  readonly category: string
  /** An ACTIVE review of the published event by USER (its fact appended as the pipeline would write it). */
  readonly review: string
}

export interface ApiState {
  readonly h: Harness
  readonly fixture: Fixture
  /** Records appended to the log so far, but for the catalog views produced after an answer. */
  appended(): number
  /** A category of its own (for a request that may rename or delete it). */
  category(): Promise<string>
  /** A sandbox payment of the pending booking, started at the gateway. */
  startPayment(): Promise<string>
  /** A check-in device of its own on `eventId` (default: the published event), created by its organizer. */
  device(eventId?: string): Promise<{ deviceId: string; key: string }>
  /**
   * A bulk job of ORGANIZER's (a cancel of an unknown booking: refused as an item, nothing produced), once
   * its items are done; its ID.
   */
  bulkJob(): Promise<string>
  close(): Promise<void>
}

export const json = (payload: unknown): Pick<InjectOptions, 'payload' | 'headers'> => ({
  payload: JSON.stringify(payload),
  headers: { 'content-type': 'application/json' },
})
export const inDays = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString()
export const fresh = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`
export const PRICE_OPTION = { id: 'std', name: 'Standard', priceMinor: 500_000, allotment: 10 }
export const PROMO = {
  code: 'MATRIX10',
  kind: 'PERCENTAGE',
  value: 10,
  usageLimit: 5,
  validUntil: inDays(60),
}

export async function startApiState(): Promise<ApiState> {
  const clickhouse = createClickHouse()
  await migrate(clickhouse)
  const h = await startHarness({
    rateLimits: false,
    plugins: [statsRoutes(createStatsQueries({ client: clickhouse }))],
  })
  const sink = new AnalyticsSink({ client: clickhouse, serdes: await serdes() })
  const analytics = new EmbeddedProjection(h.log, {
    name: 'analytics',
    topics: analyticsTopics(DEFAULT_TOPIC_NAMES),
    sink,
  })
  await analytics.start()
  const close = async () => {
    await analytics.close()
    await h.close()
    await clickhouse.close()
  }

  /** A set-up call that must answer `status` (with Prefer: wait, so the state is there before the next). */
  const ok = async (
    as: Principal,
    url: string,
    body: unknown,
    status: number,
  ): Promise<LightMyRequestResponse> => {
    const answer = await h.call(as, {
      method: 'POST',
      url,
      payload: JSON.stringify(body),
      headers: { ...WAIT, 'content-type': 'application/json' },
    })
    if (answer.statusCode !== status) throw new Error(`POST ${url}: ${answer.statusCode} ${answer.body}`)
    return answer
  }
  try {
    const published = await publishedEvent(h, { id: 'state-published' })
    await ok(ORGANIZER, `/api/v1/events/${published}/promos`, PROMO, 201)
    const draft = (await ok(ORGANIZER, '/api/v1/events', eventBody({ id: 'state-draft' }), 201)).json<{
      id: string
    }>().id
    await ok(ORGANIZER, `/api/v1/events/${draft}/price-options`, PRICE_OPTION, 201)
    const booked = await ok(
      USER,
      '/api/v1/bookings',
      { eventId: published, priceOptionId: 'std', seats: 1 },
      201,
    )
    const confirmed = await confirmedBooking(h, published)
    const fixture: Fixture = {
      published,
      draft,
      booking: booked.json<{ id: string }>().id,
      confirmed,
      request: String(booked.headers['x-request-id']),
      category: 'state-category',
      review: 'state-review',
    }
    await appendReviewFact(h, published, fixture.review)
    await ok(ADMIN, '/api/v1/categories', { id: fixture.category, parentId: null, name: 'State' }, 201)
    await analytics.caughtUp(30_000)
    await h.stopPipeline()

    let appended = 0
    h.log.onAppend((records) => {
      for (const record of records) if (record.topic !== DEFAULT_TOPIC_NAMES.views) appended++
    })
    return {
      h,
      fixture,
      appended: () => appended,
      async category() {
        const id = fresh('cat')
        await ok(ADMIN, '/api/v1/categories', { id, parentId: null, name: id }, 201)
        return id
      },
      async device(eventId = published) {
        // Requests of many runs create devices: make room under the per-event limit first.
        const active = await h.readModel.listCheckInDevices(eventId)
        if (active.length >= MAX_DEVICES_PER_EVENT - 10)
          for (const d of active) await h.readModel.revokeCheckInDevice(eventId, d.deviceId)
        const answer = await ok(
          ORGANIZER,
          `/api/v1/events/${eventId}/check-in-devices`,
          { name: fresh('gate') },
          201,
        )
        return answer.json<{ deviceId: string; key: string }>()
      },
      async bulkJob() {
        const answer = await h.call(ORGANIZER, {
          method: 'POST',
          url: '/api/v1/bulk/bookings',
          ...json({ action: 'CANCEL', bookingIds: ['no-such-booking'] }),
        })
        if (answer.statusCode !== 202) throw new Error(`bulk job: ${answer.statusCode} ${answer.body}`)
        const { jobId } = answer.json<{ jobId: string }>()
        await bulkJobProduced(h, jobId)
        return jobId
      },
      async startPayment() {
        const paymentId = `pay_${randomUUID()}`
        const payment = await h.gateway.start({
          paymentId,
          bookingId: fixture.booking,
          eventId: published,
          userId: USER.sub,
          amountMinor: PRICE_OPTION.priceMinor,
          currency: 'RUB',
          returnUrl: null,
          idempotencyKey: paymentId,
        })
        return payment.paymentId
      },
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

/**
 * Waits until every item of a bulk job is produced or refused (the job's commands are produced after its
 * 202); returns how many items produced a command.
 */
export async function bulkJobProduced(h: Harness, jobId: string): Promise<number> {
  for (let i = 0; i < 400; i++) {
    const job = await h.readModel.getBulkJob(jobId)
    if (job?.producedAt !== null && job !== undefined)
      return job.items.filter((item) => item.decidedBy !== 'api').length
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`bulk job ${jobId} was not produced`)
}

/** A booking of 2 seats by USER2, paid through the sandbox gateway; waits until it is CONFIRMED. */
async function confirmedBooking(h: Harness, eventId: string): Promise<string> {
  const booked = await h.call(USER2, {
    method: 'POST',
    url: '/api/v1/bookings',
    headers: WAIT,
    payload: { eventId, priceOptionId: 'std', seats: 2 },
  })
  if (booked.statusCode !== 201) throw new Error(`book: ${booked.statusCode} ${booked.body}`)
  const id = booked.json<{ id: string }>().id
  await payThroughSandbox(h, USER2, id)
  for (let i = 0; i < 200; i++) {
    const booking = await h.readModel.getBooking(id)
    if (booking?.status === 'CONFIRMED' && booking.ticketCode !== null) return id
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`booking ${id} was not confirmed`)
}

/**
 * Appends the fact of an ACTIVE review by USER of `eventId` to the review topic, as the review ledger writes
 * it (the state's event is not completed, so no command could make one), and waits for the catalog.
 */
async function appendReviewFact(h: Harness, eventId: string, reviewId: string): Promise<void> {
  const topic = DEFAULT_TOPIC_NAMES.reviewEvents
  const now = Date.now()
  const key = stringSerde.serialize(topic, eventId)
  const value = (await serdes()).reviewEvent.serialize(topic, {
    eventId,
    reviewId,
    type: 'MODERATED',
    status: 'ACTIVE',
    authorId: USER.sub,
    authorName: null,
    organizerId: ORGANIZER.sub,
    rating: 5,
    text: 'A review of the state',
    rejectionReason: null,
    reply: null,
    repliedAtMs: null,
    helpfulCount: 0,
    voterUserId: null,
    submittedAtMs: now,
    eventRating: 5,
    eventReviewCount: 1,
    requestId: null,
    actorUserId: ADMIN.sub,
    occurredAtMs: now,
  })
  const partition = defaultPartitioner(topic, key, value, h.log.partitions(topic))
  h.log.append([{ topic, partition, key, value, timestamp: now, headers: {} }])
  await h.projection.caughtUp(30_000)
  if ((await h.readModel.getReview(reviewId)) === undefined)
    throw new Error('the review fact was not projected')
}

export function webhookBody(f: Fixture): Record<string, unknown> {
  return {
    paymentId: fresh('pay'),
    bookingId: f.booking,
    eventId: f.published,
    status: 'FAILED',
    amountMinor: PRICE_OPTION.priceMinor,
    occurredAtMs: Date.now(),
  }
}

export function signedWebhook(f: Fixture, body: string = JSON.stringify(webhookBody(f))): InjectOptions {
  return {
    method: 'POST',
    url: '/api/v1/payments/webhook',
    payload: body,
    headers: { 'content-type': 'application/json', 'x-signature': signWebhook(WEBHOOK_SECRET, body) },
  }
}

type RequestOf = (s: ApiState) => InjectOptions | Promise<InjectOptions>

/** One valid request for every route (an event route acts on the published event). */
export const VALID_REQUESTS: Readonly<Record<string, RequestOf>> = {
  'GET /healthz': () => ({ method: 'GET', url: '/healthz' }),
  'GET /readyz': () => ({ method: 'GET', url: '/readyz' }),
  'GET /api/v1/events': () => ({ method: 'GET', url: '/api/v1/events?q=rafting&size=5&sort=price,desc' }),
  'GET /api/v1/events/:id': (s) => ({ method: 'GET', url: `/api/v1/events/${s.fixture.published}` }),
  // A stream that opens never ends by itself: the fuzz gets the refusal of a missing event.
  'GET /api/v1/events/:id/availability': () => ({
    method: 'GET',
    url: '/api/v1/events/no-such-event/availability',
  }),
  'GET /api/v1/events/:id/bookings': (s) => ({
    method: 'GET',
    url: `/api/v1/events/${s.fixture.published}/bookings`,
  }),
  'GET /api/v1/events/:id/promos': (s) => ({
    method: 'GET',
    url: `/api/v1/events/${s.fixture.published}/promos`,
  }),
  'POST /api/v1/events/:id/check-in-devices': (s) => ({
    method: 'POST',
    url: `/api/v1/events/${s.fixture.published}/check-in-devices`,
    ...json({ name: 'Pier gate' }),
  }),
  'GET /api/v1/events/:id/check-in-devices': (s) => ({
    method: 'GET',
    url: `/api/v1/events/${s.fixture.published}/check-in-devices`,
  }),
  'DELETE /api/v1/events/:id/check-in-devices/:deviceId': async (s) => ({
    method: 'DELETE',
    url: `/api/v1/events/${s.fixture.published}/check-in-devices/${(await s.device()).deviceId}`,
  }),
  'GET /api/v1/events/:id/stats': (s) => ({
    method: 'GET',
    url: `/api/v1/events/${s.fixture.published}/stats`,
  }),
  'POST /api/v1/events': () => ({ method: 'POST', url: '/api/v1/events', ...json(eventBody()) }),
  'PUT /api/v1/events/:id': (s) => ({
    method: 'PUT',
    url: `/api/v1/events/${s.fixture.published}`,
    payload: JSON.stringify({ title: 'A new title' }),
    headers: { 'content-type': 'application/json', 'if-match': '"1"' },
  }),
  'POST /api/v1/events/:id/publish': (s) => ({
    method: 'POST',
    url: `/api/v1/events/${s.fixture.published}/publish`,
  }),
  'POST /api/v1/events/:id/reschedule': (s) => ({
    method: 'POST',
    url: `/api/v1/events/${s.fixture.published}/reschedule`,
    ...json({ startsAt: inDays(40), endsAt: inDays(41), place: 'Altai, Katun river, Chemal bridge' }),
  }),
  'POST /api/v1/events/:id/restore-schedule': (s) => ({
    method: 'POST',
    url: `/api/v1/events/${s.fixture.published}/restore-schedule`,
  }),
  'POST /api/v1/events/:id/cancel': (s) => ({
    method: 'POST',
    url: `/api/v1/events/${s.fixture.published}/cancel`,
    ...json({ reason: 'weather' }),
  }),
  'POST /api/v1/events/:id/price-options': (s) => ({
    method: 'POST',
    url: `/api/v1/events/${s.fixture.published}/price-options`,
    ...json({ ...PRICE_OPTION, id: 'late' }),
  }),
  'PUT /api/v1/events/:id/price-options/:optionId': (s) => ({
    method: 'PUT',
    url: `/api/v1/events/${s.fixture.published}/price-options/std`,
    ...json(PRICE_OPTION),
  }),
  'DELETE /api/v1/events/:id/price-options/:optionId': (s) => ({
    method: 'DELETE',
    url: `/api/v1/events/${s.fixture.published}/price-options/std`,
  }),
  'POST /api/v1/events/:id/promos': (s) => ({
    method: 'POST',
    url: `/api/v1/events/${s.fixture.published}/promos`,
    ...json({ ...PROMO, code: 'OTHER20' }),
  }),
  'DELETE /api/v1/events/:id/promos/:code': (s) => ({
    method: 'DELETE',
    url: `/api/v1/events/${s.fixture.published}/promos/${PROMO.code}`,
  }),
  'PUT /api/v1/events/:id/refund-policy': (s) => ({
    method: 'PUT',
    url: `/api/v1/events/${s.fixture.published}/refund-policy`,
    ...json({ tiers: [{ minHoursBeforeStart: 48, percent: 100 }] }),
  }),
  'POST /api/v1/events/:id/crew': (s) => ({
    method: 'POST',
    url: `/api/v1/events/${s.fixture.published}/crew`,
    ...json({ role: 'INSTRUCTOR' }),
  }),
  'GET /api/v1/stats/events': () => ({ method: 'GET', url: '/api/v1/stats/events' }),
  'GET /api/v1/stats/bookings': () => ({ method: 'GET', url: '/api/v1/stats/bookings' }),
  'GET /api/v1/stats/conversions': () => ({ method: 'GET', url: '/api/v1/stats/conversions' }),
  'GET /api/v1/stats/reviews': () => ({ method: 'GET', url: '/api/v1/stats/reviews?granularity=month' }),
  'POST /api/v1/promos/validate': (s) => ({
    method: 'POST',
    url: '/api/v1/promos/validate',
    ...json({ eventId: s.fixture.published, code: PROMO.code, priceOptionId: 'std', seats: 1 }),
  }),
  'POST /api/v1/bookings': (s) => ({
    method: 'POST',
    url: '/api/v1/bookings',
    ...json({ eventId: s.fixture.published, priceOptionId: 'std', seats: 1 }),
  }),
  'GET /api/v1/bookings': () => ({ method: 'GET', url: '/api/v1/bookings' }),
  'GET /api/v1/bookings/:id': (s) => ({ method: 'GET', url: `/api/v1/bookings/${s.fixture.booking}` }),
  'GET /api/v1/bookings/:id/ticket.pdf': (s) => ({
    method: 'GET',
    url: `/api/v1/bookings/${s.fixture.confirmed}/ticket.pdf`,
  }),
  'GET /api/v1/bookings/:id/calendar.ics': (s) => ({
    method: 'GET',
    url: `/api/v1/bookings/${s.fixture.confirmed}/calendar.ics`,
  }),
  'GET /api/v1/events/:id/calendar.ics': (s) => ({
    method: 'GET',
    url: `/api/v1/events/${s.fixture.published}/calendar.ics`,
  }),
  'POST /api/v1/bookings/:id/cancel': (s) => ({
    method: 'POST',
    url: `/api/v1/bookings/${s.fixture.booking}/cancel`,
  }),
  'PATCH /api/v1/bookings/:id': (s) => ({
    method: 'PATCH',
    url: `/api/v1/bookings/${s.fixture.booking}`,
    ...json({ seats: 2 }),
  }),
  'POST /api/v1/bookings/:id/reconfirm': (s) => ({
    method: 'POST',
    url: `/api/v1/bookings/${s.fixture.booking}/reconfirm`,
  }),
  'POST /api/v1/bookings/:id/ticket/reissue': (s) => ({
    method: 'POST',
    url: `/api/v1/bookings/${s.fixture.booking}/ticket/reissue`,
  }),
  'POST /api/v1/events/:id/check-ins': (s) => ({
    method: 'POST',
    url: `/api/v1/events/${s.fixture.published}/check-ins`,
    ...json({ scans: [{ code: 'T1~e~b~1~1~AAAAAAAAAAAAAAAAAAAAAA', scannedAt: new Date().toISOString() }] }),
  }),
  'POST /api/v1/bookings/:id/pay': (s) => ({
    method: 'POST',
    url: `/api/v1/bookings/${s.fixture.booking}/pay`,
  }),
  'GET /api/v1/bookings/:id/payments': (s) => ({
    method: 'GET',
    url: `/api/v1/bookings/${s.fixture.booking}/payments`,
  }),
  'GET /api/v1/admin/refunds': () => ({ method: 'GET', url: '/api/v1/admin/refunds?status=FAILED' }),
  'POST /api/v1/payments/sandbox/:paymentId/refund-failures': async (s) => ({
    method: 'POST',
    url: `/api/v1/payments/sandbox/${await s.startPayment()}/refund-failures`,
    ...json({ count: 1 }),
  }),
  'POST /api/v1/payments/webhook': (s) => signedWebhook(s.fixture),
  'POST /api/v1/payments/sandbox/:paymentId/:outcome': async (s) => ({
    method: 'POST',
    url: `/api/v1/payments/sandbox/${await s.startPayment()}/complete`,
  }),
  'POST /api/v1/events/:id/waitlist': (s) => ({
    method: 'POST',
    url: `/api/v1/events/${s.fixture.published}/waitlist`,
  }),
  'DELETE /api/v1/events/:id/waitlist': (s) => ({
    method: 'DELETE',
    url: `/api/v1/events/${s.fixture.published}/waitlist`,
  }),
  'GET /api/v1/waitlist': () => ({ method: 'GET', url: '/api/v1/waitlist' }),
  'GET /api/v1/favorites': () => ({ method: 'GET', url: '/api/v1/favorites' }),
  'POST /api/v1/events/:id/favorite': (s) => ({
    method: 'POST',
    url: `/api/v1/events/${s.fixture.published}/favorite`,
  }),
  'DELETE /api/v1/events/:id/favorite': (s) => ({
    method: 'DELETE',
    url: `/api/v1/events/${s.fixture.published}/favorite`,
  }),
  'GET /api/v1/requests/:id': (s) => ({ method: 'GET', url: `/api/v1/requests/${s.fixture.request}` }),
  'GET /api/v1/categories': () => ({ method: 'GET', url: '/api/v1/categories' }),
  'GET /api/v1/events/:id/reviews': (s) => ({
    method: 'GET',
    url: `/api/v1/events/${s.fixture.published}/reviews?sort=date`,
  }),
  'POST /api/v1/events/:id/reviews': (s) => ({
    method: 'POST',
    url: `/api/v1/events/${s.fixture.published}/reviews`,
    ...json({ rating: 4, text: 'Good trip overall' }),
  }),
  'PATCH /api/v1/reviews/:id': (s) => ({
    method: 'PATCH',
    url: `/api/v1/reviews/${s.fixture.review}`,
    ...json({ rating: 3, text: 'Changed my mind' }),
  }),
  'DELETE /api/v1/reviews/:id': (s) => ({ method: 'DELETE', url: `/api/v1/reviews/${s.fixture.review}` }),
  'POST /api/v1/reviews/:id/reply': (s) => ({
    method: 'POST',
    url: `/api/v1/reviews/${s.fixture.review}/reply`,
    ...json({ text: 'Thank you!' }),
  }),
  'POST /api/v1/reviews/:id/helpful': (s) => ({
    method: 'POST',
    url: `/api/v1/reviews/${s.fixture.review}/helpful`,
  }),
  'DELETE /api/v1/reviews/:id/helpful': (s) => ({
    method: 'DELETE',
    url: `/api/v1/reviews/${s.fixture.review}/helpful`,
  }),
  'GET /api/v1/admin/reviews': () => ({ method: 'GET', url: '/api/v1/admin/reviews?status=PENDING' }),
  'POST /api/v1/admin/reviews/:id/moderate': (s) => ({
    method: 'POST',
    url: `/api/v1/admin/reviews/${s.fixture.review}/moderate`,
    ...json({ status: 'REJECTED', reason: 'Off topic' }),
  }),
  'POST /api/v1/categories': () => ({
    method: 'POST',
    url: '/api/v1/categories',
    ...json({ id: fresh('cat'), parentId: null, name: 'New' }),
  }),
  'PATCH /api/v1/categories/:id': async (s) => ({
    method: 'PATCH',
    url: `/api/v1/categories/${await s.category()}`,
    ...json({ name: 'Renamed' }),
  }),
  'GET /api/v1/admin/audit': () => ({ method: 'GET', url: '/api/v1/admin/audit?size=5' }),
  'GET /api/v1/admin/bookings': () => ({
    method: 'GET',
    url: '/api/v1/admin/bookings?status=CONFIRMED,PENDING_PAYMENT&size=5',
  }),
  'GET /api/v1/events/:id/participants.csv': (s) => ({
    method: 'GET',
    url: `/api/v1/events/${s.fixture.published}/participants.csv`,
  }),
  'POST /api/v1/bulk/events': (s) => ({
    method: 'POST',
    url: '/api/v1/bulk/events',
    ...json({ action: 'CANCEL', eventIds: [s.fixture.published], reason: 'weather' }),
  }),
  'POST /api/v1/bulk/bookings': (s) => ({
    method: 'POST',
    url: '/api/v1/bulk/bookings',
    ...json({ action: 'CANCEL', bookingIds: [s.fixture.booking] }),
  }),
  'GET /api/v1/bulk/:id': async (s) => ({ method: 'GET', url: `/api/v1/bulk/${await s.bulkJob()}` }),
  'DELETE /api/v1/categories/:id': async (s) => ({
    method: 'DELETE',
    url: `/api/v1/categories/${await s.category()}`,
  }),
}

/** `METHOD /url` of every route an app serves, from Fastify's own tree (`printRoutes`); HEAD routes included. */
export function routeTable(app: Harness['app']): string[] {
  const routes: string[] = []
  const stack: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│├└─\s]*)(\S+) \(([A-Z, ]+)\)$/.exec(line)
    if (m === null) continue
    stack.length = m[1]!.length / 4 - 1
    stack.push(m[2]!)
    for (const method of m[3]!.split(', ')) routes.push(`${method} ${stack.join('')}`)
  }
  return routes
}
