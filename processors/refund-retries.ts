import type { PaymentStatusChanged, RefundRequest } from '../avro/index.ts'
import type { LedgerOutput } from './ledger-outputs.ts'

/**
 * Refunds followed to the end: the ledger keeps every refund it asked for until the payment service
 * reports it done (REFUNDED or PARTIAL_REFUND with its refundId). A FAILED report schedules the same
 * refund again (same refundId, the next attempt) after a backoff that doubles per attempt; after
 * MAX_REFUND_ATTEMPTS failures the refund is dropped from the retries and stays FAILED in the read model,
 * where admins find it (`GET /api/v1/admin/refunds?status=FAILED`).
 *
 * Why here and not in the payment service: the ledger's timers are durable (a changelogged store, a
 * wall-clock punctuator, exactly-once with the task's outputs), so a retry survives any restart; the
 * payment service may be another team's, which the ledger cannot count on to retry; and the refundId stays
 * the provider's idempotence key across attempts, so an attempt that did go through is never paid twice.
 * The delays have no jitter: they are deterministic so that a replay decides the same, and the failures
 * of different refunds land at different times anyway.
 */

/** Attempts of one refund before it is left to an admin. */
export const MAX_REFUND_ATTEMPTS = 5

/** The delay before the first retry; each next one doubles, up to REFUND_RETRY_MAX_DELAY_MS. */
export const REFUND_RETRY_BASE_DELAY_MS = 30_000
export const REFUND_RETRY_MAX_DELAY_MS = 60 * 60_000

/** A refund the ledger asked for and has not seen completed. */
export interface TrackedRefund {
  /** The latest request sent for it (its `attempt` is the attempt under way or failed). */
  readonly request: RefundRequest
  /** REQUESTED: the attempt is with the payment service; FAILED: it failed, retried at `retryAtMs`. */
  readonly status: 'REQUESTED' | 'FAILED'
  readonly retryAtMs: number | null
}

/** The delay before attempt `failedAttempt + 1`. */
export function refundRetryDelayMs(failedAttempt: number): number {
  return Math.min(REFUND_RETRY_BASE_DELAY_MS * 2 ** Math.max(0, failedAttempt - 1), REFUND_RETRY_MAX_DELAY_MS)
}

/** A refund request just emitted: tracked as REQUESTED. */
export function trackRefund(request: RefundRequest): TrackedRefund {
  return { request, status: 'REQUESTED', retryAtMs: null }
}

/**
 * A refund's status from the payment service (`status.refundId` set) against the tracked refund: the new
 * tracking, or null when the refund leaves the retries (completed, or failed for the last time). A report of
 * another attempt than the one under way (a late or repeated one) changes nothing, nor does any report of
 * a refund no longer tracked.
 */
export function refundStatusLanded(
  tracked: TrackedRefund | undefined,
  status: PaymentStatusChanged,
  nowMs: number,
): TrackedRefund | null | undefined {
  if (tracked === undefined || tracked.status !== 'REQUESTED') return undefined
  if (status.refundAttempt !== null && status.refundAttempt !== tracked.request.attempt) return undefined
  switch (status.status) {
    case 'REFUNDED':
    case 'PARTIAL_REFUND':
      return null
    case 'FAILED':
      if (tracked.request.attempt >= MAX_REFUND_ATTEMPTS) return null
      return { ...tracked, status: 'FAILED', retryAtMs: nowMs + refundRetryDelayMs(tracked.request.attempt) }
    default:
      return undefined
  }
}

/** The retry of a FAILED refund due at `nowMs`: the same refund, its next attempt; undefined if not due. */
export function dueRefundRetry(tracked: TrackedRefund, nowMs: number): LedgerOutput | undefined {
  if (tracked.status !== 'FAILED' || tracked.retryAtMs === null || tracked.retryAtMs > nowMs) return undefined
  return {
    to: 'refund-requests',
    value: { ...tracked.request, attempt: tracked.request.attempt + 1, requestedAtMs: nowMs },
  }
}
