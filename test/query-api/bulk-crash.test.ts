/**
 * A bulk job survives a crash of the embedded service (`node main.ts` in a fresh data folder): an organizer's
 * 500 bookings across 20 events are canceled in one job, paced at 40 commands a second so that the job is
 * mid-way when the service is killed with SIGKILL; the service is restarted on the same folder and resumes
 * the job. Then every item has exactly one outcome, ACCEPTED, the job is COMPLETED, the items decided before
 * the kill kept their decision, every booking is CANCELED, and the log (read after a clean stop) holds for
 * each item's request one decision only (however often its outcome was forwarded) and for each booking one
 * cancellation fact.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { DEFAULT_TOPIC_NAMES } from '../../topologies/index.ts'
import { EmbeddedLog } from '../../streams/index.ts'
import { eventBody, serdes, tokenFor, type Signed } from './api-harness.ts'
import { apiUrl, startEmbeddedService } from './service-process.ts'

const EVENTS = 20
const PER_EVENT = 25
const ORGANIZER: Signed = { sub: 'org-bulk-crash', role: 'organizer' }
const PACE = { BULK_COMMANDS_PER_SECOND: '40' }

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

t.test('a bulk cancel of 500 bookings survives SIGKILL mid-job and a restart', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulk-crash-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  let app = startEmbeddedService(dataDir, PACE)
  t.teardown(() => app.child.kill('SIGKILL'))
  let url = await apiUrl(app)

  const events: string[] = []
  for (let e = 0; e < EVENTS; e++) {
    const id = `bulk-crash-${e}`
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
  t.equal(bookings.length, EVENTS * PER_EVENT, '500 bookings across 20 events')

  const started = await call<{ jobId: string }>(url, ORGANIZER, 'POST', '/api/v1/bulk/bookings', {
    action: 'CANCEL',
    bookingIds: bookings,
    reason: 'the river is closed',
  })
  t.equal(started.status, 202)
  const jobPath = `/api/v1/bulk/${started.body.jobId}`

  // Killed once at least 100 items are decided and at least 100 are not.
  let beforeKill: Job | undefined
  for (let i = 0; i < 600 && beforeKill === undefined; i++) {
    const { body } = await call<Job>(url, ORGANIZER, 'GET', jobPath)
    if (body.pending <= 400 && body.pending >= 100) beforeKill = body
    else if (body.pending < 100) break
    else await sleep(100)
  }
  t.ok(beforeKill !== undefined, `killed mid-job (${beforeKill?.pending} of 500 items pending)`)
  app.child.kill('SIGKILL')
  await app.exited
  app = startEmbeddedService(dataDir, PACE)
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
  t.match(job, { total: 500, pending: 0, accepted: 500 })
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
  t.same(changed, [], `the ${500 - beforeKill.pending} items decided before the kill kept their decision`)

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
  const s = await serdes()
  const log = EmbeddedLog.open({ dir: join(dataDir, 'log') })
  t.teardown(() => log.close())
  const records = (topic: string) => {
    const all = []
    for (let p = 0; p < log.partitions(topic); p++)
      for (let offset = log.startOffset(topic, p); offset < log.endOffset(topic, p);) {
        const batch = log.read(topic, p, offset, 1000)
        if (batch.length === 0) break
        all.push(...batch)
        offset = batch[batch.length - 1]!.offset + 1
      }
    return all
  }
  const items = new Set(job.items.map((item) => item.requestId))
  const decisions = new Map<string, Set<string>>()
  for (const record of records(DEFAULT_TOPIC_NAMES.requestOutcomes)) {
    if (record.value === null) continue
    const outcome = s.outcome.deserialize(DEFAULT_TOPIC_NAMES.requestOutcomes, record.value)
    if (!items.has(outcome.requestId)) continue
    const kept = decisions.get(outcome.requestId) ?? new Set<string>()
    kept.add(`${outcome.accepted} ${outcome.reasonCode} ${outcome.decidedAtMs}`)
    decisions.set(outcome.requestId, kept)
  }
  t.equal(decisions.size, 500, "every item's request has its outcome in the log")
  t.same(
    [...decisions]
      .filter(([, kept]) => kept.size !== 1)
      .map(([id, kept]) => `${id}: ${[...kept].join(' | ')}`),
    [],
    'no item decided twice',
  )
  const cancellations = new Map<string, number>()
  for (const record of records(DEFAULT_TOPIC_NAMES.bookingEvents)) {
    if (record.value === null) continue
    const fact = s.bookingEvent.deserialize(DEFAULT_TOPIC_NAMES.bookingEvents, record.value)
    if (fact.type === 'CANCELED' && fact.bookingId !== null)
      cancellations.set(fact.bookingId, (cancellations.get(fact.bookingId) ?? 0) + 1)
  }
  t.same(
    bookings.filter((id) => cancellations.get(id) !== 1),
    [],
    'exactly one cancellation fact per booking',
  )
})
