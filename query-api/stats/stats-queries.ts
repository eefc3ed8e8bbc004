import type { ClickHouseClient } from '@clickhouse/client'
import { checkDatabaseName, DEFAULT_ANALYTICS_DATABASE } from '../../infra/clickhouse/migrate.ts'
import { CodedError } from '../../streams/errors.ts'

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

const MEASURES = `sum(views) AS views, uniqMerge(unique_viewers) AS uniqueViewers,
  sum(favorites_added) AS favoritesAdded, sum(favorites_removed) AS favoritesRemoved,
  sum(requests) AS requests, sum(holds) AS holds, sum(confirmed) AS confirmed, sum(rejected) AS rejected,
  sum(canceled) AS canceled, sum(expired) AS expired, sum(payment_failed) AS paymentFailed,
  sum(seats_held) AS seatsHeld, sum(seats_confirmed) AS seatsConfirmed, sum(seats_released) AS seatsReleased,
  sum(revenue_minor) AS revenueMinor, sum(revenue_refund_minor) AS revenueRefundMinor,
  sum(revenue_minor) - sum(revenue_refund_minor) AS netRevenueMinor, sum(promo_uses) AS promoUses,
  sum(refunds) AS refunds, sum(refund_minor) AS refundMinor, sum(payments_completed) AS paymentsCompleted,
  sum(payments_failed) AS paymentsFailed, sum(events_published) AS eventsPublished,
  sum(events_canceled) AS eventsCanceled`

/** MEASURES without the unique-viewer sketch: cheap enough to rank thousands of events. */
const RANKING_MEASURES = MEASURES.replace(
  'uniqMerge(unique_viewers) AS uniqueViewers',
  'toUInt64(0) AS uniqueViewers',
)

/** The columns RANKING_MEASURES reads: never the aggregate-state columns (heavy to read). */
const RANKING_COLUMNS = `event_id, views, favorites_added, favorites_removed, requests, holds, confirmed, rejected,
  canceled, expired, payment_failed, seats_held, seats_confirmed, seats_released, revenue_minor,
  revenue_refund_minor, promo_uses, refunds, refund_minor, payments_completed, payments_failed,
  events_published, events_canceled`

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

/**
 * Stats over the daily aggregates, Fastify-free: the API maps viewers from tokens, errors to responses,
 * and `Accept: text/csv` to `toCsv`. Periods without any fact are absent from series (no zero filling).
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
  /** The series from event_daily (scoped) or platform_daily (admin, no event). */
  const series = (viewer: StatsViewer, range: DateRange, granularity: Granularity, eventId?: string) => {
    checkRange(range, granularity)
    const table = viewer.role === 'ADMIN' && eventId === undefined ? 'platform_daily' : 'event_daily'
    const where = table === 'platform_daily' ? '' : scope(viewer, eventId)
    return select<StatsRow>(
      `SELECT toString(${PERIOD[granularity]}) AS period, ${MEASURES}
       FROM ${db}.${table} WHERE ${inRange} ${where} GROUP BY period ORDER BY period`,
      params(viewer, range, eventId),
    )
  }

  return {
    async eventStats(viewer, eventId, range, granularity) {
      checkRange(range, granularity)
      const [event] = await select<{
        organizerId: string
        title: string
        status: string
        capacity: number
        seatsTaken: number
      }>(
        `SELECT argMax(organizer_id, version) AS organizerId, argMax(title, version) AS title,
           argMax(status, version) AS status, argMax(capacity, version) AS capacity,
           (SELECT argMaxMerge(seats_taken) FROM ${db}.event_daily WHERE event_id = {eventId:String}) AS seatsTaken
         FROM ${db}.event_dim WHERE event_id = {eventId:String} HAVING count() > 0`,
        { eventId },
      )
      if (event === undefined)
        throw new CodedError('EVENT_NOT_FOUND', `no analytics for event ${eventId}`, { httpStatus: 404 })
      if (viewer.role !== 'ADMIN' && event.organizerId !== viewer.organizerId)
        throw new CodedError('FORBIDDEN', 'organizers see the stats of their own events only', {
          httpStatus: 403,
        })
      const p = { ...params({ role: 'ADMIN' }, range), eventId }
      const [rows, totals, priceOptions, promoCodes, refundsByReason] = await Promise.all([
        series({ role: 'ADMIN' }, range, granularity, eventId),
        select<StatsRow>(
          `SELECT {from:String} AS period, ${MEASURES} FROM ${db}.event_daily
           WHERE ${inRange} AND event_id = {eventId:String}`,
          p,
        ),
        select<EventStats['priceOptions'][number]>(
          `SELECT d.price_option_id AS priceOptionId, any(o.name) AS name, sum(d.holds) AS holds,
             sum(d.confirmed) AS confirmed, sum(d.canceled) AS canceled, sum(d.seats_confirmed) AS seatsConfirmed,
             sum(d.revenue_minor) AS revenueMinor, sum(d.revenue_refund_minor) AS revenueRefundMinor
           FROM ${db}.price_option_daily AS d
           LEFT JOIN (SELECT price_option_id, argMax(name, version) AS name FROM ${db}.price_option_dim
                      WHERE event_id = {eventId:String} GROUP BY price_option_id) AS o
             ON d.price_option_id = o.price_option_id
           WHERE d.event_id = {eventId:String} AND d.day BETWEEN {from:Date} AND {to:Date}
           GROUP BY priceOptionId ORDER BY priceOptionId`,
          p,
        ),
        select<EventStats['promoCodes'][number]>(
          `SELECT promo_code AS promoCode, sum(uses) AS uses, sum(seats) AS seats, sum(amount_minor) AS amountMinor
           FROM ${db}.promo_daily WHERE event_id = {eventId:String} AND ${inRange}
           GROUP BY promoCode ORDER BY promoCode`,
          p,
        ),
        select<EventStats['refundsByReason'][number]>(
          `SELECT reason, sum(refunds) AS refunds, sum(amount_minor) AS amountMinor
           FROM ${db}.refund_daily WHERE event_id = {eventId:String} AND ${inRange}
           GROUP BY reason ORDER BY reason`,
          p,
        ),
      ])
      return {
        eventId,
        ...event,
        range,
        granularity,
        series: rows,
        totals: { ...ZERO, ...totals[0], period: range.from },
        priceOptions,
        promoCodes,
        refundsByReason,
      }
    },

    async eventsStats(viewer, range, granularity, opts = {}) {
      const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 100), 1), 1000)
      const [rows, events] = await Promise.all([
        series(viewer, range, granularity),
        select<EventsStats['events'][number]>(
          `SELECT d.event_id AS eventId, any(e.organizer_id) AS organizerId, any(e.title) AS title, ${RANKING_MEASURES}
           FROM (SELECT ${RANKING_COLUMNS} FROM ${db}.event_daily WHERE ${inRange} ${scope(viewer)}) AS d
           LEFT JOIN (SELECT event_id, argMax(organizer_id, version) AS organizer_id, argMax(title, version) AS title
                      FROM ${db}.event_dim GROUP BY event_id) AS e ON d.event_id = e.event_id
           GROUP BY eventId ORDER BY revenueMinor DESC, views DESC, eventId LIMIT {limit:UInt32}`,
          { ...params(viewer, range), limit },
        ),
      ])
      return { range, granularity, series: rows, events }
    },

    async bookingStats(viewer, range, granularity, opts = {}) {
      checkRange(range, granularity)
      const platform = viewer.role === 'ADMIN' && opts.eventId === undefined
      return select<BookingStatsRow>(
        `SELECT toString(${PERIOD[granularity]}) AS period, type, status, reason_code AS reasonCode,
           sum(bookings) AS bookings, sum(seats) AS seats, sum(amount_minor) AS amountMinor,
           sum(refund_minor) AS refundMinor
         FROM ${db}.${platform ? 'booking_status_platform_daily' : 'booking_status_daily'}
         WHERE ${inRange} ${platform ? '' : scope(viewer, opts.eventId)}
         GROUP BY period, type, status, reasonCode ORDER BY period, type, status, reasonCode`,
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
