import { ServiceError } from '../../processors/index.ts'
import { eventAttendance, type EventAttendance } from './attendance.ts'
import { MEASURES, ZERO, type StatsRow } from './stats-measures.ts'
import { checkRange, IN_RANGE, PERIOD, type DateRange, type Granularity } from './stats-range.ts'
import type { StatsSource } from './stats-source.ts'
import { checkViewerSees, viewerParams, type StatsViewer } from './stats-viewer.ts'

/** One event's stats over a range: what it is, its series, its totals and their breakdowns. */
export interface EventStats {
  readonly eventId: string
  readonly organizerId: string
  readonly title: string
  readonly status: string
  readonly capacity: number
  readonly seatsTaken: number
  readonly range: DateRange
  readonly granularity: Granularity
  readonly series: StatsRow[]
  readonly totals: StatsRow
  readonly priceOptions: {
    priceOptionId: string
    name: string
    holds: number
    confirmed: number
    canceled: number
    seatsConfirmed: number
    revenueMinor: number
    revenueRefundMinor: number
  }[]
  readonly promoCodes: { promoCode: string; uses: number; seats: number; amountMinor: number }[]
  readonly refundsByReason: { reason: string; refunds: number; amountMinor: number }[]
  /**
   * Over the event's whole history, whatever the range: checked-in seats against confirmed seats
   * (`attendance`), no-shows once it has ended, and `fillRate` = seats taken / capacity (what was sold,
   * not who came; null without capacity).
   */
  readonly attendance: EventAttendance & { readonly fillRate: number | null }
}

/** A sumMap tuple as JSON: the keys, then one array per measure. */
type Breakdown = [string[], ...number[][]]

/** The breakdown columns of event_daily, summed over a range. */
interface Breakdowns {
  priceOptions: Breakdown
  promos: Breakdown
  refundReasons: Breakdown
}

/** The rows of a sumMap tuple (keys, then one array per measure): `row` gets a key and its measures. */
function rowsOf<T>(breakdown: Breakdown | undefined, row: (key: string, values: number[]) => T): T[] {
  if (breakdown === undefined) return []
  const [keys, ...columns] = breakdown
  return keys.map((key, i) =>
    row(
      key,
      columns.map((column) => Number(column[i])),
    ),
  )
}

/**
 * The stats of one event (GET /api/v1/events/{id}/stats), from event_daily and the dimensions. Throws
 * VALIDATION_FAILED (400) for a bad range, EVENT_NOT_FOUND (404) for an event analytics never saw,
 * FORBIDDEN (403) for another organizer's.
 */
export async function eventStats(
  source: StatsSource,
  viewer: StatsViewer,
  eventId: string,
  range: DateRange,
  granularity: Granularity,
): Promise<EventStats> {
  const { db, select } = source
  checkRange(range, granularity)
  // Three queries at once: what the event is (and who may see it), the series, and the totals over the
  // range (unique viewers merged, not summed) with the breakdowns. A refused viewer gets the error,
  // never the figures.
  const [[event], series, [totals], attendance] = await Promise.all([
    select<{
      organizerId: string
      title: string
      status: string
      capacity: number
      seatsTaken: number
      optionNames: [string, string][]
    }>(
      `SELECT argMax(organizer_id, version) AS organizerId, argMax(title, version) AS title,
             argMax(status, version) AS status, argMax(capacity, version) AS capacity,
             (SELECT argMaxMerge(seats_taken) FROM ${db}.event_daily WHERE event_id = {eventId:String}) AS seatsTaken,
             (SELECT groupArray((price_option_id, name)) FROM
               (SELECT price_option_id, argMax(name, version) AS name FROM ${db}.price_option_dim
                WHERE event_id = {eventId:String} GROUP BY price_option_id)) AS optionNames
           FROM ${db}.event_dim WHERE event_id = {eventId:String} HAVING count() > 0`,
      { eventId },
    ),
    select<StatsRow>(
      `SELECT toString(${PERIOD[granularity]}) AS period, ${MEASURES}
           FROM ${db}.event_daily WHERE event_id = {eventId:String} AND ${IN_RANGE}
           GROUP BY period ORDER BY period`,
      { ...viewerParams({ role: 'ADMIN' }, range), eventId },
    ),
    select<Omit<StatsRow, 'period'> & Breakdowns>(
      `SELECT ${MEASURES}, sumMap(price_options) AS priceOptions, sumMap(promos) AS promos,
             sumMap(refund_reasons) AS refundReasons
           FROM ${db}.event_daily WHERE event_id = {eventId:String} AND ${IN_RANGE}`,
      { ...viewerParams({ role: 'ADMIN' }, range), eventId },
    ),
    eventAttendance(source, eventId),
  ])
  if (event === undefined) throw new ServiceError('EVENT_NOT_FOUND', `no analytics for event ${eventId}`)
  checkViewerSees(viewer, event)
  const names = new Map(event.optionNames)
  const { optionNames: _, ...info } = event
  const measuresOf = ({
    priceOptions: _p,
    promos: _r,
    refundReasons: _f,
    ...row
  }: Omit<StatsRow, 'period'> & Breakdowns) => row
  return {
    eventId,
    ...info,
    range,
    granularity,
    series,
    totals: { ...ZERO, ...(totals === undefined ? {} : measuresOf(totals)), period: range.from },
    priceOptions: rowsOf(totals?.priceOptions, (id, v) => ({
      priceOptionId: id,
      name: names.get(id) ?? '',
      holds: v[0]!,
      confirmed: v[1]!,
      canceled: v[2]!,
      seatsConfirmed: v[3]!,
      revenueMinor: v[4]!,
      revenueRefundMinor: v[5]!,
    })),
    promoCodes: rowsOf(totals?.promos, (code, v) => ({
      promoCode: code,
      uses: v[0]!,
      seats: v[1]!,
      amountMinor: v[2]!,
    })),
    refundsByReason: rowsOf(totals?.refundReasons, (reason, v) => ({
      reason,
      refunds: v[0]!,
      amountMinor: v[1]!,
    })),
    attendance: {
      ...attendance,
      fillRate: info.capacity > 0 ? Number(info.seatsTaken) / info.capacity : null,
    },
  }
}
