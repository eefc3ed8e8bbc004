/**
 * `npm run bench:api`: the query API over 100,000 events in PostgreSQL (seeded once into the schema
 * `bench_api`), with the booking pipeline on the embedded log deciding the booking commands. Prints req/s
 * and p50/p95/p99 for catalog search (an uncached mix: every request a different URL; and the cached mix
 * of 40 URLs), event details and booking (202 path). Each route runs right after a bare Fastify route
 * serving a precomputed 20-event page (same process, same connections), and is printed as a ratio to it:
 * the machine is shared, so the ratio compares runs better than req/s do. The floor is the uncached mix
 * at >= 500 req/s with p95 <= 100 ms, read twice: as fast as 50 connections are answered (where, with every
 * connection waiting for its answer, req/s x mean latency = 50, so p95 <= 100 ms needs far more than 500
 * req/s), and at 500 requests a second offered (autocannon's overallRate; >= 495 answered counts as
 * sustained). Rate limits are off (the bench measures throughput, not the limiter).
 *
 *   DATABASE_URL (default postgres://postgres@127.0.0.1:5432/backend_event)
 *   BENCH_API_SECONDS=10  BENCH_API_CONNECTIONS=50  BENCH_API_EVENTS=100000  BENCH_API_SCHEMA=bench_api
 *   BENCH_API_SEARCH_INDEX=true (the in-memory search index; default false)
 */
import { availableParallelism } from 'node:os'
import Fastify from 'fastify'
import pg from 'pg'
import pino from 'pino'
import { LocalSchemaRegistry } from '../avro/index.ts'
import { TOPICS } from '../infra/topics.ts'
import { buildApp } from '../query-api/app.ts'
import { signDevToken } from '../query-api/auth.ts'
import { CommandProducer } from '../query-api/commands/command-producer.ts'
import { EmbeddedCommandTransport } from '../query-api/commands/embedded-transport.ts'
import { openReadModel } from '../read-models/catalog/index.ts'
import { EmbeddedLog, EmbeddedStreams } from '../streams/index.ts'
import { buildBookingTopology, createBookingSerdes } from '../topologies/booking-topology.ts'
import { load, type LoadResult } from './support/api-load.ts'
import { seedEvents } from './support/read-model-seed.ts'
import { cachedPath, UNCACHED_URLS, uncachedPath } from './support/catalog-mix.ts'
import { DEFAULT_TOPIC_NAMES } from '../topologies/index.ts'

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/backend_event'
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10)
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 50)
const EVENTS = Number(process.env.BENCH_API_EVENTS ?? 100_000)
const SCHEMA = process.env.BENCH_API_SCHEMA ?? 'bench_api'
// BENCH_API_SEARCH_INDEX=true: searches from the in-memory index (read-models/catalog/search-index.ts), as
// `openReadModel({ searchIndex: true })`; default SQL only, as the service runs.
const INDEX = process.env.BENCH_API_SEARCH_INDEX === 'true'
const AUTH = {
  jwtSecret: 'bench-api-secret-of-at-least-32-bytes',
  issuer: 'https://id.bench.aquastream/',
  audience: 'backend-event-bench',
}

const readModel = await openReadModel({
  databaseUrl: DATABASE_URL,
  schema: SCHEMA,
  poolSize: 20,
  searchIndex: INDEX,
})
const client = new pg.Client({ connectionString: DATABASE_URL })
await client.connect()
const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${SCHEMA}.events`)
await client.end()
if (Number(rows[0]!.n) < EVENTS) {
  console.log(`seeding ${EVENTS} events into ${SCHEMA} …`)
  const report = await seedEvents(readModel, { count: EVENTS })
  console.log(
    `seeded ${report.events} events, ${report.priceOptions} price options in ${Math.round(report.ms)} ms`,
  )
}

const serdes = createBookingSerdes(new LocalSchemaRegistry())
await serdes.init()
const log = EmbeddedLog.open()
const logger = pino({ level: 'silent' })
const streams = new EmbeddedStreams(buildBookingTopology({ serdes }), {
  applicationId: 'bench-api',
  deadLetterTopic: DEFAULT_TOPIC_NAMES.deadLetters,
  topics: TOPICS,
  commitIntervalMs: 100,
  logger,
  log,
})
await streams.start()
const app = await buildApp({
  readModel,
  commands: new CommandProducer(new EmbeddedCommandTransport(log), serdes),
  auth: AUTH,
  rateLimits: false,
  webhookSecret: 'bench',
})
const url = await app.listen({ host: '127.0.0.1', port: 0 })
const user = await signDevToken(AUTH.jwtSecret, { sub: 'bench-user', role: 'user' }, AUTH)
const eventId = (i: number) => `bench-ev-${String((i * 7919) % EVENTS).padStart(7, '0')}`

// The bare route: the same 20-event page the API answers, precomputed, on a Fastify with nothing else.
const samplePage = await (await fetch(`${url}/api/v1/events?size=20`)).text()
const bare = Fastify({ logger: false })
bare.get('/page', (_request, reply) => reply.type('application/json; charset=utf-8').send(samplePage))
const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 })

const common = { connections: CONNECTIONS, durationS: SECONDS }
const sent = new Set<string>()
let requested = 0
// One counter over both uncached runs: the second never repeats a URL of the first.
const uncached = () => {
  const path = uncachedPath(requested++)
  sent.add(path)
  return { path }
}
const routes: {
  name: string
  overallRate?: number
  request: Parameters<typeof load>[0]['request']
}[] = [
  { name: 'catalog search, uncached mix', request: uncached },
  // The floor's own reading: 500 requests a second offered (not as many as the API can answer), p95 of them.
  { name: 'catalog search, uncached mix at 500 req/s offered', overallRate: 500, request: uncached },
  { name: 'catalog search, cached mix', request: (i) => ({ path: cachedPath(i) }) },
  { name: 'event details', request: (i) => ({ path: `/api/v1/events/${eventId(i)}` }) },
  {
    name: 'booking (202)',
    request: (i) => ({
      method: 'POST',
      path: '/api/v1/bookings',
      headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' },
      body: JSON.stringify({ eventId: eventId(i), priceOptionId: 'standard', seats: 1 }),
    }),
  },
]
// Alternated: bare, route, bare, route, … so each ratio compares two runs seconds apart.
const results: { route: LoadResult; bare: LoadResult }[] = []
for (const route of routes) {
  const bareRun = await load({ ...common, url: bareUrl, name: 'bare', request: () => ({ path: '/page' }) })
  results.push({ bare: bareRun, route: await load({ ...common, url, ...route }) })
}
await bare.close()
await app.close()
await streams.close()
log.close()
await readModel.close()

console.log(
  `\nAPI bench: ${EVENTS} events in PostgreSQL, ${CONNECTIONS} connections, ${SECONDS} s per route, ${availableParallelism()} CPUs`,
)
console.log(
  `uncached mix: ${requested} requests, ${sent.size} distinct URLs sent (the mix has ${UNCACHED_URLS} before it repeats)`,
)
console.log('| route | req/s | p50 ms | p95 ms | p99 ms | non-2xx | bare req/s | ratio | floor |')
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |')
for (const { route: r, bare: b } of results) {
  const floor = r.name.includes('uncached mix')
    ? r.reqPerSec >= 495 && r.p95 <= 100
      ? 'ok (>= 500 req/s, p95 <= 100 ms)'
      : 'FAIL (>= 500 req/s, p95 <= 100 ms)'
    : ''
  console.log(
    `| ${r.name} | ${Math.round(r.reqPerSec)} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.non2xx} | ${Math.round(b.reqPerSec)} | ${(r.reqPerSec / b.reqPerSec).toFixed(3)} | ${floor} |`,
  )
}
