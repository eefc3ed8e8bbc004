import pino from 'pino'
import t from 'tap'
import { buildOpsApp } from '../../query-api/operations.ts'
import {
  ADMIN,
  ADMIN_NO_2FA,
  eventBody,
  ORGANIZER,
  publishedEvent,
  startHarness,
  USER,
  USER2,
  WAIT,
} from './api-harness.ts'

const h = await startHarness()
t.teardown(() => h.close())

t.test('favorites are private and idempotent', async (t) => {
  const id = await publishedEvent(h)
  const guest = await h.call('guest', { method: 'POST', url: `/api/v1/events/${id}/favorite` })
  t.equal(guest.statusCode, 401, 'guests have no favorites')
  const added = await h.call(USER, { method: 'POST', url: `/api/v1/events/${id}/favorite` })
  t.equal(added.statusCode, 201)
  t.same(added.json(), { eventId: id, favorite: true, changed: true })
  const again = await h.call(USER, { method: 'POST', url: `/api/v1/events/${id}/favorite` })
  t.equal(again.statusCode, 200)
  t.equal(again.json().changed, false)
  const list = await h.call(USER, { method: 'GET', url: '/api/v1/favorites' })
  t.equal(list.statusCode, 200)
  t.same(
    list.json().items.map((f: { event: { id: string } }) => f.event.id),
    [id],
  )
  const other = await h.call(USER2, { method: 'GET', url: '/api/v1/favorites' })
  t.same(other.json().items, [], 'private to the user')
  const missing = await h.call(USER, { method: 'POST', url: '/api/v1/events/no-such-event/favorite' })
  t.equal(missing.statusCode, 404)
  const removed = await h.call(USER, { method: 'DELETE', url: `/api/v1/events/${id}/favorite` })
  t.same(removed.json(), { eventId: id, favorite: false, changed: true })
  const bad = await h.call(USER, { method: 'GET', url: '/api/v1/favorites?size=0' })
  t.equal(bad.statusCode, 400)
})

t.test('waiting list: only for sold-out events; join, list, leave', async (t) => {
  const id = await publishedEvent(h, { capacity: 1 })
  const early = await h.call(USER2, { method: 'POST', url: `/api/v1/events/${id}/waitlist`, headers: WAIT })
  t.equal(early.statusCode, 409)
  t.equal(early.json().code, 'SEATS_AVAILABLE')
  const booked = await h.call(USER, {
    method: 'POST',
    url: '/api/v1/bookings',
    headers: WAIT,
    payload: { eventId: id, priceOptionId: 'std', seats: 1 },
  })
  t.equal(booked.statusCode, 201)
  const joined = await h.call(USER2, {
    method: 'POST',
    url: `/api/v1/events/${id}/waitlist`,
    headers: WAIT,
    payload: { seats: 1 },
  })
  t.equal(joined.statusCode, 201, joined.body)
  t.equal(joined.json().position, 1)
  t.equal(joined.json().status, 'WAITING')
  const twice = await h.call(USER2, { method: 'POST', url: `/api/v1/events/${id}/waitlist`, headers: WAIT })
  t.equal(twice.statusCode, 409)
  t.equal(twice.json().code, 'ALREADY_ON_WAITING_LIST')
  const list = await h.call(USER2, { method: 'GET', url: '/api/v1/waitlist' })
  t.equal(list.json().items.length, 1)
  const left = await h.call(USER2, { method: 'DELETE', url: `/api/v1/events/${id}/waitlist`, headers: WAIT })
  t.equal(left.statusCode, 200, left.body)
  const notOn = await h.call(USER2, { method: 'DELETE', url: `/api/v1/events/${id}/waitlist`, headers: WAIT })
  t.equal(notOn.statusCode, 422)
  t.equal(notOn.json().code, 'NOT_ON_WAITING_LIST')
  const tooMany = await h.call(USER2, {
    method: 'POST',
    url: `/api/v1/events/${id}/waitlist`,
    payload: { seats: 21 },
  })
  t.equal(tooMany.statusCode, 400)
})

t.test('categories: public tree, admin writes with 2FA, audit, errors', async (t) => {
  const create = (as: Parameters<typeof h.call>[0], payload: Record<string, unknown>) =>
    h.call(as, { method: 'POST', url: '/api/v1/categories', payload })
  const root = await create(ADMIN, { id: 'water', parentId: null, name: 'Water' })
  t.equal(root.statusCode, 201, root.body)
  const child = await create(ADMIN, { id: 'rafting-x', parentId: 'water', name: 'Rafting X' })
  t.equal(child.statusCode, 201, child.body)
  const grandchild = await create(ADMIN, { id: 'katun', parentId: 'rafting-x', name: 'Katun' })
  t.equal(grandchild.statusCode, 201)
  const tooDeep = await create(ADMIN, { id: 'deeper', parentId: 'katun', name: 'Deeper' })
  t.equal(tooDeep.statusCode, 422)
  t.equal(tooDeep.json().code, 'CATEGORY_TOO_DEEP')
  const conflict = await create(ADMIN, { id: 'water', parentId: null, name: 'Water again' })
  t.equal(conflict.statusCode, 409)
  const orphan = await create(ADMIN, { parentId: 'no-such', name: 'Orphan' })
  t.equal(orphan.statusCode, 404)
  t.equal((await create(ADMIN_NO_2FA, { parentId: null, name: 'No 2FA' })).statusCode, 403)
  t.equal((await create(ORGANIZER, { parentId: null, name: 'Organizer' })).statusCode, 403)
  t.equal((await create('guest', { parentId: null, name: 'Guest' })).statusCode, 401)
  t.equal((await create(ADMIN, { parentId: null, name: '' })).statusCode, 400)
  t.equal((await create(ADMIN, { parentId: null, name: 'X', extra: 1 })).statusCode, 400)

  const tree = await h.call('guest', { method: 'GET', url: '/api/v1/categories' })
  t.equal(tree.statusCode, 200)
  const water = tree.json().items.find((c: { id: string }) => c.id === 'water')
  t.equal(water.children[0].children[0].id, 'katun')
  const renamed = await h.call(ADMIN, {
    method: 'PATCH',
    url: '/api/v1/categories/katun',
    payload: { name: 'Katun river' },
  })
  t.equal(renamed.statusCode, 200)
  t.equal(renamed.json().name, 'Katun river')
  const absent = await h.call(ADMIN, {
    method: 'PATCH',
    url: '/api/v1/categories/none',
    payload: { name: 'x' },
  })
  t.equal(absent.statusCode, 404)
  const hasChildren = await h.call(ADMIN, { method: 'DELETE', url: '/api/v1/categories/water' })
  t.equal(hasChildren.statusCode, 409)
  const deleted = await h.call(ADMIN, { method: 'DELETE', url: '/api/v1/categories/katun' })
  t.equal(deleted.statusCode, 204)
  const gone = await h.call(ADMIN, { method: 'DELETE', url: '/api/v1/categories/katun' })
  t.equal(gone.statusCode, 404)
})

t.test(
  'health and readiness are public; metrics, OpenAPI and docs are on the ops listener only',
  async (t) => {
    t.same((await h.call('guest', { method: 'GET', url: '/healthz' })).json(), { status: 'ok' })
    const ready = await h.call('guest', { method: 'GET', url: '/readyz' })
    t.equal(ready.statusCode, 200)
    t.same(ready.json(), { status: 'ready', checks: { readModel: 'ok', commands: 'ok' } })
    t.ok(ready.headers['x-ratelimit-limit'], '/readyz counts against the rate limit')
    for (const url of ['/metrics', '/openapi.json', '/docs/', '/docs/json'])
      t.equal(
        (await h.call('guest', { method: 'GET', url })).statusCode,
        404,
        `${url} is not public by default`,
      )

    const ops = await buildOpsApp(h.app)
    t.teardown(() => ops.close())
    const metrics = await ops.inject({ method: 'GET', url: '/metrics' })
    t.equal(metrics.statusCode, 200)
    t.match(metrics.body, /backend_event_api_requests_total/)
    const spec = await ops.inject({ method: 'GET', url: '/openapi.json' })
    t.equal(spec.statusCode, 200)
    const doc = spec.json()
    t.equal(doc.openapi, '3.0.3')
    for (const path of [
      '/api/v1/events',
      '/api/v1/bookings',
      '/api/v1/bookings/{id}/cancel',
      '/api/v1/requests/{id}',
      '/api/v1/categories',
    ])
      t.ok(doc.paths[path], path)
    t.equal(
      doc.paths['/api/v1/bookings'].post.requestBody.content['application/json'].schema.additionalProperties,
      false,
    )
    t.notOk(doc.paths['/metrics'], 'the operational routes are not in the public document')
    const docs = await ops.inject({ method: 'GET', url: '/docs/' })
    t.ok([200, 302].includes(docs.statusCode))
    t.equal((await ops.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)

    const open = await startHarness({ withPipeline: false, publicOperations: true })
    t.teardown(() => open.close())
    t.equal(
      (await open.call('guest', { method: 'GET', url: '/metrics' })).statusCode,
      200,
      'when configured so',
    )
    t.equal((await open.call('guest', { method: 'GET', url: '/openapi.json' })).statusCode, 200)
    t.ok([200, 302].includes((await open.call('guest', { method: 'GET', url: '/docs/' })).statusCode))
  },
)

t.test(
  'readiness: one round of checks per cache period, generic reasons, details only in the logs',
  async (t) => {
    let calls = 0
    const lines: string[] = []
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) })
    const flaky = await startHarness({
      withPipeline: false,
      readinessCacheMs: 60_000,
      logger,
      readiness: {
        redis: async () => {
          calls++
          throw new Error('connect ECONNREFUSED 10.1.2.3:6379 as user backend_event_admin')
        },
      },
    })
    t.teardown(() => flaky.close())
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => flaky.app.inject({ method: 'GET', url: '/readyz' })),
    )
    for (const answer of answers) {
      t.equal(answer.statusCode, 503)
      t.same(answer.json(), {
        status: 'not ready',
        checks: { readModel: 'ok', commands: 'ok', redis: 'unavailable' },
      })
      t.notMatch(
        answer.body,
        /10\.1\.2\.3|backend_event_admin|ECONNREFUSED/,
        'no address, user or driver message',
      )
    }
    t.equal(calls, 1, '20 probes, one check')
    t.ok(
      lines.some((l) => l.includes('10.1.2.3') && l.includes('"dependency":"redis"')),
      'the reason is logged',
    )
  },
)

t.test('errors: one format with the trace ID; 404 route, bad JSON, oversized body, bad token', async (t) => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
  const route = await h.call('guest', { method: 'GET', url: '/api/v1/nowhere', headers: { traceparent } })
  t.equal(route.statusCode, 404)
  t.same(Object.keys(route.json()).sort(), ['code', 'details', 'message', 'traceId'])
  t.equal(route.json().traceId, '4bf92f3577b34da6a3ce929d0e0e4736')
  const json = await h.call(ORGANIZER, {
    method: 'POST',
    url: '/api/v1/events',
    headers: { 'content-type': 'application/json' },
    payload: '{"title":',
  })
  t.equal(json.statusCode, 400)
  t.equal(json.json().code, 'MALFORMED_JSON')
  const huge = await h.call(ORGANIZER, {
    method: 'POST',
    url: '/api/v1/events',
    payload: eventBody({ description: 'x'.repeat(1_100_000) }),
  })
  t.equal(huge.statusCode, 400)
  t.equal(huge.json().code, 'PAYLOAD_TOO_LARGE')
  const badToken = await h.app.inject({
    method: 'GET',
    url: '/api/v1/bookings',
    headers: { authorization: 'Bearer not.a.token' },
  })
  t.equal(badToken.statusCode, 401)
  t.equal(badToken.json().code, 'UNAUTHENTICATED')
  const badScheme = await h.app.inject({
    method: 'GET',
    url: '/api/v1/bookings',
    headers: { authorization: 'Basic abc' },
  })
  t.equal(badScheme.statusCode, 401)
  const text = await h.call(ORGANIZER, {
    method: 'POST',
    url: '/api/v1/events',
    headers: { 'content-type': 'text/plain' },
    payload: 'hello',
  })
  t.equal(text.statusCode, 415)
  t.equal(text.json().code, 'UNSUPPORTED_MEDIA_TYPE')
  const noBookings = await h.call(USER, { method: 'GET', url: '/api/v1/bookings/none' })
  t.equal(noBookings.statusCode, 404)
  t.ok(WAIT)
})

t.test('a request ID with a control character is a 400, not a database error', async (t) => {
  for (const id of ['%00', 'a%01b', 'x%7F']) {
    const res = await h.call(ADMIN, { method: 'GET', url: `/api/v1/requests/${id}` })
    t.equal(res.statusCode, 400, `${id}: ${res.body.slice(0, 120)}`)
    t.equal(res.json().code, 'VALIDATION_FAILED')
  }
  const other = await h.call(ADMIN, { method: 'GET', url: '/api/v1/requests/svc%20req%C3%A9-1' })
  t.equal(other.statusCode, 404, 'any other text is a request ID (other services choose their own)')
})
