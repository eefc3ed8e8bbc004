/**
 * The pieces of an in-memory search (search-index-query.ts) that test and order one event: the filters on
 * the index's columns, a tsquery compiled to a test of a vector's lexeme IDs, the sort orders' comparisons
 * (as PostgreSQL orders: NULLs last, text by code point), and the columns themselves.
 */
import type { SearchOrder } from './search-paging.ts'
import type { TsNode } from './search-tsquery.ts'
import type { EventSearch } from './views.ts'

/** One listed event as the index holds it (times in microseconds since the epoch, as PostgreSQL keeps them). */
export interface IndexedEvent {
  readonly slot: number
  readonly id: string
  readonly changeXid: number
  readonly startsAt: number
  readonly priceFrom: number | null
  readonly seatsAvailable: number
  readonly rating: number | null
  readonly organizerId: string
  readonly createdAt: number
  readonly title: string
  readonly categories: readonly string[]
  /** Its categories and their ancestors (what `event_category_keys` holds for it). */
  under: ReadonlySet<string>
  /** Lexeme IDs (see `SearchIndex.lexemeId`), sorted. */
  readonly search: Int32Array
  readonly publicSearch: Int32Array
  readonly titleSearch: Int32Array
}

type Key = SearchOrder['keys'][number]
export type Value = string | number | null

/** Code-point order of two strings: the database's collation (`C.UTF-8`) compares text by code points. */
export function compareText(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) {
      // Surrogates (astral characters) sort after every other UTF-16 unit in code-point order.
      const sx = x >= 0xd800 && x <= 0xdfff ? x + 0x10000 : x
      const sy = y >= 0xd800 && y <= 0xdfff ? y + 0x10000 : y
      return sx - sy
    }
  }
  return a.length - b.length
}

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/

/** An ISO instant (`…Z`, up to microseconds) in microseconds since the epoch; undefined for other forms. */
export function micros(text: string): number | undefined {
  const m = ISO.exec(text)
  if (m === null) return undefined
  const seconds = Date.parse(`${m[1]}Z`)
  return Number.isNaN(seconds) ? undefined : seconds * 1000 + Number((m[2] ?? '').padEnd(6, '0'))
}

export function valueOf(event: IndexedEvent, column: string): Value {
  switch (column) {
    case 'starts_at':
      return event.startsAt
    case 'price_from':
      return event.priceFrom
    case 'title':
      return event.title
    case 'created_at':
      return event.createdAt
    case 'rating':
      return event.rating
    default:
      return event.id
  }
}

/** One key of an order: NULLs last in both directions, as the SQL `ORDER BY … NULLS LAST`. */
export function compareKey(k: Key, a: Value, b: Value): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1
  const c = typeof a === 'string' ? compareText(a, b as string) : a - (b as number)
  return k.dir === 'DESC' ? -c : c
}

export interface Sorted {
  readonly reloads: number
  /** How many of `SearchIndex.moved` it has taken in. */
  readonly seen: number
  readonly slots: number[]
  readonly rank: Int32Array
}

/** A query as a test of a document's sorted lexeme IDs (its lexemes looked up once). */
export function compile(
  node: TsNode,
  lexeme: (l: string) => number | undefined,
): (vector: Int32Array) => boolean {
  switch (node.op) {
    case 'lex': {
      const id = lexeme(node.lexeme)
      return id === undefined ? () => false : (v) => holds(v, id)
    }
    case 'not': {
      const arg = compile(node.arg, lexeme)
      return (v) => !arg(v)
    }
    case 'and': {
      const [l, r] = [compile(node.left, lexeme), compile(node.right, lexeme)]
      return (v) => l(v) && r(v)
    }
    case 'or': {
      const [l, r] = [compile(node.left, lexeme), compile(node.right, lexeme)]
      return (v) => l(v) || r(v)
    }
  }
}

export function comparator(order: SearchOrder): (a: IndexedEvent, b: IndexedEvent) => number {
  return (a, b) => {
    for (const k of order.keys) {
      const c = compareKey(k, valueOf(a, k.column), valueOf(b, k.column))
      if (c !== 0) return c
    }
    return 0
  }
}

/** The filters other than `q`, as the SQL path's `WHERE` (event-queries.ts), on the index's columns. */
export function filterOf(
  params: EventSearch,
  columns: Columns,
  categoryMask: (category: string) => Uint8Array | undefined,
): (e: IndexedEvent) => boolean {
  const from = params.from === undefined ? -Infinity : params.from.getTime() * 1000
  const to = params.to === undefined ? Infinity : params.to.getTime() * 1000
  const { priceMin, priceMax, hasSeats, organizerId, minRating, category } = params
  const { price, starts, seats, rating } = columns
  const mask = category === undefined ? undefined : (categoryMask(category) ?? new Uint8Array(0))
  // NaN (NULL) fails every comparison, as NULL does in SQL.
  const lo = priceMin ?? -Infinity
  const hi = priceMax ?? Infinity
  const priced = priceMin !== undefined || priceMax !== undefined
  const rated = minRating ?? -Infinity
  // In a category the keys' `has_seats` (seats > 0) is tested; else `seats_available > 0` or `= 0`.
  const seatsTest = hasSeats === undefined ? 0 : hasSeats ? 1 : category !== undefined ? 2 : 3
  return (e) => {
    const s = e.slot
    if (mask !== undefined && mask[s] !== 1) return false
    const t = starts[s]!
    if (t < from || t > to) return false
    if (priced) {
      const p = price[s]!
      if (!(p >= lo && p <= hi)) return false
    }
    if (seatsTest !== 0) {
      const n = seats[s]!
      if (seatsTest === 1 ? n <= 0 : seatsTest === 2 ? n > 0 : n !== 0) return false
    }
    if (minRating !== undefined && !(rating[s]! >= rated)) return false
    return organizerId === undefined || e.organizerId === organizerId
  }
}

/** Whether the sorted lexeme IDs hold `id`. */
export function holds(ids: Int32Array, id: number | undefined): boolean {
  if (id === undefined) return false
  let lo = 0
  let hi = ids.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const v = ids[mid]!
    if (v === id) return true
    if (v < id) lo = mid + 1
    else hi = mid - 1
  }
  return false
}

export interface Columns {
  readonly price: Float64Array
  readonly starts: Float64Array
  readonly seats: Int32Array
  readonly rating: Float64Array
}

export function newColumns(n: number): Columns {
  return {
    price: new Float64Array(n),
    starts: new Float64Array(n),
    seats: new Int32Array(n),
    rating: new Float64Array(n),
  }
}

export function grow(c: Columns, n: number): Columns {
  const next = newColumns(n)
  next.price.set(c.price)
  next.starts.set(c.starts)
  next.seats.set(c.seats)
  next.rating.set(c.rating)
  return next
}
