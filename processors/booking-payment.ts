import type { PaymentStatusChanged } from '../avro/index.ts'
import { seatsChangedNotice } from './booking-change-seats.ts'
import { confirmedOutputs } from './booking-confirmation.ts'
import { unchanged, type BookingEffect } from './booking-decision.ts'
import { withNewTicket } from './booking-tickets.ts'
import { refundWholePayment } from './booking-refunds.ts'
import { bookingFact, notify, TIMER_CAUSE } from './ledger-outputs.ts'
import {
  inLedgerCurrency,
  refundUnknownBooking,
  refundForeignCurrency,
  withOverpaymentRefunded,
} from './payment-checks.ts'
import {
  pendingTopUp,
  takeSeats,
  usePromo,
  type BookingState,
  type Charge,
  type EventState,
  type SeatTopUp,
  type WaitingListState,
} from './ledger-state.ts'
import type { UserBookings } from './ledger-stores.ts'
import { perUserTerms, userPromoUses } from './promo-codes.ts'
import type { ReasonCode } from './reason-codes.ts'
import { bookingClosed, freeSeats } from './seat-checks.ts'
import { endBooking, releaseTopUp } from './seat-release.ts'
import type { TicketSigner } from './ticket-code.ts'

/**
 * What happens when a payment status lands (the payment service's `payment.status_changed`): a payment
 * confirms a hold or a seat top-up, or is refunded whole when it confirms nothing; a failure releases what
 * it was for. Every step is a no-op on a redelivery, so a status may arrive any number of times.
 */

/**
 * A payment status. A COMPLETED payment in another currency than the ledger's pays for nothing: it is
 * refunded whole in its currency and the booking is flagged WRONG_CURRENCY (it keeps its state). COMPLETED
 * confirms a pending booking (ticket code, user and organizer notified); after
 * expiry or a failure it confirms if seats are still free and the user has no other active booking,
 * otherwise (and for a canceled booking, a second payment, an underpayment) it asks for a full refund of
 * that payment. A payment of more than the amount due confirms and the difference is refunded (refund reason
 * and the confirmation's reason code OVERPAID). On a CONFIRMED booking with a pending seat top-up, COMPLETED of at least the top-up's
 * price confirms the added seats; a payment of a top-up that already ended (expired, failed, withdrawn) is
 * refunded in full, the seats are not taken again (the user may ask for them again). FAILED releases a
 * pending hold or a pending top-up. A COMPLETED payment for a booking the ledger does not know is refunded
 * (UNKNOWN_BOOKING). Redeliveries are no-ops. A confirmation, and a paid top-up, sign the booking's next
 * ticket with `tickets`.
 */
export function applyPayment(
  event: EventState,
  booking: BookingState | undefined,
  user: UserBookings | undefined,
  waitingList: WaitingListState | undefined,
  payment: PaymentStatusChanged,
  nowMs: number,
  tickets: TicketSigner,
): BookingEffect {
  // A refund's status (refundId set) is the refund tracker's (refund-retries.ts), never the booking's.
  if (payment.refundId !== null) return unchanged(event)
  if (booking === undefined)
    return payment.status === 'COMPLETED' ? refundUnknownBooking(event, payment, nowMs) : unchanged(event)
  if (payment.status === 'COMPLETED' && !inLedgerCurrency(payment))
    return refundForeignCurrency(event, booking, payment, nowMs)
  switch (payment.status) {
    case 'INITIATED':
      return paymentStarted(event, booking, payment, nowMs)
    case 'FAILED':
      return paymentFailed(event, booking, payment, nowMs)
    case 'REFUNDED':
    case 'PARTIAL_REFUND':
      return unchanged(event) // the payment service confirming our refund requests: nothing to decide
    case 'COMPLETED':
      return paymentCompleted(event, booking, user, waitingList, payment, nowMs, tickets)
  }
}

/**
 * INITIATED: remembers the payment under way, for the pending top-up if there is one, else for the
 * pending hold, so that only this payment's FAILED releases them.
 */
function paymentStarted(
  event: EventState,
  booking: BookingState,
  payment: PaymentStatusChanged,
  nowMs: number,
): BookingEffect {
  const topUp = pendingTopUp(booking)
  if (topUp !== null) {
    if (topUp.paymentId === payment.paymentId || booking.settledPaymentIds.includes(payment.paymentId))
      return unchanged(event)
    const next = { ...booking, topUp: { ...topUp, paymentId: payment.paymentId }, updatedAtMs: nowMs }
    return { event, booking: next, outputs: [] }
  }
  if (booking.status !== 'PENDING_PAYMENT' || booking.paymentId === payment.paymentId) return unchanged(event)
  return { event, booking: { ...booking, paymentId: payment.paymentId, updatedAtMs: nowMs }, outputs: [] }
}

/** FAILED: releases the pending top-up or the pending hold this payment was started for; else nothing. */
function paymentFailed(
  event: EventState,
  booking: BookingState,
  payment: PaymentStatusChanged,
  nowMs: number,
): BookingEffect {
  const topUp = pendingTopUp(booking)
  if (
    topUp !== null &&
    payment.paymentId !== booking.paymentId &&
    // Only the payment started for this top-up (its INITIATED seen) fails it: a redelivered FAILED of
    // an earlier top-up, or of an abandoned attempt, must not release the seats asked for since.
    topUp.paymentId === payment.paymentId
  )
    return topUpFailed(event, booking, topUp, payment, nowMs)
  // A hold ends on the failure of its latest started payment (any, when none was seen started); an
  // abandoned earlier attempt failing late leaves it to the payment in progress.
  if (booking.status !== 'PENDING_PAYMENT') return unchanged(event)
  if (booking.paymentId !== null && booking.paymentId !== payment.paymentId) return unchanged(event)
  const ended = endBooking(event, booking, 'CANCELED', 'PAYMENT_FAILED', nowMs)
  return {
    ...ended,
    outputs: [
      bookingFact(ended.event, ended.booking, 'PAYMENT_FAILED', TIMER_CAUSE, nowMs, {
        reasonCode: 'PAYMENT_FAILED',
      }),
      notify(
        ended.event,
        booking.userId,
        'payment.failed',
        `payment.failed:${booking.bookingId}:${payment.paymentId}`,
        nowMs,
        {
          bookingId: booking.bookingId,
        },
      ),
    ],
  }
}

/** A top-up's payment failed: its extra seats go back, the booking keeps its confirmed ones. */
function topUpFailed(
  event: EventState,
  booking: BookingState,
  topUp: SeatTopUp,
  payment: PaymentStatusChanged,
  nowMs: number,
): BookingEffect {
  const released = releaseTopUp(event, booking, topUp, 'PAYMENT_FAILED', nowMs)
  return {
    ...released,
    outputs: [
      bookingFact(released.event, released.booking, 'SEATS_CHANGE_RELEASED', TIMER_CAUSE, nowMs, {
        reasonCode: 'PAYMENT_FAILED',
      }),
      notify(
        released.event,
        booking.userId,
        'payment.failed',
        `payment.failed:${booking.bookingId}:${payment.paymentId}`,
        nowMs,
        { bookingId: booking.bookingId, seats: String(booking.seats) },
      ),
    ],
  }
}

/**
 * COMPLETED: the payment is accounted once (a redelivery is a no-op), then it pays what it was for, in
 * this order: a CONFIRMED booking's pending top-up (or it is a duplicate), a pending hold, or an ended
 * booking that may take its seats again; whatever it cannot pay for is refunded whole.
 */
function paymentCompleted(
  event: EventState,
  booking: BookingState,
  user: UserBookings | undefined,
  waitingList: WaitingListState | undefined,
  payment: PaymentStatusChanged,
  nowMs: number,
  tickets: TicketSigner,
): BookingEffect {
  if (booking.settledPaymentIds.includes(payment.paymentId)) return unchanged(event)
  const settled: BookingState = {
    ...booking,
    paidMinor: booking.paidMinor + payment.amountMinor,
    paymentId: booking.status === 'CONFIRMED' ? booking.paymentId : payment.paymentId,
    settledPaymentIds: [...booking.settledPaymentIds, payment.paymentId],
    updatedAtMs: nowMs,
  }
  if (settled.status === 'CONFIRMED') return paymentOfConfirmed(event, settled, payment, nowMs, tickets)
  // The payment started for a top-up of a booking that has ended since: late, whatever its amount.
  if (settled.topUp !== null && settled.topUp.paymentId === payment.paymentId)
    return refundWholePayment(event, settled, payment, 'LATE_PAYMENT', 'INVALID_BOOKING_STATE', nowMs)
  if (payment.amountMinor < settled.amountMinor)
    return refundWholePayment(event, settled, payment, 'UNDERPAID', 'VALIDATION_FAILED', nowMs)
  if (settled.status === 'PENDING_PAYMENT') {
    const confirmed = confirmedBy(settled, payment, tickets)
    return withOverpaymentRefunded(
      { event, booking: confirmed, outputs: confirmedOutputs(event, confirmed, TIMER_CAUSE, nowMs) },
      settled.amountMinor,
      payment,
      nowMs,
    )
  }
  return latePayment(event, settled, user, waitingList, payment, nowMs, tickets)
}

/**
 * A payment on a CONFIRMED booking (`settled`: with the payment accounted): it pays the pending top-up if
 * it covers its price; a payment of a top-up that ended unpaid, an underpayment of the top-up, or a second
 * payment of the booking is refunded whole.
 */
function paymentOfConfirmed(
  event: EventState,
  settled: BookingState,
  payment: PaymentStatusChanged,
  nowMs: number,
  tickets: TicketSigner,
): BookingEffect {
  const topUp = pendingTopUp(settled)
  if (topUp !== null) {
    if (payment.amountMinor < topUp.amountMinor)
      return refundWholePayment(event, settled, payment, 'UNDERPAID', 'VALIDATION_FAILED', nowMs)
    const kept = topUp.amountMinor
    const changed = withNewTicket(
      {
        ...settled,
        seats: topUp.seats,
        amountMinor: settled.amountMinor + kept,
        seatsValueMinor: settled.seatsValueMinor + kept,
        charges: [...settled.charges, chargeOf(payment, payment.amountMinor - kept)],
        topUp: { ...topUp, paymentId: payment.paymentId, status: 'PAID' },
      },
      tickets,
    )
    return withOverpaymentRefunded(
      {
        event,
        booking: changed,
        outputs: [
          bookingFact(event, changed, 'SEATS_CHANGED', TIMER_CAUSE, nowMs),
          seatsChangedNotice(event, changed, topUp.requestId, nowMs),
        ],
      },
      kept,
      payment,
      nowMs,
    )
  }
  // The payment started for a top-up that ended unpaid (expired, failed, withdrawn): late.
  if (settled.topUp !== null && settled.topUp.paymentId === payment.paymentId)
    return refundWholePayment(event, settled, payment, 'LATE_PAYMENT', 'INVALID_BOOKING_STATE', nowMs)
  return refundWholePayment(event, settled, payment, 'DUPLICATE_PAYMENT', 'DUPLICATE_BOOKING', nowMs)
}

/**
 * A payment of the full amount after the booking ended. Canceled bookings are refunded; one that expired
 * or whose payment failed takes its seats (and promo use) again and confirms, if the event still takes
 * bookings, the user has no other active booking, and the seats and the promo code are still there;
 * otherwise it is refunded whole with the reason it could not be.
 */
function latePayment(
  event: EventState,
  settled: BookingState,
  user: UserBookings | undefined,
  waitingList: WaitingListState | undefined,
  payment: PaymentStatusChanged,
  nowMs: number,
  tickets: TicketSigner,
): BookingEffect {
  if (settled.endCause !== 'EXPIRED' && settled.endCause !== 'PAYMENT_FAILED')
    return refundWholePayment(event, settled, payment, 'LATE_PAYMENT', 'INVALID_BOOKING_STATE', nowMs)
  const blocked = whyNotRetaken(event, settled, user, waitingList, nowMs)
  if (blocked !== undefined)
    return refundWholePayment(event, settled, payment, 'LATE_PAYMENT', blocked, nowMs)
  const retaken = usePromo(takeSeats(event, settled.priceOptionId, settled.seats), settled.promoCode, 1)
  const confirmed: BookingState = { ...confirmedBy(settled, payment, tickets), endCause: null }
  return withOverpaymentRefunded(
    { event: retaken, booking: confirmed, outputs: confirmedOutputs(retaken, confirmed, TIMER_CAUSE, nowMs) },
    settled.amountMinor,
    payment,
    nowMs,
  )
}

/** Why an ended booking cannot take its seats again now (its refund's reason code); undefined if it can. */
function whyNotRetaken(
  event: EventState,
  booking: BookingState,
  user: UserBookings | undefined,
  waitingList: WaitingListState | undefined,
  nowMs: number,
): ReasonCode | undefined {
  const closed = bookingClosed(event, nowMs)
  if (closed !== undefined) return closed.reasonCode
  const active = user?.activeBookingId
  if (active !== undefined && active !== booking.bookingId) return 'DUPLICATE_BOOKING'
  if (freeSeats(event, booking.priceOptionId, waitingList, booking.userId) < booking.seats)
    return 'NO_AVAILABLE_SEATS'
  if (booking.promoCode !== null) {
    const promo = event.promoCodes.find((p) => p.code === booking.promoCode)
    if (promo === undefined || promo.used >= promo.usageLimit) return 'PROMO_EXHAUSTED'
    // The ended booking holds no use: the user's other bookings are what count against the limit.
    const limit = perUserTerms(promo).maxUsesPerUser
    if (limit !== null && userPromoUses(user?.promoBookings ?? [], promo) >= limit) return 'PROMO_USER_LIMIT'
  }
  return undefined
}

/** The charge a payment leaves; `refundedMinor`: what of it goes back at once (an overpayment). */
function chargeOf(payment: PaymentStatusChanged, refundedMinor = 0): Charge {
  return { paymentId: payment.paymentId, amountMinor: payment.amountMinor, refundedMinor }
}

/**
 * The booking (`settled`: with the payment accounted) confirmed by `payment`: what the payment brought, up
 * to the amount due, is its net charge and its seats' value, and its ticket is issued.
 */
function confirmedBy(
  settled: BookingState,
  payment: PaymentStatusChanged,
  tickets: TicketSigner,
): BookingState {
  // What the booking keeps of the payment: at most its amount due (withOverpaymentRefunded returns the rest).
  const kept = Math.min(payment.amountMinor, settled.amountMinor)
  return withNewTicket(
    {
      ...settled,
      amountMinor: kept,
      seatsValueMinor: kept,
      charges: [...settled.charges, chargeOf(payment, payment.amountMinor - kept)],
      status: 'CONFIRMED',
      holdExpiresAtMs: null,
    },
    tickets,
  )
}
