import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { Registry } from 'prom-client'
import type { ApiContext } from '../context.ts'
import { ANYONE } from './route-support.ts'

/** Liveness, readiness (every dependency answers within 2 s) and Prometheus metrics. */
export async function healthRoutes(
  app: FastifyInstance,
  context: ApiContext,
  options: { readiness: Readonly<Record<string, () => Promise<void>>>; registries: readonly Registry[] },
): Promise<void> {
  const open = { roles: ANYONE, rateLimit: false } as const
  app.get(
    '/healthz',
    {
      config: open,
      schema: { tags: ['operations'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/readyz',
    {
      config: open,
      schema: {
        tags: ['operations'],
        summary: 'Ready when every dependency answers',
        response: {
          200: Type.Object({ status: Type.String(), checks: Type.Record(Type.String(), Type.String()) }),
          503: Type.Object({ status: Type.String(), checks: Type.Record(Type.String(), Type.String()) }),
        },
      },
    },
    async (_request, reply) => {
      const checks: Record<string, string> = {}
      await Promise.all(
        Object.entries(options.readiness).map(async ([name, check]) => {
          let timer: NodeJS.Timeout | undefined
          try {
            await Promise.race([
              check(),
              new Promise(
                (_, reject) => (timer = setTimeout(() => reject(new Error('timed out after 2 s')), 2000)),
              ),
            ])
            checks[name] = 'ok'
          } catch (error) {
            checks[name] = error instanceof Error ? error.message : String(error)
          } finally {
            clearTimeout(timer)
          }
        }),
      )
      const ready = Object.values(checks).every((c) => c === 'ok')
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks })
    },
  )

  app.get(
    '/metrics',
    { config: open, schema: { tags: ['operations'], summary: 'Prometheus metrics' } },
    async (_request, reply) => {
      context.metrics.waiting.set(context.waiters.size)
      const merged = Registry.merge([...options.registries])
      return reply.type(merged.contentType).send(await merged.metrics())
    },
  )
}
