import { MEASURES, type StatsRow } from './stats-measures.ts'
import { checkRange, IN_RANGE, PERIOD, type DateRange, type Granularity } from './stats-range.ts'
import type { StatsSource } from './stats-source.ts'
import { dailyOf, viewerParams, type StatsViewer } from './stats-viewer.ts'

/**
 * Every measure per period of `range` over what `viewer` sees (one event with `eventId`, else all of its
 * events), in period order. Periods without any fact are absent (no zero filling). Throws
 * VALIDATION_FAILED (400) for a bad range or granularity.
 */
export async function periodSeries(
  source: StatsSource,
  viewer: StatsViewer,
  range: DateRange,
  granularity: Granularity,
  eventId?: string,
): Promise<StatsRow[]> {
  checkRange(range, granularity)
  const { table, where } = dailyOf(source.db, viewer, eventId)
  return source.select<StatsRow>(
    `SELECT toString(${PERIOD[granularity]}) AS period, ${MEASURES}
       FROM ${table} WHERE ${IN_RANGE} ${where} GROUP BY period ORDER BY period`,
    viewerParams(viewer, range, eventId),
  )
}
