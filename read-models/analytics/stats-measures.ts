/**
 * What a stats row measures, and the SQL that sums each measure from the daily aggregate tables
 * (migrations/0003_daily_aggregates.sql), in one order shared by the JSON rows and the CSV columns.
 */

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
export const MEASURES = sql(measures('uniqCombinedMerge(14)(unique_viewers)'))

/** The measures of a ranked event: no unique-viewer sketch (event_monthly has none; 0 in the result). */
export const RANKING = measures('toUInt64(0)')
export const RANKING_MEASURES = sql(RANKING)

/** The columns event_monthly and event_daily share, read to rank events. */
export const RANKING_COLUMNS = `event_id, ${PLAIN.map(([column]) => column).join(', ')}`

/** A StatsRow without facts: what a range without any sums to. */
export const ZERO: Omit<StatsRow, 'period'> = {
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
