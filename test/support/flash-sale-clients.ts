/**
 * Clients of a flash sale over HTTP (or gRPC: `senderFor`), as real ones behave: every booking carries an Idempotency-Key, some
 * clients send the same request twice at once, each sends a second booking under another key, and a
 * client whose answer is lost (the service died, the connection broke) sends again with the same key
 * until it gets one. Everything a client was told is recorded, then checked against the service's
 * public views (`checkPromises`): a crash may delay an answer, never change or lose it.
 */
import type { Test } from 'tap'
import { tokenFor } from '../query-api/api-harness.ts'
import { sleep } from './processes.ts'

/** One answer a client got (a gRPC answer as its HTTP equivalent). */
export interface Answer {
  readonly user: string
  readonly key: string
  readonly status: number
  readonly requestId: string | undefined
  readonly resourceId: string | undefined
  readonly code: string | undefined
}

export interface SaleOptions {
  readonly eventId: string
  readonly users: number
  /** Where client `i` sends now (the instance it talks to; it may change after a restart). */
  readonly urlFor: (client: number) => string
  /** Give up on a request that gets no answer for this long. */
  readonly retryForMs?: number
  /** Names this sale's users (and so their keys): runs sharing a Redis never meet each other's keys. */
  readonly run?: string
  /** Another transport for client `i`'s bookings (gRPC); undefined: HTTP at `urlFor(i)`. */
  readonly senderFor?: (client: number) => BookingSender | undefined
}

/**
 * Sends a booking request with an idempotency key and tells its answer as the HTTP API gives it (201 with
 * the booking ID, 202 pending, the refusal's status and code); throws NoAnswer when none came (the service
 * is down, the connection broke): the client sends again, same key.
 */
export type BookingSender = (
  token: string,
  key: string,
  body: object,
) => Promise<Omit<Answer, 'user' | 'key'>>

/** A request that got no answer. */
export class NoAnswer extends Error {}

/** The HTTP API at `url()` (read at each send: the instance may change after a restart). */
const httpSender =
  (url: () => string): BookingSender =>
  async (token, key, body) => {
    let res: Response
    try {
      res = await fetch(`${url()}/api/v1/bookings`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': key,
          prefer: 'wait=10',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      })
    } catch (error) {
      throw new NoAnswer('no answer', { cause: error })
    }
    const text = await res.text()
    const json = (text === '' ? {} : JSON.parse(text)) as {
      id?: string
      requestId?: string
      resourceId?: string
      code?: string
      details?: { requestId?: string; resourceId?: string }
    }
    return {
      status: res.status,
      requestId: json.requestId ?? json.details?.requestId ?? res.headers.get('x-request-id') ?? undefined,
      resourceId: res.status === 201 ? json.id : (json.resourceId ?? json.details?.resourceId),
      code: json.code,
    }
  }

/** The answers, and how many sends got no answer (and were sent again). */
export interface SaleRecord {
  readonly answers: Answer[]
  lost: number
  /** Called with the number of answers so far after each one (to time a kill mid-sale). */
  onAnswer?: (count: number) => void
}

const userName = (options: SaleOptions, i: number) => `sale-${options.run ?? 'user'}-${i}`

async function sendUntilAnswered(
  record: SaleRecord,
  options: SaleOptions,
  client: number,
  key: string,
  body: object,
): Promise<Answer> {
  const user = userName(options, client)
  const token = await tokenFor({ sub: user, role: 'user' })
  const deadline = Date.now() + (options.retryForMs ?? 180_000)
  const send = options.senderFor?.(client) ?? httpSender(() => options.urlFor(client))
  for (;;) {
    let told: Omit<Answer, 'user' | 'key'>
    try {
      told = await send(token, key, body)
    } catch (error) {
      if (!(error instanceof NoAnswer)) throw error
      // No answer: the service is down or the connection broke. The client sends again, same key.
      record.lost++
      if (Date.now() > deadline) throw new Error(`${user} ${key}: no answer for too long`, { cause: error })
      await sleep(200)
      continue
    }
    const answer: Answer = { user, key, ...told }
    record.answers.push(answer)
    record.onAnswer?.(record.answers.length)
    return answer
  }
}

/**
 * Runs the sale: each client books one seat under key `<user>-book` (every third client sends that
 * request twice at once), then books again under `<user>-second`. At most `concurrency` clients at once.
 */
export async function runSale(record: SaleRecord, options: SaleOptions, concurrency = 60): Promise<void> {
  const body = { eventId: options.eventId, priceOptionId: 'std', seats: 1 }
  let next = 0
  const worker = async () => {
    for (let client = next++; client < options.users; client = next++) {
      const key = `${userName(options, client)}-book`
      const sends = client % 3 === 0 ? 2 : 1
      await Promise.all(
        Array.from({ length: sends }, () => sendUntilAnswered(record, options, client, key, body)),
      )
      await sendUntilAnswered(record, options, client, `${userName(options, client)}-second`, body)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

interface BookingRow {
  readonly id: string
  readonly userId: string
  readonly status: string
  readonly seats: number
}

async function getJson<T>(
  url: string,
  who: { sub: string; role: 'user' | 'organizer' | 'admin' },
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${await tokenFor(who)}` } })
  return { status: res.status, body: (await res.json()) as T }
}

/**
 * Checks what clients were promised against the service's views, once the sale has settled:
 * - every request ID the API answered resolves for its sender, decided;
 * - each key maps to exactly one request ID and at most one booking;
 * - no booking exists that no client was answered with;
 * - the seats held equal the event's figure, within the capacity; one active booking per user.
 */
export async function checkPromises(
  t: Test,
  record: SaleRecord,
  options: { url: string; eventId: string; capacity: number; organizer: { sub: string; role: 'organizer' } },
): Promise<void> {
  const byKey = new Map<string, Answer[]>()
  for (const a of record.answers)
    byKey.set(`${a.user} ${a.key}`, [...(byKey.get(`${a.user} ${a.key}`) ?? []), a])
  const withoutId = record.answers.filter((a) => a.requestId === undefined)
  t.same(withoutId, [], 'every answer names its request')
  const keyProblems: string[] = []
  for (const [key, answers] of byKey) {
    const ids = new Set(answers.map((a) => a.requestId))
    const resources = new Set(answers.map((a) => a.resourceId))
    if (ids.size !== 1 || resources.size !== 1)
      keyProblems.push(`${key}: request IDs ${[...ids].join(', ')}; resources ${[...resources].join(', ')}`)
  }
  t.same(keyProblems, [], 'each key maps to exactly one request ID and one resource')

  // Every request ID a client was given resolves for its sender, decided (polled in rounds for up to
  // a minute, while the last decisions are projected).
  const pending = new Map([...byKey.values()].map((answers) => [answers[0]!.requestId!, answers[0]!.user]))
  const accepted = new Map<string, string>() // booking ID -> request ID
  const last = new Map<string, string>()
  const deadline = Date.now() + 60_000
  while (pending.size > 0 && Date.now() < deadline) {
    for (const [requestId, user] of pending) {
      const { status, body } = await getJson<{ status?: string; resourceId?: string }>(
        `${options.url}/api/v1/requests/${requestId}`,
        { sub: user, role: 'user' },
      )
      last.set(requestId, `${status} ${body.status ?? ''}`)
      if (status !== 200 || body.status === 'PENDING') continue
      pending.delete(requestId)
      if (body.status === 'ACCEPTED') accepted.set(body.resourceId!, requestId)
    }
    if (pending.size > 0) await sleep(500)
  }
  const unresolved = [...pending].map(([requestId, user]) => `${user} ${requestId}: ${last.get(requestId)}`)
  t.same(unresolved, [], `all ${byKey.size} request IDs resolve for their senders`)

  const bookings: BookingRow[] = []
  for (let page = 0; ; page++) {
    const { body } = await getJson<{ items: BookingRow[] }>(
      `${options.url}/api/v1/events/${options.eventId}/bookings?size=100&page=${page}`,
      options.organizer,
    )
    bookings.push(...body.items)
    if (body.items.length < 100) break
  }
  const answered = new Set(record.answers.map((a) => a.resourceId))
  t.same(
    bookings.filter((b) => !answered.has(b.id)).map((b) => b.id),
    [],
    'no booking exists that no client was answered with',
  )
  t.same(
    bookings.filter((b) => !accepted.has(b.id)).map((b) => `${b.id} ${b.status}`),
    [],
    'every booking is the resource of an accepted request',
  )
  const active = bookings.filter((b) => b.status === 'PENDING_PAYMENT' || b.status === 'CONFIRMED')
  const held = active.reduce((sum, b) => sum + b.seats, 0)
  const { body: event } = await getJson<{ seatsTaken: number; capacity: number }>(
    `${options.url}/api/v1/events/${options.eventId}`,
    options.organizer,
  )
  t.equal(held, event.seatsTaken, "the seats held are the event's figure")
  t.ok(held <= options.capacity, `no oversell: ${held} <= ${options.capacity}`)
  const perUser = new Map<string, number>()
  for (const b of active) perUser.set(b.userId, (perUser.get(b.userId) ?? 0) + 1)
  t.same(
    [...perUser].filter(([, n]) => n > 1),
    [],
    'one active booking per user',
  )
}
