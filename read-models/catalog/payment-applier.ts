/**
 * Writes batches of the payment topics into `payments` and `refunds`, in the caller's transaction: the
 * payment requests of the API (`aquastream.payment.requests.v1`), the refund requests of the ledger
 * (`aquastream.refund.requests.v1`) and the payment service's statuses (`aquastream.payment.status.v1`).
 * The three are separate logs with no order between them, so each row is upserted from whichever comes
 * first, and a status never goes back: a payment's first final status (COMPLETED, FAILED) stays; a refund's
 * COMPLETED stays, and otherwise its latest attempt's word wins (a repeated report of an earlier attempt
 * changes nothing; `failure_reason` is the latest attempt's failure, none once done). So the rows are the
 * same whatever order the three topics are applied in.
 */
import type { PaymentRequest, PaymentStatusChanged, RefundRequest } from '../../avro/index.ts'
import type { Queryable } from './db.ts'
import { isoOfMs } from './instants.ts'
import type { AppliedChanges } from './read-model.ts'

/** The key a `Prefer: wait` on a payment waits for among AppliedChanges' request IDs. */
export const paymentWaitKey = (paymentId: string): string => `payment:${paymentId}`

/** Upserts the payments the API asked for (status REQUESTED unless a status landed first). */
export async function applyPaymentRequests(
  tx: Queryable,
  requests: readonly PaymentRequest[],
): Promise<AppliedChanges> {
  for (const r of requests)
    await tx.query(
      `INSERT INTO payments (id, booking_id, event_id, user_id, status, amount_minor, currency, return_url,
         request_id, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'REQUESTED', $5, $6, $7, $8, $9, $9)
       ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, amount_minor = EXCLUDED.amount_minor,
         currency = EXCLUDED.currency, return_url = EXCLUDED.return_url, request_id = EXCLUDED.request_id,
         created_at = LEAST(payments.created_at, EXCLUDED.created_at)`,
      [
        r.paymentId,
        r.bookingId,
        r.eventId,
        r.userId,
        r.amountMinor,
        r.currency,
        r.returnUrl,
        r.requestId,
        isoOfMs(r.requestedAtMs),
      ],
    )
  return changesOf(requests, [])
}

/** Upserts the refunds the ledger asked for; a later attempt puts a FAILED refund back to REQUESTED. */
export async function applyRefundRequests(
  tx: Queryable,
  requests: readonly RefundRequest[],
): Promise<AppliedChanges> {
  for (const r of requests)
    await tx.query(
      `INSERT INTO refunds (id, booking_id, event_id, payment_id, amount_minor, currency, reason, status,
         attempts, request_id, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'REQUESTED', $8, $9, $10, $10)
       ON CONFLICT (id) DO UPDATE SET payment_id = EXCLUDED.payment_id, amount_minor = EXCLUDED.amount_minor,
         currency = EXCLUDED.currency, reason = EXCLUDED.reason, request_id = EXCLUDED.request_id,
         status = CASE WHEN refunds.status <> 'COMPLETED' AND EXCLUDED.attempts > refunds.attempts
           THEN 'REQUESTED' ELSE refunds.status END,
         failure_reason = CASE WHEN EXCLUDED.attempts > refunds.attempts THEN NULL
           ELSE refunds.failure_reason END,
         attempts = GREATEST(refunds.attempts, EXCLUDED.attempts),
         created_at = LEAST(refunds.created_at, EXCLUDED.created_at),
         updated_at = GREATEST(refunds.updated_at, EXCLUDED.updated_at)`,
      [
        r.refundId,
        r.bookingId,
        r.eventId,
        r.paymentId,
        r.amountMinor,
        r.currency ?? 'RUB',
        r.reason,
        r.attempt,
        r.requestId,
        isoOfMs(r.requestedAtMs),
      ],
    )
  return changesOf(requests, [])
}

/** Applies payment statuses (`refundId` null) and refund statuses (`refundId` set). */
export async function applyPaymentStatuses(
  tx: Queryable,
  statuses: readonly PaymentStatusChanged[],
): Promise<AppliedChanges> {
  for (const s of statuses) {
    const at = isoOfMs(s.occurredAtMs)
    const currency = s.currency ?? 'RUB'
    if (s.refundId !== null) {
      await tx.query(
        `INSERT INTO refunds (id, booking_id, event_id, payment_id, amount_minor, currency, reason, status,
           attempts, failure_reason, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'UNKNOWN', $7, $8, $9, $10, $10)
         ON CONFLICT (id) DO UPDATE SET
           status = CASE WHEN refunds.status = 'COMPLETED' OR EXCLUDED.status = 'COMPLETED' THEN 'COMPLETED'
             WHEN EXCLUDED.attempts >= refunds.attempts THEN EXCLUDED.status ELSE refunds.status END,
           failure_reason = CASE WHEN refunds.status = 'COMPLETED' OR EXCLUDED.status = 'COMPLETED' THEN NULL
             WHEN EXCLUDED.attempts >= refunds.attempts THEN EXCLUDED.failure_reason
             ELSE refunds.failure_reason END,
           attempts = GREATEST(refunds.attempts, EXCLUDED.attempts),
           updated_at = GREATEST(refunds.updated_at, EXCLUDED.updated_at)`,
        [
          s.refundId,
          s.bookingId,
          s.eventId,
          s.paymentId,
          s.amountMinor,
          currency,
          s.status === 'FAILED' ? 'FAILED' : 'COMPLETED',
          s.refundAttempt ?? 1,
          s.failureReason,
          at,
        ],
      )
      continue
    }
    if (s.status === 'REFUNDED' || s.status === 'PARTIAL_REFUND') continue // a refund with no refundId
    const completed = s.status === 'COMPLETED'
    await tx.query(
      `INSERT INTO payments (id, booking_id, event_id, status, amount_minor, currency, paid_minor,
         paid_currency, confirmation_url, failure_reason, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
       ON CONFLICT (id) DO UPDATE SET
         status = CASE WHEN payments.status IN ('COMPLETED', 'FAILED') THEN payments.status
           ELSE EXCLUDED.status END,
         paid_minor = CASE WHEN payments.status IN ('COMPLETED', 'FAILED') THEN payments.paid_minor
           ELSE EXCLUDED.paid_minor END,
         paid_currency = CASE WHEN payments.status IN ('COMPLETED', 'FAILED') THEN payments.paid_currency
           ELSE EXCLUDED.paid_currency END,
         confirmation_url = COALESCE(payments.confirmation_url, EXCLUDED.confirmation_url),
         failure_reason = CASE WHEN payments.status IN ('COMPLETED', 'FAILED') THEN payments.failure_reason
           ELSE EXCLUDED.failure_reason END,
         updated_at = GREATEST(payments.updated_at, EXCLUDED.updated_at)`,
      [
        s.paymentId,
        s.bookingId,
        s.eventId,
        s.status,
        s.amountMinor,
        currency,
        completed ? s.amountMinor : null,
        completed ? currency : null,
        s.confirmationUrl,
        s.failureReason,
        at,
      ],
    )
  }
  return changesOf(
    statuses,
    statuses.filter((s) => s.refundId === null).map((s) => paymentWaitKey(s.paymentId)),
  )
}

function changesOf(
  records: readonly { eventId: string; bookingId: string }[],
  waitKeys: readonly string[],
): AppliedChanges {
  return {
    eventIds: [...new Set(records.map((r) => r.eventId))],
    bookingIds: [...new Set(records.map((r) => r.bookingId))],
    requestIds: [...new Set(waitKeys)],
  }
}
