/**
 * End to end on the embedded default, as `npm start` runs it: `node main.ts` with no servers configured (the
 * embedded log, PGlite, chDB, in-process caches), in a fresh data folder. An organizer creates and publishes
 * an event through the HTTP API; 500 users book one seat each concurrently with `Prefer: wait`; exactly the
 * capacity is granted, every other answer is NO_AVAILABLE_SEATS, and the views agree. Killed with SIGKILL
 * and restarted on the same folder, every client's request and booking answer as before and the organizer
 * sees exactly the granted bookings; then a clean shutdown.
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
  'embedded default: publish, 500 concurrent bookings, views agree, every answer survives SIGKILL',
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
    ): Promise<{ status: number; body: { [k: string]: unknown }; requestId: string | null }> => {
      const headers: { [k: string]: string } = { prefer: 'wait=10' }
      if (who !== undefined) headers.authorization = `Bearer ${await tokenFor(who)}`
      if (body !== undefined) headers['content-type'] = 'application/json'
      const res = await fetch(`${url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await res.text()
      return {
        status: res.status,
        body: text === '' ? {} : (JSON.parse(text) as { [k: string]: unknown }),
        requestId: res.headers.get('x-request-id'),
      }
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
    t.ok(
      answers.every((a) => a.requestId !== null),
      'every answer names its request ID',
    )
    const granted = answers.filter((a) => a.status === 201)
    const grantedTo = new Map(
      answers.flatMap((a, i) => (a.status === 201 ? [[String(a.body.id), users[i]!] as const] : [])),
    )
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

    // Everything every client was told, as the clients would ask for it again.
    const clientsView = async (): Promise<string[]> =>
      Promise.all(
        answers.map(async (answer, i) => {
          const outcome = await call('GET', `/api/v1/requests/${answer.requestId}`, users[i]!)
          const bookingId = answer.status === 201 ? String(answer.body.id) : undefined
          const booking =
            bookingId === undefined
              ? undefined
              : await call('GET', `/api/v1/bookings/${bookingId}`, users[i]!)
          return [
            users[i]!.sub,
            outcome.status,
            outcome.body.status,
            outcome.body.resourceId ?? '',
            booking?.status ?? '',
            booking?.body.status ?? '',
          ].join(' ')
        }),
      )
    const before = await clientsView()
    t.equal(before.filter((line) => line.endsWith('200 PENDING_PAYMENT')).length, CAPACITY)
    const eventBookings = async (): Promise<string[]> =>
      (
        (await call('GET', `/api/v1/events/${eventId}/bookings?size=100`, organizer)).body.items as {
          id: string
          userId: string
        }[]
      )
        .map((b) => `${b.id} ${b.userId}`)
        .sort()
    const expectedBookings = [...grantedTo].map(([id, user]) => `${id} ${user.sub}`).sort()
    t.same(await eventBookings(), expectedBookings, 'the organizer sees exactly the granted bookings')

    // SIGKILL, no shutdown: what the clients were told must survive as it was.
    app.child.kill('SIGKILL')
    t.equal((await app.exited).signal, 'SIGKILL')
    app = startEmbeddedService(dataDir)
    url = await apiUrl(app)
    t.equal(
      await seatsTaken(),
      CAPACITY,
      'after a SIGKILL and a restart on the same data folder nothing is lost',
    )
    t.same(await clientsView(), before, "every client's request and booking answers as before the kill")
    t.same(await eventBookings(), expectedBookings, 'the same bookings, no more')
    const again = await call(
      'POST',
      '/api/v1/bookings',
      { sub: 'user-e2e-late', role: 'user' },
      { eventId, priceOptionId: 'std', seats: 1 },
    )
    t.equal(again.status, 409, 'and the event stays sold out')
    app.child.kill('SIGTERM')
    t.equal((await app.exited).code, 0, 'clean shutdown')
  },
)
