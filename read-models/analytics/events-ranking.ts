import { attendanceStats, type AttendanceStats } from './attendance.ts'
import { RANKING, RANKING_COLUMNS, RANKING_MEASURES, type StatsRow } from './stats-measures.ts'
import { checkRange, splitByMonths, type DateRange, type Granularity } from './stats-range.ts'
import { periodSeries } from './stats-series.ts'
import type { StatsSource } from './stats-source.ts'
import { viewerParams, viewerScope, type StatsViewer } from './stats-viewer.ts'

/** The events a viewer sees over a range: their series summed, and the top events. */
export interface EventsStats {
  readonly range: DateRange
  readonly granularity: Granularity
  /** Every visible event summed per period. */
  readonly series: StatsRow[]
  /** Per event over the whole range, the top `limit` by revenue then views (`uniqueViewers` is 0 here). */
  readonly events: (Omit<StatsRow, 'period'> & { eventId: string; organizerId: string; title: string })[]
  /**
   * Check-ins against confirmed seats of the visible events that start in the range: the viewer's total
   * (an organizer's events, the platform for an admin), per organizer, and per event with its no-shows (the
   * first `limit` by start).
   */
  readonly attendance: AttendanceStats
}

/**
 * The series of every event the viewer sees and the top `limit` events (1-1000, default 100) by revenue
 * then views (GET /api/v1/stats/events). The ranking reads event_monthly for the whole months of the range
 * and event_daily for the days around them: a long range reads about one row per event and month, not one
 * per event and day.
 */
export async function eventsStats(
  source: StatsSource,
  viewer: StatsViewer,
  range: DateRange,
  granularity: Granularity,
  opts: { limit?: number } = {},
): Promise<EventsStats> {
  const { db } = source
  checkRange(range, granularity)
  const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 100), 1), 1000)
  const { months, edges } = splitByMonths(range)
  const arms: string[] = []
  const p: Record<string, unknown> = { ...viewerParams(viewer, range), limit }
  if (months.from !== months.until) {
    arms.push(`SELECT ${RANKING_COLUMNS} FROM ${db}.event_monthly
          WHERE month >= {monthsFrom:Date} AND month < {monthsUntil:Date} ${viewerScope(db, viewer)}`)
    Object.assign(p, { monthsFrom: months.from, monthsUntil: months.until })
  }
  edges.forEach((edge, i) => {
    arms.push(`SELECT ${RANKING_COLUMNS} FROM ${db}.event_daily
          WHERE day BETWEEN {edgeFrom${i}:Date} AND {edgeTo${i}:Date} ${viewerScope(db, viewer)}`)
    Object.assign(p, { [`edgeFrom${i}`]: edge.from, [`edgeTo${i}`]: edge.to })
  })
  const [rows, events, attendance] = await Promise.all([
    periodSeries(source, viewer, range, granularity),
    source.select<EventsStats['events'][number]>(
      `SELECT r.eventId AS eventId, e.organizer_id AS organizerId, e.title AS title,
             ${RANKING.map(([, name]) => `r.${name} AS ${name}`).join(', ')}
           FROM (SELECT event_id AS eventId, ${RANKING_MEASURES} FROM (${arms.join(' UNION ALL ')})
                 GROUP BY eventId ORDER BY revenueMinor DESC, views DESC, eventId LIMIT {limit:UInt32}) AS r
           LEFT JOIN (SELECT event_id, argMax(organizer_id, version) AS organizer_id, argMax(title, version) AS title
                      FROM ${db}.event_dim GROUP BY event_id) AS e ON r.eventId = e.event_id
           ORDER BY r.revenueMinor DESC, r.views DESC, r.eventId`,
      p,
    ),
    attendanceStats(source, viewer, range, limit),
  ])
  return { range, granularity, series: rows, events, attendance }
}
