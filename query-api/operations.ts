/**
 * The operational endpoints besides liveness and readiness: Prometheus metrics, the OpenAPI document and its
 * UI. They say how the service is built and how loaded it is, so they are not public by default: they live
 * on an internal listener (`buildOpsApp`, OPS_HTTP_PORT) and on the public one only when configured so
 * (OPS_ON_PUBLIC_LISTENER, `publicOperations` of `buildApp`).
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { Registry } from 'prom-client'
import { ApiError, errorHandler } from './errors.ts'
import type { Readiness } from './readiness.ts'
import { healthRoutes } from './routes/health.ts'
import { ANYONE } from './routes/route-support.ts'

/** What the operational endpoints read from a built API (`app.operations`). */
export interface Operations {
  /** The metric registries `/metrics` merges (the API's and the pipeline's). */
  readonly registries: readonly Registry[]
  /** Called before the metrics are collected (gauges sampled on demand). */
  readonly beforeMetrics: () => void
  readonly readiness: Readiness
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The API's operational parts, for `buildOpsApp`. */
    operations: Operations
  }
}

/** Mounts `/metrics` and `/openapi.json` on `app` (whose `@fastify/swagger` is registered). */
export function metricsAndOpenApiRoutes(
  app: FastifyInstance,
  operations: Operations,
  openapi: () => unknown,
): void {
  app.get(
    '/metrics',
    { config: { roles: ANYONE }, schema: { tags: ['operations'], summary: 'Prometheus metrics' } },
    async (_request, reply) => {
      operations.beforeMetrics()
      const merged = Registry.merge([...operations.registries])
      return reply.type(merged.contentType).send(await merged.metrics())
    },
  )
  app.get('/openapi.json', { schema: { hide: true }, config: { roles: ANYONE } }, () => openapi())
}

/**
 * The internal operations listener's app for a built (ready) API: `/metrics`, `/openapi.json`, `/docs`,
 * `/healthz` and `/readyz`, without authentication (bind it to an internal address). Close it before the API.
 */
export async function buildOpsApp(
  api: FastifyInstance,
  logger?: FastifyBaseLogger,
): Promise<FastifyInstance> {
  await api.ready()
  const document = api.swagger()
  const ops = Fastify({ ...(logger ? { loggerInstance: logger } : { logger: false }) })
  await ops.register(swagger, { mode: 'static', specification: { document: document as never } })
  await ops.register(swaggerUi, { routePrefix: '/docs' })
  metricsAndOpenApiRoutes(ops, api.operations, () => document)
  await healthRoutes(ops, api.operations.readiness)
  ops.setErrorHandler(errorHandler)
  ops.setNotFoundHandler((request, reply) => {
    errorHandler(
      new ApiError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
    )
  })
  return ops
}
