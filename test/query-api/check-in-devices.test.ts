// Check-in device keys through the API: the event's organizer and admins create, list and revoke them; a
// key is shown once, never listed and never logged; a device is refused on every route that does not let
// devices in (the authorization matrix checks every route), and on a route that does, for its own event
// only, acting as the event's organizer; a revoked key is refused on the next request.
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import t from 'tap'
import { actorOf, deviceIdOf, deviceMayCheckIn, DEVICE_KEY_PREFIX } from '../../query-api/auth.ts'
import { CHECK_IN_ROLES } from '../../query-api/routes/check-in-devices.ts'
import {
  ADMIN,
  eventBody,
  ORGANIZER,
  ORGANIZER2,
  publishedEvent,
  startHarness,
  USER,
  WAIT,
  type Principal,
} from './api-harness.ts'

// A route that lets devices in, standing for POST /events/{id}/check-ins: it answers who acts.
const probe = (app: FastifyInstance) => {
  app.get<{ Params: { id: string } }>(
    '/events/:id/device-probe',
    { config: { roles: CHECK_IN_ROLES } },
    async (request) => ({
      actor: actorOf(request.principal),
      deviceId: deviceIdOf(request.principal),
      mayCheckIn: deviceMayCheckIn(request.principal, request.params.id),
    }),
  )
}

const lines: string[] = []
const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) })
const h = await startHarness({ plugins: [probe], logger })
t.teardown(() => h.close())

const event = await publishedEvent(h)
const other = await publishedEvent(h, { organizer: ORGANIZER2 })
const devicesOf = (id: string) => `/api/v1/events/${id}/check-in-devices`

async function createDevice(as: Principal, eventId: string, name = 'Pier gate') {
  return h.call(as, { method: 'POST', url: devicesOf(eventId), payload: { name } })
}
const withKey = (key: string, url: string, method: 'GET' | 'POST' = 'GET') =>
  h.app.inject({ method, url, headers: { authorization: `Bearer ${key}` } })

t.test('the organizer creates a device; the key is answered once, and never listed', async (t) => {
  const created = await createDevice(ORGANIZER, event)
  t.equal(created.statusCode, 201, created.body)
  t.equal(created.headers['cache-control'], 'no-store')
  const device = created.json<{ deviceId: string; name: string; key: string; createdAt: string }>()
  t.match(device, { name: 'Pier gate', eventId: event })
  t.match(device.key, /^ckd_[A-Za-z0-9_-]{43}$/, '256 random bits, base64url, prefixed')
  t.ok(device.key.startsWith(DEVICE_KEY_PREFIX))
  const listed = await h.call(ORGANIZER, { method: 'GET', url: devicesOf(event) })
  t.equal(listed.statusCode, 200)
  t.same(
    listed.json<{ items: { deviceId: string }[] }>().items.map((d) => d.deviceId),
    [device.deviceId],
  )
  t.notOk(listed.body.includes(device.key), 'the list carries no key')
  t.notOk(listed.body.includes(device.key.slice(4, 20)), 'nor a part of it')
  const second = await createDevice(ORGANIZER, event)
  t.not(second.json<{ key: string }>().key, device.key, 'every device its own key')
})

t.test('a device checks in at its own event only, as the event organizer', async (t) => {
  const { key, deviceId } = (await createDevice(ORGANIZER, event)).json<{ key: string; deviceId: string }>()
  const own = await withKey(key, `/api/v1/events/${event}/device-probe`)
  t.equal(own.statusCode, 200, own.body)
  t.same(own.json(), { actor: { userId: ORGANIZER.sub, role: 'ORGANIZER' }, deviceId, mayCheckIn: true })
  const foreign = await withKey(key, `/api/v1/events/${other}/device-probe`)
  t.equal(foreign.statusCode, 403, 'another event: refused')
  t.equal(foreign.json<{ code: string }>().code, 'FORBIDDEN')
  const person = await h.call(ORGANIZER, { method: 'GET', url: `/api/v1/events/${event}/device-probe` })
  t.same(person.json(), {
    actor: { userId: ORGANIZER.sub, role: 'ORGANIZER' },
    deviceId: null,
    mayCheckIn: true,
  })
})

t.test('a device may not manage devices, nor read anything else', async (t) => {
  const { key } = (await createDevice(ORGANIZER, event)).json<{ key: string }>()
  for (const [method, url] of [
    ['GET', devicesOf(event)],
    ['POST', devicesOf(event)],
    ['GET', `/api/v1/events/${event}`],
    ['GET', `/api/v1/events/${event}/bookings`],
    ['GET', '/api/v1/bookings'],
    ['GET', '/healthz'],
  ] as const) {
    const answer = await withKey(key, url, method)
    t.equal(answer.statusCode, 403, `${method} ${url}`)
  }
})

t.test('a revoked key is refused on the next request', async (t) => {
  const { key, deviceId } = (await createDevice(ORGANIZER, event)).json<{ key: string; deviceId: string }>()
  t.equal((await withKey(key, `/api/v1/events/${event}/device-probe`)).statusCode, 200)
  const revoked = await h.call(ORGANIZER, { method: 'DELETE', url: `${devicesOf(event)}/${deviceId}` })
  t.equal(revoked.statusCode, 204)
  const after = await withKey(key, `/api/v1/events/${event}/device-probe`)
  t.equal(after.statusCode, 401)
  t.equal(after.json<{ code: string }>().code, 'UNAUTHENTICATED')
  const again = await h.call(ORGANIZER, { method: 'DELETE', url: `${devicesOf(event)}/${deviceId}` })
  t.equal(again.statusCode, 404)
  t.equal(again.json<{ code: string }>().code, 'CHECK_IN_DEVICE_NOT_FOUND')
  const listed = await h.call(ORGANIZER, { method: 'GET', url: devicesOf(event) })
  t.notOk(listed.body.includes(deviceId), 'gone from the list')
})

t.test('unknown and malformed keys are refused', async (t) => {
  for (const key of ['ckd_' + 'A'.repeat(43), 'ckd_short', 'ckd_' + 'A'.repeat(44)]) {
    const answer = await withKey(key, `/api/v1/events/${event}/device-probe`)
    t.equal(answer.statusCode, 401, key.slice(0, 12))
  }
})

t.test('organizers manage the devices of their own events only', async (t) => {
  const { deviceId } = (await createDevice(ORGANIZER, event)).json<{ deviceId: string }>()
  t.equal((await createDevice(ORGANIZER2, event)).statusCode, 403, 'another organizer may not create')
  t.equal((await h.call(ORGANIZER2, { method: 'GET', url: devicesOf(event) })).statusCode, 403, 'nor list')
  const revoke = await h.call(ORGANIZER2, { method: 'DELETE', url: `${devicesOf(event)}/${deviceId}` })
  t.equal(revoke.statusCode, 403, 'nor revoke')
  t.equal((await createDevice(USER, event)).statusCode, 403, 'a user may not')
  t.equal((await createDevice('guest', event)).statusCode, 401, 'a guest needs a token')
  t.equal((await createDevice(ADMIN, event)).statusCode, 201, 'an admin may')
  t.equal((await createDevice(ORGANIZER, 'no-such-event')).statusCode, 404, 'an unknown event')
  const draft = await h.call(ORGANIZER, {
    method: 'POST',
    url: '/api/v1/events',
    headers: WAIT,
    payload: eventBody(),
  })
  const draftId = draft.json<{ id: string }>().id
  t.equal(
    (await createDevice(ORGANIZER2, draftId)).statusCode,
    404,
    "another organizer's draft does not exist",
  )
  t.equal((await createDevice(ORGANIZER, draftId)).statusCode, 201, 'its organizer may prepare devices early')
  t.equal((await createDevice(ORGANIZER, event, '')).statusCode, 400, 'a name is needed')
  t.equal((await createDevice(ORGANIZER, event, 'x'.repeat(81))).statusCode, 400, 'of at most 80 characters')
})

t.test('no key ever reaches the logs or the audit log', async (t) => {
  const { key, deviceId } = (await createDevice(ADMIN, event)).json<{ key: string; deviceId: string }>()
  await withKey(key, `/api/v1/events/${event}/device-probe`)
  await withKey(key, `/api/v1/events/${other}/device-probe`)
  await withKey(key, `/api/v1/bookings`)
  await h.call(ADMIN, { method: 'DELETE', url: `${devicesOf(event)}/${deviceId}` })
  await withKey(key, `/api/v1/events/${event}/device-probe`)
  t.ok(lines.length > 10, `${lines.length} log lines written`)
  t.notOk(
    lines.some((line) => line.includes(key.slice(4))),
    'no line holds the key',
  )
  const audit = await h.readModel.listAudit({ target: event, page: 0, size: 1000 })
  t.ok(
    audit.items.some((r) => r.action === 'POST /api/v1/events/:id/check-in-devices'),
    "the admin's creation of the key is audited",
  )
  t.notOk(JSON.stringify(audit.items).includes(key.slice(4)), 'no audit record holds the key')
})
