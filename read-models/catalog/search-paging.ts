/**
 * How catalog search orders, pages and counts (event-queries.ts builds the rest of the statement):
 *
 * - **Order.** Every order ends on the event ID, so it is total and pages are stable. `relevance` (the
 *   default with `q`) is `ts_rank` of the viewer's search vector (title A 1.0, description B 0.4, place C
 *   0.2), then soonest first.
 * - **Keyset cursors.** A cursor is the sort key of the last row of a page (base64url JSON, tied to the
 *   order it was made for); the next page is the rows after it in the order, found by the sort index
 *   instead of skipping `page × size` rows, so deep pages cost what the first one does.
 * - **Bounded totals.** Counting stops at `COUNT_BOUND`: beyond it `total` is `COUNT_BOUND` and
 *   `totalIsEstimate` is true ("more than 1,000"). An exact count of a broad match rechecks every matching
 *   row (117 ms for a word matching 15,670 of 100,000 events); the bounded one reads at most 1,001.
 */
import type { EventSortField } from './views.ts'

/** Totals are exact up to this many matches. */
export const COUNT_BOUND = 1000

/** One key of an order: its SQL expression, the cast its cursor value binds with, its direction. */
interface SortKey {
  readonly sql: string
  readonly cast: 'text' | 'timestamptz' | 'bigint' | 'float8' | 'real'
  readonly dir: 'ASC' | 'DESC'
  /** NULLs sort last in both directions (`NULLS LAST`). */
  readonly nullable: boolean
  /** The column the value comes back in (see `cursorAfter`). */
  readonly column: string
}

export interface SearchOrder {
  /** The order's name in cursors: `startsAt,asc`, `relevance`, … */
  readonly signature: string
  readonly keys: readonly SortKey[]
  /** Extra select-list items the keys need (the rank). */
  readonly select: string
}

const COLUMNS: Readonly<Record<Exclude<EventSortField, 'relevance'>, [string, SortKey['cast'], boolean]>> = {
  startsAt: ['starts_at', 'timestamptz', false],
  price: ['price_from', 'bigint', true],
  title: ['title', 'text', false],
  createdAt: ['created_at', 'timestamptz', false],
  rating: ['rating', 'float8', true],
}

const key = (column: string, cast: SortKey['cast'], dir: SortKey['dir'], nullable = false): SortKey => ({
  sql: `e.${column}`,
  cast,
  dir,
  nullable,
  column,
})

/**
 * The order of a search. `rank` is the SQL of the relevance rank when the search has a `q` (else
 * `relevance` falls back to soonest first).
 */
export function searchOrder(
  sort: { field: EventSortField; dir: 'asc' | 'desc' } | undefined,
  rank: string | undefined,
): SearchOrder {
  const field = sort?.field ?? (rank !== undefined ? 'relevance' : 'startsAt')
  if (field === 'relevance' && rank !== undefined)
    return {
      signature: 'relevance',
      keys: [
        { sql: rank, cast: 'real', dir: 'DESC', nullable: false, column: 'sort_rank' },
        key('starts_at', 'timestamptz', 'ASC'),
        key('id', 'text', 'ASC'),
      ],
      select: `, ${rank} AS sort_rank`,
    }
  if (field === 'relevance') return searchOrder(undefined, undefined)
  const dir = sort?.dir === 'desc' ? 'DESC' : 'ASC'
  const [column, cast, nullable] = COLUMNS[field]
  return {
    signature: `${field},${dir.toLowerCase()}`,
    keys: [key(column, cast, dir, nullable), key('id', 'text', dir)],
    select: '',
  }
}

/** `ORDER BY` of an order (nullable keys put NULLs last both ways, matching the catalog's sort indexes). */
export function orderBy(order: SearchOrder): string {
  return order.keys.map((k) => `${k.sql} ${k.dir}${k.nullable ? ' NULLS LAST' : ''}`).join(', ')
}

type CursorValue = string | number | null

/** The cursor after `row` (a row selected with the order's keys) in `order`. */
export function cursorAfter(order: SearchOrder, row: Record<string, unknown>): string {
  const values = order.keys.map((k): CursorValue => {
    const value = row[k.column]
    if (value === null || value === undefined) return null
    if (value instanceof Date) return value.toISOString()
    return typeof value === 'number' ? value : String(value)
  })
  return Buffer.from(JSON.stringify({ o: order.signature, v: values })).toString('base64url')
}

/**
 * The sort-key values of a cursor made for `order`, or undefined when it is not one (garbled, or made
 * for another order: a cursor is only meaningful in the order that produced it).
 */
export function decodeCursor(order: SearchOrder, cursor: string): CursorValue[] | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const { o, v } = parsed as { o?: unknown; v?: unknown }
  if (o !== order.signature || !Array.isArray(v) || v.length !== order.keys.length) return undefined
  const ok = v.every((value: unknown, i) =>
    value === null
      ? order.keys[i]!.nullable
      : order.keys[i]!.cast === 'text' || order.keys[i]!.cast === 'timestamptz'
        ? typeof value === 'string' && (order.keys[i]!.cast === 'text' || !Number.isNaN(Date.parse(value)))
        : typeof value === 'number' && Number.isFinite(value),
  )
  return ok ? (v as CursorValue[]) : undefined
}

/**
 * The condition "after the cursor" in `order`: `bind` turns a value into its `$n`. When every key has
 * the same direction and none is nullable, a row comparison (`(starts_at, id) > ($1, $2)`), which the
 * sort index serves as a range; otherwise the lexicographic expansion.
 */
export function afterCursor(
  order: SearchOrder,
  values: readonly CursorValue[],
  bind: (value: unknown) => string,
): string {
  const keys = order.keys
  const param = (i: number) => `${bind(values[i])}::${keys[i]!.cast}`
  if (keys.every((k) => !k.nullable && k.dir === keys[0]!.dir))
    return `(${keys.map((k) => k.sql).join(', ')}) ${keys[0]!.dir === 'ASC' ? '>' : '<'} (${keys.map((_, i) => param(i)).join(', ')})`
  const build = (i: number): string => {
    const k = keys[i]!
    const op = k.dir === 'ASC' ? '>' : '<'
    if (i === keys.length - 1) return `${k.sql} ${op} ${param(i)}`
    if (values[i] === null) return `(${k.sql} IS NULL AND ${build(i + 1)})`
    const p = param(i)
    const after = k.nullable ? `${k.sql} ${op} ${p} OR ${k.sql} IS NULL` : `${k.sql} ${op} ${p}`
    return `(${after} OR (${k.sql} = ${p} AND ${build(i + 1)}))`
  }
  return build(0)
}
