import type { Queryable } from './db.ts'
import { isoOf } from './instants.ts'
import type {
  CrewView,
  EventDetails,
  EventSearch,
  EventSortField,
  EventStatus,
  EventSummary,
  Page,
  PriceOptionView,
  Viewer,
} from './views.ts'

export const MAX_PAGE_SIZE = 100
const DEFAULT_STATUSES: readonly EventStatus[] = ['PUBLISHED', 'RESCHEDULED']

/** Clamps a page request: page from 0, size 1-100 (default 20). */
export function clampPage(page: number, size: number): { page: number; size: number } {
  const p = Number.isInteger(page) && page > 0 ? page : 0
  const s = Number.isInteger(size) && size > 0 ? Math.min(size, MAX_PAGE_SIZE) : 20
  return { page: p, size: s }
}

const SORT_COLUMNS: Readonly<Record<EventSortField, string>> = {
  startsAt: 'e.starts_at',
  price: 'e.price_from',
  title: 'e.title',
  createdAt: 'e.created_at',
  rating: 'e.rating',
}

const NULLABLE_SORTS: ReadonlySet<EventSortField> = new Set(['price', 'rating'])

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
 * Totals of recent searches. Counting every match is the costly half of a catalog page (tens of thousands
 * of rows for a broad filter), and the same filters repeat across pages and users, so a total is reused
 * for `ttlMs` (default 2 s) and forgotten whenever this process applies a projection batch. On several
 * instances a total may lag another instance's batch by at most `ttlMs`; the items never lag.
 */
export class CountCache {
  readonly #ttlMs: number
  readonly #max: number
  readonly #entries = new Map<string, { total: Promise<number>; at: number }>()

  constructor(ttlMs = 2000, max = 5000) {
    this.#ttlMs = ttlMs
    this.#max = max
  }

  /** The total (or the count in flight: concurrent identical searches share one count). */
  get(key: string): Promise<number> | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (performance.now() - entry.at > this.#ttlMs) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.total
  }

  set(key: string, total: Promise<number>): void {
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

export async function searchEvents(
  db: Queryable,
  params: EventSearch,
  viewer: Viewer,
  counts?: CountCache,
): Promise<Page<EventSummary>> {
  const { page, size } = clampPage(params.page, params.size)
  const sql = new SqlBuilder()
  const statuses = params.status !== undefined && params.status.length > 0 ? params.status : DEFAULT_STATUSES
  const asked = new Set(statuses)
  if (asked.size === DEFAULT_STATUSES.length && DEFAULT_STATUSES.every((s) => asked.has(s)))
    sql.where.push('e.listed') // the partial catalog indexes
  else sql.where.push(`e.status = ANY(${sql.bind([...asked])}::text[])`)
  if (asked.has('DRAFT')) visibility(sql, viewer)
  // Guests do not see the exact meeting point: they search and filter only what they may see (the area),
  // or a match would give the hidden text away one character at a time.
  const guest = viewer.role === 'guest'
  const q = params.q?.trim()
  if (q !== undefined && q !== '') {
    // The 'russian' configuration stems Cyrillic words with the Russian Snowball stemmer and Latin words
    // with the English one (PostgreSQL maps asciiword to english_stem), so one query covers both
    // languages and keeps websearch negation (`-word`) exact.
    const vector = guest ? 'e.public_search' : 'e.search'
    sql.where.push(`${vector} @@ websearch_to_tsquery('russian', ${sql.bind(q)})`)
  }
  if (params.category !== undefined) {
    // Resolved first, so the planner sees the actual IDs (GIN element statistics) instead of a subplan.
    const tree = await db.query<{ id: string }>(
      `WITH RECURSIVE t(id) AS (SELECT $1::text UNION SELECT c.id FROM categories c JOIN t ON c.parent_id = t.id)
       SELECT id FROM t`,
      [params.category],
    )
    sql.where.push(`e.categories && ${sql.bind(tree.map((r) => r.id))}::text[]`)
  }
  if (params.from !== undefined) sql.where.push(`e.starts_at >= ${sql.bind(params.from.toISOString())}`)
  if (params.to !== undefined) sql.where.push(`e.starts_at <= ${sql.bind(params.to.toISOString())}`)
  if (params.priceMin !== undefined) sql.where.push(`e.price_from >= ${sql.bind(params.priceMin)}`)
  if (params.priceMax !== undefined) sql.where.push(`e.price_from <= ${sql.bind(params.priceMax)}`)
  if (params.place !== undefined && params.place.trim() !== '')
    sql.where.push(`${guest ? 'e.area' : 'e.place'} ILIKE ${sql.bind(containsPattern(params.place.trim()))}`)
  if (params.hasSeats !== undefined)
    sql.where.push(params.hasSeats ? 'e.seats_available > 0' : 'e.seats_available = 0')
  if (params.organizerId !== undefined) sql.where.push(`e.organizer_id = ${sql.bind(params.organizerId)}`)
  if (params.minRating !== undefined) sql.where.push(`e.rating >= ${sql.bind(params.minRating)}`)

  let order: string
  if (params.sort !== undefined) {
    const dir = params.sort.dir === 'desc' ? 'DESC' : 'ASC'
    // Nullable columns put NULLs last both ways (matching events_listed_*_desc_idx); NOT NULL columns stay
    // plain so backward index scans serve DESC.
    const nulls = NULLABLE_SORTS.has(params.sort.field) ? ' NULLS LAST' : ''
    order = `${SORT_COLUMNS[params.sort.field]} ${dir}${nulls}, e.id ${dir}`
  } else order = 'e.starts_at ASC, e.id ASC'

  const where = sql.where.join(' AND ')
  const countParams = [...sql.params]
  const limit = sql.bind(size)
  const offset = sql.bind(page * size)
  const countSql = `SELECT count(*)::integer AS total FROM events e WHERE ${where}`
  const countKey = JSON.stringify([countSql, countParams])
  let total = counts?.get(countKey)
  if (total === undefined) {
    total = db.query<{ total: number }>(countSql, countParams).then((r) => Number(r[0]?.total ?? 0))
    counts?.set(countKey, total)
  }
  const [rows, counted] = await Promise.all([
    db.query(
      `SELECT ${SUMMARY_COLUMNS} FROM events e WHERE ${where} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`,
      sql.params,
    ),
    total,
  ])
  return { items: rows.map(toSummary), page, size, total: counted }
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
