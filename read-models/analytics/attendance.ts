/**
 * Attendance from the check-in facts (migrations/0005_check_ins.sql): per booking, its confirmed seats now
 * (the sum of its `confirmed_seats_delta`) and its checked-in seats (the `seats` its CHECKED_IN facts
 * admitted); per event, organizer or the platform, the sums of those and attendance = checked-in seats /
 * confirmed seats. No-shows: once an event has ended, its confirmed bookings without any check-in (count and
 * seats). Read from booking_facts with FINAL, so even a fact written twice by someone else counts once; the
 * sink itself never writes a record twice.
 */
import type { DateRange } from './stats-range.ts'
import type { StatsSource } from './stats-source.ts'
import type { StatsViewer } from './stats-viewer.ts'

/** Confirmed bookings without a check-in after their event ended. */
export interface NoShows {
  readonly bookings: number
  readonly seats: number
}

/** What the check-ins of some bookings add up to. */
export interface AttendanceFigures {
  /** Bookings with confirmed seats now. */
  readonly confirmedBookings: number
  /** Their confirmed seats now (cancellations and seat changes applied). */
  readonly confirmedSeats: number
  /** Bookings with at least one seat checked in. */
  readonly checkedInBookings: number
  /** Seats admitted by every CHECKED_IN fact. */
  readonly checkedInSeats: number
  /** checkedInSeats / confirmedSeats; null without confirmed seats. */
  readonly attendance: number | null
}

/** One event's attendance; `noShows` null until the event has ended. */
export interface EventAttendance extends AttendanceFigures {
  readonly noShows: NoShows | null
}

/** An event of {@link AttendanceStats}. */
export interface EventAttendanceRow extends EventAttendance {
  readonly eventId: string
  readonly organizerId: string
  readonly title: string
  readonly startsAt: string
  readonly endsAt: string
}

/**
 * Attendance of the events a viewer sees whose start falls in a range: the totals (an organizer's events,
 * or the platform's for an admin), per organizer, and per event (the first `limit` by start).
 */
export interface AttendanceStats extends AttendanceFigures {
  /** Events starting in the range. */
  readonly events: number
  /** No-shows of the events that have ended. */
  readonly noShows: NoShows
  readonly byOrganizer: readonly (AttendanceFigures & { organizerId: string; events: number })[]
  readonly byEvent: readonly EventAttendanceRow[]
}

const ratio = (checked: number, confirmed: number): number | null =>
  confirmed === 0 ? null : checked / confirmed

/** The per-booking figures of `bookings` (a booking_facts filter), summed per `groupBy`. */
const perBooking = (db: string, where: string, groupBy: string): string => `
  SELECT ${groupBy}
         countIf(confirmed > 0) AS confirmedBookings, sum(confirmed) AS confirmedSeats,
         countIf(checked > 0) AS checkedInBookings, sum(checked) AS checkedInSeats,
         countIf(confirmed > 0 AND checked = 0) AS idleBookings,
         sumIf(confirmed, confirmed > 0 AND checked = 0) AS idleSeats
  FROM (SELECT event_id, booking_id, sum(confirmed_seats_delta) AS confirmed,
               sumIf(seats, type = 'CHECKED_IN') AS checked
        FROM ${db}.booking_facts FINAL WHERE booking_id != '' AND ${where}
        GROUP BY event_id, booking_id)`

interface Sums {
  confirmedBookings: number
  confirmedSeats: number
  checkedInBookings: number
  checkedInSeats: number
  idleBookings: number
  idleSeats: number
}

const figuresOf = (s: Sums): AttendanceFigures => ({
  confirmedBookings: Number(s.confirmedBookings),
  confirmedSeats: Number(s.confirmedSeats),
  checkedInBookings: Number(s.checkedInBookings),
  checkedInSeats: Number(s.checkedInSeats),
  attendance: ratio(Number(s.checkedInSeats), Number(s.confirmedSeats)),
})

const NONE: Sums = {
  confirmedBookings: 0,
  confirmedSeats: 0,
  checkedInBookings: 0,
  checkedInSeats: 0,
  idleBookings: 0,
  idleSeats: 0,
}

/** One event's attendance (its whole history, whatever range the rest of its stats cover). */
export async function eventAttendance(source: StatsSource, eventId: string): Promise<EventAttendance> {
  const { db } = source
  const [row] = await source.select<Sums & { ended: number }>(
    `SELECT *, (SELECT argMax(ends_at, version) FROM ${db}.event_dim WHERE event_id = {eventId:String})
                 < fromUnixTimestamp64Milli({now:Int64}, 'UTC') AS ended
     FROM (${perBooking(db, 'event_id = {eventId:String}', '')})`,
    { eventId, now: source.now() },
  )
  const sums = row ?? { ...NONE, ended: 0 }
  return {
    ...figuresOf(sums),
    noShows:
      Number(sums.ended) === 1
        ? { bookings: Number(sums.idleBookings), seats: Number(sums.idleSeats) }
        : null,
  }
}

/** Attendance of the events the viewer sees that start in `range` (GET /api/v1/stats/events). */
export async function attendanceStats(
  source: StatsSource,
  viewer: StatsViewer,
  range: DateRange,
  limit: number,
): Promise<AttendanceStats> {
  const { db } = source
  const organizer = viewer.role === 'ORGANIZER' ? 'AND organizer_id = {organizerId:String}' : ''
  const events = `SELECT event_id, argMax(organizer_id, version) AS organizer_id, argMax(title, version) AS title,
        argMax(starts_at, version) AS starts_at, argMax(ends_at, version) AS ends_at
      FROM ${db}.event_dim GROUP BY event_id
      HAVING toDate(starts_at) BETWEEN {from:Date} AND {to:Date} ${organizer}`
  const rows = await source.select<
    Sums & { eventId: string; organizerId: string; title: string; startsAtMs: number; endsAtMs: number }
  >(
    `SELECT e.event_id AS eventId, e.organizer_id AS organizerId, e.title AS title,
            toUnixTimestamp64Milli(e.starts_at) AS startsAtMs, toUnixTimestamp64Milli(e.ends_at) AS endsAtMs,
            a.confirmedBookings AS confirmedBookings, a.confirmedSeats AS confirmedSeats,
            a.checkedInBookings AS checkedInBookings, a.checkedInSeats AS checkedInSeats,
            a.idleBookings AS idleBookings, a.idleSeats AS idleSeats
     FROM (${events}) AS e
     LEFT JOIN (${perBooking(db, `event_id IN (SELECT event_id FROM (${events}))`, 'event_id,')} GROUP BY event_id) AS a
       ON a.event_id = e.event_id
     ORDER BY startsAtMs, eventId`,
    {
      from: range.from,
      to: range.to,
      ...(viewer.role === 'ORGANIZER' ? { organizerId: viewer.organizerId } : {}),
    },
  )
  const now = source.now()
  const sum = (list: readonly Sums[]): Sums =>
    list.reduce(
      (a, r) => ({
        confirmedBookings: a.confirmedBookings + Number(r.confirmedBookings),
        confirmedSeats: a.confirmedSeats + Number(r.confirmedSeats),
        checkedInBookings: a.checkedInBookings + Number(r.checkedInBookings),
        checkedInSeats: a.checkedInSeats + Number(r.checkedInSeats),
        idleBookings: a.idleBookings + Number(r.idleBookings),
        idleSeats: a.idleSeats + Number(r.idleSeats),
      }),
      NONE,
    )
  const ended = rows.filter((r) => Number(r.endsAtMs) < now)
  const idle = sum(ended)
  const organizers = [...new Set(rows.map((r) => r.organizerId))].sort()
  return {
    events: rows.length,
    ...figuresOf(sum(rows)),
    noShows: { bookings: idle.idleBookings, seats: idle.idleSeats },
    byOrganizer: organizers.map((organizerId) => {
      const own = rows.filter((r) => r.organizerId === organizerId)
      return { organizerId, events: own.length, ...figuresOf(sum(own)) }
    }),
    byEvent: rows.slice(0, limit).map((r) => ({
      eventId: r.eventId,
      organizerId: r.organizerId,
      title: r.title,
      startsAt: new Date(Number(r.startsAtMs)).toISOString(),
      endsAt: new Date(Number(r.endsAtMs)).toISOString(),
      ...figuresOf(r),
      noShows:
        Number(r.endsAtMs) < now ? { bookings: Number(r.idleBookings), seats: Number(r.idleSeats) } : null,
    })),
  }
}
