import type { BookingCommand, RefundReason } from '../avro/index.ts'
import { canActOnBooking, canCancelForForceMajeure } from './authorization.ts'
import {
  forbiddenOn,
  refused,
  unchanged,
  type BookingDecision,
  type BookingEffect,
} from './booking-decision.ts'
import { refundCharges, refundTerms } from './booking-refunds.ts'
import { bookingFact, causeOf, notify, type Cause, type LedgerOutput } from './ledger-outputs.ts'
import { isActive, type BookingState, type EventState } from './ledger-state.ts'
import { refuse } from './reason-codes.ts'
import { refundAmount } from './refund-policy.ts'
import { endBooking } from './seat-release.ts'

/**
 * CANCEL: a PENDING_PAYMENT booking freely; a CONFIRMED one until the start with the refund of the
 * policy on the seats' paid value, or in full when the organizer or an admin cancels it (force majeure:
 * admin only), or when the event's schedule changed after the booking was made. A pending seat top-up is
 * released with the booking.
 *
 * Refusals: VALIDATION_FAILED (no payload), BOOKING_NOT_FOUND, FORBIDDEN (not the booking's user, the
 * event's organizer or an admin; force majeure by anyone but an admin), INVALID_BOOKING_STATE (not
 * active, or CONFIRMED and the event has started).
 */
export function cancelBooking(
  event: EventState,
  booking: BookingState | undefined,
  command: BookingCommand,
  nowMs: number,
): BookingDecision {
  const input = command.cancel
  if (input === null) return refused(refuse('VALIDATION_FAILED', 'CANCEL needs the cancel payload'))
  if (booking === undefined) return refused(refuse('BOOKING_NOT_FOUND', `no booking ${input.bookingId}`))
  if (!canActOnBooking(booking, event, command.actor)) return refused(forbiddenOn(booking, command))
  if (input.forceMajeure && !canCancelForForceMajeure(command.actor))
    return refused(refuse('FORBIDDEN', 'only an admin cancels for force majeure'))
  if (!isActive(booking)) return refused(refuse('INVALID_BOOKING_STATE', `booking is ${booking.status}`))
  if (booking.status === 'CONFIRMED' && nowMs >= event.startsAtMs)
    return refused(refuse('INVALID_BOOKING_STATE', 'the event has started'))
  const cause = causeOf(command)
  let wanted = 0
  let reason: RefundReason = 'USER_CANCELED'
  if (booking.status === 'CONFIRMED') {
    const terms = refundTerms(event, booking, command, nowMs)
    const percent = input.forceMajeure ? 100 : terms.percent
    if (input.forceMajeure) reason = 'FORCE_MAJEURE'
    else if (command.actor.userId === booking.userId && terms.rescheduled) reason = 'RESCHEDULE_CANCELED'
    wanted = refundAmount(percent, booking.seatsValueMinor, booking.paidMinor, booking.refundedMinor)
  }
  const ended = endBooking(event, booking, 'CANCELED', 'USER_CANCELED', nowMs)
  const refunded = refundCharges(ended.booking, wanted, reason, cause, nowMs)
  const refund = refunded.refundMinor
  return {
    ok: true,
    event: ended.event,
    booking: refunded.booking,
    outputs: [
      bookingFact(ended.event, refunded.booking, 'CANCELED', cause, nowMs, { refundMinor: refund }),
      notify(
        ended.event,
        booking.userId,
        'booking.canceled',
        `booking.canceled:${booking.bookingId}`,
        nowMs,
        {
          bookingId: booking.bookingId,
          refundMinor: String(refund),
        },
      ),
      ...refunded.outputs,
    ],
    message: `booking canceled, refund ${refund}`,
  }
}

/**
 * Event canceled: every active booking is canceled (a pending top-up with it), a paid one with a full
 * refund of everything paid and not yet refunded, and its user notified. An ended booking is unchanged.
 */
export function cancelForEvent(
  event: EventState,
  booking: BookingState,
  cause: Cause,
  nowMs: number,
): BookingEffect {
  if (!isActive(booking)) return unchanged(event)
  const ended = endBooking(event, booking, 'CANCELED', 'EVENT_CANCELED', nowMs)
  const refunded = refundCharges(
    ended.booking,
    booking.paidMinor - booking.refundedMinor,
    'EVENT_CANCELED',
    cause,
    nowMs,
  )
  const refund = refunded.refundMinor
  const outputs: LedgerOutput[] = [
    bookingFact(ended.event, refunded.booking, 'CANCELED', cause, nowMs, {
      refundMinor: refund,
      reasonCode: 'EVENT_CANCELED',
    }),
    notify(
      ended.event,
      booking.userId,
      'event.canceled',
      `event.canceled:${event.eventId}:${booking.bookingId}`,
      nowMs,
      {
        bookingId: booking.bookingId,
        refundMinor: String(refund),
      },
    ),
    ...refunded.outputs,
  ]
  return { event: ended.event, booking: refunded.booking, outputs }
}
