import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { Readiness } from '../readiness.ts'
import { ANYONE } from './route-support.ts'

const ReadinessBody = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not ready')]),
  checks: Type.Record(Type.String(), Type.Union([Type.Literal('ok'), Type.Literal('unavailable')])),
})

/**
 * Liveness and readiness. `/readyz` answers from a report at most READINESS_CACHE_MS old (one round of
 * checks however many probes arrive), with `ok` or `unavailable` per dependency (the reasons are logged),
 * and counts against the caller's rate limit like any route.
 */
export async function healthRoutes(app: FastifyInstance, readiness: Readiness): Promise<void> {
  app.get(
    '/healthz',
    {
      config: { roles: ANYONE, rateLimit: false },
      schema: { tags: ['operations'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/readyz',
    {
      config: { roles: ANYONE },
      schema: {
        tags: ['operations'],
        summary: 'Ready when every dependency answers (checked at most every few seconds)',
        response: { 200: ReadinessBody, 503: ReadinessBody },
      },
    },
    async (_request, reply) => {
      const { ready, checks } = await readiness.report()
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks })
    },
  )
}
