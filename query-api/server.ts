/**
 * Starts the query API for `main.ts`: builds the real parts (command transport on the embedded log or
 * Kafka, Redis-shared state in real mode, the routes of the in-process sandbox provider in embedded mode) around the read model and
 * listens, with the operations listener when OPS_HTTP_PORT is set and the gRPC API (grpc/) when GRPC_PORT
 * is. The read model and its projection are opened and started by the caller, and closed by it after
 * `close()` of the API.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { EmbeddedLog, KafkaSecurity } from '../streams/index.ts'
import { buildApp, type RoutePlugin } from './app.ts'
import { CommandProducer, type CommandSerdes } from './commands/command-producer.ts'
import { EmbeddedCommandTransport } from './commands/embedded-transport.ts'
import { KafkaCommandTransport } from './commands/kafka-transport.ts'
import { MemoryRequestRegistry, RedisRequestRegistry } from './idempotency.ts'
import type { RunningGrpc } from './grpc/server.ts'
import { buildOpsApp } from './operations.ts'
import { RedisAppliedFanout } from './outcome-waiters.ts'
import type { SandboxPaymentGateway } from './payments/payment-gateway.ts'
import type { ReadModel } from '../read-models/catalog/index.ts'
import { MemoryResponseCache, RedisResponseCache } from './response-cache.ts'

/**
 * The configuration keys the API needs (from infra/config.ts's `loadServiceConfig`, which decided them: in
 * the embedded mode the development secrets are filled in, anywhere else they are real). The API decides
 * nothing about them; it uses what it is given.
 */
export interface ApiConfig {
  /** No Kafka and no PostgreSQL: the sandbox provider's routes are mounted (never anywhere else). */
  readonly embedded: boolean
  /** HTTP_HOST (infra/config.ts gives the default). */
  readonly httpHost: string
  /** HTTP_PORT (0: any free port). */
  readonly httpPort: number
  /** GRPC_HOST: address of the gRPC API. */
  readonly grpcHost?: string
  /** GRPC_PORT: the gRPC API (0: any free port); null or absent: none. */
  readonly grpcPort?: number | null
  /** OPS_HTTP_HOST: address of the internal operations listener. */
  readonly opsHttpHost: string
  /** OPS_HTTP_PORT: the internal operations listener (`/metrics`, `/openapi.json`, `/docs`); null: none. */
  readonly opsHttpPort: number | null
  /** OPS_ON_PUBLIC_LISTENER: the operational endpoints on the public listener too. */
  readonly opsOnPublicListener: boolean
  /** READINESS_CACHE_MS: how long `/readyz` reuses a report. */
  readonly readinessCacheMs: number
  /** AUTH_JWT_SECRET (secret): HS256, at least 32 bytes. */
  readonly authJwtSecret: string
  /** AUTH_JWT_PUBLIC_KEY: RS256/ES256 public key, PEM. */
  readonly authJwtPublicKey: string
  /** AUTH_JWKS_URL: the identity provider's JWKS. */
  readonly authJwksUrl: string
  /** AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE: what every token must carry in `iss` and `aud`. */
  readonly authJwtIssuer: string
  readonly authJwtAudience: string
  /** AUTH_JWT_MAX_AGE_S, AUTH_CLOCK_TOLERANCE_S. */
  readonly authJwtMaxAgeS: number
  readonly authClockToleranceS: number
  /** REDIS_URL (secret: may carry a password): shared rate limits, idempotency keys, caches, fan-out. Empty: in-process (embedded). */
  readonly redisUrl: string
  /** PAYMENT_WEBHOOK_SECRET (secret): HMAC key of the payment webhook. */
  readonly paymentWebhookSecret: string
  /** PAYMENT_RETURN_URL: where the payment provider sends the payer back ('': its default). */
  readonly paymentReturnUrl?: string
  /** KAFKA_BROKERS: commands go to Kafka when set, else to the embedded log. */
  readonly kafkaBrokers: readonly string[]
  /** TRUST_PROXY: the proxies whose X-Forwarded-For names the client (none by default). */
  readonly trustProxy?: false | number | readonly string[]
  /** BULK_COMMANDS_PER_SECOND: the pace of each bulk job's commands (0: no limit). */
  readonly bulkCommandsPerSecond?: number
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
  /** TLS and SASL of the Kafka command transport (infra/config.ts `kafkaSecurityOf`). */
  readonly kafka?: KafkaSecurity
  readonly readModel: ReadModel
  readonly logger: Logger
  /** Extra route sets (the stats routes). */
  readonly plugins?: readonly RoutePlugin[]
  /** The sandbox provider of the in-process payment service (embedded mode): its routes are mounted. */
  readonly sandbox?: SandboxPaymentGateway
}

export interface RunningApi {
  readonly app: FastifyInstance
  /** `http://host:port` it listens on. */
  readonly url: string
  /** `http://host:port` of the internal operations listener, when OPS_HTTP_PORT is set. */
  readonly opsUrl: string | undefined
  /** `host:port` of the gRPC API, when GRPC_PORT is set. */
  readonly grpcAddress: string | undefined
  /** The command producer the API uses (e.g. for `seedDemoCatalog` in the embedded mode). */
  readonly commands: CommandProducer
  close(): Promise<void>
}

/** Builds and starts the API (and the operations listener when configured). */
export async function startApi(options: StartApiOptions): Promise<RunningApi> {
  const { config, logger } = options
  const transport =
    config.kafkaBrokers.length > 0
      ? new KafkaCommandTransport({
          brokers: config.kafkaBrokers,
          ...(options.kafka ? { kafka: options.kafka } : {}),
        })
      : options.pipeline.log !== undefined
        ? new EmbeddedCommandTransport(options.pipeline.log)
        : undefined
  if (transport === undefined)
    throw new Error('the API needs KAFKA_BROKERS or the embedded log of the pipeline')
  if (transport instanceof KafkaCommandTransport) await transport.connect()
  const commands = new CommandProducer(transport, options.serdes)

  // ioredis and the gRPC server load only where they are configured: the embedded default starts without
  // them (a tenth of a second of its start).
  const redis =
    config.redisUrl === ''
      ? undefined
      : new (await import('ioredis')).Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 })
  const subscriber = redis?.duplicate()
  await redis?.connect()
  await subscriber?.connect()

  const app = await buildApp({
    readModel: options.readModel,
    commands,
    auth: {
      jwtSecret: config.authJwtSecret,
      jwtPublicKey: config.authJwtPublicKey,
      jwksUrl: config.authJwksUrl,
      issuer: config.authJwtIssuer,
      audience: config.authJwtAudience,
      maxTokenAgeS: config.authJwtMaxAgeS,
      clockToleranceS: config.authClockToleranceS,
    },
    requests: redis ? new RedisRequestRegistry(redis) : new MemoryRequestRegistry(),
    cache: redis ? new RedisResponseCache(redis) : new MemoryResponseCache(),
    ...(redis ? { rateLimitRedis: redis } : {}),
    ...(redis && subscriber ? { fanout: new RedisAppliedFanout(redis, subscriber) } : {}),
    // The sandbox lets a signed-in user complete their own payment: the embedded mode only.
    ...(config.embedded && options.sandbox !== undefined ? { sandbox: options.sandbox } : {}),
    paymentReturnUrl: config.paymentReturnUrl || null,
    webhookSecret: config.paymentWebhookSecret,
    logger: logger.child({ component: 'api' }) as unknown as FastifyBaseLogger,
    metricsRegistries: options.pipeline.metricsRegistries ?? [],
    readiness: redis ? { redis: async () => void (await redis.ping()) } : {},
    readinessCacheMs: config.readinessCacheMs,
    publicOperations: config.opsOnPublicListener,
    plugins: options.plugins ?? [],
    trustProxy: config.trustProxy ?? false,
    ...(config.bulkCommandsPerSecond === undefined
      ? {}
      : { bulkCommandsPerSecond: config.bulkCommandsPerSecond }),
  })
  // Every route's validators and serializers are made before the API answers anything: made at their first
  // requests (lazy-schemas.ts) they held the first requests after a restart behind them. Generating them
  // all takes ~0.25 s of CPU here, so their code is kept per installation (schema-code.ts) and a restart
  // only reads it (bench/RESULTS.md, "Restart after SIGKILL").
  await app.ready()
  const compiledSchemas = app.lazySchemas.pending
  app.lazySchemas.compileAll()
  // The operations app and the gRPC server are made before the public listener opens too: made after it
  // (Swagger UI's static files, the gRPC library and its protos) they took ~0.1 s of the first second's
  // requests. A failure to make them, or to listen on any of the three, leaves nothing listening.
  let ops: FastifyInstance | undefined
  let grpc: RunningGrpc | undefined
  let url: string
  let opsUrl: string | undefined
  const close = async (): Promise<void> => {
    await grpc?.close()
    await ops?.close()
    await app.close()
    await commands.close()
    subscriber?.disconnect()
    await redis?.quit()
  }
  try {
    if (config.opsHttpPort !== null)
      ops = await buildOpsApp(app, logger.child({ component: 'ops' }) as unknown as FastifyBaseLogger)
    grpc =
      config.grpcPort === null || config.grpcPort === undefined
        ? undefined
        : await (
            await import('./grpc/server.ts')
          ).startGrpcServer(app, {
            host: config.grpcHost ?? '127.0.0.1',
            port: config.grpcPort,
            logger: logger.child({ component: 'grpc' }) as unknown as FastifyBaseLogger,
          })
    url = await app.listen({ host: config.httpHost, port: config.httpPort })
    if (ops !== undefined && config.opsHttpPort !== null)
      opsUrl = await ops.listen({ host: config.opsHttpHost, port: config.opsHttpPort })
  } catch (error) {
    await close()
    throw error
  }
  // Bulk jobs whose commands were not all produced (the instance that produced them stopped or crashed)
  // are resumed now, and picked up later when their producer goes quiet.
  const bulk = app.apiParts.context.bulk
  await bulk.resume()
  bulk.startSweeping()
  logger.info(
    {
      url,
      compiledSchemas,
      ...(grpc === undefined ? {} : { grpc: grpc.address }),
      ...(opsUrl === undefined ? {} : { ops: opsUrl, docs: `${opsUrl}/docs` }),
      ...(config.opsOnPublicListener ? { docs: `${url}/docs` } : {}),
    },
    'query API listening',
  )
  return {
    app,
    url,
    opsUrl,
    grpcAddress: grpc?.address,
    commands,
    close,
  }
}
