/**
 * Bulk jobs through the API (routes/bulk.ts, bulk-jobs.ts), on the in-process harness: an organizer's job
 * publishes their own drafts and refuses, as items, another organizer's event (the rest of the job goes on:
 * each item is a command of its own); a booking job cancels the organizer's events' bookings and refuses a
 * booking of another organizer's event as an item (404, as its single-item route answers); what the caller
 * may not ask at all (force majeure from an organizer) refuses the whole job; the limits and the body are
 * validated; the job is readable by its creator and admins only; an Idempotency-Key names the same job; the
 * job's creation is audited.
 */
import t from 'tap'
import {
  ADMIN,
  eventBody,
  ORGANIZER,
  ORGANIZER2,
  payAndConfirm,
  publishedEvent,
  startHarness,
  USER,
  USER2,
  WAIT,
  type Harness,
  type Signed,
} from './api-harness.ts'

interface JobBody {
  jobId: string
  status: 'RUNNING' | 'COMPLETED'
  total: number
  pending: number
  accepted: number
  rejected: number
  items: {
    position: number
    targetId: string
    eventId: string | null
    requestId: string
    status: string
    decidedBy: string | null
    reasonCode: string | null
  }[]
}

const h: Harness = await startHarness({ rateLimits: false })
t.teardown(() => h.close())

async function draft(organizer: Signed): Promise<string> {
  const created = await h.call(organizer, {
    method: 'POST',
    url: '/api/v1/events',
    headers: WAIT,
    payload: eventBody(),
  })
  if (created.statusCode !== 201) throw new Error(`create: ${created.statusCode} ${created.body}`)
  return created.json<{ id: string }>().id
}

async function book(user: Signed, eventId: string): Promise<string> {
  const booked = await h.call(user, {
    method: 'POST',
    url: '/api/v1/bookings',
    headers: WAIT,
    payload: { eventId, priceOptionId: 'std', seats: 1 },
  })
  if (booked.statusCode !== 201) throw new Error(`book: ${booked.statusCode} ${booked.body}`)
  return booked.json<{ id: string }>().id
}

/** The job once every item has its result (polled for up to 20 s). */
async function completed(as: Signed, jobId: string): Promise<JobBody> {
  for (let i = 0; ; i++) {
    const answer = await h.call(as, { method: 'GET', url: `/api/v1/bulk/${jobId}` })
    if (answer.statusCode !== 200) throw new Error(`GET job: ${answer.statusCode} ${answer.body}`)
    const job = answer.json<JobBody>()
    if (job.status === 'COMPLETED' || i >= 400) return job
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const post = (as: Signed, url: string, payload: unknown, headers: Record<string, string> = {}) =>
  h.call(as, {
    method: 'POST',
    url,
    payload: JSON.stringify(payload),
    headers: { 'content-type': 'application/json', ...headers },
  })

t.test(
  "an organizer's publish job: own drafts published, another organizer's event refused alone",
  async (t) => {
    const mine = [await draft(ORGANIZER), await draft(ORGANIZER), await draft(ORGANIZER)]
    for (const id of mine) {
      const option = await post(
        ORGANIZER,
        `/api/v1/events/${id}/price-options`,
        { id: 'std', name: 'Standard', priceMinor: 100_000, allotment: 10 },
        WAIT,
      )
      t.equal(option.statusCode, 201)
    }
    const theirs = await draft(ORGANIZER2)
    const accepted = await post(ORGANIZER, '/api/v1/bulk/events', {
      action: 'PUBLISH',
      eventIds: [mine[0], theirs, mine[1], mine[2], 'no-such-event'],
    })
    t.equal(accepted.statusCode, 202, accepted.body)
    const { jobId, items } = accepted.json<{ jobId: string; items: number }>()
    t.equal(items, 5)
    t.equal(accepted.headers.location, `/api/v1/bulk/${jobId}`)

    const job = await completed(ORGANIZER, jobId)
    t.equal(job.status, 'COMPLETED')
    t.same(
      job.items.map((item) => [item.targetId, item.status, item.decidedBy, item.reasonCode]),
      [
        [mine[0], 'ACCEPTED', 'pipeline', null],
        [theirs, 'REJECTED', 'api', 'EVENT_NOT_FOUND'],
        [mine[1], 'ACCEPTED', 'pipeline', null],
        [mine[2], 'ACCEPTED', 'pipeline', null],
        ['no-such-event', 'REJECTED', 'pipeline', 'EVENT_NOT_FOUND'],
      ],
      "each item's result; another organizer's draft is as unknown to the caller as on its own route",
    )
    t.match(job, { total: 5, pending: 0, accepted: 3, rejected: 2 })
    t.equal(new Set(job.items.map((item) => item.requestId)).size, 5, 'one request per item')
    for (const id of mine)
      t.equal((await h.readModel.getEvent(id, { role: 'admin', userId: 'x' }))?.status, 'PUBLISHED')
    t.equal(
      (await h.readModel.getEvent(theirs, { role: 'admin', userId: 'x' }))?.status,
      'DRAFT',
      'untouched',
    )
    const outcome = await h.call(ORGANIZER, {
      method: 'GET',
      url: `/api/v1/requests/${job.items[0]!.requestId}`,
    })
    t.match(
      outcome.json(),
      { status: 'ACCEPTED', commandType: 'event.PUBLISH' },
      "an item's request reads as any other",
    )

    const published = await publishedEvent(h, { organizer: ORGANIZER2 })
    const cancel = await post(ORGANIZER, '/api/v1/bulk/events', {
      action: 'CANCEL',
      eventIds: [published, mine[0]],
      reason: 'storm',
    })
    const canceled = await completed(ORGANIZER, cancel.json<{ jobId: string }>().jobId)
    t.same(
      canceled.items.map((item) => [item.targetId, item.status, item.decidedBy, item.reasonCode]),
      [
        [published, 'REJECTED', 'api', 'FORBIDDEN'],
        [mine[0], 'ACCEPTED', 'pipeline', null],
      ],
      "another organizer's published event: FORBIDDEN for that item only",
    )
    t.equal((await h.readModel.getEvent(published, { role: 'admin', userId: 'x' }))?.status, 'PUBLISHED')
  },
)

t.test(
  "a booking cancel job: the organizer's events' bookings canceled, another's refused as an item",
  async (t) => {
    const mine = await publishedEvent(h, { capacity: 5 })
    const theirs = await publishedEvent(h, { capacity: 5, organizer: ORGANIZER2 })
    const bookings = [await book(USER, mine), await book(USER2, mine)]
    const foreign = await book(USER, theirs)
    await payAndConfirm(h, USER, bookings[0]!)

    const refused = await post(ORGANIZER, '/api/v1/bulk/bookings', {
      action: 'CANCEL',
      bookingIds: bookings,
      forceMajeure: true,
    })
    t.equal(refused.statusCode, 403, 'force majeure from an organizer refuses the whole job')
    t.equal(refused.json<{ code: string }>().code, 'FORBIDDEN')

    const accepted = await post(ORGANIZER, '/api/v1/bulk/bookings', {
      action: 'CANCEL',
      bookingIds: [bookings[0], foreign, bookings[1]],
      reason: 'river closed',
    })
    t.equal(accepted.statusCode, 202, accepted.body)
    const job = await completed(ORGANIZER, accepted.json<{ jobId: string }>().jobId)
    t.same(
      job.items.map((item) => [item.targetId, item.status, item.decidedBy, item.reasonCode, item.eventId]),
      [
        [bookings[0], 'ACCEPTED', 'pipeline', null, mine],
        [foreign, 'REJECTED', 'api', 'BOOKING_NOT_FOUND', null],
        [bookings[1], 'ACCEPTED', 'pipeline', null, mine],
      ],
    )
    for (const id of bookings) t.equal((await h.readModel.getBooking(id))?.status, 'CANCELED')
    const paid = (await h.readModel.getBooking(bookings[0]!))!
    t.ok(paid.paidMinor > 0, 'the first booking was paid')
    t.equal(paid.refundedMinor, paid.paidMinor, "the organizer's cancellation refunds in full, once")
    t.equal(
      (await h.readModel.getBooking(foreign))?.status,
      'PENDING_PAYMENT',
      "another organizer's booking untouched",
    )

    const admin = await post(ADMIN, '/api/v1/bulk/bookings', {
      action: 'CANCEL',
      bookingIds: [foreign],
      forceMajeure: true,
    })
    t.equal(admin.statusCode, 202, 'an admin may ask force majeure, on any event')
    const adminJob = await completed(ADMIN, admin.json<{ jobId: string }>().jobId)
    t.match(adminJob.items, [{ targetId: foreign, status: 'ACCEPTED' }])
    const [record] = (
      await h.readModel.listAudit({
        action: 'POST /api/v1/bulk/bookings',
        actor: ADMIN.sub,
        page: 0,
        size: 1,
      })
    ).items
    t.match(
      record,
      {
        secondFactor: true,
        status: 202,
        targetType: 'bulk-job',
        targetId: adminJob.jobId,
        after: { jobId: adminJob.jobId, items: 1 },
      },
      'audited',
    )
  },
)

t.test('limits and validation: 400 before anything is stored', async (t) => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `event-${i}`)
  const cases: [string, unknown][] = [
    ['501 items', { action: 'CANCEL', eventIds: ids(501) }],
    ['no item', { action: 'CANCEL', eventIds: [] }],
    ['an item twice', { action: 'CANCEL', eventIds: ['a', 'b', 'a'] }],
    ['an unknown action', { action: 'DELETE', eventIds: ['a'] }],
    ['a malformed ID', { action: 'CANCEL', eventIds: ['a b'] }],
    ['a reason for PUBLISH', { action: 'PUBLISH', eventIds: ['a'], reason: 'x' }],
    ['publishAt for CANCEL', { action: 'CANCEL', eventIds: ['a'], publishAt: new Date().toISOString() }],
    ['an unknown field', { action: 'CANCEL', eventIds: ['a'], everything: true }],
  ]
  for (const [what, body] of cases) {
    const answer = await post(ADMIN, '/api/v1/bulk/events', body)
    t.equal(answer.statusCode, 400, what)
    t.equal(answer.json<{ code: string }>().code, 'VALIDATION_FAILED', what)
  }
  const bookings = await post(ADMIN, '/api/v1/bulk/bookings', { action: 'CANCEL', bookingIds: ids(501) })
  t.equal(bookings.statusCode, 400, '501 bookings')
  const full = await post(ADMIN, '/api/v1/bulk/events', { action: 'CANCEL', eventIds: ids(500) })
  t.equal(full.statusCode, 202, '500 items are accepted')
  const job = await completed(ADMIN, full.json<{ jobId: string }>().jobId)
  t.match(job, { total: 500, pending: 0, rejected: 500 }, 'every unknown event refused by its task')
})

t.test('who: users may not start jobs; a job is read by its creator and admins only', async (t) => {
  const user = await post(USER, '/api/v1/bulk/events', { action: 'CANCEL', eventIds: ['a'] })
  t.equal(user.statusCode, 403)
  const started = await post(ORGANIZER, '/api/v1/bulk/events', { action: 'CANCEL', eventIds: ['a'] })
  const url = `/api/v1/bulk/${started.json<{ jobId: string }>().jobId}`
  t.equal((await h.call(ORGANIZER, { method: 'GET', url })).statusCode, 200, 'its creator')
  t.equal((await h.call(ADMIN, { method: 'GET', url })).statusCode, 200, 'an admin')
  const other = await h.call(ORGANIZER2, { method: 'GET', url })
  t.equal(other.statusCode, 404, 'another organizer')
  t.equal(other.json<{ code: string }>().code, 'BULK_JOB_NOT_FOUND')
  t.equal((await h.call(USER, { method: 'GET', url })).statusCode, 403, 'a user')
  t.equal((await h.call(ADMIN, { method: 'GET', url: '/api/v1/bulk/no-such-job' })).statusCode, 404)
})

t.test('an Idempotency-Key names the same job; reused with another body, 409', async (t) => {
  const body = { action: 'CANCEL', eventIds: ['x', 'y'] }
  const key = { 'idempotency-key': `bulk-${Date.now()}` }
  const first = await post(ORGANIZER, '/api/v1/bulk/events', body, key)
  const again = await post(ORGANIZER, '/api/v1/bulk/events', body, key)
  t.equal(first.statusCode, 202)
  t.equal(again.statusCode, 202)
  t.equal(again.json<{ jobId: string }>().jobId, first.json<{ jobId: string }>().jobId, 'the same job')
  const other = await post(ORGANIZER, '/api/v1/bulk/events', { ...body, eventIds: ['z'] }, key)
  t.equal(other.statusCode, 409)
  t.equal(other.json<{ code: string }>().code, 'IDEMPOTENCY_KEY_REUSED')
  const job = await completed(ORGANIZER, first.json<{ jobId: string }>().jobId)
  t.equal(job.total, 2, 'stored once')
})

t.test('the OpenAPI document describes the bulk and export routes', async (t) => {
  const doc = h.openapi()
  const body = doc.paths['/api/v1/bulk/events'].post.requestBody.content['application/json'].schema
  t.match(body, {
    additionalProperties: false,
    properties: { eventIds: { maxItems: 500, uniqueItems: true } },
  })
  t.ok(doc.paths['/api/v1/bulk/events'].post.responses['202'], 'answers 202')
  t.match(doc.paths['/api/v1/bulk/bookings'].post.requestBody.content['application/json'].schema, {
    properties: { bookingIds: { maxItems: 500 }, forceMajeure: { type: 'boolean' } },
  })
  t.match(doc.paths['/api/v1/bulk/{id}'].get.responses['200'].content['application/json'].schema, {
    properties: { items: { type: 'array' }, status: {} },
  })
  t.ok(
    doc.paths['/api/v1/events/{id}/participants.csv'].get.responses['200'].content['text/csv'],
    'the export is text/csv',
  )
  t.ok(doc.paths['/api/v1/admin/bookings'].get.parameters.some((p: { name: string }) => p.name === 'userId'))
})
