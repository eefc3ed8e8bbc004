// The API's real-mode parts on the real stack: Postgres read model (a schema per run), Redis-shared rate
// limits, idempotency keys, catalog cache and the applied-changes fan-out across two API instances, and the
// Kafka command transport (idempotent producer, murmur2 partitioning like the runtime). The stack must be up
// (`bash infra/up.sh`): the test fails, never skips, when it is not.
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import pg from 'pg'
import pino from 'pino'
import t from 'tap'
import { loadConfig } from '../../infra/config.ts'
import { schemaRegistryFor } from '../../infra/serdes.ts'
import { buildApp } from '../../query-api/app.ts'
import { CommandProducer } from '../../query-api/commands/command-producer.ts'
import { KafkaCommandTransport } from '../../query-api/commands/kafka-transport.ts'
import { RedisRequestRegistry } from '../../query-api/idempotency.ts'
import { OutcomeWaiters, RedisAppliedFanout } from '../../query-api/outcome-waiters.ts'
import { openReadModel } from '../../read-models/catalog/index.ts'
import type { AppliedChanges, ReadModel } from '../../read-models/catalog/read-model.ts'
import { RedisResponseCache } from '../../query-api/response-cache.ts'
import { defaultPartitioner } from '../../streams/partitioner.ts'
import { createBookingSerdes } from '../../topologies/booking-topology.ts'
import { DEFAULT_TOPIC_NAMES } from '../../topologies/index.ts'
import { commitGroupOffsets, endOffsets } from '../support/booking-load.ts'
import { kafkaClient, kafkaConnection, requireKafka } from '../support/kafka.ts'
import { AUTH, tokenFor, USER } from './api-harness.ts'

// Tests read the stack's addresses as infra/up.sh exports them (the service reads them through infra/config.ts).
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/backend_event'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

await requireKafka()
const run = randomUUID().replaceAll('-', '').slice(0, 10)
const schema = `api_test_${run}`
const serdes = createBookingSerdes(schemaRegistryFor(loadConfig()))
await serdes.init()
const readModel = await openReadModel({ databaseUrl: DATABASE_URL, schema, poolSize: 4 })
const redis = new Redis(REDIS_URL)
const subscribers = [redis.duplicate(), redis.duplicate()]
const transport = new KafkaCommandTransport({ ...kafkaConnection() })
await transport.connect()
const commands = new CommandProducer(transport, serdes)

/** A read model whose onApplied never fires: an instance that does not run the projection. */
const notProjecting = (model: ReadModel): ReadModel =>
  new Proxy(model, {
    get(target, property) {
      if (property === 'onApplied') return () => () => {}
      const value = Reflect.get(target, property, target) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })

const instance = (model: ReadModel, subscriber: Redis) =>
  buildApp({
    readModel: model,
    commands,
    auth: AUTH,
    requests: new RedisRequestRegistry(redis, { prefix: `api-test:${run}:` }),
    cache: new RedisResponseCache(redis, { prefix: `api-test:${run}:cache:` }),
    rateLimitRedis: redis,
    fanout: new RedisAppliedFanout(redis, subscriber, `api-test:${run}:applied`),
    webhookSecret: 'x',
    logger: pino({ level: 'silent' }),
  })
const a = await instance(readModel, subscribers[0]!)
const b = await instance(notProjecting(readModel), subscribers[1]!)

t.teardown(async () => {
  await a.close()
  await b.close()
  await commands.close()
  for (const s of subscribers) s.disconnect()
  const keys = await redis.keys(`api-test:${run}:*`)
  if (keys.length > 0) await redis.del(...keys)
  await redis.quit()
  await readModel.close()
  const client = new pg.Client({ connectionString: DATABASE_URL })
  await client.connect()
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  await client.end()
})

const auth = async (user: Parameters<typeof tokenFor>[0]) => ({
  authorization: `Bearer ${await tokenFor(user)}`,
})

t.test('the booking rate limit is shared by instances through Redis', async (t) => {
  const user = { sub: `rl-${run}`, role: 'user' } as const
  const payload = { eventId: 'x', priceOptionId: 'std', seats: 0 }
  const statuses = []
  for (let i = 0; i < 16; i++) {
    const app = i % 2 === 0 ? a : b
    statuses.push(
      (await app.inject({ method: 'POST', url: '/api/v1/bookings', headers: await auth(user), payload }))
        .statusCode,
    )
  }
  t.same(statuses.slice(0, 15), Array(15).fill(400))
  t.equal(statuses[15], 429, 'the 16th booking request of the minute, on either instance')
})

t.test(
  'a booking command reaches Kafka on the partition of its event; the Idempotency-Key holds across instances',
  async (t) => {
    const eventId = `evt-${run}`
    const headers = { ...(await auth(USER)), 'idempotency-key': `k-${run}` }
    const payload = { eventId, priceOptionId: 'std', seats: 2 }
    // The topic keeps every earlier run's commands: read from where it ends now, not from its beginning.
    const groupId = `api-test-${run}`
    await commitGroupOffsets(
      kafkaClient('api-test'),
      groupId,
      await endOffsets(kafkaClient('api-test'), [DEFAULT_TOPIC_NAMES.bookingCommands]),
    )
    const first = await a.inject({ method: 'POST', url: '/api/v1/bookings', headers, payload })
    const second = await b.inject({ method: 'POST', url: '/api/v1/bookings', headers, payload })
    t.equal(first.statusCode, 202, first.body)
    t.equal(second.statusCode, 202)
    t.same(second.json(), first.json(), 'same request ID and booking ID on the other instance')
    const { requestId, resourceId } = first.json()
    const pending = await b.inject({
      method: 'GET',
      url: `/api/v1/requests/${requestId}`,
      headers: await auth(USER),
    })
    t.equal(pending.json().status, 'PENDING', 'the registry is shared: the other instance knows the request')

    const admin = kafkaClient('api-test').admin()
    await admin.connect()
    const partitions = (await admin.fetchTopicMetadata({ topics: [DEFAULT_TOPIC_NAMES.bookingCommands] }))
      .topics[0]!.partitions.length
    await admin.disconnect()
    const expected = defaultPartitioner(
      DEFAULT_TOPIC_NAMES.bookingCommands,
      Buffer.from(eventId),
      null,
      partitions,
    )
    const consumer = kafkaClient('api-test').consumer({ groupId })
    await consumer.connect()
    await consumer.subscribe({ topic: DEFAULT_TOPIC_NAMES.bookingCommands })
    const seen: { partition: number; requestId: string; bookingId: string | undefined }[] = []
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the command did not arrive in 30 s')), 30_000)
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          if (message.key?.toString() !== eventId || message.value === null) return
          await serdes.bookingCommand.prefetch?.(DEFAULT_TOPIC_NAMES.bookingCommands, [message.value])
          const command = serdes.bookingCommand.deserialize(
            DEFAULT_TOPIC_NAMES.bookingCommands,
            message.value,
          )
          seen.push({ partition, requestId: command.requestId, bookingId: command.request?.bookingId })
          if (seen.length === 2) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
    await consumer.disconnect()
    t.same(
      seen,
      [
        { partition: expected, requestId, bookingId: resourceId },
        { partition: expected, requestId, bookingId: resourceId },
      ],
      'both sends carry the one request ID (the pipeline answers the repeat once)',
    )
  },
)

t.test('applied changes wake waiters on every instance and invalidate the shared cache', async (t) => {
  const waiters = new OutcomeWaiters()
  const subscriber = redis.duplicate()
  const fanout = new RedisAppliedFanout(redis, subscriber, `api-test:${run}:applied`)
  await fanout.start((changes) => waiters.notifyApplied(changes))
  t.teardown(() => subscriber.disconnect())
  const cache = new RedisResponseCache(redis, { prefix: `api-test:${run}:cache:` })
  const { generation } = await cache.get('event:e1', 'guest')
  await cache.set('event:e1', generation, 'guest', { etag: '"1"', body: '{}' })
  t.ok((await cache.get('event:e1', 'guest')).hit)
  const woken = waiters.wait('req-1', 5000)
  const changes: AppliedChanges = { eventIds: ['e1'], bookingIds: [], requestIds: ['req-1'] }
  await cache.invalidate(['event:e1'])
  await fanout.publish(changes)
  t.equal(await woken.promise, true, 'the waiter on another connection woke')
  t.equal((await cache.get('event:e1', 'guest')).hit, undefined, 'the entry is gone for every instance')
})
