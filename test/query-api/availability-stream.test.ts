// GET /api/v1/events/{id}/availability through a real EventSource client (npm `eventsource`) on two API
// instances over one read model: instance A runs the projection, instance B does not and learns of applied
// batches only through the Redis fan-out (real Redis, a channel per run), like a second server in real
// mode. Concurrent bookings while the streams are open: every stream sees consecutive positions (no gap,
// no repeat), the same states on both instances, and ends on the final availability; a stream dropped
// mid-sale and resumed with Last-Event-ID sees every change after it exactly once; the caps answer 429;
// canceling the event ends the streams. Sizes: AVAILABILITY_BOOKINGS (default 500) concurrent bookings
// while AVAILABILITY_STREAMS (default 200) streams are open, half on each instance.
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { EventSource } from 'eventsource'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import pino from 'pino'
import t from 'tap'
import { buildApp } from '../../query-api/app.ts'
import { CommandProducer } from '../../query-api/commands/command-producer.ts'
import { EmbeddedCommandTransport } from '../../query-api/commands/embedded-transport.ts'
import { RedisAppliedFanout } from '../../query-api/outcome-waiters.ts'
import type { ReadModel } from '../../read-models/catalog/read-model.ts'
import { AUTH, ORGANIZER, publishedEvent, serdes, startHarness, tokenFor, WAIT } from './api-harness.ts'

const BOOKINGS = Number(process.env.AVAILABILITY_BOOKINGS ?? 500)
const STREAMS = Number(process.env.AVAILABILITY_STREAMS ?? 200)
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const streams = { maxStreamsPerIp: STREAMS + 10, maxStreams: STREAMS + 10, heartbeatMs: 1000 }

const run = randomUUID().slice(0, 8)
const channel = `availability-test:${run}:applied`
const redis = new Redis(REDIS_URL)
const subscribers = [redis.duplicate(), redis.duplicate(), redis.duplicate()]
const h = await startHarness({
  rateLimits: false,
  fanout: new RedisAppliedFanout(redis, subscribers[0]!, channel),
  availabilityStreams: streams,
})

/** A read model whose onApplied never fires: an instance that does not run the projection. */
const notProjecting = (model: ReadModel): ReadModel =>
  new Proxy(model, {
    get(target, property) {
      if (property === 'onApplied') return () => () => {}
      const value = Reflect.get(target, property, target) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
const other = async (subscriber: Redis, caps = streams) =>
  buildApp({
    readModel: notProjecting(h.readModel),
    commands: new CommandProducer(new EmbeddedCommandTransport(h.log), await serdes()),
    auth: AUTH,
    webhookSecret: 'x',
    rateLimits: false,
    fanout: new RedisAppliedFanout(redis, subscriber, channel),
    availabilityStreams: caps,
    logger: pino({ level: 'silent' }),
  })
const b = await other(subscribers[1]!)
const capped = await other(subscribers[2]!, { maxStreamsPerIp: 2, maxStreams: 3, heartbeatMs: 1000 })
const listen = async (app: FastifyInstance) => {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}
const urlA = await listen(h.app)
const urlB = await listen(b)
const urlCapped = await listen(capped)
const open = new Set<EventSource>()

t.teardown(async () => {
  for (const source of open) source.close()
  await capped.close()
  await b.close()
  await h.close()
  for (const s of subscribers) s.disconnect()
  await redis.quit()
})

interface State {
  kind: 'snapshot' | 'change'
  position: number
  status: string
  seatsAvailable: number
  options: { id: string; available: number }[]
}

/** An EventSource on `base` that records every state it receives (and its `id:`). */
function watch(base: string, eventId: string, lastEventId?: string) {
  const states: State[] = []
  const ids: string[] = []
  let opened!: () => void
  const ready = new Promise<void>((resolve) => (opened = resolve))
  const source = new EventSource(`${base}/api/v1/events/${eventId}/availability`, {
    fetch: (input, init) =>
      fetch(input, {
        ...init,
        headers: { ...init.headers, ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) },
      }),
  })
  open.add(source)
  source.onopen = () => opened()
  source.onmessage = (message) => {
    ids.push(message.lastEventId)
    states.push(JSON.parse(message.data) as State)
    if (['CANCELED', 'COMPLETED'].includes(states.at(-1)!.status)) source.close()
  }
  return { source, states, ids, ready }
}

async function until(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

const eventId = await publishedEvent(h, { capacity: BOOKINGS + 20 })

t.test('guests get 404 for an unknown event and JSON errors, not a stream', async (t) => {
  const res = await fetch(`${urlA}/api/v1/events/${randomUUID()}/availability`, {
    headers: { accept: 'text/event-stream' },
  })
  t.equal(res.status, 404)
  t.match(await res.json(), { code: 'EVENT_NOT_FOUND', traceId: String })
})

t.test('open streams are capped per address and per instance: 429 TOO_MANY_STREAMS', async (t) => {
  const first = watch(urlCapped, eventId)
  const second = watch(urlCapped, eventId)
  await Promise.all([first.ready, second.ready])
  const third = await fetch(`${urlCapped}/api/v1/events/${eventId}/availability`)
  t.equal(third.status, 429)
  t.match(await third.json(), { code: 'TOO_MANY_STREAMS', details: { cap: 'ip' } })
  first.source.close()
  await until('the slot to free', () => first.source.readyState === EventSource.CLOSED)
  await new Promise((resolve) => setTimeout(resolve, 200))
  const again = watch(urlCapped, eventId)
  await again.ready
  t.equal(again.states[0]?.kind ?? 'snapshot', 'snapshot', 'a closed stream gives its slot back')
  second.source.close()
  again.source.close()
})

t.test('concurrent bookings: every stream on both instances ends on the final availability', async (t) => {
  const started = Date.now()
  const watchers = Array.from({ length: STREAMS }, (_, i) => watch(i % 2 === 0 ? urlA : urlB, eventId))
  await Promise.all(watchers.map((w) => w.ready))
  await until('the snapshots', () => watchers.every((w) => w.states.length > 0))
  const dropped = watch(urlB, eventId)
  await dropped.ready
  await until('the dropped stream’s snapshot', () => dropped.states.length > 0)

  const tokens = await Promise.all(
    Array.from({ length: BOOKINGS }, (_, i) => tokenFor({ sub: `sse-${run}-${i}`, role: 'user' })),
  )
  // In waves of concurrent bookings, each waited for, so that the projection applies many changes; one
  // stream is dropped after a third of the waves and resumed from what it last saw two waves later.
  const WAVES = 10
  let resumed: ReturnType<typeof watch> | undefined
  let droppedAt = ''
  const answers: number[] = []
  for (let wave = 0; wave < WAVES; wave++) {
    const mine = tokens.filter((_, i) => i % WAVES === wave)
    const statuses = await Promise.all(
      mine.map(async (token, i) => {
        const res = await (i % 2 === 0 ? h.app : b).inject({
          method: 'POST',
          url: '/api/v1/bookings',
          headers: { authorization: `Bearer ${token}`, ...WAIT },
          payload: { eventId, priceOptionId: 'std', seats: 1 },
        })
        return res.statusCode
      }),
    )
    answers.push(...statuses)
    if (wave === Math.floor(WAVES / 3)) {
      dropped.source.close()
      droppedAt = dropped.ids.at(-1)!
    }
    if (wave === Math.floor(WAVES / 3) + 2) resumed = watch(urlA, eventId, droppedAt)
  }
  t.same(new Set(answers), new Set([201]), 'every booking held its seat')
  const expected = 20
  await until(
    'the read model to apply every booking',
    () => watchers[0]!.states.at(-1)?.seatsAvailable === expected,
    60_000,
  )
  const final = (await h.app.inject({ method: 'GET', url: `/api/v1/events/${eventId}` })).json()
  t.equal(final.seatsAvailable, expected, 'every booking held a seat')
  await until('every stream to reach it', () =>
    [...watchers, resumed!].every((w) => w.states.at(-1)?.seatsAvailable === final.seatsAvailable),
  )
  t.comment(`${BOOKINGS} bookings, ${STREAMS + 1} streams: ${Date.now() - started} ms`)

  const sequence = new Map<number, number>()
  for (const w of watchers) {
    const positions = w.states.map((s) => s.position)
    const consecutive = positions.every((p, i) => i === 0 || p === positions[i - 1]! + 1)
    if (!consecutive) t.fail(`a stream skipped or repeated a position: ${positions.join(',')}`)
    t.same(w.ids, positions.map(String), 'id: is the position')
    for (const s of w.states) {
      const seen = sequence.get(s.position)
      if (seen !== undefined && seen !== s.seatsAvailable) t.fail(`position ${s.position} differs`)
      sequence.set(s.position, s.seatsAvailable)
    }
    t.equal(w.states.at(-1)!.options[0]!.available, expected)
  }
  t.ok(sequence.size >= WAVES, `${sequence.size} changes streamed`)

  const after = Number(droppedAt)
  const resumedPositions = resumed!.states.map((s) => s.position)
  t.equal(resumed!.states[0]!.kind, 'change', 'a resumed stream starts with the next change, no snapshot')
  t.same(
    resumedPositions,
    Array.from({ length: resumedPositions.length }, (_, i) => after + 1 + i),
    'every change after Last-Event-ID, once, in order',
  )
  const beforeDrop = dropped.states.map((s) => s.position)
  t.same(
    [...beforeDrop, ...resumedPositions],
    Array.from({ length: beforeDrop.length + resumedPositions.length }, (_, i) => beforeDrop[0]! + i),
    'dropped and resumed together: no gap, no repeat',
  )

  const canceled = await h.call(ORGANIZER, {
    method: 'POST',
    url: `/api/v1/events/${eventId}/cancel`,
    headers: WAIT,
    payload: { reason: 'river too high' },
  })
  t.equal(canceled.statusCode, 200, canceled.body)
  await until('every stream to end on CANCELED', () =>
    watchers.every((w) => w.states.at(-1)?.status === 'CANCELED'),
  )
  t.ok(watchers.every((w) => w.source.readyState === EventSource.CLOSED))
  // Canceling releases the seats after the status changed: a reconnect gets what followed, then 204.
  let lastId = watchers[0]!.ids.at(-1)!
  const statuses: number[] = []
  for (let attempt = 0; attempt < 3 && statuses.at(-1) !== 204; attempt++) {
    const reconnect = await fetch(`${urlB}/api/v1/events/${eventId}/availability`, {
      headers: { accept: 'text/event-stream', 'last-event-id': lastId },
    })
    statuses.push(reconnect.status)
    const ids = [...(await reconnect.text()).matchAll(/^id: (\d+)$/gm)].map((m) => m[1]!)
    lastId = ids.at(-1) ?? lastId
  }
  t.equal(statuses.at(-1), 204, `a reconnect after the final state is told to stop (${statuses.join(', ')})`)
})
