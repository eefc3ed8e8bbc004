import { ServiceError } from '../../processors/index.ts'

/**
 * The time side of every stats query: the range and the bucket a caller asks for, checked once, and how a
 * range splits into whole months (the monthly rollup) and the days around them.
 */

/** The bucket of a series: UTC days, ISO weeks (starting Monday), calendar months. */
export type Granularity = 'day' | 'week' | 'month'

/** Inclusive UTC dates, `YYYY-MM-DD`. */
export interface DateRange {
  readonly from: string
  readonly to: string
}

/** The SQL of a period's first day, from the `day` column of the daily tables. */
export const PERIOD: Record<Granularity, string> = {
  day: 'day',
  week: 'toMonday(day)',
  month: 'toStartOfMonth(day)',
}

/** The condition of a daily table's rows inside the range (parameters `from` and `to`). */
export const IN_RANGE = 'day BETWEEN {from:Date} AND {to:Date}'

const DATE = /^\d{4}-\d{2}-\d{2}$/
const MAX_RANGE_DAYS = 3700

/** Checks a range and granularity; throws VALIDATION_FAILED (400). */
export function checkRange(range: DateRange, granularity: Granularity): void {
  const invalid = (message: string): never => {
    throw new ServiceError('VALIDATION_FAILED', message, { details: { ...range, granularity } })
  }
  if (!(granularity in PERIOD)) invalid('granularity must be day, week or month')
  const from = Date.parse(`${range.from}T00:00:00Z`)
  const to = Date.parse(`${range.to}T00:00:00Z`)
  if (!DATE.test(range.from) || !DATE.test(range.to) || Number.isNaN(from) || Number.isNaN(to))
    invalid('from and to must be dates, YYYY-MM-DD')
  if (to < from) invalid('from must not be after to')
  if ((to - from) / 86_400_000 > MAX_RANGE_DAYS) invalid(`a range spans at most ${MAX_RANGE_DAYS} days`)
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
