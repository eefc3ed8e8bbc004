/**
 * What clients are promised survives the loss of a service instance and of Redis on the real stack: two
 * instances of the whole service (`node main.ts` on Kafka with EOS, PostgreSQL, Redis), on topics, a
 * consumer group and a read-model schema of this run's own. 300 users book a 30-seat event with
 * Idempotency-Keys, half of them through each instance (every third sends its request twice at once, each
 * books again under a second key). Mid-sale instance A is killed with SIGKILL and Redis is flushed
 * (FLUSHALL: every idempotency key, registered request, cache and rate counter gone); A's clients, whose
 * answers are lost, send again with their keys to B until A is back. The same promises as on the embedded
 * service hold (test/support/flash-sale-clients.ts). The instances share a Redis server of this test's own, so
 * the FLUSHALL empties all of their Redis and nothing of the tests running beside this one.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import t from 'tap'
import { loadConfig } from '../../infra/config.ts'
import { checkPromises, runSale, type SaleRecord } from '../support/flash-sale-clients.ts'
import { requireKafka } from '../support/kafka.ts'
import type { AppProcess } from '../support/processes.ts'
import { ADMIN, eventBody, tokenFor, type Signed } from './api-harness.ts'
import { apiUrl, startService } from './service-process.ts'
import { dropRunState } from '../support/run-cleanup.ts'
import { startOwnRedis } from '../support/redis-server.ts'

const USERS = 300
const CAPACITY = 30
const ORGANIZER = { sub: 'org-real-crash-sale', role: 'organizer' as const }

await requireKafka()
const config = loadConfig()
const run = randomUUID().replaceAll('-', '').slice(0, 10)
const appId = `crash-sale-${run}`
const prefix = `test-${run}.`
const schema = `crash_sale_${run}`
const ownRedis = await startOwnRedis()
const redis = new Redis(ownRedis.url)
const dataDirs = [mkdtempSync(join(tmpdir(), 'crash-sale-a-')), mkdtempSync(join(tmpdir(), 'crash-sale-b-'))]

function startInstance(i: number): AppProcess {
  return startService({
    APPLICATION_ID: appId,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_BROKERS: config.kafkaBrokers.join(','),
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    SCHEMA_REGISTRY_URL: config.schemaRegistryUrl,
    DATABASE_URL: config.databaseUrl,
    READ_MODEL_SCHEMA: schema,
    REDIS_URL: ownRedis.url,
    CLICKHOUSE_URL: '',
    DATA_DIR: dataDirs[i]!,
    PAYMENT_WEBHOOK_SECRET: 'test-webhook-secret-of-the-crash-sale-at-least-32-bytes',
    TICKET_SECRET: 'test-ticket-secret-of-the-crash-sale-at-least-32-bytes',
  })
}

const instances: AppProcess[] = []
const urls: (string | undefined)[] = []

t.teardown(async () => {
  for (const app of instances) app.child.kill('SIGKILL')
  await Promise.all(instances.map((app) => app.exited))
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
  await redis.quit()
  await ownRedis.stop()
  await dropRunState({
    databaseUrl: config.databaseUrl,
    schema,
    topicPrefixes: [prefix, appId],
    groups: [appId, `${appId}-catalog`, `${appId}-analytics`],
  })
})

async function post(url: string, path: string, body?: object, as: Signed = ORGANIZER): Promise<number> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await tokenFor(as)}`,
      prefer: 'wait=10',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  await res.arrayBuffer()
  return res.status
}

t.test('real stack: requests survive SIGKILL of an instance and FLUSHALL of Redis mid-sale', async (t) => {
  instances.push(startInstance(0), startInstance(1))
  urls.push(...(await Promise.all(instances.map((app) => apiUrl(app)))))
  const eventId = `real-crash-sale-${run}`
  const b = urls[1]!
  // The event's category must be in the tree (an admin's, with the second factor).
  t.equal(await post(b, '/api/v1/categories', { id: 'rafting', parentId: null, name: 'Rafting' }, ADMIN), 201)
  t.equal(await post(b, '/api/v1/events', eventBody({ id: eventId, capacity: CAPACITY })), 201)
  t.equal(
    await post(b, `/api/v1/events/${eventId}/price-options`, {
      id: 'std',
      name: 'Standard',
      priceMinor: 300_000,
      allotment: CAPACITY,
    }),
    201,
  )
  t.equal(await post(b, `/api/v1/events/${eventId}/publish`), 200)

  const record: SaleRecord = { answers: [], lost: 0 }
  let killedAt: number | undefined
  const back = new Promise<void>((resolve, reject) => {
    record.onAnswer = (count) => {
      if (killedAt !== undefined || count < USERS / 2) return
      killedAt = count
      instances[0]!.child.kill('SIGKILL')
      urls[0] = undefined
      void redis.flushall()
      void instances[0]!.exited
        .then(() => {
          instances[0] = startInstance(0)
          return apiUrl(instances[0])
        })
        .then((url) => {
          urls[0] = url
          resolve()
        }, reject)
    }
  })
  // Client i talks to instance i % 2; while A is down, A's clients go to B.
  await runSale(record, { eventId, users: USERS, run, urlFor: (i) => urls[i % 2] ?? urls[1]! })
  await back
  t.ok(
    killedAt !== undefined && killedAt < record.answers.length,
    `killed mid-sale, after ${killedAt} answers`,
  )
  t.ok(record.lost > 0, `the kill lost answers in flight (${record.lost} sent again)`)
  t.comment(`${record.answers.length} answers, ${record.lost} sends without an answer`)

  await checkPromises(t, record, { url: urls[0]!, eventId, capacity: CAPACITY, organizer: ORGANIZER })
})
