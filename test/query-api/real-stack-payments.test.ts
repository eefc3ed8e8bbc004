/**
 * Payments on the real stack: the booking pipeline on Kafka (EOS), the read model on PostgreSQL fed by its
 * Kafka projection, the API with Redis, and the reference payment service as its own process
 * (`infra/payments-sandbox.ts`, what `npm run payments:sandbox` runs). A user books and pays through the
 * payment service (the sandbox's confirmation URL, over HTTP) and is confirmed with a ticket; cancels, the
 * refund's first attempt fails and the ledger retries it (REFUNDED projected); an overpayment is confirmed
 * and the difference refunded, flagged; a signed callback in another currency is refused and refunded,
 * flagged.
 *
 * The run has topics of its own (a topic prefix), an application ID, groups and a PostgreSQL schema of its
 * own. The pipeline's clock is the wall clock plus a skip the test moves forward, so a refund retry's
 * backoff passes at once.
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import pino from 'pino'
import t from 'tap'
import { loadConfig } from '../../infra/config.ts'
import { schemaRegistryFor } from '../../infra/serdes.ts'
import { declareTopics } from '../../infra/topics.ts'
import { REFUND_RETRY_BASE_DELAY_MS } from '../../processors/index.ts'
import { buildApp } from '../../query-api/app.ts'
import { CommandProducer } from '../../query-api/commands/command-producer.ts'
import { KafkaCommandTransport } from '../../query-api/commands/kafka-transport.ts'
import { RedisRequestRegistry } from '../../query-api/idempotency.ts'
import { RedisAppliedFanout } from '../../query-api/outcome-waiters.ts'
import { signWebhook } from '../../query-api/payments/webhook-signature.ts'
import { RedisResponseCache } from '../../query-api/response-cache.ts'
import { openReadModel, startReadModelProjection } from '../../read-models/catalog/index.ts'
import { ensureTopics } from '../../streams/index.ts'
import { KafkaStreams } from '../../streams/kafka/kafka-streams.ts'
import { buildBookingTopology, createBookingSerdes } from '../../topologies/booking-topology.ts'
import { createAppTopics } from '../support/booking-load.ts'
import { kafkaClient, kafkaConnection, requireKafka } from '../support/kafka.ts'
import { RUN_TOPIC_PREFIX, RUN_TOPICS } from '../support/own-topics.ts'
import { startApp } from '../support/processes.ts'
import { ADMIN, AUTH, eventBody, tokenFor, until, type Signed } from './api-harness.ts'
import { dropRunState } from '../support/run-cleanup.ts'

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/backend_event'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const WEBHOOK_SECRET = 'real-stack-payments-webhook-secret-0123456789'

await requireKafka()
const run = randomUUID().replaceAll('-', '').slice(0, 10)
const appId = `pay-e2e-${run}`
const schema = `pay_e2e_${run}`
const logger = pino({ level: 'error' })
const kafka = kafkaClient('pay-e2e')
const serdes = createBookingSerdes(schemaRegistryFor(loadConfig()), RUN_TOPICS)
await serdes.init()
await createAppTopics(kafka, appId, serdes)
const admin = kafka.admin()
await admin.connect()
await ensureTopics(admin, declareTopics(RUN_TOPICS))
await admin.disconnect()

/** The wall clock plus a skip moved forward by the test (timers come due at once, commits keep going). */
let skipMs = 0
const streams = new KafkaStreams(buildBookingTopology({ serdes }), {
  applicationId: appId,
  topics: declareTopics(RUN_TOPICS),
  deadLetterTopic: RUN_TOPICS.deadLetters,
  commitIntervalMs: 100,
  logger,
  ...kafkaConnection(),
  sessionTimeoutMs: 10_000,
  replicationFactor: 1,
  clock: { now: () => Date.now() + skipMs },
})
await streams.start()
const readModel = await openReadModel({ databaseUrl: DATABASE_URL, schema, poolSize: 6 })
await readModel.createCategory(
  { id: 'rafting', parentId: null, name: 'Rafting' },
  { userId: 'pay', requestId: 'pay' },
)
const projection = await startReadModelProjection({
  model: readModel,
  serdes,
  source: { ...kafkaConnection(), groupId: `${appId}-catalog` },
  logger,
})
const payments = startApp('infra/payments-sandbox.ts', {
  KAFKA_TOPIC_PREFIX: RUN_TOPIC_PREFIX,
  APPLICATION_ID: appId,
  PAYMENTS_HTTP_PORT: '0',
  LOG_LEVEL: 'info',
  NODE_ENV: 'test',
})
await payments.ready
const sandboxUrl = payments.latest<string>('url')!
const redis = new Redis(REDIS_URL)
const subscriber = redis.duplicate()
const transport = new KafkaCommandTransport({ ...kafkaConnection() })
await transport.connect()
const commands = new CommandProducer(transport, serdes)
const app = await buildApp({
  readModel,
  commands,
  auth: AUTH,
  requests: new RedisRequestRegistry(redis, { prefix: `pay-e2e:${run}:` }),
  cache: new RedisResponseCache(redis, { prefix: `pay-e2e:${run}:cache:` }),
  rateLimits: false,
  fanout: new RedisAppliedFanout(redis, subscriber, `pay-e2e:${run}:applied`),
  webhookSecret: WEBHOOK_SECRET,
})

t.teardown(async () => {
  payments.child.kill('SIGTERM')
  await payments.exited
  await app.close()
  await commands.close()
  await projection.close()
  await streams.close()
  subscriber.disconnect()
  await readModel.close()
  await dropRunState({
    databaseUrl: DATABASE_URL,
    schema,
    topicPrefixes: [appId, RUN_TOPIC_PREFIX],
    groups: [appId, `${appId}-catalog`, `${appId}-payments`],
    redis: { client: redis, pattern: `pay-e2e:${run}:*` },
  })
})

const organizer: Signed = { sub: `org-${run}`, role: 'organizer' }
const call = async (as: Signed, method: 'GET' | 'POST', url: string, payload?: object) =>
  app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await tokenFor(as)}`, prefer: 'wait=10' },
    ...(payload === undefined ? {} : { payload }),
  })
const sandbox = (path: string, body: object = {}) =>
  fetch(`${sandboxUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

interface Payments {
  payments: {
    id: string
    status: string
    amountMinor: number
    paidMinor: number | null
    paidCurrency: string | null
  }[]
  refunds: { status: string; amountMinor: number; currency: string; reason: string; attempts: number }[]
}
const booking = async (as: Signed, id: string) =>
  (await call(as, 'GET', `/api/v1/bookings/${id}`)).json<Record<string, unknown>>()
const paymentsOf = async (as: Signed, id: string) =>
  (await call(as, 'GET', `/api/v1/bookings/${id}/payments`)).json<Payments>()
const SLOW = 60_000

const eventId = `pay-${run}`
{
  const created = await call(organizer, 'POST', '/api/v1/events', eventBody({ id: eventId, capacity: 10 }))
  if (created.statusCode !== 201) throw new Error(`create: ${created.statusCode} ${created.body}`)
  const option = await call(organizer, 'POST', `/api/v1/events/${eventId}/price-options`, {
    id: 'std',
    name: 'Standard',
    priceMinor: 450_000,
    allotment: 10,
  })
  if (option.statusCode !== 201) throw new Error(`price option: ${option.statusCode} ${option.body}`)
  const published = await call(organizer, 'POST', `/api/v1/events/${eventId}/publish`)
  if (published.statusCode !== 200) throw new Error(`publish: ${published.statusCode} ${published.body}`)
}

async function book(as: Signed): Promise<string> {
  const res = await call(as, 'POST', '/api/v1/bookings', { eventId, priceOptionId: 'std', seats: 1 })
  if (res.statusCode !== 201) throw new Error(`book: ${res.statusCode} ${res.body}`)
  return res.json<{ id: string }>().id
}

/** `POST /pay` with Prefer: wait; the payment service (the other process) must have started it. */
async function pay(as: Signed, id: string): Promise<{ paymentId: string; confirmationUrl: string }> {
  const res = await call(as, 'POST', `/api/v1/bookings/${id}/pay`)
  if (res.statusCode !== 201) throw new Error(`pay: ${res.statusCode} ${res.body}`)
  return res.json()
}

t.test(
  'book, pay through the payment service, confirmed with a ticket; cancel, a failed refund retried, REFUNDED',
  async (t) => {
    const user: Signed = { sub: `u-${run}-1`, role: 'user' }
    const id = await book(user)
    const { paymentId, confirmationUrl } = await pay(user, id)
    t.equal(confirmationUrl, `${sandboxUrl}/sandbox/payments/${paymentId}/complete`, "the sandbox's page")
    const confirmedAt = await fetch(confirmationUrl, { method: 'POST' })
    t.equal(confirmedAt.status, 200, 'the payer confirms at the provider')
    const confirmed = await until(
      () => booking(user, id),
      (b) => b.status === 'CONFIRMED',
      SLOW,
    )
    t.match(confirmed, { status: 'CONFIRMED', paidMinor: 450_000, refundedMinor: 0, reasonCode: null })
    t.type(confirmed.ticketCode, 'string', 'confirmed with a ticket')
    t.match(
      await until(
        () => paymentsOf(user, id),
        (p) => p.payments[0]?.status === 'COMPLETED',
        SLOW,
      ),
      {
        payments: [{ id: paymentId, status: 'COMPLETED', paidMinor: 450_000, paidCurrency: 'RUB' }],
      },
    )

    t.equal((await sandbox(`/sandbox/payments/${paymentId}/refund-failures`, { count: 1 })).status, 200)
    const canceled = await call(user, 'POST', `/api/v1/bookings/${id}/cancel`)
    t.equal(canceled.statusCode, 200, canceled.body)
    const refundMinor = canceled.json().refundedMinor as number
    t.ok(refundMinor > 0, 'the cancellation refunds')
    const failed = await until(
      () => paymentsOf(user, id),
      (p) => p.refunds[0]?.status === 'FAILED',
      SLOW,
    )
    t.match(failed.refunds, [
      { status: 'FAILED', attempts: 1, amountMinor: refundMinor, reason: 'USER_CANCELED' },
    ])
    const listed = await call(ADMIN, 'GET', '/api/v1/admin/refunds?status=FAILED')
    t.ok(
      listed.json().items.some((r: { bookingId: string }) => r.bookingId === id),
      'admins see the failed refund',
    )
    // The backoff passes at once; had the ledger read the failure after the skip, the real delay would pass
    // within SLOW.
    skipMs += REFUND_RETRY_BASE_DELAY_MS
    const done = await until(
      () => paymentsOf(user, id),
      (p) => p.refunds[0]?.status === 'COMPLETED',
      SLOW,
    )
    t.match(done.refunds, [{ status: 'COMPLETED', attempts: 2, amountMinor: refundMinor, currency: 'RUB' }])
    t.equal(done.refunds.length, 1, 'one refund, retried under its own ID')
  },
)

t.test('an overpayment is confirmed and the difference refunded, flagged OVERPAID', async (t) => {
  const user: Signed = { sub: `u-${run}-2`, role: 'user' }
  const id = await book(user)
  const { paymentId } = await pay(user, id)
  t.equal((await sandbox(`/sandbox/payments/${paymentId}/complete`, { amountMinor: 500_000 })).status, 200)
  const confirmed = await until(
    () => booking(user, id),
    (b) => b.status === 'CONFIRMED',
    SLOW,
  )
  t.match(confirmed, {
    paidMinor: 500_000,
    refundedMinor: 50_000,
    amountMinor: 450_000,
    reasonCode: 'OVERPAID',
  })
  const seen = await until(
    () => paymentsOf(user, id),
    (p) => p.refunds[0]?.status === 'COMPLETED',
    SLOW,
  )
  t.match(seen.refunds, [{ status: 'COMPLETED', amountMinor: 50_000, reason: 'OVERPAID' }])
})

t.test(
  'a signed callback in another currency is refused and refunded whole, flagged WRONG_CURRENCY',
  async (t) => {
    const user: Signed = { sub: `u-${run}-3`, role: 'user' }
    const id = await book(user)
    const { paymentId } = await pay(user, id)
    const raw = JSON.stringify({
      paymentId,
      bookingId: id,
      eventId,
      status: 'COMPLETED',
      amountMinor: 450_000,
      currency: 'EUR',
      occurredAtMs: Date.now(),
    })
    const callback = await app.inject({
      method: 'POST',
      url: '/api/v1/payments/webhook',
      headers: { 'content-type': 'application/json', 'x-signature': signWebhook(WEBHOOK_SECRET, raw) },
      payload: raw,
    })
    t.equal(callback.statusCode, 200, callback.body)
    const flagged = await until(
      () => booking(user, id),
      (b) => b.reasonCode === 'WRONG_CURRENCY',
      SLOW,
    )
    t.match(flagged, { status: 'PENDING_PAYMENT', paidMinor: 0, refundedMinor: 0, ticketCode: null })
    const seen = await until(
      () => paymentsOf(user, id),
      (p) => p.refunds[0]?.status === 'COMPLETED',
      SLOW,
    )
    t.match(seen.refunds, [
      { status: 'COMPLETED', amountMinor: 450_000, currency: 'EUR', reason: 'WRONG_CURRENCY' },
    ])
  },
)
