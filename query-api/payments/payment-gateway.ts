/**
 * Payment gateways behind one interface. A gateway starts a payment for a booking and later calls the
 * webhook with its outcome. The sandbox gateway (embedded mode, tests) completes or fails a payment when
 * asked (`POST /api/v1/payments/sandbox/{paymentId}/complete|fail`) by sending a signed callback to the
 * webhook, exactly as a real gateway would.
 */
import { randomUUID } from 'node:crypto'
import { signWebhook } from './webhook-signature.ts'

export interface PaymentRequest {
  readonly bookingId: string
  readonly eventId: string
  readonly userId: string
  readonly amountMinor: number
}

export interface StartedPayment {
  readonly paymentId: string
  readonly bookingId: string
  readonly eventId: string
  readonly amountMinor: number
  /** Where the user confirms the payment (the gateway's page; the sandbox's own endpoints). */
  readonly confirmationUrl: string
}

/** The body a gateway posts to `/api/v1/payments/webhook`. */
export interface WebhookPayload {
  readonly paymentId: string
  readonly bookingId: string
  readonly eventId: string
  readonly status: 'COMPLETED' | 'FAILED' | 'REFUNDED' | 'PARTIAL_REFUND'
  readonly amountMinor: number
  readonly occurredAtMs: number
}

export interface PaymentGateway {
  readonly name: string
  start(request: PaymentRequest): Promise<StartedPayment>
}

/** Delivers a signed webhook (the sandbox posts it to this API's own webhook route). */
export type WebhookDelivery = (rawBody: string, signature: string) => Promise<{ statusCode: number }>

export class SandboxPaymentGateway implements PaymentGateway {
  readonly name = 'sandbox'
  readonly #payments = new Map<string, StartedPayment>()
  readonly #secret: string
  #deliver: WebhookDelivery | undefined

  constructor(webhookSecret: string) {
    this.#secret = webhookSecret
  }

  /** Where callbacks go (set by the app once its webhook route exists). */
  connect(deliver: WebhookDelivery): void {
    this.#deliver = deliver
  }

  async start(request: PaymentRequest): Promise<StartedPayment> {
    const paymentId = `sbx_${randomUUID()}`
    const payment: StartedPayment = {
      paymentId,
      bookingId: request.bookingId,
      eventId: request.eventId,
      amountMinor: request.amountMinor,
      confirmationUrl: `/api/v1/payments/sandbox/${paymentId}/complete`,
    }
    this.#payments.set(paymentId, payment)
    return payment
  }

  get(paymentId: string): StartedPayment | undefined {
    return this.#payments.get(paymentId)
  }

  /** Sends the gateway's signed callback for a payment it started; resolves with the webhook's status. */
  async settle(paymentId: string, status: 'COMPLETED' | 'FAILED', nowMs = Date.now()): Promise<number> {
    const payment = this.#payments.get(paymentId)
    if (payment === undefined) throw new Error(`unknown sandbox payment ${paymentId}`)
    if (this.#deliver === undefined) throw new Error('the sandbox gateway is not connected to a webhook')
    const payload: WebhookPayload = {
      paymentId,
      bookingId: payment.bookingId,
      eventId: payment.eventId,
      status,
      amountMinor: payment.amountMinor,
      occurredAtMs: nowMs,
    }
    const raw = JSON.stringify(payload)
    const { statusCode } = await this.#deliver(raw, signWebhook(this.#secret, raw, nowMs))
    return statusCode
  }
}
