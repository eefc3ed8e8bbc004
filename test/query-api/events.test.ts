import t from 'tap'
import {
  ADMIN,
  ADMIN_NO_2FA,
  eventBody,
  ORGANIZER,
  ORGANIZER2,
  publishedEvent,
  startHarness,
  USER,
  WAIT,
} from './api-harness.ts'

const h = await startHarness()
t.teardown(() => h.close())

t.test('organizer creates, edits with If-Match, reschedules and cancels an event', async (t) => {
  const created = await h.call(ORGANIZER, {
    method: 'POST',
    url: '/api/v1/events',
    headers: WAIT,
    payload: eventBody(),
  })
  t.equal(created.statusCode, 201, created.body)
  const event = created.json()
  t.equal(event.status, 'DRAFT')
  t.equal(event.organizerId, 'org-1')
  t.equal(event.version, 1)

  const draftForGuest = await h.call('guest', { method: 'GET', url: `/api/v1/events/${event.id}` })
  t.equal(draftForGuest.statusCode, 404, 'drafts are hidden from guests')
  const draftForOther = await h.call(ORGANIZER2, { method: 'GET', url: `/api/v1/events/${event.id}` })
  t.equal(draftForOther.statusCode, 404, 'and from other organizers')
  const draftForAdmin = await h.call(ADMIN, { method: 'GET', url: `/api/v1/events/${event.id}` })
  t.equal(draftForAdmin.statusCode, 200)

  const put = (headers: Record<string, string>, payload: Record<string, unknown>, as = ORGANIZER) =>
    h.call(as, {
      method: 'PUT',
      url: `/api/v1/events/${event.id}`,
      headers: { ...WAIT, ...headers },
      payload,
    })
  const noIfMatch = await put({}, { title: 'Rafting on the Katun, extended' })
  t.equal(noIfMatch.statusCode, 428)
  t.equal(noIfMatch.json().code, 'PRECONDITION_REQUIRED')
  const edited = await put({ 'if-match': '"1"' }, { title: 'Rafting on the Katun, extended' })
  t.equal(edited.statusCode, 200, edited.body)
  t.equal(edited.json().title, 'Rafting on the Katun, extended')
  t.equal(edited.json().version, 2)
  const stale = await put({ 'if-match': '"1"' }, { title: 'Stale edit' })
  t.equal(stale.statusCode, 409)
  t.equal(stale.json().code, 'VERSION_CONFLICT')
  const foreign = await put({ 'if-match': '"2"' }, { title: 'Not mine' }, ORGANIZER2)
  t.equal(foreign.statusCode, 404, "another organizer's draft does not leak")

  const option = await h.call(ORGANIZER, {
    method: 'POST',
    url: `/api/v1/events/${event.id}/price-options`,
    headers: WAIT,
    payload: { id: 'early', name: 'Early bird', priceMinor: 300_000, allotment: 5 },
  })
  t.equal(option.statusCode, 201, option.body)
  t.equal(option.json().id, 'early')
  const updated = await h.call(ORGANIZER, {
    method: 'PUT',
    url: `/api/v1/events/${event.id}/price-options/early`,
    headers: WAIT,
    payload: { name: 'Early bird', priceMinor: 350_000, allotment: 5 },
  })
  t.equal(updated.statusCode, 200, updated.body)
  t.equal(updated.json().priceMinor, 350_000)
  const tooMany = await h.call(ORGANIZER, {
    method: 'POST',
    url: `/api/v1/events/${event.id}/price-options`,
    headers: WAIT,
    payload: { id: 'big', name: 'Big', priceMinor: 1, allotment: 50 },
  })
  t.equal(tooMany.statusCode, 422, 'allotments never exceed capacity')
  t.equal(tooMany.json().code, 'LIMIT_EXCEEDED')

  const promo = await h.call(ORGANIZER, {
    method: 'POST',
    url: `/api/v1/events/${event.id}/promos`,
    headers: WAIT,
    payload: {
      code: 'SUMMER10',
      kind: 'PERCENTAGE',
      value: 10,
      usageLimit: 5,
      validUntil: new Date(Date.now() + 86_400_000 * 20).toISOString(),
    },
  })
  t.equal(promo.statusCode, 201, promo.body)
  t.equal(promo.json().status, 'ACCEPTED')
  const samePromo = await h.call(ORGANIZER, {
    method: 'POST',
    url: `/api/v1/events/${event.id}/promos`,
    headers: WAIT,
    payload: {
      code: 'SUMMER10',
      kind: 'FIXED_AMOUNT',
      value: 1000,
      usageLimit: 5,
      validUntil: new Date(Date.now() + 86_400_000 * 20).toISOString(),
    },
  })
  t.equal(samePromo.statusCode, 409)
  t.equal(samePromo.json().code, 'PROMO_CODE_EXISTS')
  const deactivated = await h.call(ORGANIZER, {
    method: 'DELETE',
    url: `/api/v1/events/${event.id}/promos/SUMMER10`,
    headers: WAIT,
  })
  t.equal(deactivated.statusCode, 200, deactivated.body)

  const published = await h.call(ORGANIZER, {
    method: 'POST',
    url: `/api/v1/events/${event.id}/publish`,
    headers: WAIT,
  })
  t.equal(published.statusCode, 200, published.body)
  t.equal(published.json().status, 'PUBLISHED')
  const republish = await h.call(ORGANIZER, {
    method: 'POST',
    url: `/api/v1/events/${event.id}/publish`,
    headers: WAIT,
  })
  t.equal(republish.statusCode, 409)
  t.equal(republish.json().code, 'INVALID_TRANSITION')

  const otherOrganizer = await h.call(ORGANIZER2, {
    method: 'POST',
    url: `/api/v1/events/${event.id}/cancel`,
    headers: WAIT,
  })
  t.equal(otherOrganizer.statusCode, 403, 'organizers manage their own events only')
  t.equal(otherOrganizer.json().code, 'FORBIDDEN')
  const user = await h.call(USER, { method: 'POST', url: `/api/v1/events/${event.id}/cancel`, headers: WAIT })
  t.equal(user.statusCode, 403)
  const noSecondFactor = await h.call(ADMIN_NO_2FA, {
    method: 'POST',
    url: `/api/v1/events/${event.id}/cancel`,
    headers: WAIT,
  })
  t.equal(noSecondFactor.statusCode, 403)
  t.equal(noSecondFactor.json().code, 'SECOND_FACTOR_REQUIRED')

  const start = Date.now() + 40 * 86_400_000
  const rescheduled = await h.call(ORGANIZER, {
    method: 'POST',
    url: `/api/v1/events/${event.id}/reschedule`,
    headers: WAIT,
    payload: {
      startsAt: new Date(start).toISOString(),
      endsAt: new Date(start + 86_400_000).toISOString(),
      place: 'Altai, Katun, new camp',
    },
  })
  t.equal(rescheduled.statusCode, 200, rescheduled.body)
  t.equal(rescheduled.json().status, 'RESCHEDULED')
  const lastOption = await h.call(ORGANIZER, {
    method: 'DELETE',
    url: `/api/v1/events/${event.id}/price-options/early`,
    headers: WAIT,
  })
  t.equal(lastOption.statusCode, 400, 'a published event keeps one price option')
  t.equal(lastOption.json().code, 'VALIDATION_FAILED')
  await h.call(ORGANIZER, {
    method: 'POST',
    url: `/api/v1/events/${event.id}/price-options`,
    headers: WAIT,
    payload: { id: 'late', name: 'Last minute', priceMinor: 400_000, allotment: 5 },
  })
  const removed = await h.call(ORGANIZER, {
    method: 'DELETE',
    url: `/api/v1/events/${event.id}/price-options/early`,
    headers: WAIT,
  })
  t.equal(removed.statusCode, 200, removed.body)
  t.equal(removed.json().status, 'ACCEPTED')
  const canceled = await h.call(ADMIN, {
    method: 'POST',
    url: `/api/v1/events/${event.id}/cancel`,
    headers: WAIT,
    payload: { reason: 'Flood warning' },
  })
  t.equal(canceled.statusCode, 200, canceled.body)
  t.equal(canceled.json().status, 'CANCELED')
  t.equal(canceled.json().cancelReason, 'Flood warning')
})

t.test('event bodies are validated (400) and roles enforced', async (t) => {
  const cases: [string, Record<string, unknown>][] = [
    ['short title', eventBody({ title: 'ab' })],
    ['long title', eventBody({ title: 'x'.repeat(256) })],
    ['short description', eventBody({ description: 'too short' })],
    ['long description', eventBody({ description: 'x'.repeat(5001) })],
    ['capacity over 10,000', eventBody({ capacity: 10_001 })],
    ['capacity as a string', eventBody({ capacity: '10' })],
    ['six categories', eventBody({ categories: ['a', 'b', 'c', 'd', 'e', 'f'] })],
    ['unknown field', eventBody({ color: 'red' })],
    ['not a date', eventBody({ startsAt: 'tomorrow' })],
    ['end before start', eventBody({ endsAt: new Date(Date.now()).toISOString() })],
  ]
  for (const [name, payload] of cases) {
    const res = await h.call(ORGANIZER, { method: 'POST', url: '/api/v1/events', payload })
    t.equal(res.statusCode, 400, name)
    t.equal(res.json().code, 'VALIDATION_FAILED', name)
  }
  const promo = await h.call(ORGANIZER, {
    method: 'POST',
    url: '/api/v1/events/x/promos',
    payload: {
      code: 'SUMMER10',
      kind: 'PERCENTAGE',
      value: 150,
      usageLimit: 5,
      validUntil: new Date(Date.now() + 86_400_000).toISOString(),
    },
  })
  t.equal(promo.statusCode, 400, 'a percentage over 100')
  const farPromo = await h.call(ORGANIZER, {
    method: 'POST',
    url: '/api/v1/events/x/promos',
    payload: {
      code: 'SUMMER10',
      kind: 'PERCENTAGE',
      value: 10,
      usageLimit: 5,
      validUntil: new Date(Date.now() + 400 * 86_400_000).toISOString(),
    },
  })
  t.equal(farPromo.statusCode, 400, 'more than a year ahead')
  const guest = await h.call('guest', { method: 'POST', url: '/api/v1/events', payload: eventBody() })
  t.equal(guest.statusCode, 401)
  const user = await h.call(USER, { method: 'POST', url: '/api/v1/events', payload: eventBody() })
  t.equal(user.statusCode, 403)
  const forOther = await h.call(ORGANIZER, {
    method: 'POST',
    url: '/api/v1/events',
    payload: eventBody({ organizerId: 'org-2' }),
  })
  t.equal(forOther.statusCode, 403, 'organizers create only their own events')
  const byAdmin = await h.call(ADMIN, {
    method: 'POST',
    url: '/api/v1/events',
    headers: WAIT,
    payload: eventBody({ organizerId: 'org-2' }),
  })
  t.equal(byAdmin.statusCode, 201)
  t.equal(byAdmin.json().organizerId, 'org-2')
})

t.test('catalog: search, guest reductions, ETag and 304', async (t) => {
  const id = await publishedEvent(h)
  const guest = await h.call('guest', { method: 'GET', url: `/api/v1/events/${id}` })
  t.equal(guest.statusCode, 200)
  t.equal(guest.json().place, null, 'guests do not get the meeting point')
  const user = await h.call(USER, { method: 'GET', url: `/api/v1/events/${id}` })
  t.equal(user.json().place, 'Altai, Katun river, Chemal bridge')
  const etag = guest.headers.etag as string
  t.ok(etag)
  const notModified = await h.call('guest', {
    method: 'GET',
    url: `/api/v1/events/${id}`,
    headers: { 'if-none-match': etag },
  })
  t.equal(notModified.statusCode, 304)
  t.equal(notModified.body, '')

  const page = await h.call('guest', {
    method: 'GET',
    url: '/api/v1/events?q=rafting&hasSeats=true&sort=startsAt,desc&size=5',
  })
  t.equal(page.statusCode, 200, page.body)
  const body = page.json()
  t.equal(body.size, 5)
  t.equal(body.page, 0)
  t.ok(body.items.some((e: { id: string }) => e.id === id))
  t.ok(body.total >= 1)
  const again = await h.call('guest', {
    method: 'GET',
    url: '/api/v1/events?q=rafting&hasSeats=true&sort=startsAt,desc&size=5',
    headers: { 'if-none-match': page.headers.etag as string },
  })
  t.equal(again.statusCode, 304, 'a cached page keeps its ETag')

  await h.call(USER, {
    method: 'POST',
    url: '/api/v1/bookings',
    headers: WAIT,
    payload: { eventId: id, priceOptionId: 'std', seats: 4 },
  })
  const afterBooking = await h.call('guest', {
    method: 'GET',
    url: `/api/v1/events/${id}`,
    headers: { 'if-none-match': etag },
  })
  t.equal(afterBooking.statusCode, 200, 'the projection invalidated the cached event')
  t.equal(afterBooking.json().seatsAvailable, 6)

  for (const [name, url] of [
    ['size over 100', '/api/v1/events?size=101'],
    ['negative page', '/api/v1/events?page=-1'],
    ['unknown parameter', '/api/v1/events?colour=red'],
    ['bad sort', '/api/v1/events?sort=seats,up'],
    ['bad date', '/api/v1/events?from=yesterday'],
    ['unknown status', '/api/v1/events?status=SOLD'],
  ] as const) {
    const res = await h.call('guest', { method: 'GET', url })
    t.equal(res.statusCode, 400, name)
    t.equal(res.json().code, 'VALIDATION_FAILED', name)
  }
  const missing = await h.call('guest', { method: 'GET', url: '/api/v1/events/no-such-event' })
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().code, 'EVENT_NOT_FOUND')
  const mine = await h.call(ORGANIZER, {
    method: 'GET',
    url: '/api/v1/events?organizerId=org-1&status=DRAFT,PUBLISHED,CANCELED',
  })
  t.equal(mine.statusCode, 200)
  t.ok(mine.json().items.every((e: { organizerId: string }) => e.organizerId === 'org-1'))
})
