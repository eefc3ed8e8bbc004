/**
 * The money checks of a payment status against its booking (booking-payment.ts applies them): the currency
 * (the ledger counts RUB only; another is refused and refunded whole) and the amount (more than due is
 * confirmed and the difference refunded; less is refunded whole by booking-payment.ts).
 */
import type { PaymentStatusChanged } from '../avro/index.ts'
import { unchanged, type BookingEffect } from './booking-decision.ts'
import { LEDGER_CURRENCY, refundRequest } from './booking-refunds.ts'
import { bookingFact, notify, TIMER_CAUSE, type LedgerOutput } from './ledger-outputs.ts'
import type { BookingState, EventState } from './ledger-state.ts'

/** The currency of a payment status: null (a status written before currencies were carried) is RUB. */
export function currencyOf(payment: { readonly currency: string | null }): string {
  return payment.currency ?? LEDGER_CURRENCY
}

/**
 * The fields a payment status gained after its first version, as a status of the first version reads:
 * no currency (RUB), no confirmation URL, a status of the payment (no refund), no failure reason.
 */
export const PAYMENT_STATUS_V1_FIELDS = {
  currency: null,
  confirmationUrl: null,
  refundId: null,
  refundAttempt: null,
  failureReason: null,
} as const satisfies Partial<PaymentStatusChanged>

/**
 * A COMPLETED payment in another currency than the booking's: accounted once (a redelivery is a no-op), it
 * counts for nothing in the booking's kopecks (paid and refunded stay as they were), goes back whole in its
 * own currency (refund reason WRONG_CURRENCY), and the booking's fact carries the reason code WRONG_CURRENCY
 * so the case shows; the booking stays as it was (a hold still waits for a payment in roubles).
 */
export function refundForeignCurrency(
  event: EventState,
  booking: BookingState,
  payment: PaymentStatusChanged,
  nowMs: number,
): BookingEffect {
  if (booking.settledPaymentIds.includes(payment.paymentId)) return unchanged(event)
  const request = refundRequest(
    booking,
    payment.amountMinor,
    'WRONG_CURRENCY',
    TIMER_CAUSE,
    nowMs,
    payment.paymentId,
  )
  const refused: BookingState = {
    ...booking,
    settledPaymentIds: [...booking.settledPaymentIds, payment.paymentId],
    refundCount: booking.refundCount + 1,
    updatedAtMs: nowMs,
  }
  return {
    event,
    booking: refused,
    outputs: [
      bookingFact(event, refused, 'LATE_PAYMENT_REFUNDED', TIMER_CAUSE, nowMs, {
        reasonCode: 'WRONG_CURRENCY',
      }),
      inCurrency(request, currencyOf(payment)),
      notify(
        event,
        booking.userId,
        'payment.refunded',
        `payment.refunded:${booking.bookingId}:${payment.paymentId}`,
        nowMs,
        {
          bookingId: booking.bookingId,
          refundMinor: String(payment.amountMinor),
          currency: currencyOf(payment),
          reasonCode: 'WRONG_CURRENCY',
        },
      ),
    ],
  }
}

/** A refund request of an amount in `currency` rather than the ledger's. */
function inCurrency(output: LedgerOutput, currency: string): LedgerOutput {
  if (output.to !== 'refund-requests') return output
  return { to: 'refund-requests', value: { ...output.value, currency } }
}

/**
 * A confirmation (of a hold, a late payment or a top-up) by a payment of more than the `keptMinor` it was
 * due: the difference goes back at once (refund reason OVERPAID, counted on the booking, its charge marked
 * refunded by it), and the confirmation's fact carries the refund and the reason code OVERPAID. An exact
 * payment leaves the effect as it is.
 */
export function withOverpaymentRefunded(
  effect: BookingEffect & { booking: BookingState },
  keptMinor: number,
  payment: PaymentStatusChanged,
  nowMs: number,
): BookingEffect {
  const excess = payment.amountMinor - keptMinor
  if (excess <= 0) return effect
  const booking: BookingState = {
    ...effect.booking,
    refundedMinor: effect.booking.refundedMinor + excess,
    refundCount: effect.booking.refundCount + 1,
  }
  const outputs = effect.outputs.map((output) =>
    output.to === 'booking-events' && output.value.bookingId === booking.bookingId
      ? { to: output.to, value: { ...output.value, refundMinor: excess, reasonCode: 'OVERPAID' } }
      : output,
  )
  return {
    event: effect.event,
    booking,
    outputs: [
      ...outputs,
      refundRequest(effect.booking, excess, 'OVERPAID', TIMER_CAUSE, nowMs, payment.paymentId),
      notify(
        effect.event,
        booking.userId,
        'payment.refunded',
        `payment.refunded:${booking.bookingId}:${payment.paymentId}`,
        nowMs,
        { bookingId: booking.bookingId, refundMinor: String(excess), reasonCode: 'OVERPAID' },
      ),
    ],
  }
}

/** Whether a payment is in the ledger's currency. */
export function inLedgerCurrency(payment: PaymentStatusChanged): boolean {
  return currencyOf(payment) === LEDGER_CURRENCY
}

/** A payment for a booking of the event that the ledger never held: all of it goes back. */
export function refundUnknownBooking(
  event: EventState,
  payment: PaymentStatusChanged,
  nowMs: number,
): BookingEffect {
  return {
    event,
    booking: undefined,
    outputs: [
      {
        to: 'refund-requests',
        value: {
          // No booking to count refunds on: the payment makes the ID unique and stable.
          refundId: `${payment.bookingId}:refund:${payment.paymentId}`,
          eventId: payment.eventId,
          bookingId: payment.bookingId,
          userId: null,
          paymentId: payment.paymentId,
          amountMinor: payment.amountMinor,
          reason: 'UNKNOWN_BOOKING',
          requestId: null,
          requestedAtMs: nowMs,
          currency: currencyOf(payment),
          attempt: 1,
        },
      },
    ],
  }
}
