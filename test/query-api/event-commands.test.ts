// Refund policy, crew requests and schedule restores: the event commands exposed last.
import t from 'tap'
import {
  ADMIN,
  DAY_MS,
  ORGANIZER,
  ORGANIZER2,
  publishedEvent,
  startHarness,
  USER,
  WAIT,
} from './api-harness.ts'

const h = await startHarness()
t.teardown(() => h.close())

const POLICY = {
  tiers: [
    { minHoursBeforeStart: 72, percent: 100 },
    { minHoursBeforeStart: 24, percent: 50 },
  ],
}

t.test('refund policy: organizer and admin set it, others are refused', async (t) => {
  const id = await publishedEvent(h)
  const url = `/api/v1/events/${id}/refund-policy`
  const set = await h.call(ORGANIZER, { method: 'PUT', url, headers: WAIT, payload: POLICY })
  t.equal(set.statusCode, 200, set.body)
  t.equal(set.json().id, id)
  t.equal(set.json().version, 4, 'the command bumped the version')
  const byAdmin = await h.call(ADMIN, {
    method: 'PUT',
    url,
    headers: WAIT,
    payload: { tiers: [{ minHoursBeforeStart: 0, percent: 0 }] },
  })
  t.equal(byAdmin.statusCode, 200, byAdmin.body)
  t.equal(byAdmin.json().version, 5)

  const unknown = await h.call(ORGANIZER, {
    method: 'PUT',
    url,
    headers: WAIT,
    payload: { ...POLICY, extra: true },
  })
  t.equal(unknown.statusCode, 400)
  t.equal(unknown.json().code, 'VALIDATION_FAILED')
  const unknownInTier = await h.call(ORGANIZER, {
    method: 'PUT',
    url,
    payload: { tiers: [{ minHoursBeforeStart: 1, percent: 10, note: 'x' }] },
  })
  t.equal(unknownInTier.statusCode, 400)
  const duplicateHours = await h.call(ORGANIZER, {
    method: 'PUT',
    url,
    payload: {
      tiers: [
        { minHoursBeforeStart: 1, percent: 10 },
        { minHoursBeforeStart: 1, percent: 20 },
      ],
    },
  })
  t.equal(duplicateHours.statusCode, 400)
  const tooHigh = await h.call(ORGANIZER, {
    method: 'PUT',
    url,
    payload: { tiers: [{ minHoursBeforeStart: 1, percent: 101 }] },
  })
  t.equal(tooHigh.statusCode, 400)

  const foreign = await h.call(ORGANIZER2, { method: 'PUT', url, headers: WAIT, payload: POLICY })
  t.equal(foreign.statusCode, 403)
  t.equal(foreign.json().code, 'FORBIDDEN')
  const user = await h.call(USER, { method: 'PUT', url, headers: WAIT, payload: POLICY })
  t.equal(user.statusCode, 403)
})

t.test('refund policy without Prefer: wait answers 202; Idempotency-Key repeats one request', async (t) => {
  const id = await publishedEvent(h)
  const url = `/api/v1/events/${id}/refund-policy`
  const headers = { 'idempotency-key': `policy-${id}` }
  const first = await h.call(ORGANIZER, { method: 'PUT', url, headers, payload: POLICY })
  t.equal(first.statusCode, 202, first.body)
  // A repeat names the same request: pending (202 with its ID), or decided by now (its answer, the ID in
  // x-request-id).
  const again = await h.call(ORGANIZER, { method: 'PUT', url, headers, payload: POLICY })
  t.ok(again.statusCode === 202 || again.statusCode === 200, `repeat answered ${again.statusCode}`)
  t.equal(
    again.statusCode === 202 ? again.json().requestId : again.headers['x-request-id'],
    first.json().requestId,
  )
  const reused = await h.call(ORGANIZER, {
    method: 'PUT',
    url,
    headers,
    payload: { tiers: [{ minHoursBeforeStart: 5, percent: 5 }] },
  })
  t.equal(reused.statusCode, 409)
  t.equal(reused.json().code, 'IDEMPOTENCY_KEY_REUSED')
})

t.test('crew request: created with its ID, duplicates refused, foreign organizers 403', async (t) => {
  const id = await publishedEvent(h)
  const url = `/api/v1/events/${id}/crew`
  const requested = await h.call(ORGANIZER, {
    method: 'POST',
    url,
    headers: WAIT,
    payload: { id: 'guide-1', role: 'INSTRUCTOR' },
  })
  t.equal(requested.statusCode, 201, requested.body)
  t.equal(requested.json().status, 'ACCEPTED')
  t.equal(requested.json().resourceType, 'CREW_REQUEST')
  t.equal(requested.json().resourceId, 'guide-1')
  const generated = await h.call(ADMIN, {
    method: 'POST',
    url,
    headers: { ...WAIT, 'idempotency-key': `crew-${id}` },
    payload: { role: 'PHOTOGRAPHER' },
  })
  t.equal(generated.statusCode, 201, generated.body)
  const generatedId = generated.json().resourceId as string
  t.ok(generatedId.length > 0)
  const repeat = await h.call(ADMIN, {
    method: 'POST',
    url,
    headers: { ...WAIT, 'idempotency-key': `crew-${id}` },
    payload: { role: 'PHOTOGRAPHER' },
  })
  t.equal(repeat.statusCode, 201, repeat.body)
  t.equal(repeat.json().resourceId, generatedId, 'a repeat keeps the generated crew request ID')

  const event = await h.call(ORGANIZER, { method: 'GET', url: `/api/v1/events/${id}` })
  const crewIds = (event.json().crew as { crewRequestId: string }[]).map((c) => c.crewRequestId)
  t.ok(crewIds.includes('guide-1'), 'the read model shows the request')

  const duplicate = await h.call(ORGANIZER, {
    method: 'POST',
    url,
    headers: WAIT,
    payload: { id: 'guide-1', role: 'INSTRUCTOR' },
  })
  t.equal(duplicate.statusCode, 400, duplicate.body)
  t.equal(duplicate.json().code, 'VALIDATION_FAILED')
  const unknown = await h.call(ORGANIZER, {
    method: 'POST',
    url,
    headers: WAIT,
    payload: { role: 'INSTRUCTOR', memberId: 'm-1' },
  })
  t.equal(unknown.statusCode, 400)
  t.equal(unknown.json().code, 'VALIDATION_FAILED')
  const badRole = await h.call(ORGANIZER, { method: 'POST', url, payload: { role: 'COOK' } })
  t.equal(badRole.statusCode, 400)
  const foreign = await h.call(ORGANIZER2, {
    method: 'POST',
    url,
    headers: WAIT,
    payload: { role: 'INSTRUCTOR' },
  })
  t.equal(foreign.statusCode, 403)
})

t.test('restore schedule: back to the original dates after a reschedule', async (t) => {
  const id = await publishedEvent(h)
  const original = (await h.call(ORGANIZER, { method: 'GET', url: `/api/v1/events/${id}` })).json()
  const url = `/api/v1/events/${id}/restore-schedule`
  const notRescheduled = await h.call(ORGANIZER, { method: 'POST', url, headers: WAIT })
  t.equal(notRescheduled.statusCode, 409, notRescheduled.body)
  t.equal(notRescheduled.json().code, 'INVALID_TRANSITION')

  const start = Date.now() + 40 * DAY_MS
  const moved = await h.call(ORGANIZER, {
    method: 'POST',
    url: `/api/v1/events/${id}/reschedule`,
    headers: WAIT,
    payload: {
      startsAt: new Date(start).toISOString(),
      endsAt: new Date(start + DAY_MS).toISOString(),
      place: 'Altai, Katun river, Chemal bridge',
    },
  })
  t.equal(moved.statusCode, 200, moved.body)
  t.equal(moved.json().status, 'RESCHEDULED')

  const unknown = await h.call(ORGANIZER, { method: 'POST', url, headers: WAIT, payload: { force: true } })
  t.equal(unknown.statusCode, 400)
  t.equal(unknown.json().code, 'VALIDATION_FAILED')
  const foreign = await h.call(ORGANIZER2, { method: 'POST', url, headers: WAIT })
  t.equal(foreign.statusCode, 403)

  const restored = await h.call(ORGANIZER, { method: 'POST', url, headers: WAIT })
  t.equal(restored.statusCode, 200, restored.body)
  t.equal(restored.json().status, 'PUBLISHED')
  t.equal(restored.json().startsAt, original.startsAt)
  t.equal(restored.json().endsAt, original.endsAt)
})
