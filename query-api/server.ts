/**
 * Starts the query API for `main.ts`: builds the real parts (command transport on the embedded log or
 * Kafka, Redis-shared state in real mode, the sandbox gateway in embedded mode) around the read model and
 * listens. The read model and its projection are opened and started by the caller, and closed by it after
 * `close()` of the API.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { EmbeddedLog } from '../streams/index.ts'
import { buildApp, type RoutePlugin } from './app.ts'
import { DEV_JWT_SECRET } from './auth.ts'
import { CommandProducer, type CommandSerdes } from './commands/command-producer.ts'
import { EmbeddedCommandTransport } from './commands/embedded-transport.ts'
import { KafkaCommandTransport } from './commands/kafka-transport.ts'
import { MemoryRequestRegistry, RedisRequestRegistry } from './idempotency.ts'
import { RedisAppliedFanout } from './outcome-waiters.ts'
import { SandboxPaymentGateway } from './payments/payment-gateway.ts'
import type { ReadModel } from '../read-models/catalog/index.ts'
import { MemoryResponseCache, RedisResponseCache } from './response-cache.ts'

/** The development webhook secret of the sandbox gateway; production refuses it. */
export const DEV_WEBHOOK_SECRET = 'aquastream-sandbox-webhook-secret'

/** The configuration keys the API needs (from infra/config.ts). */
export interface ApiConfig {
  readonly nodeEnv: 'development' | 'test' | 'production'
  /** HTTP_HOST (infra/config.ts gives the default). */
  readonly httpHost: string
  /** HTTP_PORT (0: any free port). */
  readonly httpPort: number
  /** AUTH_JWT_SECRET (secret): HS256. Empty in development: the dev secret of `npm run tokens`. */
  readonly authJwtSecret: string
  /** AUTH_JWT_PUBLIC_KEY: RS256/ES256 public key, PEM. */
  readonly authJwtPublicKey: string
  /** AUTH_JWKS_URL: the identity provider's JWKS. */
  readonly authJwksUrl: string
  /** REDIS_URL (secret: may carry a password): shared rate limits, idempotency keys, caches, fan-out. Empty: in-process (embedded). */
  readonly redisUrl: string
  /** PAYMENT_WEBHOOK_SECRET (secret): HMAC key of the payment webhook. Empty in development: the sandbox's. */
  readonly paymentWebhookSecret: string
  /** KAFKA_BROKERS: commands go to Kafka when set, else to the embedded log. */
  readonly kafkaBrokers: readonly string[]
  /** TRUST_PROXY: the proxies whose X-Forwarded-For names the client (none by default). */
  readonly trustProxy?: false | number | readonly string[]
}

export interface StartApiOptions {
  readonly config: ApiConfig
  /** The running pipeline's parts: its embedded log (embedded mode) and metric registries. */
  readonly pipeline: {
    readonly log: EmbeddedLog | undefined
    readonly metricsRegistries?: readonly Registry[]
  }
  /** Serdes of the command topics and their names (`createBookingSerdes(registry, topics)`, initialized). */
  readonly serdes: CommandSerdes
  readonly readModel: ReadModel
  readonly logger: Logger
  /** Extra route sets (the stats routes). */
  readonly plugins?: readonly RoutePlugin[]
}

export interface RunningApi {
  readonly app: FastifyInstance
  /** `http://host:port` it listens on. */
  readonly url: string
  /** The command producer the API uses (e.g. for `seedDemoCatalog` in the embedded mode). */
  readonly commands: CommandProducer
  close(): Promise<void>
}

/**
 * Builds and starts the API. Throws on an unusable configuration: production with a development secret,
 * or no way to verify tokens.
 */
export async function startApi(options: StartApiOptions): Promise<RunningApi> {
  const { config, logger } = options
  const production = config.nodeEnv === 'production'
  const hasKey = config.authJwtPublicKey !== '' || config.authJwksUrl !== ''
  if (production && !hasKey && (config.authJwtSecret === '' || config.authJwtSecret === DEV_JWT_SECRET))
    throw new Error(
      'production needs AUTH_JWT_SECRET (not the development one), AUTH_JWT_PUBLIC_KEY or AUTH_JWKS_URL',
    )
  if (
    production &&
    (config.paymentWebhookSecret === '' || config.paymentWebhookSecret === DEV_WEBHOOK_SECRET)
  )
    throw new Error('production needs PAYMENT_WEBHOOK_SECRET (not the development one)')
  if (production && config.redisUrl === '')
    throw new Error('production needs REDIS_URL: instances share limits and keys')
  if (!hasKey && config.authJwtSecret === '')
    logger.warn('AUTH_JWT_SECRET is not set: using the development secret (npm run tokens prints tokens)')

  const transport =
    config.kafkaBrokers.length > 0
      ? new KafkaCommandTransport({ brokers: config.kafkaBrokers })
      : options.pipeline.log !== undefined
        ? new EmbeddedCommandTransport(options.pipeline.log)
        : undefined
  if (transport === undefined)
    throw new Error('the API needs KAFKA_BROKERS or the embedded log of the pipeline')
  if (transport instanceof KafkaCommandTransport) await transport.connect()
  const commands = new CommandProducer(transport, options.serdes)

  const redis =
    config.redisUrl === ''
      ? undefined
      : new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 })
  const subscriber = redis?.duplicate()
  await redis?.connect()
  await subscriber?.connect()
  const webhookSecret = config.paymentWebhookSecret === '' ? DEV_WEBHOOK_SECRET : config.paymentWebhookSecret

  const app = await buildApp({
    readModel: options.readModel,
    commands,
    auth: {
      jwtSecret: config.authJwtSecret === '' && !hasKey ? DEV_JWT_SECRET : config.authJwtSecret,
      jwtPublicKey: config.authJwtPublicKey,
      jwksUrl: config.authJwksUrl,
    },
    requests: redis ? new RedisRequestRegistry(redis) : new MemoryRequestRegistry(),
    cache: redis ? new RedisResponseCache(redis) : new MemoryResponseCache(),
    ...(redis ? { rateLimitRedis: redis } : {}),
    ...(redis && subscriber ? { fanout: new RedisAppliedFanout(redis, subscriber) } : {}),
    ...(config.kafkaBrokers.length === 0 ? { paymentGateway: new SandboxPaymentGateway(webhookSecret) } : {}),
    webhookSecret,
    logger: logger.child({ component: 'api' }) as unknown as FastifyBaseLogger,
    metricsRegistries: options.pipeline.metricsRegistries ?? [],
    readiness: redis ? { redis: async () => void (await redis.ping()) } : {},
    plugins: options.plugins ?? [],
    trustProxy: config.trustProxy ?? false,
  })
  const url = await app.listen({ host: config.httpHost, port: config.httpPort })
  logger.info({ url, docs: `${url}/docs` }, 'query API listening')
  return {
    app,
    url,
    commands,
    async close() {
      await app.close()
      await commands.close()
      subscriber?.disconnect()
      await redis?.quit()
    },
  }
}
