/**
 * How catalog search orders, pages and counts (event-queries.ts builds the rest of the statement):
 *
 * - **Order.** Every order ends on the event ID, so it is total and pages are stable. `relevance` (the
 *   default with `q`) puts the events whose title matches `q` first, then those matching only in the
 *   description or the place; soonest first within each tier. Each tier is read in start order with a
 *   `LIMIT` (`relevanceRows`), so a page costs what a date-sorted page does; ranking every
 *   match with `ts_rank` read all of a common word's matches (11,144 rows, 100-130 ms a page under load:
 *   half of the uncached benchmark's database time).
 * - **Keyset cursors.** A cursor is the sort key of the last row of a page (base64url JSON, tied to the
 *   order it was made for); the next page is the rows after it in the order, found by the sort index
 *   instead of skipping `page × size` rows, so deep pages cost what the first one does.
 * - **Bounded totals.** Counting stops at `COUNT_BOUND`: beyond it `total` is `COUNT_BOUND` and
 *   `totalIsEstimate` is true ("more than 1,000"). An exact count of a broad match rechecks every matching
 *   row (117 ms for a word matching 15,670 of 100,000 events); the bounded one reads at most 1,001.
 */
import type { Queryable } from './db.ts'
import type { EventSortField } from './views.ts'

/** Totals are exact up to this many matches. */
export const COUNT_BOUND = 1000

/** One key of an order: its SQL expression, the cast its cursor value binds with, its direction. */
interface SortKey {
  readonly sql: string
  readonly cast: 'text' | 'timestamptz' | 'bigint' | 'float8' | 'integer'
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
  /** For `relevance`: the condition of the first tier (the title matches `q`). */
  readonly titleMatch?: string
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
 * The order of a search. `titleMatch` is the SQL condition "the title matches `q`" when the search has a
 * `q` (else `relevance` falls back to soonest first).
 */
export function searchOrder(
  sort: { field: EventSortField; dir: 'asc' | 'desc' } | undefined,
  titleMatch: string | undefined,
): SearchOrder {
  const field = sort?.field ?? (titleMatch !== undefined ? 'relevance' : 'startsAt')
  if (field === 'relevance' && titleMatch !== undefined)
    return {
      signature: 'relevance',
      keys: [
        { sql: 'sort_tier', cast: 'integer', dir: 'ASC', nullable: false, column: 'sort_tier' },
        key('starts_at', 'timestamptz', 'ASC'),
        key('id', 'text', 'ASC'),
      ],
      titleMatch,
    }
  if (field === 'relevance') return searchOrder(undefined, undefined)
  const dir = sort?.dir === 'desc' ? 'DESC' : 'ASC'
  const [column, cast, nullable] = COLUMNS[field]
  return {
    signature: `${field},${dir.toLowerCase()}`,
    keys: [key(column, cast, dir, nullable), key('id', 'text', dir)],
  }
}

/**
 * The same order on the sort keys of `event_category_keys c` (a search in a category: its indexes hold a
 * category's events in every order). Cursors are unchanged: they read the keys from the row.
 */
export function onCategoryKeys(order: SearchOrder): SearchOrder {
  if (order.titleMatch !== undefined) return order // the relevance tiers sort `events` themselves
  return {
    ...order,
    keys: order.keys.map((k) => ({
      ...k,
      sql: k.sql === 'e.id' ? 'c.event_id' : k.sql.replace(/^e\./, 'c.'),
    })),
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
        : order.keys[i]!.cast === 'integer'
          ? Number.isInteger(value)
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

/**
 * The rows of a `relevance` page (with `sort_tier`), one row past the page: the title matches in start
 * order first and, only when they do not fill the page, the other matches after them. Each tier is its own
 * statement: in one `UNION ALL` statement both tiers run to their `LIMIT`, and the second, when nearly empty
 * (every match of a common word is in the title), walked the whole start index (280 ms). A cursor skips
 * the tiers before its own and starts its tier after its row; an offset past the title matches counts them
 * (at most `offset` rows) to know where the others start.
 */
export async function relevanceRows(
  db: Queryable,
  options: {
    readonly titleMatch: string
    readonly columns: string
    /** `events e`, or `events e` joined to the table of a category filter. */
    readonly from: string
    readonly where: string
    /** `where` for the title tier: may leave out the conditions a title match implies. */
    readonly titleWhere: string
    readonly params: readonly unknown[]
    readonly cursor: readonly CursorValue[] | undefined
    readonly limit: number
    readonly offset: number
  },
): Promise<Record<string, unknown>[]> {
  const { titleMatch, columns, from, where, titleWhere, cursor, limit, offset } = options
  const statement = () => {
    const params = [...options.params]
    return { params, bind: (value: unknown) => (params.push(value), `$${params.length}`) }
  }
  const tier = (n: 0 | 1, take: number, skip: number) => {
    const { params, bind } = statement()
    let condition = n === 0 ? titleMatch : `NOT (${titleMatch})`
    if (cursor !== undefined && Number(cursor[0]) === n)
      condition += ` AND (e.starts_at, e.id) > (${bind(cursor[1])}::timestamptz, ${bind(cursor[2])}::text)`
    return db.query(
      `SELECT ${columns}, ${n} AS sort_tier FROM ${from} WHERE ${n === 0 ? titleWhere : where} AND ${condition}
       ORDER BY e.starts_at, e.id LIMIT ${bind(take)} OFFSET ${bind(skip)}`,
      params,
    )
  }
  const cursorTier = cursor === undefined ? 0 : Number(cursor[0])
  const rows = cursorTier === 0 ? await tier(0, limit, offset) : []
  if (rows.length >= limit || cursorTier > 1) return rows
  let skip = 0
  if (cursor === undefined && offset > 0 && rows.length === 0) {
    const { params, bind } = statement()
    const [counted] = await db.query<{ n: number }>(
      `SELECT count(*)::integer AS n FROM (SELECT 1 FROM ${from} WHERE ${titleWhere} AND ${titleMatch}
       LIMIT ${bind(offset)}) m`,
      params,
    )
    skip = offset - Number(counted?.n ?? 0)
  }
  return [...rows, ...(await tier(1, limit - rows.length, skip))]
}
