/**
 * The one interface a payment provider's adapter implements, and the sandbox provider that stands for a
 * real one in the embedded mode, in tests and in `npm run payments:sandbox`. The payment service
 * (payment-service.ts) drives an adapter: it starts the payments the API asks for and executes the refunds
 * the ledger asks for; the provider's later word on a payment (COMPLETED, FAILED) reaches the pipeline
 * through the signed webhook (`POST /api/v1/payments/webhook`), or, for an adapter given a `report`
 * function (the sandbox), on the status topic directly.
 */
import type { PaymentStatusChanged } from '../../avro/index.ts'

/** A payment to start at the provider (from a PaymentRequest). */
export interface PaymentOrder {
  readonly paymentId: string
  readonly bookingId: string
  readonly eventId: string
  readonly userId: string
  readonly amountMinor: number
  /** ISO 4217 code. */
  readonly currency: string
  /** Where the provider sends the payer back; null: its default. */
  readonly returnUrl: string | null
  /** The provider's idempotence key: a repeated order starts one payment. */
  readonly idempotencyKey: string
}

/** A payment the provider started. */
export interface StartedPayment {
  readonly paymentId: string
  /** Where the payer confirms the payment (the provider's page; the sandbox's own route). */
  readonly confirmationUrl: string
}

/** A refund to execute (from a RefundRequest): `refundId` is the provider's idempotence key. */
export interface RefundOrder {
  readonly refundId: string
  readonly attempt: number
  readonly paymentId: string
  readonly bookingId: string
  readonly eventId: string
  readonly amountMinor: number
  readonly currency: string
}

/** What the provider answered a refund: done (in full or in part of the payment), or failed and why. */
export type RefundResult =
  { readonly status: 'REFUNDED' | 'PARTIAL_REFUND' } | { readonly status: 'FAILED'; readonly reason: string }

/** Puts a status on the payment status topic (the payment service's producer). */
export type StatusReport = (status: PaymentStatusChanged) => Promise<void>

/**
 * A payment provider's adapter. `start` and `refund` must be idempotent on `idempotencyKey` and `refundId`
 * (the payment service may repeat an order after a restart). `refund` resolves FAILED for a refusal of the
 * provider and rejects for a failure to reach it; both are reported FAILED and the ledger retries the
 * refund with backoff.
 *
 * @example
 *   class AcmePay implements PaymentGateway {
 *     readonly name = 'acme'
 *     async start(order) { const p = await acme.payments.create({ ... }, order.idempotencyKey)
 *       return { paymentId: order.paymentId, confirmationUrl: p.confirmation_url } }
 *     async refund(order) { await acme.refunds.create({ ... }, order.refundId); return { status: 'REFUNDED' } }
 *   }
 */
export interface PaymentGateway {
  readonly name: string
  start(order: PaymentOrder): Promise<StartedPayment>
  refund(order: RefundOrder): Promise<RefundResult>
  /** Given by the payment service: how an adapter that learns outcomes itself reports them. */
  connect?(report: StatusReport): void
}

/** What a sandbox payment reports when settled: by default its own amount and currency. */
export interface SandboxSettlement {
  readonly amountMinor?: number
  readonly currency?: string
}

/** A payment of the sandbox provider. */
export interface SandboxPayment {
  readonly order: PaymentOrder
  status: 'INITIATED' | 'COMPLETED' | 'FAILED'
  /** What was refunded of it so far (completed refunds). */
  refundedMinor: number
  /** How many of its next refund attempts fail (`failRefunds`). */
  refundFailures: number
}

/**
 * The sandbox provider: keeps its payments in memory, settles one when asked (the payer's confirmation
 * at `confirmationUrl`), reporting COMPLETED or FAILED on the status topic as a provider's webhook would,
 * and refunds at once, unless told to fail a payment's next refund attempts. `confirmationBase` is the URL
 * its settle route lives under (`<base>/<paymentId>/complete`).
 */
export class SandboxPaymentGateway implements PaymentGateway {
  readonly name = 'sandbox'
  readonly #payments = new Map<string, SandboxPayment>()
  readonly #confirmationBase: () => string
  readonly #refunds = new Set<string>()
  #report: StatusReport | undefined

  /** `confirmationBase`: the URL (or a function giving it, once known) its settle routes live under. */
  constructor(confirmationBase: string | (() => string) = '/api/v1/payments/sandbox') {
    this.#confirmationBase = typeof confirmationBase === 'string' ? () => confirmationBase : confirmationBase
  }

  connect(report: StatusReport): void {
    this.#report = report
  }

  async start(order: PaymentOrder): Promise<StartedPayment> {
    if (!this.#payments.has(order.paymentId))
      this.#payments.set(order.paymentId, { order, status: 'INITIATED', refundedMinor: 0, refundFailures: 0 })
    return {
      paymentId: order.paymentId,
      confirmationUrl: `${this.#confirmationBase()}/${encodeURIComponent(order.paymentId)}/complete`,
    }
  }

  async refund(order: RefundOrder): Promise<RefundResult> {
    const payment = this.#payments.get(order.paymentId)
    if (payment === undefined) return { status: 'FAILED', reason: `no sandbox payment ${order.paymentId}` }
    const key = `${order.refundId}#${order.attempt}`
    if (payment.refundFailures > 0 && !this.#refunds.has(key)) {
      payment.refundFailures--
      return { status: 'FAILED', reason: 'the sandbox was told to fail this refund' }
    }
    // One refund ID is refunded once, whichever attempt went through.
    if (!this.#refunds.has(order.refundId)) {
      this.#refunds.add(order.refundId)
      payment.refundedMinor += order.amountMinor
    }
    this.#refunds.add(key)
    return { status: payment.refundedMinor >= payment.order.amountMinor ? 'REFUNDED' : 'PARTIAL_REFUND' }
  }

  get(paymentId: string): SandboxPayment | undefined {
    return this.#payments.get(paymentId)
  }

  /** Makes the payment's next `count` refund attempts fail (to try the ledger's retries). */
  failRefunds(paymentId: string, count: number): void {
    const payment = this.#payments.get(paymentId)
    if (payment === undefined) throw new RangeError(`unknown sandbox payment ${paymentId}`)
    payment.refundFailures = count
  }

  /**
   * The payer confirmed (`COMPLETED`) or abandoned (`FAILED`) the payment: reports it on the status topic.
   * `as` reports another amount or currency than the order's (what a provider that captured something else
   * would say), to try the ledger's money checks.
   */
  async settle(
    paymentId: string,
    status: 'COMPLETED' | 'FAILED',
    as: SandboxSettlement = {},
    nowMs = Date.now(),
  ): Promise<void> {
    const payment = this.#payments.get(paymentId)
    if (payment === undefined) throw new RangeError(`unknown sandbox payment ${paymentId}`)
    if (this.#report === undefined)
      throw new Error('the sandbox gateway is not connected to a payment service')
    const { order } = payment
    await this.#report({
      paymentId,
      bookingId: order.bookingId,
      eventId: order.eventId,
      status,
      amountMinor: as.amountMinor ?? order.amountMinor,
      occurredAtMs: nowMs,
      currency: as.currency ?? order.currency,
      confirmationUrl: null,
      refundId: null,
      refundAttempt: null,
      failureReason: status === 'FAILED' ? 'the payer abandoned the sandbox payment' : null,
    })
    payment.status = status
  }
}
