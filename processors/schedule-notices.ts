import { notify, type LedgerOutput } from './ledger-outputs.ts'
import { awaitsReconfirmation, isActive, type BookingState, type EventState } from './ledger-state.ts'

/**
 * The notification an active booking's user gets for a schedule change (reschedule or restore: re-confirm,
 * and a full refund on cancel until the start), or a CONFIRMED booking's user for the 24-hour reminder
 * (which repeats the call to re-confirm while one is awaited). Nothing for other bookings. Keyed by the
 * event's version (a change) or start (a reminder), so each cause notifies once.
 */
export function scheduleNotice(
  event: EventState,
  booking: BookingState,
  kind: 'NOTIFY_RESCHEDULED' | 'NOTIFY_RESTORED' | 'REMIND',
  nowMs: number,
): LedgerOutput[] {
  if (kind === 'REMIND') {
    if (booking.status !== 'CONFIRMED') return []
    return [
      notify(
        event,
        booking.userId,
        'event.reminder',
        `event.reminder:${event.eventId}:${event.startsAtMs}:${booking.bookingId}`,
        nowMs,
        {
          bookingId: booking.bookingId,
          startsAtMs: String(event.startsAtMs),
          place: event.place,
          ...(awaitsReconfirmation(event, booking) ? { reconfirmationRequired: 'true' } : {}),
        },
      ),
    ]
  }
  if (!isActive(booking)) return []
  const template = kind === 'NOTIFY_RESCHEDULED' ? 'event.rescheduled' : 'event.schedule_restored'
  return [
    notify(
      event,
      booking.userId,
      template,
      `${template}:${event.eventId}:v${event.version}:${booking.bookingId}`,
      nowMs,
      {
        bookingId: booking.bookingId,
        startsAtMs: String(event.startsAtMs),
        endsAtMs: String(event.endsAtMs),
        place: event.place,
        reconfirmationRequired: 'true',
        fullRefundUntilMs: String(event.startsAtMs),
      },
    ),
  ]
}
