/** Reads of `payments` and `refunds` (payment-applier.ts writes them). */
import type { Queryable } from './db.ts'
import { isoOf } from './instants.ts'
import type { PaymentView, RefundListRequest, RefundView } from './payment-views.ts'
import type { Page } from './views.ts'

function toPayment(row: { [column: string]: unknown }): PaymentView {
  return {
    id: row.id as string,
    bookingId: row.booking_id as string,
    eventId: row.event_id as string,
    status: row.status as PaymentView['status'],
    amountMinor: Number(row.amount_minor),
    currency: row.currency as string,
    paidMinor: row.paid_minor === null ? null : Number(row.paid_minor),
    paidCurrency: (row.paid_currency as string | null) ?? null,
    confirmationUrl: (row.confirmation_url as string | null) ?? null,
    failureReason: (row.failure_reason as string | null) ?? null,
    createdAt: isoOf(row.created_at)!,
    updatedAt: isoOf(row.updated_at)!,
  }
}

function toRefund(row: { [column: string]: unknown }): RefundView {
  return {
    id: row.id as string,
    bookingId: row.booking_id as string,
    eventId: row.event_id as string,
    paymentId: (row.payment_id as string | null) ?? null,
    status: row.status as RefundView['status'],
    amountMinor: Number(row.amount_minor),
    currency: row.currency as string,
    reason: row.reason as string,
    attempts: Number(row.attempts),
    failureReason: (row.failure_reason as string | null) ?? null,
    createdAt: isoOf(row.created_at)!,
    updatedAt: isoOf(row.updated_at)!,
  }
}

export async function getPayment(db: Queryable, id: string): Promise<PaymentView | undefined> {
  const [row] = await db.query('SELECT * FROM payments WHERE id = $1', [id])
  return row === undefined ? undefined : toPayment(row)
}

/** A booking's payments and refunds, oldest first. */
export async function bookingPayments(
  db: Queryable,
  bookingId: string,
): Promise<{ payments: PaymentView[]; refunds: RefundView[] }> {
  const payments = await db.query('SELECT * FROM payments WHERE booking_id = $1 ORDER BY created_at, id', [
    bookingId,
  ])
  const refunds = await db.query('SELECT * FROM refunds WHERE booking_id = $1 ORDER BY created_at, id', [
    bookingId,
  ])
  return { payments: payments.map(toPayment), refunds: refunds.map(toRefund) }
}

/** Refunds across events, latest change first, optionally of one status (`page` counts from 0). */
export async function listRefunds(db: Queryable, request: RefundListRequest): Promise<Page<RefundView>> {
  const status = request.status ?? null
  const rows = await db.query(
    `SELECT *, count(*) OVER () AS total FROM refunds WHERE ($1::text IS NULL OR status = $1)
     ORDER BY updated_at DESC, id LIMIT $2 OFFSET $3`,
    [status, request.size, request.page * request.size],
  )
  const total =
    rows.length > 0
      ? Number(rows[0]!.total)
      : Number(
          (
            await db.query<{ n: number }>(
              'SELECT count(*)::integer AS n FROM refunds WHERE ($1::text IS NULL OR status = $1)',
              [status],
            )
          )[0]!.n,
        )
  return { items: rows.map(toRefund), page: request.page, size: request.size, total }
}
