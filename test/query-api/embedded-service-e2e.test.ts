/**
 * End to end on the embedded default, as `npm start` runs it: `node main.ts` with no servers configured (the
 * embedded log, PGlite, chDB, in-process caches), in a fresh data folder. An organizer creates and publishes
 * an event through the HTTP API; 500 users book one seat each concurrently with `Prefer: wait`; exactly the
 * capacity is granted, every other answer is NO_AVAILABLE_SEATS, and the views agree. After a clean restart
 * on the same folder, nothing is lost.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { sleep } from '../support/processes.ts'
import { eventBody, tokenFor, type Principal } from './api-harness.ts'
import { apiUrl, startEmbeddedService } from './service-process.ts'

const USERS = 500
const CAPACITY = 100

t.test(
  'embedded default: publish, 500 concurrent bookings, views agree, nothing lost across a restart',
  async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'embedded-e2e-'))
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
    let app = startEmbeddedService(dataDir)
    t.teardown(() => app.child.kill('SIGKILL'))
    let url = await apiUrl(app)
    const call = async (
      method: string,
      path: string,
      who: Exclude<Principal, 'guest'> | undefined,
      body?: unknown,
    ): Promise<{ status: number; body: { [k: string]: unknown } }> => {
      const headers: { [k: string]: string } = { prefer: 'wait=10' }
      if (who !== undefined) headers.authorization = `Bearer ${await tokenFor(who)}`
      if (body !== undefined) headers['content-type'] = 'application/json'
      const res = await fetch(`${url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await res.text()
      return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as { [k: string]: unknown }) }
    }

    const organizer = { sub: 'org-e2e', role: 'organizer' as const }
    const eventId = 'embedded-e2e-event'
    const created = await call(
      'POST',
      '/api/v1/events',
      organizer,
      eventBody({ id: eventId, capacity: CAPACITY }),
    )
    t.equal(created.status, 201, 'the event is created')
    const option = await call('POST', `/api/v1/events/${eventId}/price-options`, organizer, {
      id: 'std',
      name: 'Standard',
      priceMinor: 450_000,
      allotment: CAPACITY,
    })
    t.equal(option.status, 201, 'the price option is added')
    const published = await call('POST', `/api/v1/events/${eventId}/publish`, organizer)
    t.equal(published.status, 200, 'the event is published')

    const users = Array.from({ length: USERS }, (_, i) => ({ sub: `user-e2e-${i}`, role: 'user' as const }))
    const answers = await Promise.all(
      users.map((user) =>
        call('POST', '/api/v1/bookings', user, { eventId, priceOptionId: 'std', seats: 1 }),
      ),
    )
    const granted = answers.filter((a) => a.status === 201)
    t.equal(granted.length, CAPACITY, 'exactly the capacity is granted')
    t.same(
      [...new Set(answers.filter((a) => a.status !== 201).map((a) => `${a.status} ${String(a.body.code)}`))],
      ['409 NO_AVAILABLE_SEATS'],
      'every other answer is 409 NO_AVAILABLE_SEATS',
    )
    t.ok(
      granted.every((a) => a.body.status === 'PENDING_PAYMENT'),
      'granted bookings hold their seat',
    )

    const seatsTaken = async (): Promise<unknown> =>
      (await call('GET', `/api/v1/events/${eventId}`, organizer)).body.seatsTaken
    for (let i = 0; i < 100 && (await seatsTaken()) !== CAPACITY; i++) await sleep(100)
    t.equal(await seatsTaken(), CAPACITY, 'the event view shows the seats taken')
    const mine = await call('GET', '/api/v1/bookings', users[answers.indexOf(granted[0]!)]!)
    t.equal((mine.body.items as unknown[]).length, 1, 'a granted user sees the booking in GET /bookings')

    app.child.kill('SIGTERM')
    t.equal((await app.exited).code, 0, 'clean shutdown')
    app = startEmbeddedService(dataDir)
    url = await apiUrl(app)
    t.equal(await seatsTaken(), CAPACITY, 'after a restart on the same data folder nothing is lost')
    const again = await call(
      'POST',
      '/api/v1/bookings',
      { sub: 'user-e2e-late', role: 'user' },
      { eventId, priceOptionId: 'std', seats: 1 },
    )
    t.equal(again.status, 409, 'and the event stays sold out')
    app.child.kill('SIGTERM')
    t.equal((await app.exited).code, 0)
  },
)
