import { checkRange, IN_RANGE, PERIOD, type DateRange, type Granularity } from './stats-range.ts'
import type { StatsSource } from './stats-source.ts'
import { dailyOf, viewerParams, type StatsViewer } from './stats-viewer.ts'

/** The booking facts of one period with one (type, status, reason code), and what they moved. */
export interface BookingStatsRow {
  period: string
  type: string
  status: string
  reasonCode: string
  bookings: number
  seats: number
  amountMinor: number
  refundMinor: number
}

/**
 * Booking facts per period by type, status and reason code (GET /api/v1/stats/bookings): the `outcomes`
 * breakdown of the daily tables as rows, over what the viewer sees (one event with `eventId`).
 */
export async function bookingStats(
  source: StatsSource,
  viewer: StatsViewer,
  range: DateRange,
  granularity: Granularity,
  opts: { eventId?: string } = {},
): Promise<BookingStatsRow[]> {
  checkRange(range, granularity)
  const { table, where } = dailyOf(source.db, viewer, opts.eventId)
  return source.select<BookingStatsRow>(
    `SELECT period, o.1.1 AS type, o.1.2 AS status, o.1.3 AS reasonCode, o.2 AS bookings, o.3 AS seats,
           o.4 AS amountMinor, o.5 AS refundMinor
         FROM (SELECT toString(${PERIOD[granularity]}) AS period, sumMap(outcomes) AS m
               FROM ${table} WHERE ${IN_RANGE} ${where} GROUP BY period)
         ARRAY JOIN arrayZip(m.1, m.2, m.3, m.4, m.5) AS o
         ORDER BY period, type, status, reasonCode`,
    viewerParams(viewer, range, opts.eventId),
  )
}
