import type { FastifyInstance } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import { SIGNATURE_HEADER, verifyWebhook } from '../payments/webhook-signature.ts'
import { WebhookBody } from '../schemas.ts'
import { ANYONE, SIGNED_IN } from './route-support.ts'
import { bookingToChange } from './booking-access.ts'

const WebhookAck = Type.Object({ received: Type.Boolean(), paymentId: Type.String(), status: Type.String() })

/**
 * The gateway's webhook (HMAC-signed: `X-Signature: t=<unix>,v1=<hex>` over `<t>.<raw body>`), turned
 * into a PaymentStatusChanged for the pipeline, which settles each payment ID once: a replayed callback
 * changes nothing. In the embedded mode, the sandbox gateway's complete/fail endpoints.
 */
export async function paymentRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  await app.register(async (scope) => {
    // The signature covers the raw bytes: keep them, then parse.
    scope.removeContentTypeParser('application/json')
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
      ;(request as unknown as { rawBody: Buffer }).rawBody = body as Buffer
      try {
        done(null, JSON.parse((body as Buffer).toString('utf8')))
      } catch (error) {
        done(new ApiError('MALFORMED_JSON', 'the body is not valid JSON', { cause: error }), undefined)
      }
    })
    scope.post<{ Body: Static<typeof WebhookBody> }>(
      '/payments/webhook',
      {
        config: { roles: ANYONE, rateLimit: false },
        schema: {
          tags: ['payments'],
          summary: 'Payment gateway callback (HMAC-signed)',
          headers: Type.Object({ 'x-signature': Type.Optional(Type.String({ maxLength: 200 })) }),
          body: WebhookBody,
          response: { 200: WebhookAck },
        },
        preValidation: async (request) => {
          const raw = (request as unknown as { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0)
          const header = request.headers[SIGNATURE_HEADER]
          if (!verifyWebhook(context.webhookSecret, raw, typeof header === 'string' ? header : undefined))
            throw new ApiError('INVALID_SIGNATURE', 'the webhook signature is missing, wrong or too old')
        },
      },
      async (request) => {
        const b = request.body
        await context.commands.sendPaymentStatus(
          {
            paymentId: b.paymentId,
            bookingId: b.bookingId,
            eventId: b.eventId,
            status: b.status,
            amountMinor: b.amountMinor,
            occurredAtMs: b.occurredAtMs,
          },
          String(request.id),
        )
        request.log.info(
          { paymentId: b.paymentId, bookingId: b.bookingId, status: b.status },
          'payment status received',
        )
        return { received: true, paymentId: b.paymentId, status: b.status }
      },
    )
  })

  const sandbox = context.sandbox
  if (sandbox === undefined) return
  const Params = Type.Object(
    {
      paymentId: Type.String({ minLength: 1, maxLength: 128 }),
      outcome: Type.Union([Type.Literal('complete'), Type.Literal('fail')]),
    },
    { additionalProperties: false },
  )
  app.post<{ Params: Static<typeof Params> }>(
    '/payments/sandbox/:paymentId/:outcome',
    {
      config: { roles: SIGNED_IN },
      schema: {
        tags: ['payments'],
        summary: 'Sandbox gateway (embedded mode): complete or fail a payment',
        description: 'The sandbox sends the signed webhook a real gateway would send.',
        params: Params,
        response: {
          200: Type.Object({
            paymentId: Type.String(),
            status: Type.String(),
            webhookStatus: Type.Integer(),
          }),
        },
      },
    },
    async (request) => {
      const payment = sandbox.get(request.params.paymentId)
      if (payment === undefined)
        throw new ApiError('NOT_FOUND', `no sandbox payment ${request.params.paymentId}`)
      // Settling stands for the payer at the gateway: the booking's user (or an admin), like paying; the
      // event's organizer, who may see and cancel the booking, may not mark it paid.
      await bookingToChange(context, request.principal, payment.bookingId)
      const status = request.params.outcome === 'complete' ? 'COMPLETED' : 'FAILED'
      const webhookStatus = await sandbox.settle(payment.paymentId, status)
      return { paymentId: payment.paymentId, status, webhookStatus }
    },
  )
}
