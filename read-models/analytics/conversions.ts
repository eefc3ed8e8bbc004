import type { DateRange, Granularity } from './stats-range.ts'
import { periodSeries } from './stats-series.ts'
import type { StatsSource } from './stats-source.ts'
import type { StatsViewer } from './stats-viewer.ts'

/** The booking funnel of one period: views → requests → holds → confirmed, and each step's ratio. */
export interface ConversionRow {
  period: string
  views: number
  uniqueViewers: number
  requests: number
  holds: number
  confirmed: number
  /** Ratios in [0, 1] (null when the denominator is 0). */
  viewToRequest: number | null
  requestToHold: number | null
  holdToConfirmed: number | null
  viewToConfirmed: number | null
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b)

/** The funnel per period over what the viewer sees (GET /api/v1/stats/conversions), from its series. */
export async function conversions(
  source: StatsSource,
  viewer: StatsViewer,
  range: DateRange,
  granularity: Granularity,
  opts: { eventId?: string } = {},
): Promise<ConversionRow[]> {
  const rows = await periodSeries(source, viewer, range, granularity, opts.eventId)
  return rows.map((r) => ({
    period: r.period,
    views: r.views,
    uniqueViewers: r.uniqueViewers,
    requests: r.requests,
    holds: r.holds,
    confirmed: r.confirmed,
    viewToRequest: ratio(r.requests, r.views),
    requestToHold: ratio(r.holds, r.requests),
    holdToConfirmed: ratio(r.confirmed, r.holds),
    viewToConfirmed: ratio(r.confirmed, r.views),
  }))
}
