/**
 * The HTTP face of the sandbox provider when the payment service runs as its own process
 * (`npm run payments:sandbox`): the payer's confirmation page stand-in and the knobs tests turn. It is a
 * development and test tool, with no authentication of its own: it listens on the loopback address by
 * default, and the process refuses to start in production (infra/payments-sandbox.ts).
 *
 *   POST /sandbox/payments/{paymentId}/complete|fail  {amountMinor?, currency?}  the payer's answer
 *   POST /sandbox/payments/{paymentId}/refund-failures {count}                   fail the next refund attempts
 *   GET  /sandbox/payments/{paymentId}                                            the payment as the sandbox has it
 *   GET  /healthz
 */
import Fastify, { type FastifyInstance } from 'fastify'
import type { FastifyBaseLogger } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { SandboxPaymentGateway } from './payment-gateway.ts'

/** The route prefix of the sandbox's confirmation URLs (`<public URL><prefix>/<paymentId>/complete`). */
export const SANDBOX_PAYMENTS_PATH = '/sandbox/payments'

const Params = Type.Object({ paymentId: Type.String({ minLength: 1, maxLength: 128 }) })
const Settlement = Type.Object(
  {
    amountMinor: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_000_000_000 })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
  },
  { additionalProperties: false },
)
const Failures = Type.Object(
  { count: Type.Integer({ minimum: 0, maximum: 100 }) },
  { additionalProperties: false },
)

/** Builds the sandbox's HTTP app (not listening). Unknown payments answer 404 `{code: NOT_FOUND}`. */
export function buildSandboxApp(sandbox: SandboxPaymentGateway, logger: FastifyBaseLogger): FastifyInstance {
  const app = Fastify({ loggerInstance: logger })
  // The API's error shape: {code, message, details, traceId}.
  app.setErrorHandler(
    (error: { statusCode?: number; message: string; validation?: unknown }, request, reply) => {
      const status = error.statusCode ?? 500
      return reply.code(status).send({
        code: status === 400 ? 'VALIDATION_FAILED' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL',
        message: status < 500 ? error.message : 'the sandbox failed',
        details: error.validation ?? null,
        traceId: String(request.id),
      })
    },
  )
  const notFound = (paymentId: string) => ({
    code: 'NOT_FOUND',
    message: `no sandbox payment ${paymentId}`,
    details: { paymentId },
    traceId: null,
  })
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get<{ Params: Static<typeof Params> }>(
    `${SANDBOX_PAYMENTS_PATH}/:paymentId`,
    { schema: { params: Params } },
    async (request, reply) => {
      const payment = sandbox.get(request.params.paymentId)
      if (payment === undefined) return reply.code(404).send(notFound(request.params.paymentId))
      return { ...payment.order, status: payment.status, refundedMinor: payment.refundedMinor }
    },
  )
  // The payer's answer: a POST with an optional JSON body (no body: the payment as it was asked for).
  for (const outcome of ['complete', 'fail'] as const)
    app.post<{ Params: Static<typeof Params>; Body: unknown }>(
      `${SANDBOX_PAYMENTS_PATH}/:paymentId/${outcome}`,
      { schema: { params: Params } },
      async (request, reply) => {
        const { paymentId } = request.params
        const body = request.body ?? {}
        if (!Value.Check(Settlement, body))
          return reply.code(400).send({
            code: 'VALIDATION_FAILED',
            message: 'the body may carry amountMinor (integer) and currency (ISO 4217) only',
            details: { errors: [...Value.Errors(Settlement, body)].map((e) => `${e.path} ${e.message}`) },
            traceId: String(request.id),
          })
        if (sandbox.get(paymentId) === undefined) return reply.code(404).send(notFound(paymentId))
        const status = outcome === 'complete' ? 'COMPLETED' : 'FAILED'
        await sandbox.settle(paymentId, status, body)
        return { paymentId, status }
      },
    )
  app.post<{ Params: Static<typeof Params>; Body: Static<typeof Failures> }>(
    `${SANDBOX_PAYMENTS_PATH}/:paymentId/refund-failures`,
    { schema: { params: Params, body: Failures } },
    async (request, reply) => {
      const { paymentId } = request.params
      if (sandbox.get(paymentId) === undefined) return reply.code(404).send(notFound(paymentId))
      sandbox.failRefunds(paymentId, request.body.count)
      return { paymentId, count: request.body.count }
    },
  )
  return app
}
