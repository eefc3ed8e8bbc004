/**
 * A catalog search answered from the in-memory index (search-index.ts): the same matches, order, pages,
 * cursors and totals as the SQL path (`searchEvents`, event-queries.ts; search-paging.ts has the order and
 * the bounded total), found in memory; then the page's rows are read from PostgreSQL by primary key in one
 * statement, so what is shown is the row as it is now. A page row whose stamp (`change_xid`) differs from
 * the index's, or that is gone, means the index is behind: the search is answered by SQL instead and the
 * index syncs at the next search.
 *
 * `search` answers undefined (the caller takes the SQL path) for what the index does not hold or evaluate:
 * statuses other than the default catalog (drafts, organizer views), the `place` filter (PostgreSQL's own
 * case folding of `ILIKE`), a `q` whose query has a phrase (`"quoted words"`), and a cursor or number the
 * SQL path would read differently (a timestamp not in the cursors' own ISO form, a fractional price).
 */
import type { Queryable } from './db.ts'
import { SearchError } from './errors.ts'
import { clampPage, SUMMARY_COLUMNS, toSummary } from './event-queries.ts'
import type { IndexedEvent, SearchIndex } from './search-index.ts'
import {
  comparator,
  compareKey,
  compile,
  filterOf,
  micros,
  valueOf,
  type Sorted,
  type Value,
} from './search-index-scan.ts'
import { COUNT_BOUND, cursorAfter, decodeCursor, searchOrder, type SearchOrder } from './search-paging.ts'
import { parseTsquery, requiredLexemes, type ParsedTsquery } from './search-tsquery.ts'
import type { EventSearch, EventSummary, SearchPage, Viewer } from './views.ts'

type Key = SearchOrder['keys'][number]

const MAX_QUERIES = 10_000
const MAX_LISTS = 4000

export class IndexedSearch {
  readonly #index: SearchIndex
  readonly #db: Queryable
  /** Parsed queries per `q` (LRU): one round trip per distinct `q`. */
  readonly #queries = new Map<string, Promise<ParsedTsquery | undefined>>()
  readonly #orders = new Map<string, Sorted>()
  /** Candidate sets in an order (see `inOrder` in `search`), valid for the index's `version`. */
  readonly #lists = new Map<string, Int32Array>()
  #listsVersion = -1

  constructor(index: SearchIndex, db: Queryable) {
    this.#index = index
    this.#db = db
  }

  #tsquery(q: string): Promise<ParsedTsquery | undefined> {
    let parsed = this.#queries.get(q)
    if (parsed !== undefined) {
      this.#queries.delete(q)
    } else {
      parsed = this.#db
        .query<{ q: string }>(`SELECT websearch_to_tsquery('russian', $1)::text AS q`, [q])
        .then(([row]) => parseTsquery(row!.q))
      parsed.catch(() => this.#queries.delete(q))
      if (this.#queries.size >= MAX_QUERIES) this.#queries.delete(this.#queries.keys().next().value!)
    }
    this.#queries.set(q, parsed)
    return parsed
  }

  /**
   * The listed events sorted in `order`, and each one's rank in it: a set of candidates is put in order
   * by sorting their ranks, integers. Built once, then kept: the events that moved since (see
   * `SearchIndex.moved`) are taken out and put back in by binary search.
   */
  #sorted(order: SearchOrder): Sorted {
    const index = this.#index
    const events = index.events
    const compare = comparator(order)
    let sorted = this.#orders.get(order.signature)
    if (sorted === undefined || sorted.reloads !== index.reloads) {
      const slots = events.flatMap((e) => (e === undefined ? [] : [e.slot]))
      slots.sort((a, b) => compare(events[a]!, events[b]!))
      sorted = { reloads: index.reloads, seen: index.moved.length, slots, rank: new Int32Array(0) }
    } else if (sorted.seen < index.moved.length) {
      const moved = new Set(index.moved.slice(sorted.seen))
      const slots = sorted.slots.filter((slot) => !moved.has(slot))
      for (const slot of moved) {
        const e = events[slot]
        if (e === undefined) continue
        let lo = 0
        let hi = slots.length
        while (lo < hi) {
          const mid = (lo + hi) >> 1
          if (compare(events[slots[mid]!]!, e) < 0) lo = mid + 1
          else hi = mid
        }
        slots.splice(lo, 0, slot)
      }
      sorted = { reloads: index.reloads, seen: index.moved.length, slots, rank: new Int32Array(0) }
    } else return sorted
    const rank = new Int32Array(events.length)
    sorted.slots.forEach((slot, i) => (rank[slot] = i))
    sorted = { ...sorted, rank }
    this.#orders.set(order.signature, sorted)
    return sorted
  }

  /** Builds every sort order now (at start), so that no search waits for one. */
  warm(): void {
    for (const field of ['startsAt', 'price', 'title', 'createdAt', 'rating'] as const)
      for (const dir of ['asc', 'desc'] as const) this.#sorted(searchOrder({ field, dir }, undefined))
  }

  /** The page, or undefined when the SQL path must answer (see the module's comment). */
  async search(params: EventSearch, viewer: Viewer): Promise<SearchPage<EventSummary> | undefined> {
    const statuses = params.status ?? []
    const listed =
      statuses.length === 0 ||
      (new Set(statuses).size === 2 && statuses.every((s) => s === 'PUBLISHED' || s === 'RESCHEDULED'))
    if (!listed || (params.place !== undefined && params.place.trim() !== '')) return undefined
    for (const n of [params.priceMin, params.priceMax])
      if (n !== undefined && !Number.isSafeInteger(n)) return undefined
    const { page, size } = clampPage(params.page, params.size)
    const q = params.q?.trim()
    const hasQ = q !== undefined && q !== ''
    let query: ParsedTsquery | undefined = null
    if (hasQ) {
      query = await this.#tsquery(q)
      if (query === undefined) return undefined
    }
    const order = searchOrder(params.sort, hasQ ? 'title' : undefined)
    let after: Value[] | undefined
    if (params.cursor !== undefined) {
      const decoded = decodeCursor(order, params.cursor)
      if (decoded === undefined)
        throw new SearchError(
          `cursor is not one of this search's cursors (its order is ${order.signature})`,
          {
            in: 'querystring',
            field: 'cursor',
          },
        )
      after = []
      for (const [i, v] of decoded.entries()) {
        const k = order.keys[i]!
        if (v === null || k.cast === 'text' || k.cast === 'float8') after.push(v)
        else if (k.cast === 'timestamptz') {
          const us = micros(v as string)
          if (us === undefined) return undefined
          after.push(us)
        } else if (Number.isSafeInteger(v)) after.push(v)
        else return undefined
      }
    }
    await this.#index.current()
    const guest = viewer.role === 'guest'
    const relevance = order.titleMatch !== undefined
    const lexeme = (l: string) => this.#index.lexemeId(l)
    const text = (vector: (e: IndexedEvent) => Int32Array): ((e: IndexedEvent) => boolean) => {
      if (!hasQ) return () => true
      if (query === null) return () => false // only stop words: PostgreSQL matches nothing
      const test = compile(query, lexeme)
      return (e) => test(vector(e))
    }
    const vectorMatch = text((e) => (guest ? e.publicSearch : e.search))
    const titleMatch = text((e) => e.titleSearch)
    const skipVectorInTitleTier = hasQ && !q.includes('-')
    const filters = filterOf(params, this.#index.columns, (c) => this.#index.categoryMask(c))
    const offset = params.cursor === undefined ? page * size : 0
    const limit = size + 1

    // The candidates: the events holding the query's rarest required lexeme, or under the category,
    // whichever are fewer; else every listed event. For the title tier, those holding it in the title.
    const required = hasQ && query !== null ? requiredLexemes(query) : []
    type Candidates = { readonly key: string; readonly set: ReadonlySet<number> }
    let candidates: Candidates | undefined
    let titleCandidates: Candidates | undefined
    const none = new Set<number>()
    for (const l of required) {
      const id = lexeme(l)
      const posting = id === undefined ? none : this.#index.posting(id, guest)
      if (candidates === undefined || posting.size < candidates.set.size)
        candidates = { key: `${guest ? 'p' : 'l'}${id}`, set: posting }
      const inTitle = id === undefined ? none : this.#index.titlePosting(id)
      if (titleCandidates === undefined || inTitle.size < titleCandidates.set.size)
        titleCandidates = { key: `t${id}`, set: inTitle }
    }
    if (params.category !== undefined) {
      const under = { key: `c${params.category}`, set: this.#index.underCategory(params.category) }
      if (candidates === undefined || under.set.size < candidates.set.size) candidates = under
      if (titleCandidates === undefined || under.set.size < titleCandidates.set.size) titleCandidates = under
    }
    const walkOrder = relevance ? searchOrder({ field: 'startsAt', dir: 'asc' }, undefined) : order
    const events = this.#index.events
    const sorted = this.#sorted(walkOrder)
    // The candidates in order: sorted by their ranks, kept until the index changes (a word, a category and
    // an order repeat across searches; seat counts do not change them).
    const inOrder = (c: Candidates | undefined): ArrayLike<number> => {
      if (c === undefined || c.set.size * 2 > this.#index.listedCount) return sorted.slots
      if (this.#listsVersion !== this.#index.version || this.#lists.size >= MAX_LISTS) {
        this.#lists.clear()
        this.#listsVersion = this.#index.version
      }
      const key = `${c.key} ${walkOrder.signature}`
      let list = this.#lists.get(key)
      if (list === undefined) {
        list = new Int32Array(c.set.size)
        let n = 0
        for (const slot of c.set) list[n++] = sorted.rank[slot]!
        list.sort()
        for (let i = 0; i < n; i++) list[i] = sorted.slots[list[i]!]!
        this.#lists.set(key, list)
      }
      return list
    }
    const sequence = inOrder(candidates)
    // A one-word query walking its own posting: every candidate holds the word in the viewer's vector.
    const vectorTest =
      query !== null &&
      query.op === 'lex' &&
      candidates !== undefined &&
      candidates.key[0] !== 'c' &&
      sequence !== sorted.slots
        ? () => true
        : vectorMatch
    const isAfter = (e: IndexedEvent, keys: readonly Key[], values: readonly Value[]) => {
      for (const [i, k] of keys.entries()) {
        const c = compareKey(k, valueOf(e, k.column), values[i]!)
        if (c !== 0) return c > 0
      }
      return false
    }
    let counted = 0
    const rows: { event: IndexedEvent; tier: number }[] = []
    if (!relevance) {
      let skipped = 0
      for (let i = 0; i < sequence.length; i++) {
        const e = events[sequence[i]!]!
        if (!filters(e) || !vectorTest(e)) continue
        counted++
        if (rows.length < limit && (after === undefined || isAfter(e, order.keys, after))) {
          if (skipped < offset) skipped++
          else rows.push({ event: e, tier: 0 })
        }
        if (counted > COUNT_BOUND && rows.length >= limit) break
      }
    } else {
      // Tier 0 (title matches) then tier 1, each in start order; a cursor starts in its own tier.
      const tier = after === undefined ? 0 : (after[0] as number)
      const tail = after?.slice(1)
      const tierKeys = walkOrder.keys
      const tiers: IndexedEvent[][] = [[], []]
      const want = offset + limit
      const titles = tier === 0 ? inOrder(titleCandidates) : []
      for (let i = 0; i < titles.length; i++) {
        const e = events[titles[i]!]!
        if (filters(e) && titleMatch(e) && (skipVectorInTitleTier || vectorMatch(e)))
          if (after === undefined || isAfter(e, tierKeys, tail!)) if (tiers[0]!.push(e) >= want) break
      }
      for (let i = 0; i < sequence.length; i++) {
        const e = events[sequence[i]!]!
        if (!filters(e) || !vectorTest(e)) continue
        counted++
        if (tier <= 1 && tiers[1]!.length < want && !titleMatch(e))
          if (tier !== 1 || isAfter(e, tierKeys, tail!)) tiers[1]!.push(e)
        // Done once the total is past its bound and the rows of the page are found.
        if (counted > COUNT_BOUND && (tier > 1 || tiers[0]!.length >= want || tiers[1]!.length >= want)) break
      }
      const all = [
        ...tiers[0]!.map((event) => ({ event, tier: 0 })),
        ...tiers[1]!.map((event) => ({ event, tier: 1 })),
      ]
      rows.push(...all.slice(offset, offset + limit))
    }

    const fetched = await this.#db.query(
      `SELECT ${SUMMARY_COLUMNS}, e.change_xid FROM events e WHERE e.id = ANY($1::text[])`,
      [rows.map((r) => r.event.id)],
    )
    const byId = new Map(fetched.map((row) => [row.id as string, row]))
    const pageRows: Record<string, unknown>[] = []
    for (const { event, tier } of rows) {
      const row = byId.get(event.id)
      if (row === undefined || Number(row.change_xid) !== event.changeXid) {
        this.#index.changed() // behind this row's write: SQL answers, the next search syncs first
        return undefined
      }
      pageRows.push(relevance ? { ...row, sort_tier: tier } : row)
    }
    const more = pageRows.length > size
    const items = more ? pageRows.slice(0, size) : pageRows
    const total =
      params.cursor === undefined && !more && (items.length > 0 || offset === 0)
        ? offset + items.length
        : counted
    return {
      items: items.map(toSummary),
      page: params.cursor === undefined ? page : 0,
      size,
      total: Math.min(total, COUNT_BOUND),
      totalIsEstimate: total > COUNT_BOUND,
      nextCursor: more ? cursorAfter(order, items[items.length - 1]!) : null,
    }
  }
}
