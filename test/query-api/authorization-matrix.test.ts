/**
 * The authorization matrix: every route of the API (read from Fastify's own route table, so a route added
 * without a row here fails) × the resource states that matter × seven principals, against one table of
 * expected answers written below, once.
 *
 * The states are built through the API with the pipeline running (an organizer's published event with a
 * price option and a promo code, the same organizer's draft, a user's pending booking and its request, a
 * category, the analytics of both events); then the pipeline stops, so every cell meets the same state: a
 * write the API lets through answers 202 and its command waits on the log undecided. This is the API's
 * check; the processors check again with the same predicates (test/processors/authorization.test.ts).
 * Every cell also checks what reached the log: one command for a 202, nothing for a refusal.
 */
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import {
  ADMIN,
  ADMIN_NO_2FA,
  eventBody,
  ORGANIZER,
  ORGANIZER2,
  USER,
  USER2,
  type Principal,
} from './api-harness.ts'
import {
  fresh,
  inDays,
  json,
  PRICE_OPTION,
  PROMO,
  routeTable,
  signedWebhook,
  startApiState,
  VALID_REQUESTS,
  webhookBody,
  type ApiState,
  bulkJobProduced,
} from './api-state.ts'

/** The columns of the table, in order. */
const WHO = ['guest', 'user', 'otherUser', 'organizer', 'otherOrganizer', 'admin', 'adminNo2fa'] as const
type Who = (typeof WHO)[number]
const PRINCIPALS: Record<Who, Principal> = {
  guest: 'guest',
  user: USER, // the booking's user
  otherUser: USER2,
  organizer: ORGANIZER, // the events' organizer
  otherOrganizer: ORGANIZER2,
  admin: ADMIN, // amr: mfa
  adminNo2fa: ADMIN_NO_2FA,
}

/** One row: a route (as Fastify names it) in one state, the request, the expected status per principal. */
interface Row {
  readonly route: string
  readonly state: string
  /** The request of one cell; may prepare a fresh resource for it (a category to delete, a payment). */
  readonly request: (s: ApiState) => InjectOptions | Promise<InjectOptions>
  /** Statuses in the order of WHO. */
  readonly expect: string
  /**
   * For a route whose commands are produced after its 202 (a bulk job): waits until they are, and says how
   * many there are (the items the API did not refuse); one otherwise.
   */
  readonly commands?: (s: ApiState, answer: LightMyRequestResponse) => Promise<number>
}

// The table. Columns: guest, user (the booking's), another user, organizer (the events'), another
// organizer, admin with a second factor, admin without one.
//
// Event writes: every event state the API knows answers the same way except a draft, which does not exist
// for whoever may not see it (404, not 403). Admins without a second factor get 403 on every route.
const EVENT_WRITE = { published: '401 403 403 202 403 202 403', draft: '401 403 403 202 404 202 403' }
const MANAGER_READ = { published: '401 403 403 200 403 200 403', draft: '401 403 403 200 404 200 403' }
const eventWrite = (
  route: string,
  request: (id: string) => Omit<InjectOptions, 'url'> & { url: string },
): Row[] => [
  { route, state: 'published', request: (s) => request(s.fixture.published), expect: EVENT_WRITE.published },
  { route, state: 'draft', request: (s) => request(s.fixture.draft), expect: EVENT_WRITE.draft },
]
const managerRead = (route: string, url: (id: string) => string): Row[] => [
  {
    route,
    state: 'published',
    request: (s) => ({ method: 'GET', url: url(s.fixture.published) }),
    expect: MANAGER_READ.published,
  },
  {
    route,
    state: 'draft',
    request: (s) => ({ method: 'GET', url: url(s.fixture.draft) }),
    expect: MANAGER_READ.draft,
  },
]

/** The rows of a booking's document route (`ticket.pdf`, `calendar.ics`) in the three booking states. */
const bookingDocument = (route: string, file: string): Row[] => [
  {
    route,
    state: "user-2's confirmed booking",
    request: (s) => ({ method: 'GET', url: `/api/v1/bookings/${s.fixture.confirmed}/${file}` }),
    expect: '401 404 200 200 404 200 403',
  },
  {
    route,
    state: 'pending',
    request: (s) => ({ method: 'GET', url: `/api/v1/bookings/${s.fixture.booking}/${file}` }),
    expect: '401 409 404 409 404 409 403',
  },
  {
    route,
    state: 'missing',
    request: () => ({ method: 'GET', url: `/api/v1/bookings/no-such-booking/${file}` }),
    expect: '401 404 404 404 404 404 403',
  },
]

const ROWS: Row[] = [
  // Operations: public, but an admin token without a second factor is refused everywhere.
  {
    route: 'GET /healthz',
    state: '-',
    request: () => ({ method: 'GET', url: '/healthz' }),
    expect: '200 200 200 200 200 200 403',
  },
  {
    route: 'GET /readyz',
    state: '-',
    request: () => ({ method: 'GET', url: '/readyz' }),
    expect: '200 200 200 200 200 200 403',
  },

  // Catalog
  {
    route: 'GET /api/v1/events',
    state: '-',
    request: () => ({ method: 'GET', url: '/api/v1/events' }),
    expect: '200 200 200 200 200 200 403',
  },
  {
    route: 'GET /api/v1/events',
    state: 'drafts asked',
    request: () => ({ method: 'GET', url: '/api/v1/events?status=DRAFT' }),
    expect: '200 200 200 200 200 200 403',
  },
  {
    route: 'GET /api/v1/events/:id',
    state: 'published',
    request: (s) => ({ method: 'GET', url: `/api/v1/events/${s.fixture.published}` }),
    expect: '200 200 200 200 200 200 403',
  },
  {
    route: 'GET /api/v1/events/:id',
    state: 'draft',
    request: (s) => ({ method: 'GET', url: `/api/v1/events/${s.fixture.draft}` }),
    expect: '404 404 404 200 404 200 403',
  },
  {
    route: 'GET /api/v1/events/:id',
    state: 'missing',
    request: () => ({ method: 'GET', url: '/api/v1/events/no-such-event' }),
    expect: '404 404 404 404 404 404 403',
  },
  // Only the refusals: a stream that opens stays open (test/query-api/availability-stream.test.ts).
  {
    route: 'GET /api/v1/events/:id/availability',
    state: 'missing',
    request: () => ({ method: 'GET', url: '/api/v1/events/no-such-event/availability' }),
    expect: '404 404 404 404 404 404 403',
  },
  ...managerRead('GET /api/v1/events/:id/bookings', (id) => `/api/v1/events/${id}/bookings`),
  ...managerRead('GET /api/v1/events/:id/promos', (id) => `/api/v1/events/${id}/promos`),

  // Event writes
  {
    route: 'POST /api/v1/events',
    state: 'for oneself',
    request: () => ({ method: 'POST', url: '/api/v1/events', ...json(eventBody()) }),
    expect: '401 403 403 202 202 202 403',
  },
  {
    route: 'POST /api/v1/events',
    state: 'for the organizer org-1',
    request: () => ({ method: 'POST', url: '/api/v1/events', ...json(eventBody({ organizerId: 'org-1' })) }),
    expect: '401 403 403 202 403 202 403',
  },
  ...eventWrite('PUT /api/v1/events/:id', (id) => ({
    method: 'PUT',
    url: `/api/v1/events/${id}`,
    ...json({ title: 'A new title' }),
    headers: { 'content-type': 'application/json', 'if-match': '"1"' },
  })),
  ...eventWrite('POST /api/v1/events/:id/publish', (id) => ({
    method: 'POST',
    url: `/api/v1/events/${id}/publish`,
  })),
  ...eventWrite('POST /api/v1/events/:id/reschedule', (id) => ({
    method: 'POST',
    url: `/api/v1/events/${id}/reschedule`,
    ...json({ startsAt: inDays(40), endsAt: inDays(41), place: 'Altai, Katun river, Chemal bridge' }),
  })),
  ...eventWrite('POST /api/v1/events/:id/restore-schedule', (id) => ({
    method: 'POST',
    url: `/api/v1/events/${id}/restore-schedule`,
  })),
  ...eventWrite('POST /api/v1/events/:id/cancel', (id) => ({
    method: 'POST',
    url: `/api/v1/events/${id}/cancel`,
    ...json({ reason: 'weather' }),
  })),
  ...eventWrite('POST /api/v1/events/:id/price-options', (id) => ({
    method: 'POST',
    url: `/api/v1/events/${id}/price-options`,
    ...json({ ...PRICE_OPTION, id: 'late' }),
  })),
  ...eventWrite('PUT /api/v1/events/:id/price-options/:optionId', (id) => ({
    method: 'PUT',
    url: `/api/v1/events/${id}/price-options/std`,
    ...json(PRICE_OPTION),
  })),
  ...eventWrite('DELETE /api/v1/events/:id/price-options/:optionId', (id) => ({
    method: 'DELETE',
    url: `/api/v1/events/${id}/price-options/std`,
  })),
  ...eventWrite('POST /api/v1/events/:id/promos', (id) => ({
    method: 'POST',
    url: `/api/v1/events/${id}/promos`,
    ...json({ ...PROMO, code: 'OTHER20' }),
  })),
  ...eventWrite('DELETE /api/v1/events/:id/promos/:code', (id) => ({
    method: 'DELETE',
    url: `/api/v1/events/${id}/promos/MATRIX10`,
  })),
  ...eventWrite('PUT /api/v1/events/:id/refund-policy', (id) => ({
    method: 'PUT',
    url: `/api/v1/events/${id}/refund-policy`,
    ...json({ tiers: [{ minHoursBeforeStart: 48, percent: 100 }] }),
  })),
  // Check-in: the event's organizer and admins scan (a user's role may not call the route at all).
  ...eventWrite('POST /api/v1/events/:id/check-ins', (id) => ({
    method: 'POST',
    url: `/api/v1/events/${id}/check-ins`,
    ...json({ code: 'T1~e~b~1~1~AAAAAAAAAAAAAAAAAAAAAA', scannedAt: new Date().toISOString() }),
  })),
  ...eventWrite('POST /api/v1/events/:id/crew', (id) => ({
    method: 'POST',
    url: `/api/v1/events/${id}/crew`,
    ...json({ role: 'INSTRUCTOR' }),
  })),

  // Check-in devices: the event's organizer and admins create, list and revoke them (each revocation cell
  // its own device).
  ...eventWrite('POST /api/v1/events/:id/check-in-devices', (id) => ({
    method: 'POST',
    url: `/api/v1/events/${id}/check-in-devices`,
    ...json({ name: 'Pier gate' }),
  })).map((row) => ({ ...row, expect: row.expect.replaceAll('202', '201') })),
  ...managerRead('GET /api/v1/events/:id/check-in-devices', (id) => `/api/v1/events/${id}/check-in-devices`),
  ...(['published', 'draft'] as const).map((state): Row => ({
    route: 'DELETE /api/v1/events/:id/check-in-devices/:deviceId',
    state,
    request: async (s) => {
      const id = state === 'published' ? s.fixture.published : s.fixture.draft
      return {
        method: 'DELETE',
        url: `/api/v1/events/${id}/check-in-devices/${(await s.device(id)).deviceId}`,
      }
    },
    expect: EVENT_WRITE[state].replaceAll('202', '204'),
  })),

  // Stats (the analytics read model): organizers their own events, admins all.
  ...managerRead('GET /api/v1/events/:id/stats', (id) => `/api/v1/events/${id}/stats`),
  {
    route: 'GET /api/v1/stats/events',
    state: '-',
    request: () => ({ method: 'GET', url: '/api/v1/stats/events' }),
    expect: '401 403 403 200 200 200 403',
  },
  {
    route: 'GET /api/v1/stats/bookings',
    state: '-',
    request: () => ({ method: 'GET', url: '/api/v1/stats/bookings' }),
    expect: '401 403 403 200 200 200 403',
  },
  {
    route: 'GET /api/v1/stats/conversions',
    state: '-',
    request: () => ({ method: 'GET', url: '/api/v1/stats/conversions' }),
    expect: '401 403 403 200 200 200 403',
  },
  {
    route: 'GET /api/v1/stats/reviews',
    state: '-',
    request: () => ({ method: 'GET', url: '/api/v1/stats/reviews' }),
    expect: '401 403 403 200 200 200 403',
  },

  // Promo check before booking: signed-in callers, on events they may see.
  {
    route: 'POST /api/v1/promos/validate',
    state: 'published',
    request: (s) => ({
      method: 'POST',
      url: '/api/v1/promos/validate',
      ...json({ eventId: s.fixture.published, code: PROMO.code, priceOptionId: 'std', seats: 1 }),
    }),
    expect: '401 200 200 200 200 200 403',
  },
  {
    route: 'POST /api/v1/promos/validate',
    state: 'draft',
    request: (s) => ({
      method: 'POST',
      url: '/api/v1/promos/validate',
      ...json({ eventId: s.fixture.draft, code: PROMO.code, priceOptionId: 'std', seats: 1 }),
    }),
    expect: '401 404 404 200 404 200 403',
  },

  // Bookings
  {
    route: 'POST /api/v1/bookings',
    state: 'for oneself',
    request: (s) => ({
      method: 'POST',
      url: '/api/v1/bookings',
      ...json({ eventId: s.fixture.published, priceOptionId: 'std', seats: 1 }),
    }),
    expect: '401 202 202 202 202 202 403',
  },
  {
    route: 'POST /api/v1/bookings',
    state: 'for user-2',
    request: (s) => ({
      method: 'POST',
      url: '/api/v1/bookings',
      ...json({ eventId: s.fixture.published, priceOptionId: 'std', seats: 1, userId: 'user-2' }),
    }),
    expect: '401 403 202 403 403 202 403',
  },
  {
    route: 'GET /api/v1/bookings',
    state: 'own list',
    request: () => ({ method: 'GET', url: '/api/v1/bookings' }),
    expect: '401 200 200 200 200 200 403',
  },
  {
    route: 'GET /api/v1/bookings/:id',
    state: 'pending',
    request: (s) => ({ method: 'GET', url: `/api/v1/bookings/${s.fixture.booking}` }),
    expect: '401 200 404 200 404 200 403',
  },
  {
    route: 'GET /api/v1/bookings/:id',
    state: 'missing',
    request: () => ({ method: 'GET', url: '/api/v1/bookings/no-such-booking' }),
    expect: '401 404 404 404 404 404 403',
  },
  // Tickets and calendar files: whoever may see the booking (its user, the organizer, admins), anyone else
  // the 404 of reading it; only a CONFIRMED booking has a ticket (409 TICKET_NOT_AVAILABLE). The confirmed
  // booking is user-2's (the otherUser column).
  ...bookingDocument('GET /api/v1/bookings/:id/ticket.pdf', 'ticket.pdf'),
  ...bookingDocument('GET /api/v1/bookings/:id/calendar.ics', 'calendar.ics'),
  {
    route: 'GET /api/v1/events/:id/calendar.ics',
    state: 'published',
    request: (s) => ({ method: 'GET', url: `/api/v1/events/${s.fixture.published}/calendar.ics` }),
    expect: '200 200 200 200 200 200 403',
  },
  {
    route: 'GET /api/v1/events/:id/calendar.ics',
    state: 'draft',
    request: (s) => ({ method: 'GET', url: `/api/v1/events/${s.fixture.draft}/calendar.ics` }),
    expect: '404 404 404 200 404 200 403',
  },
  {
    route: 'GET /api/v1/events/:id/calendar.ics',
    state: 'missing',
    request: () => ({ method: 'GET', url: '/api/v1/events/no-such-event/calendar.ics' }),
    expect: '404 404 404 404 404 404 403',
  },
  {
    route: 'POST /api/v1/bookings/:id/cancel',
    state: 'pending',
    request: (s) => ({ method: 'POST', url: `/api/v1/bookings/${s.fixture.booking}/cancel` }),
    expect: '401 202 404 202 404 202 403',
  },
  {
    route: 'POST /api/v1/bookings/:id/cancel',
    state: 'pending, force majeure',
    request: (s) => ({
      method: 'POST',
      url: `/api/v1/bookings/${s.fixture.booking}/cancel`,
      ...json({ forceMajeure: true }),
    }),
    expect: '401 403 404 403 404 202 403',
  },
  {
    route: 'PATCH /api/v1/bookings/:id',
    state: 'pending',
    request: (s) => ({
      method: 'PATCH',
      url: `/api/v1/bookings/${s.fixture.booking}`,
      ...json({ seats: 2 }),
    }),
    expect: '401 202 404 403 404 202 403',
  },
  {
    route: 'POST /api/v1/bookings/:id/reconfirm',
    state: 'pending',
    request: (s) => ({ method: 'POST', url: `/api/v1/bookings/${s.fixture.booking}/reconfirm` }),
    expect: '401 202 404 403 404 202 403',
  },
  {
    // Whoever may see the booking: its user, the event's organizer, admins (the ledger refuses a pending
    // one later, INVALID_BOOKING_STATE).
    route: 'POST /api/v1/bookings/:id/ticket/reissue',
    state: 'pending',
    request: (s) => ({ method: 'POST', url: `/api/v1/bookings/${s.fixture.booking}/ticket/reissue` }),
    expect: '401 202 404 202 404 202 403',
  },
  {
    route: 'POST /api/v1/bookings/:id/pay',
    state: 'pending',
    request: (s) => ({ method: 'POST', url: `/api/v1/bookings/${s.fixture.booking}/pay` }),
    expect: '401 202 404 403 404 202 403',
  },
  {
    // Whoever may see the booking: its user, the event's organizer, admins.
    route: 'GET /api/v1/bookings/:id/payments',
    state: 'pending',
    request: (s) => ({ method: 'GET', url: `/api/v1/bookings/${s.fixture.booking}/payments` }),
    expect: '401 200 404 200 404 200 403',
  },

  // Payments: the gateway's signed callback takes no token; the sandbox stands for the payer.
  {
    route: 'POST /api/v1/payments/webhook',
    state: 'signed',
    request: (s) => signedWebhook(s.fixture),
    expect: '200 200 200 200 200 200 403',
  },
  {
    route: 'POST /api/v1/payments/webhook',
    state: 'unsigned',
    request: (s) => ({ method: 'POST', url: '/api/v1/payments/webhook', ...json(webhookBody(s.fixture)) }),
    expect: '401 401 401 401 401 401 403',
  },
  {
    route: 'POST /api/v1/payments/sandbox/:paymentId/:outcome',
    state: 'started payment',
    request: async (s) => ({
      method: 'POST',
      url: `/api/v1/payments/sandbox/${await s.startPayment()}/complete`,
    }),
    expect: '401 200 404 403 404 200 403',
  },
  {
    route: 'POST /api/v1/payments/sandbox/:paymentId/refund-failures',
    state: 'started payment',
    request: async (s) => ({
      method: 'POST',
      url: `/api/v1/payments/sandbox/${await s.startPayment()}/refund-failures`,
      ...json({ count: 1 }),
    }),
    expect: '401 403 403 403 403 200 403',
  },
  {
    route: 'GET /api/v1/admin/refunds',
    state: '-',
    request: () => ({ method: 'GET', url: '/api/v1/admin/refunds?status=FAILED' }),
    expect: '401 403 403 403 403 200 403',
  },

  // Waiting list (the pipeline decides whether the event has one to join), favorites, outcomes.
  {
    route: 'POST /api/v1/events/:id/waitlist',
    state: 'published',
    request: (s) => ({ method: 'POST', url: `/api/v1/events/${s.fixture.published}/waitlist` }),
    expect: '401 202 202 202 202 202 403',
  },
  {
    route: 'DELETE /api/v1/events/:id/waitlist',
    state: 'published',
    request: (s) => ({ method: 'DELETE', url: `/api/v1/events/${s.fixture.published}/waitlist` }),
    expect: '401 202 202 202 202 202 403',
  },
  {
    route: 'GET /api/v1/waitlist',
    state: 'own list',
    request: () => ({ method: 'GET', url: '/api/v1/waitlist' }),
    expect: '401 200 200 200 200 200 403',
  },
  {
    route: 'GET /api/v1/favorites',
    state: 'own list',
    request: () => ({ method: 'GET', url: '/api/v1/favorites' }),
    expect: '401 200 200 200 200 200 403',
  },
  {
    route: 'POST /api/v1/events/:id/favorite',
    state: 'published',
    request: (s) => ({ method: 'POST', url: `/api/v1/events/${s.fixture.published}/favorite` }),
    expect: '401 201 201 201 201 201 403',
  },
  {
    route: 'POST /api/v1/events/:id/favorite',
    state: 'draft',
    request: (s) => ({ method: 'POST', url: `/api/v1/events/${s.fixture.draft}/favorite` }),
    expect: '401 404 404 201 404 201 403',
  },
  {
    route: 'DELETE /api/v1/events/:id/favorite',
    state: 'published',
    request: (s) => ({ method: 'DELETE', url: `/api/v1/events/${s.fixture.published}/favorite` }),
    expect: '401 200 200 200 200 200 403',
  },
  {
    route: 'GET /api/v1/requests/:id',
    state: "the user's request",
    request: (s) => ({ method: 'GET', url: `/api/v1/requests/${s.fixture.request}` }),
    expect: '401 200 404 404 404 200 403',
  },

  // Categories: anyone reads, admins (with a second factor) write; each write cell gets its own category.
  {
    route: 'GET /api/v1/categories',
    state: '-',
    request: () => ({ method: 'GET', url: '/api/v1/categories' }),
    expect: '200 200 200 200 200 200 403',
  },
  {
    route: 'POST /api/v1/categories',
    state: '-',
    request: () => ({
      method: 'POST',
      url: '/api/v1/categories',
      ...json({ id: fresh('cat'), parentId: null, name: 'New' }),
    }),
    expect: '401 403 403 403 403 201 403',
  },
  {
    route: 'PATCH /api/v1/categories/:id',
    state: 'existing',
    request: async (s) => ({
      method: 'PATCH',
      url: `/api/v1/categories/${await s.category()}`,
      ...json({ name: 'Renamed' }),
    }),
    expect: '401 403 403 403 403 200 403',
  },
  {
    route: 'DELETE /api/v1/categories/:id',
    state: 'existing',
    request: async (s) => ({ method: 'DELETE', url: `/api/v1/categories/${await s.category()}` }),
    expect: '401 403 403 403 403 204 403',
  },
  // Reviews: anyone reads (ACTIVE ones); signed-in users write, the API lets only the author edit or delete
  // and not vote on their own (the pipeline decides the rest: attendance, window, one per user); replies are
  // the event organizer's; the moderation queue and decisions are admins' with a second factor.
  {
    route: 'GET /api/v1/events/:id/reviews',
    state: 'published',
    request: (s) => ({ method: 'GET', url: `/api/v1/events/${s.fixture.published}/reviews` }),
    expect: '200 200 200 200 200 200 403',
  },
  {
    route: 'POST /api/v1/events/:id/reviews',
    state: 'published',
    request: (s) => ({
      method: 'POST',
      url: `/api/v1/events/${s.fixture.published}/reviews`,
      ...json({ rating: 5, text: 'Wonderful trip' }),
    }),
    expect: '401 202 202 202 202 202 403',
  },
  {
    route: 'PATCH /api/v1/reviews/:id',
    state: "USER's review",
    request: (s) => ({
      method: 'PATCH',
      url: `/api/v1/reviews/${s.fixture.review}`,
      ...json({ rating: 4, text: 'Edited review' }),
    }),
    expect: '401 202 403 403 403 403 403',
  },
  {
    route: 'DELETE /api/v1/reviews/:id',
    state: "USER's review",
    request: (s) => ({ method: 'DELETE', url: `/api/v1/reviews/${s.fixture.review}` }),
    expect: '401 202 403 403 403 403 403',
  },
  {
    route: 'POST /api/v1/reviews/:id/reply',
    state: "USER's review",
    request: (s) => ({
      method: 'POST',
      url: `/api/v1/reviews/${s.fixture.review}/reply`,
      ...json({ text: 'Thanks for coming' }),
    }),
    expect: '401 403 403 202 403 403 403',
  },
  {
    route: 'POST /api/v1/reviews/:id/helpful',
    state: "USER's review",
    request: (s) => ({ method: 'POST', url: `/api/v1/reviews/${s.fixture.review}/helpful` }),
    expect: '401 422 202 202 202 202 403',
  },
  {
    route: 'DELETE /api/v1/reviews/:id/helpful',
    state: "USER's review",
    request: (s) => ({ method: 'DELETE', url: `/api/v1/reviews/${s.fixture.review}/helpful` }),
    expect: '401 422 202 202 202 202 403',
  },
  {
    route: 'GET /api/v1/admin/reviews',
    state: '-',
    request: () => ({ method: 'GET', url: '/api/v1/admin/reviews?status=PENDING' }),
    expect: '401 403 403 403 403 200 403',
  },
  {
    route: 'POST /api/v1/bulk/events',
    state: "cancel the organizer's published event",
    request: (s) => ({
      method: 'POST',
      url: '/api/v1/bulk/events',
      ...json({ action: 'CANCEL', eventIds: [s.fixture.published] }),
    }),
    // Another organizer's job is stored, and its item refused (FORBIDDEN): no command.
    expect: '401 403 403 202 202 202 403',
    commands: bulkCommands({ organizer: 1, otherOrganizer: 0, admin: 1 }),
  },
  {
    route: 'POST /api/v1/bulk/bookings',
    state: "cancel user-1's pending booking",
    request: (s) => ({
      method: 'POST',
      url: '/api/v1/bulk/bookings',
      ...json({ action: 'CANCEL', bookingIds: [s.fixture.booking] }),
    }),
    expect: '401 403 403 202 202 202 403',
    commands: bulkCommands({ organizer: 1, otherOrganizer: 0, admin: 1 }),
  },
  {
    route: 'POST /api/v1/bulk/bookings',
    state: 'force majeure',
    request: (s) => ({
      method: 'POST',
      url: '/api/v1/bulk/bookings',
      ...json({ action: 'CANCEL', bookingIds: [s.fixture.booking], forceMajeure: true }),
    }),
    expect: '401 403 403 403 403 202 403',
    commands: bulkCommands({ admin: 1 }),
  },
  {
    route: 'GET /api/v1/bulk/:id',
    state: "the organizer's job",
    request: async (s) => ({ method: 'GET', url: `/api/v1/bulk/${await s.bulkJob()}` }),
    expect: '401 403 403 200 404 200 403',
  },
  ...managerRead('GET /api/v1/events/:id/participants.csv', (id) => `/api/v1/events/${id}/participants.csv`),
  {
    route: 'GET /api/v1/admin/bookings',
    state: '-',
    request: () => ({ method: 'GET', url: '/api/v1/admin/bookings?status=CONFIRMED' }),
    expect: '401 403 403 403 403 200 403',
  },
  {
    route: 'GET /api/v1/admin/audit',
    state: '-',
    request: () => ({ method: 'GET', url: '/api/v1/admin/audit?format=csv' }),
    expect: '401 403 403 403 403 200 403',
  },
  {
    route: 'POST /api/v1/admin/reviews/:id/moderate',
    state: "USER's review",
    request: (s) => ({
      method: 'POST',
      url: `/api/v1/admin/reviews/${s.fixture.review}/moderate`,
      ...json({ status: 'ACTIVE' }),
    }),
    expect: '401 403 403 403 403 202 403',
  },
]

/**
 * The commands of a bulk job's 202, once produced: the expected count of the caller (by the job's creator),
 * checked against what the job itself says it produced.
 */
function bulkCommands(
  expected: Partial<Record<Who, number>>,
): (s: ApiState, answer: LightMyRequestResponse) => Promise<number> {
  return async (s, answer) => {
    const { jobId } = answer.json<{ jobId: string }>()
    const produced = await bulkJobProduced(s.h, jobId)
    const job = await s.h.readModel.getBulkJob(jobId)
    const who = WHO.find((w) => {
      const p = PRINCIPALS[w]
      return p !== 'guest' && p.sub === job?.actorUserId
    })
    if (who === undefined || expected[who] !== produced)
      throw new Error(`bulk job of ${who}: ${produced} command(s), expected ${who && expected[who]}`)
    return produced
  }
}

const state = await startApiState()
t.teardown(() => state.close())

t.test('every route of the table has a row, and every row a route', async (t) => {
  const table = routeTable(state.h.app)
  t.ok(table.length > 40, `${table.length} routes read from the app`)
  const heads = table.filter((r) => r.startsWith('HEAD '))
  for (const head of heads) t.ok(table.includes(`GET ${head.slice(5)}`), `${head} mirrors a GET`)
  const served = table.filter((r) => !r.startsWith('HEAD '))
  const covered = new Set(ROWS.map((r) => r.route))
  for (const route of served) t.ok(covered.has(route), `${route} has a row in the matrix`)
  for (const route of covered) t.ok(served.includes(route), `the row ${route} names a served route`)
  for (const route of served) t.ok(VALID_REQUESTS[route], `${route} has a valid request (api-state.ts)`)
})

/**
 * The routes that let a check-in device of the published event in, with the status its request of the
 * table gets; every other cell answers a device 403 (the key is valid, the role is not allowed there).
 */
const DEVICE_ALLOWED: Readonly<Record<string, number>> = {
  'POST /api/v1/events/:id/check-ins [published]': 202,
}

t.test('a check-in device key is refused on every route that does not let devices in', async (t) => {
  const { key } = await state.device()
  for (const row of ROWS) {
    const options = await row.request(state)
    const before = state.appended()
    const answer = await state.h.app.inject({
      ...options,
      headers: { ...(options.headers ?? {}), authorization: `Bearer ${key}` },
    })
    const expected = DEVICE_ALLOWED[`${row.route} [${row.state}]`] ?? 403
    t.equal(
      answer.statusCode,
      expected,
      `${row.route} [${row.state}]${answer.statusCode === expected ? '' : `: ${answer.body}`}`,
    )
    if (expected === 403) {
      t.equal(answer.json<{ code: string }>().code, 'FORBIDDEN')
      t.equal(state.appended(), before, 'nothing written')
    }
  }
})

// ---- the cells ------------------------------------------------------------------------------------

for (const row of ROWS) {
  const expected = row.expect.split(' ').map(Number)
  t.test(`${row.route} [${row.state}]`, async (t) => {
    t.equal(expected.length, WHO.length, 'one expected status per principal')
    for (const [i, who] of WHO.entries()) {
      const options = await row.request(state)
      const before = state.appended()
      const answer = await state.h.call(PRINCIPALS[who], options)
      const status = answer.statusCode
      t.equal(
        status,
        expected[i],
        `${who} → ${expected[i]}${status === expected[i] ? '' : `, got ${answer.body}`}`,
      )
      if (status >= 400) {
        const body = answer.json()
        t.same(
          Object.keys(body).sort(),
          ['code', 'details', 'message', 'traceId'],
          `${who}: the error format`,
        )
        t.equal(state.appended(), before, `${who}: nothing written for a refusal`)
      }
      if (status === 202) {
        const commands = row.commands === undefined ? 1 : await row.commands(state, answer)
        t.equal(state.appended() - before, commands, `${who}: ${commands} command(s) for a 202`)
      }
    }
  })
}
