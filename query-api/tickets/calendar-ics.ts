/**
 * iCalendar files (RFC 5545, written by `ical-generator`) of an event and of a booking: one VEVENT in a
 * `METHOD:PUBLISH` calendar, so a calendar application adds it and updates it when the file is fetched
 * again. What makes an update replace the entry it updates:
 *
 * - `UID` is stable: `<eventId>@aquastream` for the event, `<bookingId>.booking@aquastream` for a
 *   booking (its own entry: it carries the holder's meeting point and seats, which the event's public entry
 *   may not; the two never overwrite each other);
 * - `SEQUENCE` only grows, and grows on every reschedule: the event's `version`, which every snapshot of
 *   the event raises (a reschedule, a restored schedule, a cancellation, an edit); for a booking, the
 *   event's version plus the booking's (a seat change raises it too). The catalog keeps no separate
 *   reschedule counter, and a version that grows on other edits as well is what RFC 5545 allows (the
 *   sequence must grow on significant changes, it may grow on any);
 * - `DTSTART`/`DTEND` are UTC instants (`…Z`): unambiguous in any application, no VTIMEZONE needed;
 * - `STATUS:CANCELLED` for a canceled event (or booking), `TENTATIVE` for a draft (its organizer's only),
 *   `CONFIRMED` otherwise.
 *
 * Ticket codes never go into a calendar file: calendars are synced to third-party services, and the code
 * is what checks the holder in.
 */
import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator'
import type { BookingView, EventDetails } from '../../read-models/catalog/index.ts'

/** One calendar entry, as `renderCalendar` writes it. Instants are ISO 8601. */
export interface CalendarEntry {
  readonly uid: string
  readonly sequence: number
  readonly title: string
  readonly description: string
  readonly location: string
  readonly startsAt: string
  readonly endsAt: string
  readonly status: 'CONFIRMED' | 'TENTATIVE' | 'CANCELLED'
  /** When the entry's facts last changed (`LAST-MODIFIED`). */
  readonly updatedAt: string
}

/** The product that writes the files (`PRODID`). */
const PRODUCT = { company: 'Aquastream', product: 'backend-event', language: 'RU' } as const
/** Longest description put into a file (the event's own may be 5,000 characters). */
const MAX_DESCRIPTION_CHARS = 2000

/**
 * The calendar file of `entry`: `BEGIN:VCALENDAR` … `END:VCALENDAR` with CRLF line endings, lines folded
 * at 75 octets, text escaped, as RFC 5545 asks.
 */
export function renderCalendar(entry: CalendarEntry, now: Date = new Date()): string {
  const calendar = ical({ prodId: PRODUCT, method: ICalCalendarMethod.PUBLISH, name: entry.title })
  calendar.createEvent({
    id: entry.uid,
    sequence: entry.sequence,
    stamp: now,
    lastModified: new Date(entry.updatedAt),
    start: new Date(entry.startsAt),
    end: new Date(entry.endsAt),
    summary: entry.title,
    description: clip(entry.description),
    location: entry.location,
    status: STATUS[entry.status],
  })
  return calendar.toString()
}

const STATUS = {
  CONFIRMED: ICalEventStatus.CONFIRMED,
  TENTATIVE: ICalEventStatus.TENTATIVE,
  CANCELLED: ICalEventStatus.CANCELLED,
} as const

function statusOf(event: EventDetails): CalendarEntry['status'] {
  if (event.status === 'CANCELED') return 'CANCELLED'
  return event.status === 'DRAFT' ? 'TENTATIVE' : 'CONFIRMED'
}

/**
 * The entry of an event as `viewer` sees it: the `event` the read model answered for that viewer, so a
 * guest's entry has the area only (GET /events/{id} gives guests no meeting point, `place` is null).
 */
export function eventCalendarEntry(event: EventDetails): CalendarEntry {
  return {
    uid: `${event.id}@aquastream`,
    sequence: event.version,
    title: event.title,
    description: event.description,
    location: event.place ?? event.area,
    startsAt: event.startsAt,
    endsAt: event.endsAt,
    status: statusOf(event),
    updatedAt: event.updatedAt,
  }
}

/**
 * The entry of a booking: the event with its full place (the holder is entitled to it), the seats and the
 * price option in the description; CANCELLED when the booking or the event is.
 */
export function bookingCalendarEntry(booking: BookingView, event: EventDetails): CalendarEntry {
  const option = event.priceOptions.find((o) => o.id === booking.priceOptionId)?.name ?? null
  const lines = [
    `Бронирование / Booking: ${booking.id}`,
    `Мест / Seats: ${booking.seats}`,
    ...(option === null ? [] : [`Тариф / Price option: ${option}`]),
    '',
    event.description,
  ]
  const updatedAt = booking.updatedAt > event.updatedAt ? booking.updatedAt : event.updatedAt
  return {
    uid: `${booking.id}.booking@aquastream`,
    sequence: event.version + booking.version,
    title: event.title,
    description: lines.join('\n'),
    location: event.place ?? event.area,
    startsAt: event.startsAt,
    endsAt: event.endsAt,
    status: booking.status === 'CANCELED' ? 'CANCELLED' : statusOf(event),
    updatedAt,
  }
}

function clip(text: string): string {
  return text.length > MAX_DESCRIPTION_CHARS ? `${text.slice(0, MAX_DESCRIPTION_CHARS - 1)}…` : text
}
