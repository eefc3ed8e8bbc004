import type { BookingCommand, PaymentStatusChanged, RefundReason } from '../avro/index.ts'
import type { BookingEffect } from './booking-decision.ts'
import { bookingFact, notify, TIMER_CAUSE, type Cause, type LedgerOutput } from './ledger-outputs.ts'
import type { BookingState, EventState } from './ledger-state.ts'
import type { ReasonCode } from './reason-codes.ts'
import { refundPercent } from './refund-policy.ts'

/**
 * The currency of every price, booking, charge and refund the ledger counts (amounts in its minor unit);
 * booking-payment.ts has the rule for payments in another.
 */
export const LEDGER_CURRENCY = 'RUB'

/**
 * How much a booking gets back and from which payments: the terms of a cancellation or seat reduction, the
 * refund requests that return an amount to the booking's charges, and the whole refund of a payment that
 * pays for nothing. The sum of a booking's refunds never exceeds what it was paid (refund-policy.ts
 * `refundAmount` caps the amount, the charges cap each part).
 */

/**
 * A refund request with a deterministic ID (the booking's refund count, so a replay asks for the same
 * refund); the caller caps the amount and counts the refund on the booking.
 */
export function refundRequest(
  booking: BookingState,
  amountMinor: number,
  reason: RefundReason,
  cause: Cause,
  nowMs: number,
  paymentId: string | null,
): LedgerOutput {
  return {
    to: 'refund-requests',
    value: {
      refundId: `${booking.bookingId}:refund:${booking.refundCount}`,
      eventId: booking.eventId,
      bookingId: booking.bookingId,
      userId: booking.userId,
      paymentId,
      amountMinor,
      reason,
      requestId: cause.requestId,
      requestedAtMs: nowMs,
      currency: LEDGER_CURRENCY,
      attempt: 1,
    },
  }
}

/**
 * Refunds up to `amountMinor` back to the booking's charges, newest first (a top-up's payment before the
 * original one), one refund request per payment, each within what is left of that payment. Returns the
 * booking with its refunds counted, the amount refunded (less than asked only if the charges hold less)
 * and the requests.
 */
export function refundCharges(
  booking: BookingState,
  amountMinor: number,
  reason: RefundReason,
  cause: Cause,
  nowMs: number,
): { booking: BookingState; refundMinor: number; outputs: LedgerOutput[] } {
  let current = booking
  let left = amountMinor
  const charges = [...booking.charges]
  const outputs: LedgerOutput[] = []
  for (let i = charges.length - 1; i >= 0 && left > 0; i--) {
    const charge = charges[i]!
    const part = Math.min(left, charge.amountMinor - charge.refundedMinor)
    if (part <= 0) continue
    outputs.push(refundRequest(current, part, reason, cause, nowMs, charge.paymentId))
    charges[i] = { ...charge, refundedMinor: charge.refundedMinor + part }
    current = { ...current, refundCount: current.refundCount + 1 }
    left -= part
  }
  const refundMinor = amountMinor - left
  return {
    booking: { ...current, charges, refundedMinor: booking.refundedMinor + refundMinor },
    refundMinor,
    outputs,
  }
}

/**
 * The percent of a CONFIRMED booking's seat value a cancellation or seat reduction refunds: all of it when
 * someone other than the booking's user acts (the organizer or an admin) or when the event's schedule
 * changed after the booking was made (re-confirmed or not: MISSION.md keeps that right until the start),
 * else the event's refund policy at `nowMs`.
 */
export function refundTerms(
  event: EventState,
  booking: BookingState,
  command: BookingCommand,
  nowMs: number,
): { percent: number; rescheduled: boolean } {
  const rescheduled = event.lastRescheduledAtMs !== null && booking.createdAtMs < event.lastRescheduledAtMs
  if (command.actor.userId !== booking.userId || rescheduled) return { percent: 100, rescheduled }
  return { percent: refundPercent(event.refundPolicy, event.startsAtMs, nowMs), rescheduled }
}

/**
 * A COMPLETED payment that pays for nothing goes back whole (it is no charge of the booking): the refund is
 * counted on `settled` (the booking with the payment accounted), requested for that payment, and the user
 * told why (`reasonCode`: the refusal the payment met, e.g. DUPLICATE_BOOKING for a second payment).
 */
export function refundWholePayment(
  event: EventState,
  settled: BookingState,
  payment: PaymentStatusChanged,
  reason: RefundReason,
  reasonCode: ReasonCode,
  nowMs: number,
): BookingEffect {
  const refunded: BookingState = {
    ...settled,
    refundedMinor: settled.refundedMinor + payment.amountMinor,
    refundCount: settled.refundCount + 1,
  }
  return {
    event,
    booking: refunded,
    outputs: [
      bookingFact(event, refunded, 'LATE_PAYMENT_REFUNDED', TIMER_CAUSE, nowMs, {
        refundMinor: payment.amountMinor,
        reasonCode,
      }),
      refundRequest(settled, payment.amountMinor, reason, TIMER_CAUSE, nowMs, payment.paymentId),
      notify(
        event,
        settled.userId,
        'payment.refunded',
        `payment.refunded:${settled.bookingId}:${payment.paymentId}`,
        nowMs,
        {
          bookingId: settled.bookingId,
          refundMinor: String(payment.amountMinor),
          reasonCode,
        },
      ),
    ],
  }
}
