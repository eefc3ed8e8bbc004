/**
 * A bulk cancel job through a crash of the whole service as a child process (`node main.ts`), in either
 * mode: an organizer's bookings across events are canceled in one job, paced so that the job is mid-way
 * when the service is killed with SIGKILL; the service is restarted and resumes the job. Then every item has
 * exactly one outcome, ACCEPTED, the job is COMPLETED, the items decided before the kill kept their
 * decision, every booking is CANCELED, and the log (read after a clean stop) holds for each item's request
 * one decision only (however often its outcome was forwarded) and for each booking one cancellation fact.
 * Used by test/query-api/bulk-crash.test.ts (embedded) and real-stack-bulk-crash.test.ts (Kafka, PostgreSQL,
 * Redis).
 */
import type { Test } from 'tap'
import { ADMIN, eventBody, tokenFor, type Signed } from '../query-api/api-harness.ts'
import { apiUrl } from '../query-api/service-process.ts'
import type { BookingSerdes } from '../../topologies/index.ts'
import type { AppProcess } from './processes.ts'

export interface BulkCrashOptions {
  readonly events: number
  readonly perEvent: number
  /** A new instance of the service on the same data (BULK_COMMANDS_PER_SECOND set low enough to kill mid-job). */
  readonly start: () => AppProcess
  readonly organizer: Signed
  /** IDs of this run's events (unique on a shared database). */
  readonly eventId: (i: number) => string
  /** Every record value of a topic, read once the service has stopped. */
  readonly values: (topic: string) => Promise<Buffer[]>
  readonly serdes: BookingSerdes
}

interface Item {
  targetId: string
  requestId: string
  status: string
  decidedBy: string | null
  reasonCode: string | null
  decidedAt: string | null
}
interface Job {
  status: string
  total: number
  pending: number
  accepted: number
  items: Item[]
}

async function call<T>(
  url: string,
  as: Signed,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await tokenFor(as)}`,
      prefer: 'wait=10',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs the scenario (see the file comment); the service is stopped when it returns. */
export async function bulkCrashScenario(t: Test, options: BulkCrashOptions): Promise<void> {
  const { events: EVENTS, perEvent: PER_EVENT, organizer: ORGANIZER } = options
  const total = EVENTS * PER_EVENT
  let app = options.start()
  t.teardown(() => app.child.kill('SIGKILL'))
  let url = await apiUrl(app)

  // The events' category (the embedded demo catalog has it already: 409 there).
  const category = await call(url, ADMIN, 'POST', '/api/v1/categories', {
    id: 'rafting',
    parentId: null,
    name: 'Rafting',
  })
  t.ok([201, 409].includes(category.status), `the category (${category.status})`)
  const events: string[] = []
  for (let e = 0; e < EVENTS; e++) {
    const id = options.eventId(e)
    const created = await call(
      url,
      ORGANIZER,
      'POST',
      '/api/v1/events',
      eventBody({ id, capacity: PER_EVENT }),
    )
    const option = await call(url, ORGANIZER, 'POST', `/api/v1/events/${id}/price-options`, {
      id: 'std',
      name: 'Standard',
      priceMinor: 100_000,
      allotment: PER_EVENT,
    })
    const published = await call(url, ORGANIZER, 'POST', `/api/v1/events/${id}/publish`)
    if (created.status !== 201 || option.status !== 201 || published.status !== 200)
      throw new Error(`event ${id}: ${created.status} ${option.status} ${published.status}`)
    events.push(id)
  }
  const bookings: string[] = []
  const slots = Array.from({ length: EVENTS * PER_EVENT }, (_, i) => i)
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = slots.shift(); i !== undefined; i = slots.shift()) {
        const user: Signed = { sub: `bulk-crash-user-${i}`, role: 'user' }
        const booked = await call<{ id: string }>(url, user, 'POST', '/api/v1/bookings', {
          eventId: events[i % EVENTS],
          priceOptionId: 'std',
          seats: 1,
        })
        if (booked.status !== 201) throw new Error(`booking ${i}: ${booked.status}`)
        bookings.push(booked.body.id)
      }
    }),
  )
  t.equal(bookings.length, total, `${total} bookings across ${EVENTS} events`)

  const started = await call<{ jobId: string }>(url, ORGANIZER, 'POST', '/api/v1/bulk/bookings', {
    action: 'CANCEL',
    bookingIds: bookings,
    reason: 'the river is closed',
  })
  t.equal(started.status, 202)
  const jobPath = `/api/v1/bulk/${started.body.jobId}`

  // Killed once at least a fifth of the items are decided and at least a fifth are not.
  const fifth = Math.floor(total / 5)
  let beforeKill: Job | undefined
  for (let i = 0; i < 600 && beforeKill === undefined; i++) {
    const { body } = await call<Job>(url, ORGANIZER, 'GET', jobPath)
    if (body.pending <= total - fifth && body.pending >= fifth) beforeKill = body
    else if (body.pending < fifth) break
    else await sleep(100)
  }
  t.ok(beforeKill !== undefined, `killed mid-job (${beforeKill?.pending} of ${total} items pending)`)
  app.child.kill('SIGKILL')
  await app.exited
  app = options.start()
  const resumed = app.waitFor<{ msg?: string; jobs?: number }>((l) => l.msg === 'bulk jobs resumed', 180_000)
  url = await apiUrl(app)
  t.equal((await resumed).jobs, 1, 'the job is resumed on start')

  let job: Job | undefined
  for (let i = 0; i < 600; i++) {
    const { status, body } = await call<Job>(url, ORGANIZER, 'GET', jobPath)
    t.equal(status, 200)
    if (body.status === 'COMPLETED') {
      job = body
      break
    }
    await sleep(200)
  }
  t.ok(job, 'the job completes after the restart')
  if (job === undefined || beforeKill === undefined) return
  t.match(job, { total, pending: 0, accepted: total })
  t.same(
    job.items.filter((item) => item.status !== 'ACCEPTED' || item.decidedBy !== 'pipeline'),
    [],
    'every item accepted by its event task',
  )
  t.same(
    job.items.map((item) => item.targetId),
    bookings,
    'one item per booking, in order',
  )
  const after = new Map(job.items.map((item) => [item.requestId, item.decidedAt]))
  const changed = beforeKill.items.filter(
    (item) => item.status !== 'PENDING' && after.get(item.requestId) !== item.decidedAt,
  )
  t.same(changed, [], `the ${total - beforeKill.pending} items decided before the kill kept their decision`)

  const statuses = new Map<string, string>()
  for (const eventId of events)
    for (let page = 0; ; page++) {
      const { body } = await call<{ items: { id: string; status: string }[] }>(
        url,
        ORGANIZER,
        'GET',
        `/api/v1/events/${eventId}/bookings?size=100&page=${page}`,
      )
      for (const b of body.items) statuses.set(b.id, b.status)
      if (body.items.length < 100) break
    }
  t.same(
    bookings.filter((id) => statuses.get(id) !== 'CANCELED'),
    [],
    'every booking is CANCELED',
  )

  app.child.kill('SIGTERM')
  t.equal((await app.exited).code, 0, 'clean shutdown')

  // The log itself: one decision per item's request, one cancellation per booking.
  const s = options.serdes
  const topics = s.topics
  const items = new Set(job.items.map((item) => item.requestId))
  const decisions = new Map<string, Set<string>>()
  for (const value of await options.values(topics.requestOutcomes)) {
    const outcome = s.outcome.deserialize(topics.requestOutcomes, value)
    if (!items.has(outcome.requestId)) continue
    const kept = decisions.get(outcome.requestId) ?? new Set<string>()
    kept.add(`${outcome.accepted} ${outcome.reasonCode} ${outcome.decidedAtMs}`)
    decisions.set(outcome.requestId, kept)
  }
  t.equal(decisions.size, total, "every item's request has its outcome in the log")
  t.same(
    [...decisions]
      .filter(([, kept]) => kept.size !== 1)
      .map(([id, kept]) => `${id}: ${[...kept].join(' | ')}`),
    [],
    'no item decided twice',
  )
  const cancellations = new Map<string, number>()
  for (const value of await options.values(topics.bookingEvents)) {
    const fact = s.bookingEvent.deserialize(topics.bookingEvents, value)
    if (fact.type === 'CANCELED' && fact.bookingId !== null)
      cancellations.set(fact.bookingId, (cancellations.get(fact.bookingId) ?? 0) + 1)
  }
  t.same(
    bookings.filter((id) => cancellations.get(id) !== 1),
    [],
    'exactly one cancellation fact per booking',
  )
}
