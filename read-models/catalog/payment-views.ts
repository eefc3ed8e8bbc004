/** The views of payments and refunds (payment-queries.ts answers with them). */
import type { PageRequest } from './views.ts'

/**
 * A payment of a booking: REQUESTED (asked of the payment service), INITIATED (the payer may confirm at
 * `confirmationUrl`), COMPLETED or FAILED. `paidMinor` and `paidCurrency`: what the provider reported paid,
 * which the ledger checks against the booking (an overpayment is refunded, another currency refused).
 */
export interface PaymentView {
  readonly id: string
  readonly bookingId: string
  readonly eventId: string
  readonly status: 'REQUESTED' | 'INITIATED' | 'COMPLETED' | 'FAILED'
  readonly amountMinor: number
  readonly currency: string
  readonly paidMinor: number | null
  readonly paidCurrency: string | null
  readonly confirmationUrl: string | null
  readonly failureReason: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

/**
 * A refund the ledger asked for: REQUESTED (an attempt is with the payment service), COMPLETED, or FAILED
 * (its latest attempt failed: the ledger retries it with backoff up to its last attempt, after which it
 * waits for an admin). `reason`: the RefundRequest's (USER_CANCELED, OVERPAID, WRONG_CURRENCY, …).
 */
export interface RefundView {
  readonly id: string
  readonly bookingId: string
  readonly eventId: string
  readonly paymentId: string | null
  readonly status: 'REQUESTED' | 'COMPLETED' | 'FAILED'
  readonly amountMinor: number
  readonly currency: string
  readonly reason: string
  readonly attempts: number
  readonly failureReason: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** A page of refunds across events (admins), optionally of one status. */
export interface RefundListRequest extends PageRequest {
  readonly status?: RefundView['status']
}
