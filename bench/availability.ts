/**
 * `npm run bench:availability`: the delay from a booking decision to its live availability event, with
 * many streams open. The embedded service (booking pipeline on the embedded log, PGlite read model, one API
 * instance listening on a port) with BENCH_SSE_STREAMS EventSource clients (npm `eventsource`) on one
 * event; BENCH_SSE_BOOKINGS bookings are made one after another (Prefer: wait, BENCH_SSE_GAP_MS apart).
 * The decision time is the booking's `createdAt` (the ledger's clock when it decided); the delay of a
 * stream is when it received the first state showing that many seats fewer, minus that time. Prints
 * p50/p99/max over every (stream, booking) pair.
 *
 *   BENCH_SSE_STREAMS=1000  BENCH_SSE_BOOKINGS=50  BENCH_SSE_GAP_MS=100
 */
import { EventSource } from 'eventsource'
import pino from 'pino'
import { LocalSchemaRegistry } from '../avro/index.ts'
import { TOPICS } from '../infra/topics.ts'
import { buildApp } from '../query-api/app.ts'
import { signDevToken } from '../query-api/auth.ts'
import { CommandProducer } from '../query-api/commands/command-producer.ts'
import { EmbeddedCommandTransport } from '../query-api/commands/embedded-transport.ts'
import { openReadModel, startReadModelProjection } from '../read-models/catalog/index.ts'
import { EmbeddedLog, EmbeddedStreams } from '../streams/index.ts'
import { buildBookingTopology, createBookingSerdes } from '../topologies/booking-topology.ts'
import { DEFAULT_TOPIC_NAMES } from '../topologies/index.ts'

const STREAMS = Number(process.env.BENCH_SSE_STREAMS ?? 1000)
const BOOKINGS = Number(process.env.BENCH_SSE_BOOKINGS ?? 50)
const GAP_MS = Number(process.env.BENCH_SSE_GAP_MS ?? 100)
const AUTH = {
  jwtSecret: 'bench-sse-secret-of-at-least-32-bytes!',
  issuer: 'https://id.bench.aquastream/',
  audience: 'backend-event-bench',
}

const serdes = createBookingSerdes(new LocalSchemaRegistry())
await serdes.init()
const log = EmbeddedLog.open()
const logger = pino({ level: 'silent' })
const pipeline = new EmbeddedStreams(buildBookingTopology({ serdes }), {
  applicationId: 'bench-sse',
  deadLetterTopic: DEFAULT_TOPIC_NAMES.deadLetters,
  topics: TOPICS,
  commitIntervalMs: 5,
  logger,
  log,
})
await pipeline.start()
const readModel = await openReadModel()
await readModel.createCategory(
  { id: 'rafting', parentId: null, name: 'Rafting' },
  { userId: 'bench', requestId: 'seed' },
)
const projection = await startReadModelProjection({ model: readModel, serdes, source: { log } })
const app = await buildApp({
  readModel,
  commands: new CommandProducer(new EmbeddedCommandTransport(log), serdes),
  auth: AUTH,
  rateLimits: false,
  webhookSecret: 'bench',
  logger,
  availabilityStreams: { maxStreamsPerIp: STREAMS + 1, maxStreams: STREAMS + 1, heartbeatMs: 15_000 },
})
const url = await app.listen({ host: '127.0.0.1', port: 0 })
const token = (sub: string, role: 'user' | 'organizer') => signDevToken(AUTH.jwtSecret, { sub, role }, AUTH)
const organizer = { authorization: `Bearer ${await token('bench-org', 'organizer')}`, prefer: 'wait=10' }

async function call(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const json = (await res.json()) as Record<string, unknown>
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

const capacity = BOOKINGS + 10
const starts = new Date(Date.now() + 30 * 86_400_000)
const event = await call('POST', '/api/v1/events', organizer, {
  title: 'Live availability bench',
  description: 'Seats change while many clients watch.',
  startsAt: starts.toISOString(),
  endsAt: new Date(starts.getTime() + 86_400_000).toISOString(),
  place: 'Altai, Katun river',
  categories: ['rafting'],
  capacity,
})
const eventId = event.id as string
await call('POST', `/api/v1/events/${eventId}/price-options`, organizer, {
  id: 'std',
  name: 'Standard',
  priceMinor: 100_000,
  allotment: capacity,
})
await call('POST', `/api/v1/events/${eventId}/publish`, organizer)

/** Per stream: when it first saw each seat count. */
const seen: Map<number, number>[] = []
const sources: EventSource[] = []
let opened = 0
await new Promise<void>((resolve) => {
  for (let i = 0; i < STREAMS; i++) {
    const firstSeen = new Map<number, number>()
    seen.push(firstSeen)
    const source = new EventSource(`${url}/api/v1/events/${eventId}/availability`)
    source.onopen = () => {
      if (++opened === STREAMS) resolve()
    }
    source.onmessage = (message) => {
      const seats = (JSON.parse(message.data) as { seatsAvailable: number }).seatsAvailable
      if (!firstSeen.has(seats)) firstSeen.set(seats, Date.now())
    }
    sources.push(source)
  }
})
console.log(`${STREAMS} streams open`)

const decidedAt: number[] = []
for (let k = 1; k <= BOOKINGS; k++) {
  const headers = { authorization: `Bearer ${await token(`bench-buyer-${k}`, 'user')}`, prefer: 'wait=10' }
  const booking = await call('POST', '/api/v1/bookings', headers, { eventId, priceOptionId: 'std', seats: 1 })
  decidedAt.push(Date.parse(booking.createdAt as string))
  await new Promise((resolve) => setTimeout(resolve, GAP_MS))
}
const deadline = Date.now() + 30_000
while (seen.some((s) => !s.has(capacity - BOOKINGS)) && Date.now() < deadline)
  await new Promise((resolve) => setTimeout(resolve, 50))

const delays: number[] = []
let missing = 0
for (const firstSeen of seen)
  for (let k = 1; k <= BOOKINGS; k++) {
    // The first state showing at most capacity - k seats: a batch may carry several decisions.
    const times = [...firstSeen].filter(([seats]) => seats <= capacity - k).map(([, at]) => at)
    if (times.length === 0) missing++
    else delays.push(Math.min(...times) - decidedAt[k - 1]!)
  }
delays.sort((a, b) => a - b)
const pct = (p: number) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))] ?? NaN
console.log(
  JSON.stringify({
    streams: STREAMS,
    bookings: BOOKINGS,
    samples: delays.length,
    missing,
    p50Ms: pct(50),
    p99Ms: pct(99),
    maxMs: delays.at(-1),
  }),
)

for (const source of sources) source.close()
await app.close()
await projection.close()
await pipeline.close()
await readModel.close()
log.close()
