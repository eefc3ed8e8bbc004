import type { ClickHouseClient } from '@clickhouse/client'
import { checkDatabaseName, DEFAULT_ANALYTICS_DATABASE } from './migrate.ts'
import { CodedError } from '../../streams/index.ts'

/** The bucket of a series: UTC days, ISO weeks (starting Monday), calendar months. */
export type Granularity = 'day' | 'week' | 'month'

/** Inclusive UTC dates, `YYYY-MM-DD`. */
export interface DateRange {
  readonly from: string
  readonly to: string
}

/** Who asks: an admin sees every event, an organizer only the events it organizes. */
export type StatsViewer =
  { readonly role: 'ADMIN' } | { readonly role: 'ORGANIZER'; readonly organizerId: string }

/** One period of the daily aggregates (money in kopecks). `period` is the first day of the bucket. */
export interface StatsRow {
  period: string
  views: number
  uniqueViewers: number
  favoritesAdded: number
  favoritesRemoved: number
  requests: number
  holds: number
  confirmed: number
  rejected: number
  canceled: number
  expired: number
  paymentFailed: number
  /** RECONFIRMED facts: participants who accepted a changed schedule. */
  reconfirmed: number
  seatsHeld: number
  seatsConfirmed: number
  seatsReleased: number
  revenueMinor: number
  revenueRefundMinor: number
  netRevenueMinor: number
  promoUses: number
  refunds: number
  refundMinor: number
  paymentsCompleted: number
  paymentsFailed: number
  eventsPublished: number
  eventsCanceled: number
}

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
}

export interface EventsStats {
  readonly range: DateRange
  readonly granularity: Granularity
  /** Every visible event summed per period. */
  readonly series: StatsRow[]
  /** Per event over the whole range, the top `limit` by revenue then views (`uniqueViewers` is 0 here). */
  readonly events: (Omit<StatsRow, 'period'> & { eventId: string; organizerId: string; title: string })[]
}

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
}

const PERIOD: Record<Granularity, string> = {
  day: 'day',
  week: 'toMonday(day)',
  month: 'toStartOfMonth(day)',
}

/** The plain measures of the daily tables, in the order of StatsRow (camelCase names). */
const PLAIN = [
  ['views', 'views'],
  ['favorites_added', 'favoritesAdded'],
  ['favorites_removed', 'favoritesRemoved'],
  ['requests', 'requests'],
  ['holds', 'holds'],
  ['confirmed', 'confirmed'],
  ['rejected', 'rejected'],
  ['canceled', 'canceled'],
  ['expired', 'expired'],
  ['payment_failed', 'paymentFailed'],
  ['reconfirmed', 'reconfirmed'],
  ['seats_held', 'seatsHeld'],
  ['seats_confirmed', 'seatsConfirmed'],
  ['seats_released', 'seatsReleased'],
  ['revenue_minor', 'revenueMinor'],
  ['revenue_refund_minor', 'revenueRefundMinor'],
  ['promo_uses', 'promoUses'],
  ['refunds', 'refunds'],
  ['refund_minor', 'refundMinor'],
  ['payments_completed', 'paymentsCompleted'],
  ['payments_failed', 'paymentsFailed'],
  ['events_published', 'eventsPublished'],
  ['events_canceled', 'eventsCanceled'],
] as const

/** The measures of a StatsRow in its order (the CSV columns) as [SQL, name], unique viewers from `uniqueViewers`. */
const measures = (uniqueViewers: string): [string, string][] =>
  PLAIN.flatMap(([column, name]): [string, string][] => [
    [`sum(${column})`, name],
    ...(name === 'views' ? [[uniqueViewers, 'uniqueViewers'] as [string, string]] : []),
    ...(name === 'revenueRefundMinor'
      ? [['sum(revenue_minor) - sum(revenue_refund_minor)', 'netRevenueMinor'] as [string, string]]
      : []),
  ])
const sql = (list: [string, string][]): string =>
  list.map(([expression, name]) => `${expression} AS ${name}`).join(', ')

/** Every measure of a StatsRow from event_daily or platform_daily. */
const MEASURES = sql(measures('uniqCombinedMerge(14)(unique_viewers)'))

/** The measures of a ranked event: no unique-viewer sketch (event_monthly has none; 0 in the result). */
const RANKING = measures('toUInt64(0)')
const RANKING_MEASURES = sql(RANKING)

/** The columns event_monthly and event_daily share, read to rank events. */
const RANKING_COLUMNS = `event_id, ${PLAIN.map(([column]) => column).join(', ')}`

const DATE = /^\d{4}-\d{2}-\d{2}$/
const MAX_RANGE_DAYS = 3700

/** Checks a range and granularity; throws VALIDATION_FAILED (400). */
export function checkRange(range: DateRange, granularity: Granularity): void {
  const invalid = (message: string): never => {
    throw new CodedError('VALIDATION_FAILED', message, {
      httpStatus: 400,
      details: { ...range, granularity },
    })
  }
  if (!(granularity in PERIOD)) invalid('granularity must be day, week or month')
  const from = Date.parse(`${range.from}T00:00:00Z`)
  const to = Date.parse(`${range.to}T00:00:00Z`)
  if (!DATE.test(range.from) || !DATE.test(range.to) || Number.isNaN(from) || Number.isNaN(to))
    invalid('from and to must be dates, YYYY-MM-DD')
  if (to < from) invalid('from must not be after to')
  if ((to - from) / 86_400_000 > MAX_RANGE_DAYS) invalid(`a range spans at most ${MAX_RANGE_DAYS} days`)
}

const numeric = <T>(row: Record<string, unknown>): T =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v]),
  ) as T

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b)

const ZERO: Omit<StatsRow, 'period'> = {
  views: 0,
  uniqueViewers: 0,
  favoritesAdded: 0,
  favoritesRemoved: 0,
  requests: 0,
  holds: 0,
  confirmed: 0,
  rejected: 0,
  canceled: 0,
  expired: 0,
  paymentFailed: 0,
  reconfirmed: 0,
  seatsHeld: 0,
  seatsConfirmed: 0,
  seatsReleased: 0,
  revenueMinor: 0,
  revenueRefundMinor: 0,
  netRevenueMinor: 0,
  promoUses: 0,
  refunds: 0,
  refundMinor: 0,
  paymentsCompleted: 0,
  paymentsFailed: 0,
  eventsPublished: 0,
  eventsCanceled: 0,
}

const DAY_MS = 86_400_000
const dateOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

/**
 * The whole calendar months inside a range, as [first day, first day after) (equal when there is none),
 * and the days of the range outside them (at most two spans, of less than a month each).
 */
export function splitByMonths(range: DateRange): {
  months: { from: string; until: string }
  edges: DateRange[]
} {
  const from = Date.parse(`${range.from}T00:00:00Z`)
  const after = Date.parse(`${range.to}T00:00:00Z`) + DAY_MS
  const monthStart = (ms: number): number => {
    const d = new Date(ms)
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
  }
  const nextMonth = (ms: number): number => {
    const d = new Date(ms)
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
  }
  const monthsFrom = monthStart(from) === from ? from : nextMonth(from)
  const monthsUntil = Math.max(monthsFrom, monthStart(after))
  if (monthsFrom >= monthsUntil) return { months: { from: range.from, until: range.from }, edges: [range] }
  const edges: DateRange[] = []
  if (from < monthsFrom) edges.push({ from: range.from, to: dateOf(monthsFrom - DAY_MS) })
  if (monthsUntil < after) edges.push({ from: dateOf(monthsUntil), to: range.to })
  return { months: { from: dateOf(monthsFrom), until: dateOf(monthsUntil) }, edges }
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
 * Stats over the daily aggregates, Fastify-free: the API maps viewers from tokens, errors to responses,
 * and `Accept: text/csv` to `toCsv`. Periods without any fact are absent from series (no zero filling).
 * Reads: event_daily (one event, an organizer's events), platform_daily (an admin's series), event_monthly
 * (ranking events over the whole months of a range, event_daily for the days around them).
 *
 * @example
 *   const stats = createStatsQueries({ client, database: 'aquastream_analytics' })
 *   await stats.conversions({ role: 'ADMIN' }, { from: '2026-01-01', to: '2026-01-31' }, 'week')
 */
export function createStatsQueries(options: { client: ClickHouseClient; database?: string }): StatsQueries {
  const { client } = options
  const db = checkDatabaseName(options.database ?? DEFAULT_ANALYTICS_DATABASE)
  const select = async <T>(query: string, params: Record<string, unknown>): Promise<T[]> =>
    (
      await (
        await client.query({ query, query_params: params, format: 'JSONEachRow' })
      ).json<Record<string, unknown>>()
    ).map((r) => numeric<T>(r))
  const inRange = 'day BETWEEN {from:Date} AND {to:Date}'
  /** The event filter of a viewer (and an optional event), on a table with `event_id`. */
  const scope = (viewer: StatsViewer, eventId?: string): string => {
    const parts: string[] = []
    if (viewer.role === 'ORGANIZER')
      parts.push(
        `event_id IN (SELECT event_id FROM ${db}.event_dim WHERE organizer_id = {organizerId:String})`,
      )
    if (eventId !== undefined) parts.push('event_id = {eventId:String}')
    return parts.length === 0 ? '' : `AND ${parts.join(' AND ')}`
  }
  const params = (viewer: StatsViewer, range: DateRange, eventId?: string) => ({
    from: range.from,
    to: range.to,
    ...(viewer.role === 'ORGANIZER' ? { organizerId: viewer.organizerId } : {}),
    ...(eventId === undefined ? {} : { eventId }),
  })
  /** platform_daily for an admin's view of every event, else event_daily narrowed to the viewer's events. */
  const daily = (viewer: StatsViewer, eventId?: string) =>
    viewer.role === 'ADMIN' && eventId === undefined
      ? { table: `${db}.platform_daily`, where: '' }
      : { table: `${db}.event_daily`, where: scope(viewer, eventId) }
  const series = (viewer: StatsViewer, range: DateRange, granularity: Granularity, eventId?: string) => {
    checkRange(range, granularity)
    const { table, where } = daily(viewer, eventId)
    return select<StatsRow>(
      `SELECT toString(${PERIOD[granularity]}) AS period, ${MEASURES}
       FROM ${table} WHERE ${inRange} ${where} GROUP BY period ORDER BY period`,
      params(viewer, range, eventId),
    )
  }

  return {
    async eventStats(viewer, eventId, range, granularity) {
      checkRange(range, granularity)
      // Three queries at once: what the event is (and who may see it), the series, and the totals over the
      // range (unique viewers merged, not summed) with the breakdowns. A refused viewer gets the error,
      // never the figures.
      const [[event], series, [totals]] = await Promise.all([
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
           FROM ${db}.event_daily WHERE event_id = {eventId:String} AND ${inRange}
           GROUP BY period ORDER BY period`,
          { ...params({ role: 'ADMIN' }, range), eventId },
        ),
        select<Omit<StatsRow, 'period'> & Breakdowns>(
          `SELECT ${MEASURES}, sumMap(price_options) AS priceOptions, sumMap(promos) AS promos,
             sumMap(refund_reasons) AS refundReasons
           FROM ${db}.event_daily WHERE event_id = {eventId:String} AND ${inRange}`,
          { ...params({ role: 'ADMIN' }, range), eventId },
        ),
      ])
      if (event === undefined)
        throw new CodedError('EVENT_NOT_FOUND', `no analytics for event ${eventId}`, { httpStatus: 404 })
      if (viewer.role !== 'ADMIN' && event.organizerId !== viewer.organizerId)
        throw new CodedError('FORBIDDEN', 'organizers see the stats of their own events only', {
          httpStatus: 403,
        })
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
      }
    },

    async eventsStats(viewer, range, granularity, opts = {}) {
      checkRange(range, granularity)
      const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 100), 1), 1000)
      const { months, edges } = splitByMonths(range)
      const arms: string[] = []
      const p: Record<string, unknown> = { ...params(viewer, range), limit }
      if (months.from !== months.until) {
        arms.push(`SELECT ${RANKING_COLUMNS} FROM ${db}.event_monthly
          WHERE month >= {monthsFrom:Date} AND month < {monthsUntil:Date} ${scope(viewer)}`)
        Object.assign(p, { monthsFrom: months.from, monthsUntil: months.until })
      }
      edges.forEach((edge, i) => {
        arms.push(`SELECT ${RANKING_COLUMNS} FROM ${db}.event_daily
          WHERE day BETWEEN {edgeFrom${i}:Date} AND {edgeTo${i}:Date} ${scope(viewer)}`)
        Object.assign(p, { [`edgeFrom${i}`]: edge.from, [`edgeTo${i}`]: edge.to })
      })
      const [rows, events] = await Promise.all([
        series(viewer, range, granularity),
        select<EventsStats['events'][number]>(
          `SELECT r.eventId AS eventId, e.organizer_id AS organizerId, e.title AS title,
             ${RANKING.map(([, name]) => `r.${name} AS ${name}`).join(', ')}
           FROM (SELECT event_id AS eventId, ${RANKING_MEASURES} FROM (${arms.join(' UNION ALL ')})
                 GROUP BY eventId ORDER BY revenueMinor DESC, views DESC, eventId LIMIT {limit:UInt32}) AS r
           LEFT JOIN (SELECT event_id, argMax(organizer_id, version) AS organizer_id, argMax(title, version) AS title
                      FROM ${db}.event_dim GROUP BY event_id) AS e ON r.eventId = e.event_id
           ORDER BY r.revenueMinor DESC, r.views DESC, r.eventId`,
          p,
        ),
      ])
      return { range, granularity, series: rows, events }
    },

    async bookingStats(viewer, range, granularity, opts = {}) {
      checkRange(range, granularity)
      const { table, where } = daily(viewer, opts.eventId)
      return select<BookingStatsRow>(
        `SELECT period, o.1.1 AS type, o.1.2 AS status, o.1.3 AS reasonCode, o.2 AS bookings, o.3 AS seats,
           o.4 AS amountMinor, o.5 AS refundMinor
         FROM (SELECT toString(${PERIOD[granularity]}) AS period, sumMap(outcomes) AS m
               FROM ${table} WHERE ${inRange} ${where} GROUP BY period)
         ARRAY JOIN arrayZip(m.1, m.2, m.3, m.4, m.5) AS o
         ORDER BY period, type, status, reasonCode`,
        params(viewer, range, opts.eventId),
      )
    },

    async conversions(viewer, range, granularity, opts = {}) {
      const rows = await series(viewer, range, granularity, opts.eventId)
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
    },
  }
}
