import type { ClickHouseClient } from '@clickhouse/client'
import { bookingStats, type BookingStatsRow } from './booking-stats.ts'
import { conversions, type ConversionRow } from './conversions.ts'
import { eventStats, type EventStats } from './event-stats.ts'
import { eventsStats, type EventsStats } from './events-ranking.ts'
import { reviewStats, type ReviewStats } from './review-stats.ts'
import type { DateRange, Granularity } from './stats-range.ts'
import { statsSource } from './stats-source.ts'
import type { StatsViewer } from './stats-viewer.ts'

/** The stats the API serves (GET /api/v1/events/{id}/stats, /stats/events, /stats/bookings, /stats/conversions). */
export interface StatsQueries {
  /** Throws EVENT_NOT_FOUND (404) for an event analytics never saw, FORBIDDEN (403) for another organizer's. */
  eventStats(
    viewer: StatsViewer,
    eventId: string,
    range: DateRange,
    granularity: Granularity,
  ): Promise<EventStats>
  eventsStats(
    viewer: StatsViewer,
    range: DateRange,
    granularity: Granularity,
    options?: { limit?: number },
  ): Promise<EventsStats>
  bookingStats(
    viewer: StatsViewer,
    range: DateRange,
    granularity: Granularity,
    options?: { eventId?: string },
  ): Promise<BookingStatsRow[]>
  conversions(
    viewer: StatsViewer,
    range: DateRange,
    granularity: Granularity,
    options?: { eventId?: string },
  ): Promise<ConversionRow[]>
  /** Reviews, average rating (and over time), helpful votes, review rate = reviews / attendees. */
  reviewStats(
    viewer: StatsViewer,
    range: DateRange,
    granularity: Granularity,
    options?: { eventId?: string },
  ): Promise<ReviewStats>
}

/**
 * Stats over the daily aggregates, Fastify-free: the API maps viewers from tokens, errors to responses,
 * and `Accept: text/csv` to `toCsv`. Periods without any fact are absent from series (no zero filling).
 * Reads: event_daily (one event, an organizer's events), platform_daily (an admin's series), event_monthly
 * (ranking events over the whole months of a range, event_daily for the days around them). Every query
 * checks its range first (VALIDATION_FAILED, 400). One file per query family: event-stats.ts,
 * events-ranking.ts, booking-stats.ts, conversions.ts.
 *
 * @example
 *   const stats = createStatsQueries({ client, database: 'aquastream_analytics' })
 *   await stats.conversions({ role: 'ADMIN' }, { from: '2026-01-01', to: '2026-01-31' }, 'week')
 */
export function createStatsQueries(options: {
  client: ClickHouseClient
  database?: string
  /** The wall clock (epoch ms) that says whether an event has ended; default `Date.now`. */
  now?: () => number
}): StatsQueries {
  const source = statsSource(options)
  return {
    eventStats: (viewer, eventId, range, granularity) =>
      eventStats(source, viewer, eventId, range, granularity),
    eventsStats: (viewer, range, granularity, opts) => eventsStats(source, viewer, range, granularity, opts),
    bookingStats: (viewer, range, granularity, opts) =>
      bookingStats(source, viewer, range, granularity, opts),
    conversions: (viewer, range, granularity, opts) => conversions(source, viewer, range, granularity, opts),
    reviewStats: (viewer, range, granularity, opts) => reviewStats(source, viewer, range, granularity, opts),
  }
}
