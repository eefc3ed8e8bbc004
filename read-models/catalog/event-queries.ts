import type { Queryable, QueryOptions } from './db.ts'
import { SearchError } from './errors.ts'
import { isoOf } from './instants.ts'
import {
  afterCursor,
  COUNT_BOUND,
  cursorAfter,
  decodeCursor,
  onCategoryKeys,
  orderBy,
  relevanceRows,
  searchOrder,
} from './search-paging.ts'
import type {
  CrewView,
  EventDetails,
  EventSearch,
  EventStatus,
  EventSummary,
  PriceOptionView,
  SearchPage,
  Viewer,
} from './views.ts'

const PLAN_PER_RUN: QueryOptions = { planPerRun: true }

export const MAX_PAGE_SIZE = 100
const DEFAULT_STATUSES: readonly EventStatus[] = ['PUBLISHED', 'RESCHEDULED']

/** Clamps a page request: page from 0, size 1-100 (default 20). */
export function clampPage(page: number, size: number): { page: number; size: number } {
  const p = Number.isInteger(page) && page > 0 ? page : 0
  const s = Number.isInteger(size) && size > 0 ? Math.min(size, MAX_PAGE_SIZE) : 20
  return { page: p, size: s }
}

/** The columns of an `EventSummary`, for `e` = events. */
export const SUMMARY_COLUMNS = `e.id, e.version, e.status, e.organizer_id, e.title, e.area, e.starts_at, e.ends_at,
  e.categories, e.price_from, e.capacity, e.seats_available, e.rating, e.review_count, e.created_at, e.updated_at`

export function toSummary(row: Record<string, unknown>): EventSummary {
  return {
    id: row.id as string,
    version: Number(row.version),
    status: row.status as EventStatus,
    organizerId: row.organizer_id as string,
    title: row.title as string,
    area: row.area as string,
    startsAt: isoOf(row.starts_at)!,
    endsAt: isoOf(row.ends_at)!,
    categories: row.categories as string[],
    priceFrom: row.price_from === null ? null : Number(row.price_from),
    currency: 'RUB',
    capacity: Number(row.capacity),
    seatsAvailable: Number(row.seats_available),
    rating: row.rating === null ? null : Number(row.rating),
    reviewCount: Number(row.review_count ?? 0),
    createdAt: isoOf(row.created_at)!,
    updatedAt: isoOf(row.updated_at)!,
  }
}

/** SQL text plus its bind parameters, built together so every value goes through a `$n`. */
class SqlBuilder {
  readonly params: unknown[] = []
  readonly where: string[] = []

  bind(value: unknown): string {
    this.params.push(value)
    return `$${this.params.length}`
  }
}

/** SQL `LIKE` pattern matching `text` anywhere, with its wildcards escaped. */
const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/** A draft is visible to admins and to its organizer only; everyone else gets none. */
function visibility(sql: SqlBuilder, viewer: Viewer): void {
  if (viewer.role === 'admin') return
  if (viewer.userId === undefined) sql.where.push(`e.status <> 'DRAFT'`)
  else sql.where.push(`(e.status <> 'DRAFT' OR e.organizer_id = ${sql.bind(viewer.userId)})`)
}

/**
 * Recent answers of the query every search repeats: the totals of recent searches (the same filters
 * repeat across pages and users). An answer is reused for `ttlMs` (default 2 s) and forgotten whenever
 * this process applies a projection batch or writes a category. On several instances an answer may lag
 * another instance's batch or category write by at most `ttlMs`; the items never lag.
 */
export class CountCache<T = number> {
  readonly #ttlMs: number
  readonly #max: number
  readonly #entries = new Map<string, { total: Promise<T>; at: number }>()

  constructor(ttlMs = 2000, max = 5000) {
    this.#ttlMs = ttlMs
    this.#max = max
  }

  /** The answer (or the query in flight: concurrent identical searches share one). */
  get(key: string): Promise<T> | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (performance.now() - entry.at > this.#ttlMs) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.total
  }

  set(key: string, total: Promise<T>): void {
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!)
    const entry = { total, at: performance.now() }
    this.#entries.set(key, entry)
    total.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key)
    })
  }

  clear(): void {
    this.#entries.clear()
  }
}

/**
 * One page of a catalog search (see `EventSearch` for the filters, search-paging.ts for the order, the
 * cursors and the bounded total). The page is read first, one row past its end (so `nextCursor` is set only
 * when more rows follow); the total is counted only when the page cannot tell it (a page that ends the
 * matches gives it exactly). Throws `SearchError` for a cursor made for another order or garbled.
 */
export async function searchEvents(
  catalog: Queryable,
  params: EventSearch,
  viewer: Viewer,
  counts?: CountCache,
): Promise<SearchPage<EventSummary>> {
  // A search's best plan depends on its words and filters: planned for each (db.ts, `planPerRun`).
  const db: Queryable = {
    query: <R>(text: string, values?: readonly unknown[]) => catalog.query<R>(text, values, PLAN_PER_RUN),
  }
  const { page, size } = clampPage(params.page, params.size)
  const sql = new SqlBuilder()
  const statuses = params.status !== undefined && params.status.length > 0 ? params.status : DEFAULT_STATUSES
  const asked = new Set(statuses)
  const listed = asked.size === DEFAULT_STATUSES.length && DEFAULT_STATUSES.every((s) => asked.has(s))
  // In a category, the keys' table holds the listing, the seats flag and the sort keys (see below).
  const k = params.category !== undefined ? 'c' : 'e'
  if (listed)
    sql.where.push(`${k}.listed`) // the partial catalog indexes
  else sql.where.push(`e.status = ANY(${sql.bind([...asked])}::text[])`)
  if (asked.has('DRAFT')) visibility(sql, viewer)
  // Guests do not see the exact meeting point: they search and filter only what they may see (the area),
  // or a match would give the hidden text away one character at a time.
  const guest = viewer.role === 'guest'
  const q = params.q?.trim()
  let titleMatch: string | undefined
  let titleTierSkips: number | undefined
  if (q !== undefined && q !== '') {
    // The 'russian' configuration stems Cyrillic words with the Russian Snowball stemmer and Latin words
    // with the English one (PostgreSQL maps asciiword to english_stem), so one query covers both
    // languages and keeps websearch negation (`-word`) exact.
    const vector = guest ? 'e.public_search' : 'e.search'
    const query = `websearch_to_tsquery('russian', ${sql.bind(q)})`
    sql.where.push(`${vector} @@ ${query}`)
    titleMatch = `e.title_search @@ ${query}`
    // A title match implies a match of the whole vector (the title is its first part, same configuration),
    // unless `q` negates a word (`-word` may be in the description). Leaving the implied condition out of
    // the title tier keeps the planner from multiplying two correlated selectivities (it then expected
    // 434 of 6,713 rows and sorted them all instead of walking the start index).
    if (!q.includes('-')) titleTierSkips = sql.where.length - 1
  }
  // A category (with its subcategories) is one key of event_category_keys (migration 014), whose sort
  // indexes serve a category's page in any order; the row itself still comes from `events`.
  let from = 'events e'
  if (params.category !== undefined) {
    from = 'event_category_keys c JOIN events e ON e.id = c.event_id'
    sql.where.push(`c.category_id = ${sql.bind(params.category)}`)
    // The relevance tiers walk the events' own (partial) start index.
    if (listed && titleMatch !== undefined) sql.where.push('e.listed')
  }
  // The ranges on sort keys go to the table that is walked in order, so they bound its index scan.
  if (params.from !== undefined) sql.where.push(`${k}.starts_at >= ${sql.bind(params.from.toISOString())}`)
  if (params.to !== undefined) sql.where.push(`${k}.starts_at <= ${sql.bind(params.to.toISOString())}`)
  if (params.priceMin !== undefined) sql.where.push(`${k}.price_from >= ${sql.bind(params.priceMin)}`)
  if (params.priceMax !== undefined) sql.where.push(`${k}.price_from <= ${sql.bind(params.priceMax)}`)
  if (params.place !== undefined && params.place.trim() !== '')
    sql.where.push(`${guest ? 'e.area' : 'e.place'} ILIKE ${sql.bind(containsPattern(params.place.trim()))}`)
  if (params.hasSeats !== undefined) sql.where.push(`${params.hasSeats ? '' : 'NOT '}${k}.has_seats`)
  if (params.organizerId !== undefined) sql.where.push(`e.organizer_id = ${sql.bind(params.organizerId)}`)
  if (params.minRating !== undefined) sql.where.push(`${k}.rating >= ${sql.bind(params.minRating)}`)

  const order = searchOrder(params.sort, titleMatch)
  const sorted = params.category !== undefined ? onCategoryKeys(order) : order
  const where = sql.where.join(' AND ')
  const countParams = [...sql.params]
  let after: ReturnType<typeof decodeCursor>
  if (params.cursor !== undefined) {
    after = decodeCursor(order, params.cursor)
    if (after === undefined)
      throw new SearchError(`cursor is not one of this search's cursors (its order is ${order.signature})`, {
        in: 'querystring',
        field: 'cursor',
      })
  }
  const offset = params.cursor === undefined ? page * size : 0
  const bind = (value: unknown) => sql.bind(value)
  const rows =
    order.titleMatch !== undefined
      ? await relevanceRows(db, {
          titleMatch: order.titleMatch,
          columns: SUMMARY_COLUMNS,
          from,
          where,
          titleWhere: sql.where.filter((_, i) => i !== titleTierSkips).join(' AND '),
          params: sql.params,
          cursor: after,
          limit: size + 1,
          offset,
        })
      : await db.query(
          `SELECT ${SUMMARY_COLUMNS} FROM ${from}
           WHERE ${after === undefined ? where : `${where} AND ${afterCursor(sorted, after, bind)}`}
           ORDER BY ${orderBy(sorted)} LIMIT ${bind(size + 1)} OFFSET ${bind(offset)}`,
          sql.params,
        )
  const more = rows.length > size
  const items = more ? rows.slice(0, size) : rows
  let total: number
  if (params.cursor === undefined && !more && (items.length > 0 || offset === 0))
    total = offset + items.length
  else {
    // A category search filtering only what its keys hold counts on their index alone.
    const countFrom = k === 'c' && !/\be\./.test(where) ? 'event_category_keys c' : from
    const countSql = `SELECT count(*)::integer AS total FROM (SELECT 1 FROM ${countFrom} WHERE ${where} LIMIT ${COUNT_BOUND + 1}) m`
    const countKey = JSON.stringify([countSql, countParams])
    let counted = counts?.get(countKey)
    if (counted === undefined) {
      counted = db.query<{ total: number }>(countSql, countParams).then((r) => Number(r[0]?.total ?? 0))
      counts?.set(countKey, counted)
    }
    total = await counted
  }
  return {
    items: items.map(toSummary),
    page: params.cursor === undefined ? page : 0,
    size,
    total: Math.min(total, COUNT_BOUND),
    totalIsEstimate: total > COUNT_BOUND,
    nextCursor: more ? cursorAfter(order, items[items.length - 1]!) : null,
  }
}

export async function getEvent(db: Queryable, id: string, viewer: Viewer): Promise<EventDetails | undefined> {
  const [row] = await db.query(
    `SELECT ${SUMMARY_COLUMNS}, e.description, e.place, e.seats_taken, e.crew, e.publish_at, e.cancel_reason,
       COALESCE((SELECT json_agg(json_build_object('id', o.price_option_id, 'name', o.name,
           'priceMinor', o.price_minor, 'allotment', o.allotment, 'seatsTaken', o.seats_taken,
           'validFrom', o.valid_from, 'validUntil', o.valid_until) ORDER BY o.position)
         FROM event_price_options o WHERE o.event_id = e.id), '[]'::json) AS options
     FROM events e WHERE e.id = $1`,
    [id],
  )
  if (row === undefined) return undefined
  const organizerId = row.organizer_id as string
  if (row.status === 'DRAFT' && viewer.role !== 'admin' && viewer.userId !== organizerId) return undefined
  const guest = viewer.role === 'guest' || viewer.userId === undefined
  const options = (row.options as Record<string, unknown>[]).map((o): PriceOptionView => ({
    id: o.id as string,
    name: o.name as string,
    priceMinor: Number(o.priceMinor),
    allotment: Number(o.allotment),
    seatsTaken: Number(o.seatsTaken),
    // An option never offers more than the event has free (waiting-list offers are held back event-wide).
    seatsAvailable: Math.max(
      0,
      Math.min(Number(o.allotment) - Number(o.seatsTaken), Number(row.seats_available)),
    ),
    validFrom: isoOf(o.validFrom),
    validUntil: isoOf(o.validUntil),
  }))
  return {
    ...toSummary(row),
    description: row.description as string,
    place: guest ? null : (row.place as string),
    seatsTaken: Number(row.seats_taken),
    priceOptions: options,
    crew: guest ? null : (row.crew as CrewView[]),
    publishAt: isoOf(row.publish_at),
    cancelReason: (row.cancel_reason as string | null) ?? null,
  }
}

export async function eventVersion(db: Queryable, id: string): Promise<number | undefined> {
  const [row] = await db.query<{ version: number }>('SELECT version FROM events WHERE id = $1', [id])
  return row === undefined ? undefined : Number(row.version)
}
