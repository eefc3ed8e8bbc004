import type { FastifyInstance } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import { SIGNATURE_HEADER, verifyWebhook } from '../payments/webhook-signature.ts'
import { MAX_REFUND_ATTEMPTS } from '../../processors/index.ts'
import { IdParams, PageOf, PaymentView, RefundView, WebhookBody } from '../schemas.ts'
import { ADMINS, ANYONE, SIGNED_IN } from './route-support.ts'
import { bookingToChange, visibleBooking } from './booking-access.ts'

const WebhookAck = Type.Object({ received: Type.Boolean(), paymentId: Type.String(), status: Type.String() })

/**
 * The gateway's webhook (HMAC-signed: `X-Signature: t=<unix>,v1=<hex>` over `<t>.<raw body>`), turned
 * into a PaymentStatusChanged for the pipeline, which settles each payment ID once: a replayed callback
 * changes nothing; a booking's payments and refunds; the refunds for admins. In the embedded mode, the
 * routes of the in-process payment service's sandbox provider.
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
            currency: b.currency ?? null,
            confirmationUrl: null,
            refundId: b.refundId ?? null,
            refundAttempt: b.refundAttempt ?? null,
            failureReason: b.failureReason ?? null,
          },
          String(request.id),
        )
        request.log.info(
          { paymentId: b.paymentId, bookingId: b.bookingId, status: b.status, refundId: b.refundId },
          'payment status received',
        )
        return { received: true, paymentId: b.paymentId, status: b.status }
      },
    )
  })

  bookingPayments(app, context)
  adminRefunds(app, context)
  const sandbox = context.sandbox
  if (sandbox === undefined) return
  const Params = Type.Object(
    {
      paymentId: Type.String({ minLength: 1, maxLength: 128 }),
      outcome: Type.Union([Type.Literal('complete'), Type.Literal('fail')]),
    },
    { additionalProperties: false },
  )
  app.post<{ Params: Static<typeof Params>; Body: Static<typeof SandboxSettlementBody> | undefined }>(
    '/payments/sandbox/:paymentId/:outcome',
    {
      config: { roles: SIGNED_IN },
      schema: {
        tags: ['payments'],
        summary: 'Sandbox provider (embedded mode): the payer completes or abandons a payment',
        description:
          'The in-process payment service reports COMPLETED or FAILED on the payment status topic, as a provider would. `amountMinor` and `currency` report another amount or currency than the payment asked for (to try the money checks: an overpayment is refunded, another currency refused).',
        params: Params,
        body: SandboxSettlementBody,
        response: { 200: Type.Object({ paymentId: Type.String(), status: Type.String() }) },
      },
    },
    async (request) => {
      const payment = sandbox.get(request.params.paymentId)
      if (payment === undefined)
        throw new ApiError('NOT_FOUND', `no sandbox payment ${request.params.paymentId}`)
      // Settling stands for the payer at the gateway: the booking's user (or an admin), like paying; the
      // event's organizer, who may see and cancel the booking, may not mark it paid.
      await bookingToChange(context, request.principal, payment.order.bookingId)
      const status = request.params.outcome === 'complete' ? 'COMPLETED' : 'FAILED'
      await sandbox.settle(payment.order.paymentId, status, request.body ?? {})
      return { paymentId: payment.order.paymentId, status }
    },
  )
  const RefundFailuresBody = Type.Object(
    { count: Type.Integer({ minimum: 0, maximum: 100 }) },
    { additionalProperties: false },
  )
  app.post<{ Params: { paymentId: string }; Body: Static<typeof RefundFailuresBody> }>(
    '/payments/sandbox/:paymentId/refund-failures',
    {
      config: { roles: ADMINS },
      schema: {
        tags: ['payments'],
        summary: "Sandbox provider (embedded mode): fail a payment's next refund attempts",
        description:
          "To try the ledger's refund retries: the next `count` refund attempts of the payment fail.",
        params: Type.Object(
          { paymentId: Type.String({ minLength: 1, maxLength: 128 }) },
          { additionalProperties: false },
        ),
        body: RefundFailuresBody,
        response: { 200: Type.Object({ paymentId: Type.String(), count: Type.Integer() }) },
      },
    },
    async (request) => {
      if (sandbox.get(request.params.paymentId) === undefined)
        throw new ApiError('NOT_FOUND', `no sandbox payment ${request.params.paymentId}`)
      sandbox.failRefunds(request.params.paymentId, request.body.count)
      return { paymentId: request.params.paymentId, count: request.body.count }
    },
  )
}

/** What a sandbox settlement reports other than the payment's own amount and currency. */
const SandboxSettlementBody = Type.Object(
  {
    amountMinor: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_000_000_000 })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
  },
  { additionalProperties: false, 'x-optional': true },
)

/** GET /bookings/{id}/payments: the booking's payments and refunds, for whoever may see the booking. */
function bookingPayments(app: FastifyInstance, context: ApiContext): void {
  app.get<{ Params: { id: string } }>(
    '/bookings/:id/payments',
    {
      config: { roles: SIGNED_IN },
      schema: {
        tags: ['bookings', 'payments'],
        summary: "A booking's payments and refunds with their statuses (its user, the organizer, admins)",
        description:
          'Payments: REQUESTED, INITIATED (with the confirmation URL), COMPLETED (with what the provider reported paid), FAILED. Refunds: REQUESTED, COMPLETED, FAILED (retried with backoff; `attempts` so far), with their reason (USER_CANCELED, OVERPAID, WRONG_CURRENCY, …). Anyone else gets 404 BOOKING_NOT_FOUND, as for reading the booking.',
        params: IdParams,
        response: {
          200: Type.Object({
            bookingId: Type.String(),
            payments: Type.Array(PaymentView),
            refunds: Type.Array(RefundView),
          }),
        },
      },
    },
    async (request) => {
      const booking = await visibleBooking(context, request.principal, request.params.id)
      return { bookingId: booking.id, ...(await context.readModel.bookingPayments(booking.id)) }
    },
  )
}

const RefundQuery = Type.Object(
  {
    status: Type.Optional(
      Type.Union([Type.Literal('REQUESTED'), Type.Literal('COMPLETED'), Type.Literal('FAILED')]),
    ),
    page: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
    size: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  },
  { additionalProperties: false },
)

/** GET /admin/refunds: refunds across events; `status=FAILED` lists those that need an admin's eye. */
function adminRefunds(app: FastifyInstance, context: ApiContext): void {
  app.get<{ Querystring: Static<typeof RefundQuery> }>(
    '/admin/refunds',
    {
      config: { roles: ADMINS },
      schema: {
        tags: ['admin', 'payments'],
        summary: 'Refunds across events, latest change first (admins, with a second factor)',
        description: `\`status=FAILED\`: refunds whose latest attempt failed; the ledger retries each with backoff up to attempt ${MAX_REFUND_ATTEMPTS}, after which it stays FAILED here until handled by hand.`,
        querystring: RefundQuery,
        response: { 200: PageOf(RefundView) },
      },
    },
    async (request) => context.readModel.listRefunds(request.query),
  )
}
