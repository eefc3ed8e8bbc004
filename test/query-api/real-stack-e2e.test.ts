/**
 * End to end on the real stack: the booking pipeline on Kafka (EOS), the read model on PostgreSQL fed by
 * its Kafka projection, and two API instances sharing Redis (only one of them runs the projection hook, so
 * the other is woken through the Redis fan-out). An organizer creates and publishes an event through the
 * API; 500 users book one seat each concurrently with `Prefer: wait`, half on each instance; the answers,
 * the GET views and the pipeline's recorded decisions agree, both as the read model has them and as the
 * output topics (read_committed, to their end offsets) have them: request by request with what each
 * client was answered, and the seats recounted from the booking facts.
 *
 * The run has topics of its own (a topic prefix, test/support/own-topics.ts), created here and
 * deleted at the end, so the rebuild replays this run's records only, however much the broker has kept;
 * and its own application ID, projection group, event and user IDs, and PostgreSQL schema.
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import pg from 'pg'
import pino from 'pino'
import t from 'tap'
import { loadConfig } from '../../infra/config.ts'
import { schemaRegistryFor } from '../../infra/serdes.ts'
import { declareTopics } from '../../infra/topics.ts'
import { buildApp } from '../../query-api/app.ts'
import { CommandProducer } from '../../query-api/commands/command-producer.ts'
import { KafkaCommandTransport } from '../../query-api/commands/kafka-transport.ts'
import { RedisRequestRegistry } from '../../query-api/idempotency.ts'
import { RedisAppliedFanout } from '../../query-api/outcome-waiters.ts'
import { openReadModel, startReadModelProjection } from '../../read-models/catalog/index.ts'
import { openDb } from '../../read-models/catalog/db.ts'
import type { ReadModel } from '../../read-models/catalog/read-model.ts'
import { rebuildReadModel } from '../../read-models/catalog/rebuild.ts'
import { RedisResponseCache } from '../../query-api/response-cache.ts'
import { KafkaStreams } from '../../streams/kafka/kafka-streams.ts'
import { buildBookingTopology, createBookingSerdes } from '../../topologies/booking-topology.ts'
import type { RequestOutcome } from '../../avro/index.ts'
import { createAppTopics } from '../support/booking-load.ts'
import { BookingFactRecount } from '../topologies/booking-fact-recount.ts'
import { kafkaClient, kafkaConnection, readToEnd, requireKafka } from '../support/kafka.ts'
import { RUN_TOPIC_PREFIX, RUN_TOPICS } from '../support/own-topics.ts'
import { AUTH, eventBody, tokenFor } from './api-harness.ts'
import { dropRunState } from '../support/run-cleanup.ts'

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/backend_event'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const USERS = 500
const CAPACITY = 100
/** The first users book with a promo code limited to their number: its uses are the accepted ones among them. */
const PROMO_USERS = 40
const inDays = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString()

await requireKafka()
const run = randomUUID().replaceAll('-', '').slice(0, 10)
const appId = `api-e2e-${run}`
const projectionGroup = `${appId}-catalog`
const schema = `api_e2e_${run}`
// Errors only: the pipeline's info lines (tasks, commits) would drown the test's output.
const logger = pino({ level: 'error' })
const kafka = kafkaClient('api-e2e')
const serdes = createBookingSerdes(schemaRegistryFor(loadConfig()), RUN_TOPICS)
await serdes.init()

t.equal(
  RUN_TOPICS.eventCommands,
  `${RUN_TOPIC_PREFIX}aquastream.event.commands.v1`,
  'the run has topics of its own',
)
await createAppTopics(kafka, appId, serdes)
const streams = new KafkaStreams(buildBookingTopology({ serdes }), {
  applicationId: appId,
  topics: declareTopics(RUN_TOPICS),
  deadLetterTopic: RUN_TOPICS.deadLetters,
  commitIntervalMs: 100,
  logger,
  ...kafkaConnection(),
  sessionTimeoutMs: 10_000,
  replicationFactor: 1,
})
await streams.start()
const readModel = await openReadModel({ databaseUrl: DATABASE_URL, schema, poolSize: 10 })
// The events' category (eventBody's) must be in the tree.
await readModel.createCategory(
  { id: 'rafting', parentId: null, name: 'Rafting' },
  { userId: 'e2e', requestId: 'e2e' },
)
const projection = await startReadModelProjection({
  model: readModel,
  serdes,
  source: { ...kafkaConnection(), groupId: projectionGroup },
  logger,
})
const redis = new Redis(REDIS_URL)
const subscribers = [redis.duplicate(), redis.duplicate()]
const transport = new KafkaCommandTransport({ ...kafkaConnection() })
await transport.connect()
const commands = new CommandProducer(transport, serdes)
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
    requests: new RedisRequestRegistry(redis, { prefix: `api-e2e:${run}:` }),
    cache: new RedisResponseCache(redis, { prefix: `api-e2e:${run}:cache:` }),
    rateLimitRedis: redis,
    fanout: new RedisAppliedFanout(redis, subscriber, `api-e2e:${run}:applied`),
    webhookSecret: 'x',
  })
const a = await instance(readModel, subscribers[0]!)
const b = await instance(notProjecting(readModel), subscribers[1]!)

t.teardown(async () => {
  await a.close()
  await b.close()
  await commands.close()
  await projection.close()
  await streams.close()
  for (const s of subscribers) s.disconnect()
  await readModel.close()
  await dropRunState({
    databaseUrl: DATABASE_URL,
    schema,
    topicPrefixes: [appId, RUN_TOPIC_PREFIX],
    groups: [appId, projectionGroup],
    redis: { client: redis, pattern: `api-e2e:${run}:*` },
  })
})

const organizer = { sub: `org-${run}`, role: 'organizer' } as const
const bearer = async (p: Parameters<typeof tokenFor>[0]) => ({ authorization: `Bearer ${await tokenFor(p)}` })

/** Waits for a command's outcome through GET /requests (the pipeline may still be rebalancing). */
async function decided(requestId: string, as: Parameters<typeof tokenFor>[0]) {
  for (let i = 0; i < 600; i++) {
    const res = await a.inject({
      method: 'GET',
      url: `/api/v1/requests/${requestId}`,
      headers: await bearer(as),
    })
    if (res.json().status !== 'PENDING') return res.json()
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`request ${requestId} not decided in 60 s`)
}

t.test(
  'an organizer publishes an event; 500 users book concurrently; answers, views and decisions agree',
  async (t) => {
    const eventId = `e2e-${run}`
    const created = await a.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: await bearer(organizer),
      payload: eventBody({ id: eventId, capacity: CAPACITY }),
    })
    t.equal(created.statusCode, 202, created.body)
    t.equal((await decided(created.json().requestId, organizer)).status, 'ACCEPTED')
    const option = await b.inject({
      method: 'POST',
      url: `/api/v1/events/${eventId}/price-options`,
      headers: { ...(await bearer(organizer)), prefer: 'wait=10' },
      payload: { id: 'std', name: 'Standard', priceMinor: 450_000, allotment: CAPACITY },
    })
    t.equal(option.statusCode, 201, option.body)
    const promo = await a.inject({
      method: 'POST',
      url: `/api/v1/events/${eventId}/promos`,
      headers: { ...(await bearer(organizer)), prefer: 'wait=10' },
      payload: {
        code: 'E2E10',
        kind: 'PERCENTAGE',
        value: 10,
        usageLimit: PROMO_USERS,
        validUntil: inDays(20),
      },
    })
    t.equal(promo.statusCode, 201, promo.body)
    const published = await a.inject({
      method: 'POST',
      url: `/api/v1/events/${eventId}/publish`,
      headers: { ...(await bearer(organizer)), prefer: 'wait=10' },
    })
    t.equal(published.statusCode, 200, published.body)
    t.equal(published.json().status, 'PUBLISHED')

    const users = Array.from({ length: USERS }, (_, i) => ({ sub: `u-${run}-${i}`, role: 'user' as const }))
    const answers = await Promise.all(
      users.map(async (user, i) => {
        const res = await (i % 2 === 0 ? a : b).inject({
          method: 'POST',
          url: '/api/v1/bookings',
          headers: { ...(await bearer(user)), prefer: 'wait=10' },
          payload: {
            eventId,
            priceOptionId: 'std',
            seats: 1,
            ...(i < PROMO_USERS ? { promoCode: 'E2E10' } : {}),
          },
        })
        return {
          user,
          promo: i < PROMO_USERS,
          status: res.statusCode,
          body: res.json(),
          requestId: res.headers['x-request-id'] as string,
        }
      }),
    )
    const byStatus = new Map<number, number>()
    for (const r of answers) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1)
    t.comment(`answers by status: ${JSON.stringify([...byStatus])}`)
    // Any answer that outlived its wait (202) is settled through GET /requests.
    const final = await Promise.all(
      answers.map(async (r) => {
        if (r.status !== 202)
          return { ...r, accepted: r.status === 201, code: r.status === 201 ? null : r.body.code }
        const outcome = await decided(r.requestId, r.user)
        return { ...r, accepted: outcome.status === 'ACCEPTED', code: outcome.reasonCode }
      }),
    )
    const accepted = final.filter((r) => r.accepted)
    t.equal(accepted.length, CAPACITY, 'exactly the capacity is booked')
    t.ok(
      final.filter((r) => !r.accepted).every((r) => r.code === 'NO_AVAILABLE_SEATS'),
      'every other answer is NO_AVAILABLE_SEATS',
    )
    t.ok(answers.filter((r) => r.status === 409).every((r) => r.body.code === 'NO_AVAILABLE_SEATS'))
    t.ok(
      answers
        .filter((r) => r.status === 201)
        .every((r) => r.body.status === 'PENDING_PAYMENT' && r.body.eventId === eventId),
    )

    // The pipeline's recorded decisions agree with the answers, request by request.
    for (const r of final) {
      const outcome = await readModel.getOutcome(r.requestId)
      if (outcome?.accepted !== r.accepted) {
        t.fail(`request ${r.requestId}: answered ${r.accepted}, decided ${outcome?.accepted}`)
        return
      }
    }
    t.pass('every answer equals the recorded outcome')
    // The same, against the log: the outcome and booking topics read with read_committed to their end
    // offsets (every answer is final, so its outcome is committed), request by request, and the seats
    // recounted from the booking facts, not the read model.
    const outcomesRead = (await readToEnd(RUN_TOPICS.requestOutcomes)).messages.map((m) => m.value!)
    await serdes.outcome.prefetch?.(RUN_TOPICS.requestOutcomes, outcomesRead)
    const logged = new Map<string, RequestOutcome[]>()
    for (const value of outcomesRead) {
      const o = serdes.outcome.deserialize(RUN_TOPICS.requestOutcomes, value)
      logged.set(o.requestId, [...(logged.get(o.requestId) ?? []), o])
    }
    const disagreeing = final.flatMap((r) => {
      const found = logged.get(r.requestId) ?? []
      const o = found[0]
      return found.length === 1 &&
        o!.accepted === r.accepted &&
        o!.reasonCode === (r.accepted ? null : r.code) &&
        o!.actorUserId === r.user.sub &&
        o!.eventId === eventId
        ? []
        : [{ requestId: r.requestId, answered: { accepted: r.accepted, code: r.code }, logged: found }]
    })
    t.same(disagreeing.slice(0, 3), [], 'every answer equals its one outcome record on the topic')
    const factsRead = (await readToEnd(RUN_TOPICS.bookingEvents)).messages.map((m) => m.value!)
    await serdes.bookingEvent.prefetch?.(RUN_TOPICS.bookingEvents, factsRead)
    const recount = new BookingFactRecount()
    for (const value of factsRead) {
      const fact = serdes.bookingEvent.deserialize(RUN_TOPICS.bookingEvents, value)
      if (fact.eventId === eventId) recount.applyBookingFact(fact)
    }
    const activeFacts = recount
      .bookings()
      .filter((bk) => bk.status === 'PENDING_PAYMENT' || bk.status === 'CONFIRMED')
    t.equal(
      activeFacts.reduce((sum, bk) => sum + bk.seats, 0),
      CAPACITY,
      'the booking facts on the topic hold exactly the capacity',
    )
    t.same(
      new Set(activeFacts.map((bk) => bk.userId)),
      new Set(accepted.map((r) => r.user.sub)),
      'the active bookings of the facts are the users answered accepted',
    )
    // The views follow the decisions through the projection: wait (60 s at most) until they show them all.
    // (KafkaProjection.caughtUp cannot tell for partitions it has seeded from the group and not read since.)
    for (let i = 0; i < 600; i++) {
      const page = await readModel.listEventBookings(eventId, { page: 0, size: 1 })
      const event = await readModel.getEvent(eventId, { role: 'admin', userId: 'check' })
      if (page.total === USERS && event?.seatsTaken === CAPACITY) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const event = await a.inject({ method: 'GET', url: `/api/v1/events/${eventId}` })
    t.equal(event.json().seatsAvailable, 0)
    t.equal(event.json().seatsTaken, CAPACITY)
    const promos = await a.inject({
      method: 'GET',
      url: `/api/v1/events/${eventId}/promos`,
      headers: await bearer(organizer),
    })
    t.equal(promos.statusCode, 200, promos.body)
    t.equal(
      promos.json().items[0]?.uses,
      accepted.filter((r) => r.promo).length,
      'the promo listing counts exactly the accepted bookings that used the code',
    )
    // The organizer's view lists every booking of the event, refused requests included (status REJECTED).
    const listed: { userId: string; status: string }[] = []
    for (let page = 0; page * 100 < USERS; page++) {
      const res = await a.inject({
        method: 'GET',
        url: `/api/v1/events/${eventId}/bookings?size=100&page=${page}`,
        headers: await bearer(organizer),
      })
      listed.push(...res.json().items)
    }
    const active = listed.filter((bk) => bk.status === 'PENDING_PAYMENT' || bk.status === 'CONFIRMED')
    t.equal(active.length, CAPACITY)
    const winners = new Set(accepted.map((r) => r.user.sub))
    t.same(new Set(active.map((bk) => bk.userId)), winners, 'the active bookings are the accepted users')
    const one = accepted[0]!
    const mine = await b.inject({ method: 'GET', url: '/api/v1/bookings', headers: await bearer(one.user) })
    t.equal(mine.json().total, 1, "a winner's own view shows the booking")
  },
)

t.test(
  'projections:rebuild from the topics into an empty schema yields the same rows, row for row',
  async (t) => {
    const eventId = `e2e-${run}`
    const copy = await openDb({ databaseUrl: DATABASE_URL, schema: `${schema}_copy` })
    t.teardown(async () => {
      await copy.close()
      const client = new pg.Client({ connectionString: DATABASE_URL })
      await client.connect()
      for (const s of [`${schema}_copy`, `${schema}_copy_old`, `${schema}_copy_rebuild`])
        await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`)
      await client.end()
    })
    await rebuildReadModel(copy, { serdes, source: { ...kafkaConnection() }, logger, timeoutMs: 300_000 })
    const client = new pg.Client({ connectionString: DATABASE_URL })
    await client.connect()
    t.teardown(() => client.end())
    const tables: [string, string, string][] = [
      ['events', 'id', 'id'],
      ['event_price_options', 'event_id', 'price_option_id'],
      ['bookings', 'event_id', 'id'],
      ['request_outcomes', 'event_id', 'request_id'],
      ['event_promo_codes', 'event_id', 'code'],
    ]
    for (const [table, column, order] of tables) {
      const rows = async (s: string): Promise<unknown[]> =>
        (await client.query(`SELECT * FROM ${s}.${table} WHERE ${column} = $1 ORDER BY ${order}`, [eventId]))
          .rows
      const live = await rows(schema)
      t.ok(live.length > 0, `${table}: the live schema has this run's rows`)
      t.same(await rows(`${schema}_copy`), live, `${table}: the rebuilt rows equal the live ones`)
    }
  },
)
