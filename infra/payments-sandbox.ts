/**
 * `npm run payments:sandbox`: the reference payment service as its own process, on Kafka, with the sandbox
 * provider. It follows `aquastream.payment.requests.v1` and `aquastream.refund.requests.v1` (consumer group
 * `<APPLICATION_ID>-payments`), reports on `aquastream.payment.status.v1`, and serves the sandbox's routes
 * (query-api/payments/sandbox-app.ts) on PAYMENTS_HTTP_HOST:PAYMENTS_HTTP_PORT; the confirmation URLs it
 * hands out point there. Configuration as for the service: KAFKA_BROKERS (required), KAFKA_TOPIC_PREFIX,
 * SCHEMA_REGISTRY_URL, the KAFKA_SSL and KAFKA_SASL settings. Refused in production: the sandbox completes any
 * payment it is asked to. Stops on SIGTERM and SIGINT.
 */
import pino from 'pino'
import type { FastifyBaseLogger } from 'fastify'
import {
  buildSandboxApp,
  CommandProducer,
  KafkaCommandTransport,
  SANDBOX_PAYMENTS_PATH,
  SandboxPaymentGateway,
  startPaymentService,
} from '../query-api/index.ts'
import { createKafka, ensureTopics } from '../streams/index.ts'
import { kafkaSecurityOf, loadConfig } from './config.ts'
import { serdesFor } from './serdes.ts'
import { declareTopics } from './topics.ts'

let config: ReturnType<typeof loadConfig>
try {
  config = loadConfig()
  if (config.kafkaBrokers.length === 0)
    throw new Error(
      'KAFKA_BROKERS: the sandbox payment service runs on Kafka (the embedded service runs it in-process)',
    )
  if (config.nodeEnv === 'production')
    throw new Error(
      'NODE_ENV: the sandbox payment service completes any payment it is asked to; refused in production',
    )
} catch (error) {
  process.stderr.write(`payments-sandbox: configuration refused: ${(error as Error).message}\n`)
  process.exit(78)
}
const logger = pino({ level: config.logLevel, base: { service: 'payments-sandbox' } })
const kafka = kafkaSecurityOf(config)
const serdes = await serdesFor(config)
const { topics } = serdes
const admin = createKafka({
  ...kafka,
  brokers: [...config.kafkaBrokers],
  clientId: 'payments-sandbox',
}).admin()
await admin.connect()
try {
  const wanted = new Set([topics.paymentRequests, topics.refundRequests, topics.paymentStatus])
  await ensureTopics(
    admin,
    declareTopics(topics).filter((t) => wanted.has(t.name)),
    { replicationFactor: config.kafkaReplicationFactor, logger },
  )
} finally {
  await admin.disconnect()
}

const transport = new KafkaCommandTransport({
  brokers: config.kafkaBrokers,
  clientId: 'payments-sandbox',
  kafka,
})
await transport.connect()
const producer = new CommandProducer(transport, serdes)
// The confirmation URLs name the listener; with port 0 it is known once listening, before any payment starts.
let publicUrl = `http://${config.paymentsHttpHost}:${config.paymentsHttpPort}`
const sandbox = new SandboxPaymentGateway(() => `${publicUrl}${SANDBOX_PAYMENTS_PATH}`)
const app = buildSandboxApp(sandbox, logger.child({ component: 'http' }) as unknown as FastifyBaseLogger)
publicUrl = await app.listen({ host: config.paymentsHttpHost, port: config.paymentsHttpPort })
const runner = await startPaymentService({
  gateway: sandbox,
  serdes,
  source: { brokers: config.kafkaBrokers, groupId: `${config.applicationId}-payments`, kafka },
  report: (status) => producer.sendPaymentStatus(status),
  logger,
})
logger.info(
  { ready: true, url: publicUrl, topics: [topics.paymentRequests, topics.refundRequests] },
  'payment service sandbox running',
)

let stopping = false
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    void (async () => {
      await app.close()
      await runner.close()
      await producer.close()
      process.exit(0)
    })().catch((error: unknown) => {
      logger.error({ err: error }, 'shutdown failed')
      process.exit(1)
    })
  })
