import type { FastifyInstance } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import { SIGNATURE_HEADER, verifyWebhook } from '../payments/webhook-signature.ts'
import { LEDGER_CURRENCY, MAX_REFUND_ATTEMPTS } from '../../processors/index.ts'
import type { PaymentView as PaymentRow } from '../../read-models/catalog/index.ts'
import { freshId, preferredWaitMs } from '../command-flow.ts'
import {
  CommandHeaders,
  IdParams,
  PageOf,
  PaymentStarted,
  PaymentView,
  RefundView,
  WebhookBody,
} from '../schemas.ts'
import { ADMINS, ANYONE, SIGNED_IN } from './route-support.ts'
import { bookingToChange, visibleBooking } from './booking-access.ts'

const WebhookAck = Type.Object({ received: Type.Boolean(), paymentId: Type.String(), status: Type.String() })

/**
 * Payments: `POST /bookings/{id}/pay` (a PaymentRequest for the payment service); the provider's webhook
 * (HMAC-signed: `X-Signature: t=<unix>,v1=<hex>` over `<t>.<raw body>`), turned into a PaymentStatusChanged
 * for the pipeline, which settles each payment ID once: a replayed callback changes nothing; a booking's
 * payments and refunds; the refunds for admins. In the embedded mode, the
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

  payBooking(app, context)
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

/**
 * POST /bookings/{id}/pay: a payment of what is left to pay, asked of the payment service, by the booking's
 * user (or an admin): paying, like changing seats, is the participant's choice. The payment ID is derived
 * from the Idempotency-Key when one is sent (a retry names the same payment, which the payment service
 * and its provider start once), random otherwise.
 */
function payBooking(app: FastifyInstance, context: ApiContext): void {
  app.post<{ Params: { id: string } }>(
    '/bookings/:id/pay',
    {
      config: { roles: SIGNED_IN, rateLimit: context.bookingRateLimit },
      schema: {
        tags: ['bookings', 'payments'],
        summary: 'Start paying a PENDING_PAYMENT booking, or the added seats of a confirmed one',
        description:
          "Asks the payment service for a payment of what is left to pay (a PaymentRequest on `aquastream.payment.requests.v1`) and answers 202 with the payment ID (`status: REQUESTED`); the payment service then reports it INITIATED with the URL where the payer confirms it (`GET /bookings/{id}/payments`). With `Prefer: wait=N`, answers 201 once it is INITIATED, with its `confirmationUrl` (202 if not within N s). The provider's COMPLETED later confirms the booking or its added seats (an overpayment is refunded, another currency refused and refunded), FAILED releases the hold. 422 PAYMENT_NOT_POSSIBLE when nothing is left to pay.",
        params: IdParams,
        headers: CommandHeaders,
        response: { 201: PaymentStarted, 202: PaymentStarted },
      },
    },
    async (request, reply) => {
      const booking = await bookingToChange(context, request.principal, request.params.id)
      // What is left to pay: the amount due less the payments kept (refunded ones given back). A confirmed
      // booking owes something only while a seat top-up is held for it (holdExpiresAt set).
      const due = booking.amountMinor - (booking.paidMinor - booking.refundedMinor)
      const awaitsPayment =
        booking.status === 'PENDING_PAYMENT' ||
        (booking.status === 'CONFIRMED' && booking.holdExpiresAt !== null)
      if (!awaitsPayment || due <= 0)
        throw new ApiError('PAYMENT_NOT_POSSIBLE', `the booking is ${booking.status}, nothing to pay`, {
          details: { status: booking.status },
        })
      const paymentId = `pay_${freshId(request, `payment:${booking.id}:${due}`)}`
      const known = await context.readModel.getPayment(paymentId)
      if (known === undefined)
        await context.commands.sendPaymentRequest(
          {
            paymentId,
            eventId: booking.eventId,
            bookingId: booking.id,
            userId: booking.userId,
            amountMinor: due,
            currency: LEDGER_CURRENCY,
            returnUrl: context.paymentReturnUrl,
            idempotencyKey: paymentId,
            requestId: String(request.id),
            requestedAtMs: Date.now(),
          },
          String(request.id),
        )
      const waitMs = preferredWaitMs(request.headers.prefer as string | undefined, context.maxWaitMs)
      const payment = await paymentStarted(context, paymentId, known, waitMs ?? 0)
      reply.header('location', `/api/v1/bookings/${encodeURIComponent(booking.id)}/payments`)
      const started = payment !== undefined && payment.status !== 'REQUESTED'
      if (started && waitMs !== undefined)
        reply.header('preference-applied', `wait=${Math.round(waitMs / 1000)}`)
      return reply.code(started ? 201 : 202).send({
        paymentId,
        bookingId: booking.id,
        eventId: booking.eventId,
        amountMinor: payment?.amountMinor ?? due,
        currency: payment?.currency ?? LEDGER_CURRENCY,
        status: payment?.status ?? 'REQUESTED',
        confirmationUrl: payment?.confirmationUrl ?? null,
        links: { payments: `/api/v1/bookings/${encodeURIComponent(booking.id)}/payments` },
      })
    },
  )
}

/**
 * The payment as the read model has it once the payment service has started it (INITIATED or later),
 * waiting up to `waitMs` for that; else as it is (undefined while not even its request is projected).
 */
async function paymentStarted(
  context: ApiContext,
  paymentId: string,
  known: PaymentRow | undefined,
  waitMs: number,
): Promise<PaymentRow | undefined> {
  let payment = known
  const deadline = Date.now() + waitMs
  for (;;) {
    if (payment !== undefined && payment.status !== 'REQUESTED') return payment
    const left = deadline - Date.now()
    if (left <= 0) return payment
    // Woken when the payment's status is projected (payment-applier.ts `paymentWaitKey`), here or, through
    // the fan-out, on another instance; read again at the latest when the wait ends.
    const woken = context.waiters.wait(`payment:${paymentId}`, Math.min(left, 1000))
    payment = await context.readModel.getPayment(paymentId)
    if (payment !== undefined && payment.status !== 'REQUESTED') {
      woken.cancel()
      return payment
    }
    await woken.promise
    payment = await context.readModel.getPayment(paymentId)
  }
}
