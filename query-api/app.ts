/**
 * The Fastify query API under `/api/v1`: catalog reads from the read model, writes as commands to the
 * pipeline, `Prefer: wait` answers, JWT auth with per-route roles, per-role rate limits and a per-address
 * budget of rejected requests, catalog caching with ETags, one error format, `/healthz`, `/readyz`; the
 * operational endpoints (`/metrics`, `/openapi.json`, `/docs`) only when asked (`publicOperations`), else on
 * the internal listener of `buildOpsApp`. `buildApp` wires what it is given and starts nothing; `server.ts`
 * builds the real parts.
 */
import { captureBefore, isAudited, recordAudit } from './audit.ts'
import { BulkJobRunner } from './bulk-jobs.ts'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import { randomUUID } from 'node:crypto'
import type { Registry } from 'prom-client'
import {
  authenticate,
  authorize,
  checkDeviceScope,
  createTokenVerifier,
  type AuthOptions,
  type Principal,
  type Role,
  type TokenVerifier,
  GUEST,
} from './auth.ts'
import type { CommandProducer } from './commands/command-producer.ts'
import type { ApiContext } from './context.ts'
import { ApiError, beforeRouting, errorHandler, validationError } from './errors.ts'
import { MemoryRequestRegistry, type RequestRegistry } from './idempotency.ts'
import { ApiMetrics } from './metrics.ts'
import { metricsAndOpenApiRoutes, type Operations } from './operations.ts'
import { OutcomeWaiters, type RedisAppliedFanout } from './outcome-waiters.ts'
import type { SandboxPaymentGateway } from './payments/payment-gateway.ts'
import { RATE_LIMITS, RATE_WINDOW_MS, type RateGroup, type RateLimitFigures } from './rate-limits.ts'
import { Readiness } from './readiness.ts'
import {
  MemoryRejectionCounter,
  REJECTIONS_PER_WINDOW,
  RedisRejectionCounter,
  type RejectionCounter,
} from './rejection-limits.ts'
import type { AppliedChanges, ReadModel } from '../read-models/catalog/index.ts'
import { MemoryResponseCache, type ResponseCache } from './response-cache.ts'
import { bookingRoutes } from './routes/bookings.ts'
import { calendarRoutes } from './routes/calendar.ts'
import { catalogRoutes } from './routes/catalog.ts'
import { checkInRoutes } from './routes/check-ins.ts'
import { categoryRoutes } from './routes/categories.ts'
import { checkInDeviceRoutes } from './routes/check-in-devices.ts'
import { eventWriteRoutes } from './routes/event-writes.ts'
import { favoriteRoutes } from './routes/favorites.ts'
import { healthRoutes } from './routes/health.ts'
import { paymentRoutes } from './routes/payments.ts'
import { promoRoutes } from './routes/promos.ts'
import { availabilityRoutes, type AvailabilityStreamOptions } from './routes/availability.ts'
import { requestRoutes } from './routes/requests.ts'
import { reviewRoutes } from './routes/reviews.ts'
import { adminAuditRoutes } from './routes/admin-audit.ts'
import { bulkRoutes } from './routes/bulk.ts'
import { bookingExportRoutes } from './routes/booking-exports.ts'
import { ticketRoutes } from './routes/tickets.ts'
import { waitlistRoutes } from './routes/waitlist.ts'
import { LazySchemas } from './lazy-schemas.ts'
import { ajvFlavor, createAjv } from './validation.ts'
import { SchemaCode } from './schema-code.ts'
import { ERROR_RESPONSES } from './routes/route-support.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** The route schemas compiled on first use (lazy-schemas.ts). */
    lazySchemas: LazySchemas
  }
  interface FastifyContextConfig {
    /** Who may call the route; every route declares it (buildApp refuses a route without). */
    roles?: readonly Role[]
  }
  interface FastifyRequest {
    principal: Principal
    /** Before/after of an audited action (query-api/audit.ts). */
    auditTrail?: {
      before?: unknown
      after?: unknown
      target?: { type: string; id: string }
      /** An export (CSV): audited whoever reads it. */
      export?: boolean
    }
  }
  interface FastifyInstance {
    /** What the routes share and the token verifier, for the API's other faces (the gRPC server). */
    apiParts: { readonly context: ApiContext; readonly verify: TokenVerifier }
  }
}

/** A mounted extra route set, e.g. the stats routes. */
export type RoutePlugin = (app: FastifyInstance, context: ApiContext) => Promise<void> | void

export interface BuildAppOptions {
  readonly readModel: ReadModel
  readonly commands: CommandProducer
  readonly auth: AuthOptions
  /** Where route schemas' generated code is kept (schema-code.ts); default the installation's cache. */
  readonly schemaCode?: SchemaCode
  /** Idempotency keys and request registry; in-process by default. */
  readonly requests?: RequestRegistry
  readonly cache?: ResponseCache
  /** Redis client for shared rate-limit counters; in-process counters without. */
  readonly rateLimitRedis?: Redis
  /** Limits per role and group; `false` disables rate limiting (benches of the pipeline only). */
  readonly rateLimits?: RateLimitFigures | false
  /** Rejected requests (401, 403, 404) per address and minute before it gets 429; default 30. */
  readonly rejectionLimit?: number
  /** Cross-instance fan-out of applied changes (real mode). */
  readonly fanout?: RedisAppliedFanout
  /** Caps and heartbeat of GET /events/{id}/availability (routes/availability.ts defaults). */
  readonly availabilityStreams?: AvailabilityStreamOptions
  /**
   * The sandbox provider of an in-process payment service (the embedded mode): mounts its routes
   * (`/payments/sandbox/...`). Payments go through the payment service either way (`POST /bookings/{id}/pay`
   * produces a PaymentRequest).
   */
  readonly sandbox?: SandboxPaymentGateway
  /** Where the payment provider sends the payer back (PAYMENT_RETURN_URL); null: the provider's default. */
  readonly paymentReturnUrl?: string | null
  /** HMAC secret of the payment webhook. */
  readonly webhookSecret: string
  readonly logger?: FastifyBaseLogger
  /** Other metric registries `/metrics` merges in (the pipeline's). */
  readonly metricsRegistries?: readonly Registry[]
  /** Named dependency checks for `/readyz` besides the read model and the command producer. */
  readonly readiness?: Readonly<Record<string, () => Promise<void>>>
  /** How long `/readyz` reuses a report, ms (READINESS_CACHE_MS); default 5000. */
  readonly readinessCacheMs?: number
  /**
   * Serve `/metrics`, `/openapi.json` and `/docs` on this app too (OPS_ON_PUBLIC_LISTENER). Default false:
   * they are on the internal listener of `buildOpsApp` only.
   */
  readonly publicOperations?: boolean
  /** Longest `Prefer: wait`, ms; default 10,000. */
  readonly maxWaitMs?: number
  /** Extra route sets mounted under the same hooks (stats). */
  readonly plugins?: readonly RoutePlugin[]
  /**
   * The proxies whose X-Forwarded-For names the client (a hop count, or proxy addresses / CIDRs), so that
   * rate limits and logs key guests by the client's address; false (default): the socket's address.
   */
  readonly trustProxy?: false | number | readonly string[]
  /** At most this many commands per second per bulk job (BULK_COMMANDS_PER_SECOND); default 200, 0: no limit. */
  readonly bulkCommandsPerSecond?: number
}

export const BODY_LIMIT_BYTES = 1024 * 1024

/** One per process: every app of it (the tests build hundreds) reads the same folder. */
const sharedSchemaCode = new SchemaCode()

/** Builds the app (not listening). Close it with `app.close()`; it closes nothing it was given. */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: BODY_LIMIT_BYTES,
    logController: new LogController({
      requestIdLogLabel: 'traceId',
      disableRequestLogging: (request) => request.url === '/healthz' || request.url === '/metrics',
    }),
    requestIdHeader: false,
    genReqId: (req) => traceIdOf(req.headers) ?? randomUUID(),
    trustProxy: trustProxyOption(options.trustProxy),
    ajv: { customOptions: { removeAdditional: false } },
    // One short message; the errors themselves (the first few) go to `details` once (errors.ts).
    schemaErrorFormatter: validationError,
    // What Fastify refuses before routing (a URL with a bad percent-encoding, a path parameter longer
    // than any ID) answers in the one error format, as a 400.
    frameworkErrors: (error, request, reply) => {
      errorHandler(beforeRouting(error), request, reply)
    },
  })

  // Bodies are validated strictly (no coercion: "3" is not a number); query strings, params and headers
  // arrive as text and are coerced (validation.ts).
  const bodyAjv = createAjv(false)
  const textAjv = createAjv(true)
  // Compiled on first use, not at start (lazy-schemas.ts), and generated once per installation
  // (schema-code.ts).
  const schemas = new LazySchemas()
  const code = options.schemaCode ?? sharedSchemaCode
  app.decorate('lazySchemas', schemas)
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const body = httpPart === 'body'
    const validate = schemas.validator(() =>
      code.validator(body ? bodyAjv : textAjv, ajvFlavor(!body), schema as object),
    )
    // A body schema marked `x-optional` accepts a request without a body (e.g. POST …/publish).
    if (httpPart !== 'body' || (schema as { 'x-optional'?: boolean })['x-optional'] !== true) return validate
    const optional = (data: unknown): boolean => {
      if (data === undefined || data === null) return true
      const valid = validate(data)
      optional.errors = validate.errors
      return valid
    }
    optional.errors = undefined as typeof validate.errors
    return optional
  })
  // fast-json-stringify, as Fastify's own serializer compiler uses it, each on its first response.
  app.setSerializerCompiler(({ schema }) => schemas.serializer(() => code.serializer(schema as object)))

  const metrics = new ApiMetrics()
  const waiters = new OutcomeWaiters()
  const cache = options.cache ?? new MemoryResponseCache()
  const requests = options.requests ?? new MemoryRequestRegistry()
  const logger = app.log
  const context: ApiContext = {
    readModel: options.readModel,
    commands: options.commands,
    requests,
    cache,
    waiters,
    metrics,
    sandbox: options.sandbox,
    paymentReturnUrl: options.paymentReturnUrl ?? null,
    webhookSecret: options.webhookSecret,
    maxWaitMs: options.maxWaitMs ?? 10_000,
    audit: logger.child({ audit: true }),
    bulk: new BulkJobRunner(() => context, {
      commandsPerSecond: options.bulkCommandsPerSecond ?? 200,
      idleAfterMs: 60_000,
      log: logger.child({ component: 'bulk' }),
    }),
    bookingRateLimit:
      options.rateLimits === false
        ? false
        : {
            groupId: 'booking',
            max: (request) => (options.rateLimits || RATE_LIMITS)[request.principal.role].booking,
          },
  }

  // Applied projection batches: invalidate the catalog cache, then wake the waiting requests (here, or on
  // every instance through Redis).
  const applied = async (changes: AppliedChanges) => {
    const tags =
      changes.eventIds.length > 0 ? ['catalog', ...changes.eventIds.map((id) => `event:${id}`)] : []
    try {
      await cache.invalidate(tags)
    } catch (error) {
      logger.warn({ err: error }, 'cache invalidation failed')
    }
    if (options.fanout)
      await options.fanout
        .publish(changes)
        .catch((error: unknown) => logger.warn({ err: error }, 'fan-out failed'))
    else waiters.notifyApplied(changes)
  }
  const unsubscribe = options.readModel.onApplied((changes) => void applied(changes))
  if (options.fanout) await options.fanout.start((changes) => waiters.notifyApplied(changes))
  app.addHook('onClose', async () => {
    await context.bulk.close()
    unsubscribe()
    await options.fanout?.close()
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Aquastream backend-event API',
        version: '1.0.0',
        description:
          'Catalog reads from the Postgres read model; writes are commands answered 202 (or, with `Prefer: wait=N`, synchronously). Money in kopecks.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'A JWT of the identity provider; a check-in device sends its device key (ckd_…) instead, accepted only by the routes that let devices in',
          },
        },
      },
      tags: [
        { name: 'catalog' },
        { name: 'events' },
        { name: 'bookings' },
        { name: 'check-in' },
        { name: 'reviews' },
        { name: 'favorites' },
        { name: 'categories' },
        { name: 'payments' },
        { name: 'requests' },
        { name: 'bulk' },
        { name: 'admin' },
        { name: 'stats' },
        { name: 'operations' },
      ],
    },
  })

  // Every route declares its roles; the auth hook enforces them before anything else runs.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) {
      route.config = {
        ...(route.config ?? {}),
        roles: ['guest', 'user', 'organizer', 'admin'],
        rateLimit: false,
      } as typeof route.config
      return
    }
    if (route.config?.roles === undefined)
      throw new Error(`route ${route.method} ${route.url} declares no roles`)
    const schema = (route.schema ??= {}) as { response?: Record<string, unknown>; security?: unknown }
    schema.response = { ...ERROR_RESPONSES, ...(schema.response ?? {}) }
    if (!route.config.roles.includes('guest') || route.config.roles.length < 4)
      schema.security = [{ bearer: [] }]
  })
  const verify = createTokenVerifier(options.auth)
  app.decorateRequest('principal', { getter: () => GUEST, setter: () => {} })
  if (options.rateLimits !== false) {
    const limit = options.rejectionLimit ?? REJECTIONS_PER_WINDOW
    const rejections: RejectionCounter = options.rateLimitRedis
      ? new RedisRejectionCounter(options.rateLimitRedis, limit, RATE_WINDOW_MS)
      : new MemoryRejectionCounter(limit, RATE_WINDOW_MS)
    countRejections(app, rejections, limit)
  }
  // Device keys are looked up on every request (one indexed read): a revoked key fails at once everywhere.
  const devices = (keyHash: string) => options.readModel.findCheckInDevice(keyHash)
  app.addHook('onRequest', async (request) => {
    const principal = await authenticate(request, verify, devices)
    Object.defineProperty(request, 'principal', { value: principal, writable: true, configurable: true })
    const roles = request.routeOptions.config.roles
    if (roles === undefined) return
    authorize(principal, roles)
    checkDeviceScope(principal, (request.params as { id?: string } | undefined)?.id)
  })

  if (options.rateLimits !== false) {
    const figures = options.rateLimits ?? RATE_LIMITS
    const limitOf = (principal: Principal, group: RateGroup) => figures[principal.role][group]
    await app.register(rateLimit, {
      global: true,
      hook: 'preParsing',
      timeWindow: RATE_WINDOW_MS,
      max: (request) => limitOf(request.principal, 'general'),
      keyGenerator: (request) =>
        `${request.principal.role}:${request.principal.device?.deviceId ?? request.principal.userId ?? request.ip}`,
      ...(options.rateLimitRedis
        ? { redis: options.rateLimitRedis, nameSpace: 'backend-event:api:rl:' }
        : {}),
      skipOnError: true,
      errorResponseBuilder: (request, context) =>
        new ApiError(
          'RATE_LIMITED',
          `rate limit exceeded: ${context.max} requests per minute, retry in ${context.after}`,
          {
            details: {
              limit: context.max,
              group:
                request.routeOptions.config.rateLimit &&
                typeof request.routeOptions.config.rateLimit === 'object'
                  ? (request.routeOptions.config.rateLimit.groupId ?? 'general')
                  : 'general',
              retryAfterSeconds: Math.ceil(context.ttl / 1000),
            },
          },
        ),
    })
  }

  // JSON only: any other body type answers 415 UNSUPPORTED_MEDIA_TYPE.
  app.removeContentTypeParser('text/plain')
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler((request, reply) => {
    errorHandler(
      new ApiError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
    )
  })

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    metrics.requests.inc({ method: request.method, route, status: reply.statusCode })
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000)
  })

  // The durable audit (audit.ts): the target's state before a write, and the record written before the
  // answer leaves, for routes and refusals alike.
  app.addHook('preHandler', async (request) => captureBefore(context, request))
  app.addHook('onSend', async (request, reply, payload) => {
    if (
      request.routeOptions.url !== undefined &&
      (isAudited(request.principal, request.method) || request.auditTrail?.export === true)
    )
      await recordAudit(context, request, reply)
    return payload
  })

  const operations: Operations = {
    registries: [metrics.registry, ...(options.metricsRegistries ?? [])],
    beforeMetrics: () => metrics.waiting.set(waiters.size),
    readiness: new Readiness({
      checks: {
        readModel: () => options.readModel.health(),
        commands: () => options.commands.health(),
        ...(options.readiness ?? {}),
      },
      cacheMs: options.readinessCacheMs ?? 5000,
      logger,
    }),
  }
  app.decorate('operations', operations)
  app.decorate('apiParts', { context, verify })
  await app.register(async (api) => {
    await healthRoutes(api, operations.readiness)
    if (options.publicOperations === true) metricsAndOpenApiRoutes(api, operations, () => app.swagger())
  })
  if (options.publicOperations === true) await app.register(swaggerUi, { routePrefix: '/docs' })
  await app.register(
    async (api) => {
      await catalogRoutes(api, context)
      await eventWriteRoutes(api, context)
      await promoRoutes(api, context)
      await availabilityRoutes(api, context, options.availabilityStreams)
      await bookingRoutes(api, context)
      await checkInRoutes(api, context)
      await ticketRoutes(api, context)
      await calendarRoutes(api, context)
      await waitlistRoutes(api, context)
      await favoriteRoutes(api, context)
      await categoryRoutes(api, context)
      await paymentRoutes(api, context)
      await requestRoutes(api, context)
      await reviewRoutes(api, context)
      await adminAuditRoutes(api, context)
      await bulkRoutes(api, context)
      await bookingExportRoutes(api, context)
      await checkInDeviceRoutes(api, context)
      for (const plugin of options.plugins ?? []) await plugin(api, context)
    },
    { prefix: '/api/v1' },
  )
  return app
}

/**
 * Counts every 401, 403 and 404 answer against the caller's address (Fastify's `request.ip`, so behind
 * TRUST_PROXY the client's), and answers 429 to every request of an address over its budget until its
 * window ends: guessing tokens, probing resource IDs and scanning routes are throttled like any other flood.
 * Routes with `rateLimit: false` (liveness, the payment webhook, the docs' assets) neither count nor block.
 * A failing counter (Redis down) lets requests through, like the rate limits (`skipOnError`).
 */
function countRejections(app: FastifyInstance, rejections: RejectionCounter, limit: number): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.rateLimit === false) return
    const blockedMs = await rejections.blockedFor(request.ip).catch((error: unknown) => {
      request.log.warn({ err: error }, 'rejection counter unavailable')
      return 0
    })
    if (blockedMs <= 0) return
    const retryAfterSeconds = Math.ceil(blockedMs / 1000)
    reply.header('retry-after', retryAfterSeconds)
    throw new ApiError(
      'RATE_LIMITED',
      `too many rejected requests from this address; retry in ${retryAfterSeconds} s`,
      {
        details: { group: 'rejected', limit, retryAfterSeconds },
      },
    )
  })
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode
    if (
      (status !== 401 && status !== 403 && status !== 404) ||
      request.routeOptions.config.rateLimit === false
    )
      return
    await rejections
      .record(request.ip)
      .catch((error: unknown) => request.log.warn({ err: error }, 'rejection counter unavailable'))
  })
}

/** The trace ID of a W3C `traceparent`, else `x-request-id`, when well-formed. */
function traceIdOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const traceparent = headers.traceparent
  if (typeof traceparent === 'string') {
    const m = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/.exec(traceparent.trim())
    if (m !== null) return m[1]
  }
  const requestId = headers['x-request-id']
  if (typeof requestId === 'string' && /^[\w.:-]{1,128}$/.test(requestId)) return requestId
  return undefined
}

/**
 * Fastify's `trustProxy` for the setting, never `true` (trusting every sender of X-Forwarded-For): a hop
 * count trusts the nearest `hops` addresses (proxy-addr's rule for a number: the i-th hop from the socket
 * is trusted while i < hops), a list trusts those proxies.
 */
function trustProxyOption(
  setting: false | number | readonly string[] | undefined,
): false | string[] | ((address: string, hop: number) => boolean) {
  if (setting === undefined || setting === false) return false
  if (typeof setting === 'number') return (_address, hop) => hop < setting
  return [...setting]
}
