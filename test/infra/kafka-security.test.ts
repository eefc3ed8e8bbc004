/**
 * The secured broker of the real stack (infra/up.sh): on its SASL listeners only an authenticated principal
 * gets in, and only the service's principal may write the command and status topics. A client without
 * credentials, with a wrong password, or logged in as the read-only observer cannot produce a command (an
 * ADMIN actor, a COMPLETED payment) to them; the service's own clients, built from the configuration
 * (`kafkaSecurityOf`), can, over SASL and over TLS.
 *
 * Runs on the broker of `infra.env` (KAFKA_BROKERS = the SASL listener, KAFKA_SASL_* = the service
 * principal; INFRA_KAFKA_* = the TLS listener, its CA and the observer's credentials).
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { logLevel, type KafkaConfig } from 'kafkajs'
import { kafkaSecurityOf, loadConfig } from '../../infra/config.ts'
import { createKafka, ensureTopics } from '../../streams/index.ts'
import { topicNames } from '../../topologies/index.ts'

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined || value === '')
    throw new Error(
      `${name} is not set: run \`bash infra/up.sh\` and source ~/.cache/backend-event/infra.env`,
    )
  return value
}
const config = loadConfig()
if (config.kafkaSaslMechanism === '')
  throw new Error('KAFKA_SASL_MECHANISM is not set: the real stack runs on the SASL listener (infra/up.sh)')
const sasl = config.kafkaBrokers
const tls = [env('INFRA_KAFKA_TLS_BROKERS')]
const caFile = env('INFRA_KAFKA_TLS_CA_FILE')
const observer = {
  username: env('INFRA_KAFKA_OBSERVER_USERNAME'),
  password: env('INFRA_KAFKA_OBSERVER_PASSWORD'),
}

const names = topicNames()
/** The topics whose records the pipeline believes: whoever writes them acts as any user, or pays. */
const PROTECTED = [names.eventCommands, names.bookingCommands, names.paymentStatus, names.crewStatus]

function client(settings: Omit<KafkaConfig, 'logLevel' | 'clientId'>) {
  return createKafka({
    clientId: `security-test-${randomUUID().slice(0, 8)}`,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    authenticationTimeout: 3000,
    retry: { retries: 0 },
    ...settings,
  })
}

/** An ADMIN actor's command: what an unauthenticated writer would like to slip in. */
const forged = { key: 'event-1', value: Buffer.from('{"actor":{"userId":"x","role":"ADMIN"}}') }

/** The innermost error of kafkajs' wrappers (retries exceeded → the error of the last try): its type or name. */
function innermost(error: unknown): string {
  let e = error as { type?: string; name?: string; cause?: unknown; originalError?: unknown } | undefined
  while (e?.originalError !== undefined || e?.cause !== undefined)
    e = (e.originalError ?? e.cause) as typeof e
  return e?.type ?? e?.name ?? 'error'
}

/** Tries to produce one record to `topic`; the error's kafkajs type or name, or 'ok'. */
async function produceOutcome(settings: Omit<KafkaConfig, 'logLevel' | 'clientId'>, topic: string) {
  const producer = client(settings).producer({ allowAutoTopicCreation: false })
  try {
    await producer.connect()
    await producer.send({ topic, acks: -1, messages: [forged] })
    return 'ok'
  } catch (error) {
    return innermost(error)
  } finally {
    await producer.disconnect().catch(() => {})
  }
}

const service = kafkaSecurityOf(config)
const own = `security-test-${randomUUID().slice(0, 8)}.commands`
const admin = client({ brokers: sasl, ...service }).admin()
await admin.connect()
t.teardown(async () => {
  await admin.deleteTopics({ topics: [own] }).catch(() => {})
  await admin.disconnect()
})
// Not kafkajs' own wait: it fails on UNKNOWN_TOPIC_OR_PARTITION while the new topic's metadata propagates.
await ensureTopics(admin, [{ name: own, partitions: 1, cleanupPolicy: 'delete', retentionMs: null }])
const endOffset = async (topic: string) =>
  (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0)

t.test('the service principal writes, from the one configuration, over SASL and over TLS', async (t) => {
  t.equal(await produceOutcome({ brokers: sasl, ...service }, own), 'ok', 'SASL/SCRAM-SHA-512')
  const overTls = kafkaSecurityOf(
    loadConfig({
      ...process.env,
      KAFKA_BROKERS: tls.join(','),
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: caFile,
    }),
  )
  t.same(Object.keys(overTls.ssl as object).sort(), ['ca', 'rejectUnauthorized'], 'TLS with our CA')
  t.equal(await produceOutcome({ brokers: tls, ...overTls }, own), 'ok', 'SASL_SSL')
  t.equal(await endOffset(own), 2)
})

t.test('a client without credentials cannot produce to the command and status topics', async (t) => {
  const before = await endOffset(own)
  for (const topic of [...PROTECTED, own]) {
    const outcome = await produceOutcome({ brokers: sasl }, topic)
    t.not(outcome, 'ok', `no credentials, ${topic}: ${outcome}`)
  }
  for (const topic of PROTECTED) {
    const outcome = await produceOutcome({ brokers: tls, ssl: { ca: [readFileSync(caFile, 'utf8')] } }, topic)
    t.not(outcome, 'ok', `TLS without credentials, ${topic}: ${outcome}`)
  }
  t.equal(await endOffset(own), before, 'nothing was written')
})

t.test('a wrong password is refused at login', async (t) => {
  // Built afresh: kafkajs hangs an authentication provider holding the password on the `sasl` object it
  // was given, so a copy of a used one would log in with the old password whatever its `password` says.
  const wrong = {
    mechanism: 'scram-sha-512' as const,
    username: config.kafkaSaslUsername,
    password: 'not-it',
  }
  const outcome = await produceOutcome({ brokers: sasl, sasl: wrong }, names.bookingCommands)
  t.equal(outcome, 'KafkaJSSASLAuthenticationError', `wrong password: ${outcome}`)
})

t.test('an authenticated principal other than the service may read but not write them', async (t) => {
  const asObserver = { brokers: sasl, sasl: { mechanism: 'scram-sha-512' as const, ...observer } }
  const before = await endOffset(own)
  for (const topic of [...PROTECTED, own])
    t.equal(
      await produceOutcome(asObserver, topic),
      'TOPIC_AUTHORIZATION_FAILED',
      `the observer writing ${topic}`,
    )
  t.equal(await endOffset(own), before, 'nothing was written')
  const reader = client(asObserver).admin()
  await reader.connect()
  t.teardown(() => reader.disconnect())
  t.ok((await reader.fetchTopicOffsets(names.bookingCommands)).length > 0, 'the same login reads offsets')
})

t.test('the TLS listener checks the certificate: without our CA the connection is refused', async (t) => {
  const outcome = await produceOutcome({ brokers: tls, ssl: true, ...{ sasl: service.sasl } }, own)
  t.not(outcome, 'ok', `untrusted certificate: ${outcome}`)
})
