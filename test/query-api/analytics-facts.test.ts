// The API's analytics facts (docs/analytics.md): catalog views and favorite changes, read back from the
// embedded log.
import t from 'tap'
import type { EmbeddedLog } from '../../streams/index.ts'
import { ORGANIZER, publishedEvent, startHarness, USER, USER2 } from './api-harness.ts'

const h = await startHarness()
t.teardown(() => h.close())

interface Fact {
  readonly key: string
  readonly value: Record<string, unknown>
  readonly partition: number
}

function facts(log: EmbeddedLog, topic: string): Fact[] {
  const out: Fact[] = []
  for (let p = 0; p < log.partitions(topic); p++)
    for (const r of log.read(topic, p, log.startOffset(topic, p), 100_000))
      out.push({
        key: r.key === null ? '' : r.key.toString('utf8'),
        value: JSON.parse(r.value!.toString('utf8')) as Record<string, unknown>,
        partition: p,
      })
  return out
}

/** Views are produced after the answer: poll briefly for them. */
async function eventually<T>(read: () => T[], count: number): Promise<T[]> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const found = read()
    if (found.length >= count || Date.now() > deadline) return found
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

t.test('serving an event details produces a catalog view fact', async (t) => {
  const id = await publishedEvent(h)
  const viewsOf = () => facts(h.log, 'aquastream.analytics.views.v1').filter((f) => f.value.eventId === id)
  const before = Date.now()
  const asUser = await h.call(USER, {
    method: 'GET',
    url: `/api/v1/events/${id}`,
    headers: { 'x-session-id': 'session-abc' },
  })
  t.equal(asUser.statusCode, 200)
  const asGuest = await h.call('guest', { method: 'GET', url: `/api/v1/events/${id}` })
  t.equal(asGuest.statusCode, 200)
  const asOrganizer = await h.call(ORGANIZER, { method: 'GET', url: `/api/v1/events/${id}` })
  t.equal(asOrganizer.statusCode, 200)
  const views = await eventually(viewsOf, 3)
  t.equal(views.length, 3, 'one fact per served view')
  for (const v of views) {
    t.equal(v.key, id, 'keyed by event ID')
    t.type(v.value.viewId, 'string')
    t.ok((v.value.viewId as string).length > 0)
    t.type(v.value.occurredAtMs, 'number')
    t.ok(Number.isInteger(v.value.occurredAtMs) && (v.value.occurredAtMs as number) >= before)
  }
  t.equal(new Set(views.map((v) => v.value.viewId)).size, 3, 'view IDs are unique')
  const byUser = new Map(views.map((v) => [v.value.userId, v.value]))
  t.equal(byUser.get('user-1')?.sessionId, 'session-abc')
  t.equal(byUser.get(null)?.sessionId, null, 'a guest without a session')
  t.ok(byUser.has('org-1'))
  const partitions = new Set(views.map((v) => v.partition))
  t.equal(partitions.size, 1, 'all on the event partition')

  const missing = await h.call(USER, { method: 'GET', url: '/api/v1/events/no-such-event' })
  t.equal(missing.statusCode, 404)
  // The positive control: a view served after the 404 is produced; once it is there, a view of the
  // missing event, produced before it, would be there too.
  t.equal((await h.call(USER2, { method: 'GET', url: `/api/v1/events/${id}` })).statusCode, 200)
  t.equal((await eventually(viewsOf, 4)).length, 4, 'the view served after the 404 is produced')
  t.equal(
    facts(h.log, 'aquastream.analytics.views.v1').filter((f) => f.value.eventId === 'no-such-event').length,
    0,
    'no view of a missing event',
  )
})

t.test('a failing transport never fails the read', async (t) => {
  const id = await publishedEvent(h)
  const original = h.log.append.bind(h.log)
  const broken = h.log as unknown as { append: EmbeddedLog['append'] }
  let failedAppends = 0
  broken.append = (records) => {
    if (records.some((r) => r.topic === 'aquastream.analytics.views.v1')) {
      failedAppends++
      throw new Error('log down')
    }
    return original(records)
  }
  try {
    const res = await h.call(USER2, { method: 'GET', url: `/api/v1/events/${id}` })
    t.equal(res.statusCode, 200)
    // The read was answered; its view is produced after the answer: wait until the transport was tried.
    const deadline = Date.now() + 10_000
    while (failedAppends === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    t.equal(failedAppends, 1, 'the view was sent, and the transport failed it')
  } finally {
    broken.append = original
  }
  // The positive control: with the transport back, the next view is produced; the failed one is not.
  const viewsOf = () => facts(h.log, 'aquastream.analytics.views.v1').filter((f) => f.value.eventId === id)
  t.equal((await h.call(USER, { method: 'GET', url: `/api/v1/events/${id}` })).statusCode, 200)
  const views = await eventually(viewsOf, 1)
  t.same(
    views.map((v) => v.value.userId),
    ['user-1'],
    'only the view served after the transport recovered',
  )
})

t.test('favorite changes are produced once per actual change', async (t) => {
  const id = await publishedEvent(h)
  const favoritesOf = () => facts(h.log, 'aquastream.favorites.v1').filter((f) => f.value.eventId === id)
  const url = `/api/v1/events/${id}/favorite`
  t.equal((await h.call(USER, { method: 'POST', url })).statusCode, 201)
  t.equal((await h.call(USER, { method: 'POST', url })).statusCode, 200, 'a repeat changes nothing')
  t.equal((await h.call(USER, { method: 'DELETE', url })).statusCode, 200)
  t.equal((await h.call(USER, { method: 'DELETE', url })).statusCode, 200)
  const changes = favoritesOf()
  t.same(
    changes.map((c) => [c.key, c.value.userId, c.value.action]),
    [
      [id, 'user-1', 'ADDED'],
      [id, 'user-1', 'REMOVED'],
    ],
  )
  for (const c of changes) t.ok(Number.isInteger(c.value.occurredAtMs))
})
