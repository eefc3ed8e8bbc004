/**
 * What clients are promised survives a crash of the embedded service (`node main.ts`, as `npm start` runs
 * it, in a fresh data folder): 300 users book a 30-seat event with Idempotency-Keys (every third sends its
 * request twice at once, each books again under a second key); the service is killed with SIGKILL mid-sale
 * and restarted on the same folder; every client whose answer was lost sends again with its key. Then every
 * request ID answered resolves for its sender, each key names one request and at most one booking, no
 * booking exists that no client was told of, and the seats held are the event's figure, within capacity
 * (test/support/flash-sale-clients.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { checkPromises, runSale, type SaleRecord } from '../support/flash-sale-clients.ts'
import { eventBody, tokenFor } from './api-harness.ts'
import { apiUrl, startEmbeddedService } from './service-process.ts'

const USERS = 300
const CAPACITY = 30
const ORGANIZER = { sub: 'org-crash-sale', role: 'organizer' as const }

async function post(url: string, path: string, body?: object): Promise<number> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await tokenFor(ORGANIZER)}`,
      prefer: 'wait=10',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  await res.arrayBuffer()
  return res.status
}

t.test('embedded service: requests survive SIGKILL mid-sale and a restart', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'crash-sale-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  let app = startEmbeddedService(dataDir)
  t.teardown(() => app.child.kill('SIGKILL'))
  let url = await apiUrl(app)

  const eventId = 'crash-sale-event'
  t.equal(await post(url, '/api/v1/events', eventBody({ id: eventId, capacity: CAPACITY })), 201)
  t.equal(
    await post(url, `/api/v1/events/${eventId}/price-options`, {
      id: 'std',
      name: 'Standard',
      priceMinor: 300_000,
      allotment: CAPACITY,
    }),
    201,
  )
  t.equal(await post(url, `/api/v1/events/${eventId}/publish`), 200)

  const record: SaleRecord = { answers: [], lost: 0 }
  let killedAt: number | undefined
  const restarted = new Promise<void>((resolve, reject) => {
    record.onAnswer = (count) => {
      if (killedAt !== undefined || count < USERS / 2) return
      killedAt = count
      app.child.kill('SIGKILL')
      void app.exited
        .then(() => {
          app = startEmbeddedService(dataDir)
          return apiUrl(app)
        })
        .then((next) => {
          url = next
          resolve()
        }, reject)
    }
  })
  await runSale(record, { eventId, users: USERS, urlFor: () => url })
  await restarted
  t.ok(
    killedAt !== undefined && killedAt < record.answers.length,
    `killed mid-sale, after ${killedAt} answers`,
  )
  t.ok(record.lost > 0, `the kill lost answers in flight (${record.lost} sent again)`)
  t.comment(`${record.answers.length} answers, ${record.lost} sends without an answer`)

  await checkPromises(t, record, { url, eventId, capacity: CAPACITY, organizer: ORGANIZER })
  app.child.kill('SIGTERM')
  t.equal((await app.exited).code, 0, 'clean shutdown')
})
