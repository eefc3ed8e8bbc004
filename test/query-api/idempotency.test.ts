// The pipeline owns idempotency; the API's registry (Redis or memory) is only a cache. With the cache
// lost (a second app over the same log and read model, as after a restart or a Redis flush), a retried
// request with its Idempotency-Key gets the original request ID and resource and no second booking;
// `GET /requests/{id}` answers the sender from the durable outcome. Booking lists show the bookings that
// held seats unless REJECTED ones are asked for.
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { buildApp, type BuildAppOptions } from '../../query-api/app.ts'
import { CommandProducer } from '../../query-api/commands/command-producer.ts'
import { EmbeddedCommandTransport } from '../../query-api/commands/embedded-transport.ts'
import { MemoryRequestRegistry } from '../../query-api/idempotency.ts'
import { createBookingSerdes } from '../../topologies/index.ts'
import { LocalSchemaRegistry } from '../../avro/index.ts'
import {
  ADMIN,
  AUTH,
  ORGANIZER,
  publishedEvent,
  startHarness,
  tokenFor,
  USER,
  USER2,
  WAIT,
  WEBHOOK_SECRET,
  type Harness,
  type Principal,
  until,
} from './api-harness.ts'

const h = await startHarness()
t.teardown(() => h.close())

/**
 * Another API instance over the same log and read model, with an empty registry: the cache is lost.
 * `overrides` replace its options (another registry, a read model seen through a filter).
 */
async function appWithEmptyCache(overrides: Partial<BuildAppOptions> = {}): Promise<FastifyInstance> {
  const serdes = createBookingSerdes(new LocalSchemaRegistry())
  await serdes.init()
  const app = await buildApp({
    readModel: h.readModel,
    commands: new CommandProducer(new EmbeddedCommandTransport(h.log), serdes),
    auth: AUTH,
    requests: new MemoryRequestRegistry(),
    webhookSecret: WEBHOOK_SECRET,
    ...overrides,
  })
  await app.ready()
  t.teardown(() => app.close())
  return app
}

const on = async (
  app: FastifyInstance,
  who: Exclude<Principal, 'guest'>,
  options: { method: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: unknown },
) =>
  app.inject({
    method: options.method,
    url: options.url,
    headers: { ...(options.headers ?? {}), authorization: `Bearer ${await tokenFor(who)}` },
    ...(options.payload === undefined ? {} : { payload: options.payload as object }),
  })

const book = (
  app: FastifyInstance,
  who: Exclude<Principal, 'guest'>,
  eventId: string,
  key: string,
  wait = true,
) =>
  on(app, who, {
    method: 'POST',
    url: '/api/v1/bookings',
    headers: { 'idempotency-key': key, ...(wait ? WAIT : {}) },
    payload: { eventId, priceOptionId: 'std', seats: 1 },
  })

t.test('a retry after the cache is lost names the same request and booking, and books once', async (t) => {
  const eventId = await publishedEvent(h as Harness, { capacity: 5 })
  const first = await book(h.app, USER, eventId, 'retry-key', false)
  t.equal(first.statusCode, 202, first.body)
  const { requestId, resourceId } = first.json<{ requestId: string; resourceId: string }>()

  const other = await appWithEmptyCache()
  const retried = await book(other, USER, eventId, 'retry-key')
  t.equal(retried.statusCode, 201, retried.body)
  t.equal(retried.headers['x-request-id'], requestId, 'the original request ID')
  t.equal(retried.json<{ id: string }>().id, resourceId, 'the original booking')

  const mine = await on(other, USER, { method: 'GET', url: '/api/v1/bookings' })
  t.same(
    mine
      .json<{ items: { id: string; eventId: string }[] }>()
      .items.filter((b) => b.eventId === eventId)
      .map((b) => b.id),
    [resourceId],
    'one booking',
  )
  const outcome = await on(other, USER, { method: 'GET', url: `/api/v1/requests/${requestId}` })
  t.equal(outcome.statusCode, 200, 'the sender reads the outcome with no registry entry')
  t.match(outcome.json(), { requestId, status: 'ACCEPTED', resourceId })
  const stranger = await on(other, USER2, { method: 'GET', url: `/api/v1/requests/${requestId}` })
  t.equal(stranger.statusCode, 404, 'another user does not see it')
  const admin = await on(other, ADMIN, { method: 'GET', url: `/api/v1/requests/${requestId}` })
  t.equal(admin.statusCode, 200, 'an admin does')
})

t.test(
  'an accepted booking its page does not show yet is answered 202 ACCEPTED, never 201 without it',
  async (t) => {
    // The outcome and the booking's row are projected from different topics: here the booking's row stays
    // out of sight of this instance (a projection behind) while the outcome is there.
    let hidden = true
    const readModel = new Proxy(h.readModel, {
      get(target, property) {
        if (property === 'getBooking')
          return async (id: string) => (hidden ? undefined : target.getBooking(id))
        const value: unknown = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const behind = await appWithEmptyCache({ readModel })
    const eventId = await publishedEvent(h as Harness, { capacity: 5 })

    const sent = await book(h.app, USER, eventId, 'unseen-repeat', false)
    t.equal(sent.statusCode, 202, sent.body)
    const { requestId, resourceId } = sent.json<{ requestId: string; resourceId: string }>()
    const decided = await until(
      async () => (await on(h.app, USER, { method: 'GET', url: `/api/v1/requests/${requestId}` })).json(),
      (o: { status: string }) => o.status !== 'PENDING',
    )
    t.match(decided, { status: 'ACCEPTED', resourceId })

    const repeated = await book(behind, USER, eventId, 'unseen-repeat', false)
    t.equal(repeated.statusCode, 202, 'a repeat of the decided request: ' + repeated.body)
    t.same(repeated.json(), {
      requestId,
      resourceId,
      status: 'ACCEPTED',
      links: { outcome: `/api/v1/requests/${requestId}` },
    })
    t.equal(repeated.headers['content-location'], `/api/v1/bookings/${resourceId}`)

    const waited = await on(behind, USER2, {
      method: 'POST',
      url: '/api/v1/bookings',
      headers: { 'idempotency-key': 'unseen-wait', prefer: 'wait=3' },
      payload: { eventId, priceOptionId: 'std', seats: 1 },
    })
    t.equal(waited.statusCode, 202, 'a wait that saw the outcome, not the booking: ' + waited.body)
    t.match(waited.json(), { requestId: waited.headers['x-request-id'], status: 'ACCEPTED' })
    const waitedBooking = waited.json<{ resourceId: string }>().resourceId

    hidden = false
    for (const [who, key, id] of [
      [USER, 'unseen-repeat', resourceId],
      [USER2, 'unseen-wait', waitedBooking],
    ] as const) {
      const shown = await book(behind, who, eventId, key)
      t.equal(shown.statusCode, 201, `${key} once shown: ${shown.body}`)
      t.equal(shown.json<{ id: string }>().id, id, `${key}: the booking the 202 named`)
    }
    t.equal(
      (await book(behind, USER, eventId, 'unseen-repeat')).headers['x-request-id'],
      requestId,
      'the original request ID',
    )
  },
)

t.test('the same key from another user, or for another event, is another request', async (t) => {
  const eventA = await publishedEvent(h as Harness, { capacity: 5 })
  const eventB = await publishedEvent(h as Harness, { capacity: 5 })
  const a = await book(h.app, USER, eventA, 'shared')
  const b = await book(h.app, USER2, eventA, 'shared')
  const c = await book(h.app, USER, eventB, 'shared-b')
  t.same([a.statusCode, b.statusCode, c.statusCode], [201, 201, 201])
  t.not(a.headers['x-request-id'], b.headers['x-request-id'])
  t.not(a.json<{ id: string }>().id, b.json<{ id: string }>().id)
})

t.test('booking lists show the bookings that held seats; REJECTED only when asked for', async (t) => {
  const eventId = await publishedEvent(h as Harness, { capacity: 1, organizer: ORGANIZER })
  const granted = await book(h.app, USER, eventId, 'list-1')
  const refused = await book(h.app, USER2, eventId, 'list-2')
  t.equal(granted.statusCode, 201)
  t.equal(refused.statusCode, 409, 'sold out')
  const list = async (who: Exclude<Principal, 'guest'>, url: string) =>
    (await on(h.app, who, { method: 'GET', url })).json<{ items: { status: string }[]; total: number }>()
  const byDefault = await list(ORGANIZER, `/api/v1/events/${eventId}/bookings`)
  t.same(
    byDefault.items.map((b) => b.status),
    ['PENDING_PAYMENT'],
  )
  t.equal(byDefault.total, 1, 'the total counts the same rows')
  const rejected = await list(ORGANIZER, `/api/v1/events/${eventId}/bookings?status=REJECTED`)
  t.same(
    rejected.items.map((b) => b.status),
    ['REJECTED'],
  )
  t.equal(rejected.total, 1)
  const mine = await list(USER2, `/api/v1/bookings?status=REJECTED,CONFIRMED`)
  t.ok(
    mine.items.some((b) => b.status === 'REJECTED'),
    'a user sees their refused request when asking',
  )
  t.notOk(
    (await list(USER2, '/api/v1/bookings')).items.some((b) => b.status === 'REJECTED'),
    'and not by default',
  )
  const bad = await on(h.app, USER2, { method: 'GET', url: '/api/v1/bookings?status=SOLD' })
  t.equal(bad.statusCode, 400)
})

t.test(
  'a user may introduce a bounded number of keys a day; retries of a known key still work',
  async (t) => {
    const eventId = await publishedEvent(h as Harness, { capacity: 10 })
    const app = await appWithEmptyCache({ requests: new MemoryRequestRegistry(undefined, 2) })
    const join = (key: string) =>
      on(app, USER2, {
        method: 'POST',
        url: `/api/v1/events/${eventId}/waitlist`,
        headers: { 'idempotency-key': key },
        payload: { seats: 1 },
      })
    t.not((await join('k1')).statusCode, 429)
    t.not((await join('k2')).statusCode, 429)
    const third = await join('k3')
    t.equal(third.statusCode, 429)
    t.match(third.json(), { code: 'IDEMPOTENCY_KEYS_EXHAUSTED', details: { limit: 2 } })
    t.not((await join('k1')).statusCode, 429, 'a known key is no new key')
  },
)
