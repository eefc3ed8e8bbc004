import type { Granularity, DateRange } from './stats-range.ts'
import { checkRange } from './stats-range.ts'
import type { StatsSource } from './stats-source.ts'
import { viewerScope, type StatsViewer } from './stats-viewer.ts'

/** Review figures over the reviews submitted in a range (each review as its latest fact shows it). */
export interface ReviewTotals {
  /** Reviews submitted and not deleted (pending, active, rejected). */
  readonly reviews: number
  readonly activeReviews: number
  /** Mean rating of the ACTIVE reviews, 1 decimal; null with none. */
  readonly averageRating: number | null
  /** Helpful votes on the ACTIVE reviews. */
  readonly helpfulVotes: number
  /** Participants: (event, user) pairs with a CONFIRMED booking, over the events in scope. */
  readonly attendees: number
  /** reviews / attendees, 3 decimals; null with no attendee. */
  readonly reviewRate: number | null
}

export interface ReviewStats {
  readonly range: DateRange
  readonly granularity: Granularity
  readonly totals: ReviewTotals
  /** The average rating over time: ACTIVE reviews by the period they were submitted in. */
  readonly series: { period: string; activeReviews: number; averageRating: number }[]
}

const PERIOD_OF: Readonly<Record<Granularity, string>> = {
  day: 'toDate(submitted)',
  week: 'toMonday(submitted)',
  month: 'toStartOfMonth(submitted)',
}

/**
 * Review stats for a viewer (an admin: the platform, or one event; an organizer: their events), from
 * review_facts (each review's latest fact) and booking_facts (who attended). Throws VALIDATION_FAILED (400)
 * for a bad range.
 */
export async function reviewStats(
  source: StatsSource,
  viewer: StatsViewer,
  range: DateRange,
  granularity: Granularity,
  options: { eventId?: string } = {},
): Promise<ReviewStats> {
  checkRange(range, granularity)
  const { db, select } = source
  const scope = viewerScope(db, viewer, options.eventId)
  const params = {
    from: range.from,
    to: range.to,
    ...(viewer.role === 'ORGANIZER' ? { organizerId: viewer.organizerId } : {}),
    ...(options.eventId === undefined ? {} : { eventId: options.eventId }),
  }
  // One event's facts are in one partition, in order: the highest offset of a review is its latest fact.
  const latest = `SELECT review_id, argMax(status, source_offset) AS status,
      argMax(rating, source_offset) AS rating, argMax(helpful_count, source_offset) AS helpful,
      min(submitted_at) AS submitted
    FROM ${db}.review_facts FINAL WHERE 1 ${scope} GROUP BY review_id
    HAVING toDate(submitted) >= toDate({from:String}) AND toDate(submitted) <= toDate({to:String})`
  const [[totals], [attended], series] = await Promise.all([
    select<{ reviews: number; activeReviews: number; averageRating: number | null; helpfulVotes: number }>(
      `SELECT countIf(status != 'DELETED') AS reviews, countIf(status = 'ACTIVE') AS activeReviews,
         if(activeReviews = 0, NULL, round(avgIf(rating, status = 'ACTIVE'), 1)) AS averageRating,
         sumIf(helpful, status = 'ACTIVE') AS helpfulVotes
       FROM (${latest})`,
      params,
    ),
    select<{ attendees: number }>(
      `SELECT uniqExact(event, attendee) AS attendees FROM
         (SELECT booking_id, any(event_id) AS event, any(user_id) AS attendee,
            argMax(status, source_offset) AS last_status
          FROM ${db}.booking_facts FINAL WHERE booking_id != '' AND type != 'REJECTED' ${scope}
          GROUP BY booking_id)
       WHERE last_status = 'CONFIRMED'`,
      params,
    ),
    select<{ period: string; activeReviews: number; averageRating: number }>(
      `SELECT toString(${PERIOD_OF[granularity]}) AS period, count() AS activeReviews,
         round(avg(rating), 1) AS averageRating
       FROM (${latest}) WHERE status = 'ACTIVE' GROUP BY period ORDER BY period`,
      params,
    ),
  ])
  const reviews = Number(totals?.reviews ?? 0)
  const attendees = Number(attended?.attendees ?? 0)
  return {
    range,
    granularity,
    totals: {
      reviews,
      activeReviews: Number(totals?.activeReviews ?? 0),
      averageRating:
        totals?.averageRating === null || totals === undefined ? null : Number(totals.averageRating),
      helpfulVotes: Number(totals?.helpfulVotes ?? 0),
      attendees,
      reviewRate: attendees === 0 ? null : Math.round((reviews / attendees) * 1000) / 1000,
    },
    series: series.map((row) => ({ ...row, averageRating: Number(row.averageRating) })),
  }
}
