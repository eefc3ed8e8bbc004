import type { BookingCommand } from '../avro/index.ts'
import { canChangeBooking } from './authorization.ts'
import { forbiddenOn, refused, type BookingDecision } from './booking-decision.ts'
import { bookingFact, causeOf, notify } from './ledger-outputs.ts'
import { awaitsReconfirmation, isActive, type BookingState, type EventState } from './ledger-state.ts'
import { refuse } from './reason-codes.ts'

/**
 * RECONFIRM: the booking's user (or an admin) accepts the event's changed schedule. Taken for an active
 * booking made before the latest reschedule or restore and not yet re-confirmed for it, until the start.
 * It records the acceptance (the organizer's headcount for the new schedule) and nothing else: the
 * full-refund right a schedule change gives stays until the start, re-confirmed or not (MISSION.md), and
 * a booking never re-confirmed stays as it is.
 *
 * Refusals: VALIDATION_FAILED (no payload), BOOKING_NOT_FOUND, FORBIDDEN (not the booking's user or an
 * admin), INVALID_BOOKING_STATE (not active, or the event has started), RECONFIRMATION_NOT_REQUIRED.
 */
export function reconfirmBooking(
  event: EventState,
  booking: BookingState | undefined,
  command: BookingCommand,
  nowMs: number,
): BookingDecision {
  const input = command.reconfirm
  if (input === null) return refused(refuse('VALIDATION_FAILED', 'RECONFIRM needs its payload'))
  if (booking === undefined) return refused(refuse('BOOKING_NOT_FOUND', `no booking ${input.bookingId}`))
  if (!canChangeBooking(booking, command.actor)) return refused(forbiddenOn(booking, command))
  if (!isActive(booking)) return refused(refuse('INVALID_BOOKING_STATE', `booking is ${booking.status}`))
  if (nowMs >= event.startsAtMs) return refused(refuse('INVALID_BOOKING_STATE', 'the event has started'))
  const changedAtMs = event.lastRescheduledAtMs
  if (changedAtMs === null || !awaitsReconfirmation(event, booking))
    return refused(
      refuse(
        'RECONFIRMATION_NOT_REQUIRED',
        changedAtMs === null || booking.createdAtMs >= changedAtMs
          ? 'the schedule has not changed since the booking was made'
          : 'the booking is re-confirmed for the current schedule already',
      ),
    )
  const next: BookingState = {
    ...booking,
    reconfirmation: { scheduleChangedAtMs: changedAtMs, atMs: nowMs },
    updatedAtMs: nowMs,
  }
  return {
    ok: true,
    event,
    booking: next,
    outputs: [
      bookingFact(event, next, 'RECONFIRMED', causeOf(command), nowMs),
      notify(
        event,
        booking.userId,
        'booking.reconfirmed',
        `booking.reconfirmed:${booking.bookingId}:${changedAtMs}`,
        nowMs,
        {
          bookingId: booking.bookingId,
          startsAtMs: String(event.startsAtMs),
          endsAtMs: String(event.endsAtMs),
          place: event.place,
          fullRefundUntilMs: String(event.startsAtMs),
        },
      ),
    ],
    message: 're-confirmed for the current schedule; a full refund on cancel stays open until the start',
  }
}
