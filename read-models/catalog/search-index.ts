/**
 * The catalog search index an API instance keeps in memory: another projection of the listed events (the
 * default catalog, `listed`), holding what the filters and sorts read (start, price, free seats, rating,
 * organizer, categories with their ancestors, creation time, title) and the lexemes of the three stored
 * full-text vectors, read from PostgreSQL's own `tsvector`s (so stemming is exactly PostgreSQL's).
 * search-index-query.ts answers searches from it; the page's rows are then read from PostgreSQL by
 * primary key.
 *
 * Kept current from the table itself (migration 015): every write stamps the row with its transaction ID;
 * `sync` reads the rows stamped by the transactions the previous sync's snapshot did not see (those
 * started after it, at or past its `xmax`, and those running then, its `xip`), so a write is never skipped
 * whatever order transactions commit in, and a long transaction elsewhere on the server does not make
 * every sync read again what it already has; and the category tree (a few rows) every time. A timer syncs every `pollMs` (default 250 ms): an instance sees another instance's write within
 * about that. This process's own writes (a projection batch, a category write) call `changed()`, and the
 * next search syncs before it answers, so a process reads its own writes. A different `events` table (a
 * rebuild swapped the schema) reloads everything.
 */
import type { Db } from './db.ts'
import { grow, newColumns, type IndexedEvent } from './search-index-scan.ts'

export type { IndexedEvent } from './search-index-scan.ts'

const LOAD_COLUMNS = `id, change_xid, (extract(epoch FROM starts_at) * 1000000)::float8 AS starts_us,
  price_from, seats_available, rating, organizer_id, (extract(epoch FROM created_at) * 1000000)::float8 AS created_us,
  title, categories, tsvector_to_array(search) AS search, tsvector_to_array(public_search) AS public_search,
  tsvector_to_array(title_search) AS title_search`

export class SearchIndex {
  readonly #db: Db
  readonly #pollMs: number
  /** Every event by slot; a slot whose event left the catalog is undefined. */
  readonly events: (IndexedEvent | undefined)[] = []
  readonly #slots = new Map<string, number>()
  readonly #lexemes = new Map<string, number>()
  /** Per lexeme ID: the events with it in `search`. */
  readonly #postings: Set<number>[] = []
  /** Per lexeme ID: the events with it in `public_search`. */
  readonly #publicPostings: Set<number>[] = []
  /** Per lexeme ID: the events with it in `title_search`. */
  readonly #titlePostings: Set<number>[] = []
  /** The events under each category (its own and its subcategories'). */
  readonly #byCategory = new Map<string, Set<number>>()
  #parents = new Map<string, string | null>()
  #relation: number | undefined
  /** The previous sync's snapshot: its first unassigned transaction ID, and those running then. */
  #xmax = 0
  #running: number[] = []
  #syncing: Promise<void> | undefined
  #stale = true
  #timer: NodeJS.Timeout | undefined
  /**
   * The slots whose place in a sort order may have changed (joined or left the catalog, or a sort key
   * changed), in the order it happened: the sorted orders (search-index-query.ts) replay what they have
   * not seen. `reloads` counts the times it was reset (a reload, or too many moves to replay): then the
   * orders are built again.
   */
  readonly moved: number[] = []
  reloads = 0
  /** Bumped whenever a posting, a category's set or an order changes (not by seat counts alone). */
  version = 0
  listedCount = 0
  /** The filters' columns by slot, for scans (NaN: NULL). */
  columns = newColumns(1024)
  readonly #categoryMasks = new Map<string, Uint8Array>()

  constructor(db: Db, options: { pollMs?: number } = {}) {
    this.#db = db
    this.#pollMs = options.pollMs ?? 250
  }

  /** Loads the catalog and starts following it. */
  async start(): Promise<void> {
    await this.sync()
    this.#timer = setInterval(() => void this.sync().catch(() => undefined), this.#pollMs)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  /** This process wrote the catalog: the next search syncs first. */
  changed(): void {
    this.#stale = true
  }

  /** Syncs when this process wrote since the last sync (see `changed`). */
  async current(): Promise<void> {
    if (this.#stale) await this.sync()
  }

  /** Reads what changed since the last sync (one sync at a time; a caller during one waits for the next). */
  sync(): Promise<void> {
    const run = async (): Promise<void> => {
      this.#stale = false
      const [snap] = await this.#db.query<{ xmax: number; xip: string[]; relation: number }>(
        `SELECT txid_snapshot_xmax(s) AS xmax, ARRAY(SELECT txid_snapshot_xip(s)) AS xip,
           'events'::regclass::oid::bigint AS relation FROM txid_current_snapshot() s`,
      )
      const reload = snap!.relation !== this.#relation
      const categories = await this.#db.query<{ id: string; parent_id: string | null }>(
        'SELECT id, parent_id FROM categories',
      )
      const rows = await this.#db.query<Record<string, unknown>>(
        reload
          ? `SELECT ${LOAD_COLUMNS} FROM events WHERE listed`
          : `SELECT ${LOAD_COLUMNS}, listed FROM events WHERE change_xid >= $1 OR change_xid = ANY($2::bigint[])`,
        reload ? [] : [this.#xmax, this.#running],
      )
      if (reload) this.#clear()
      const parents = new Map(categories.map((c) => [c.id, c.parent_id]))
      const treeChanged =
        parents.size !== this.#parents.size || [...parents].some(([id, p]) => this.#parents.get(id) !== p)
      this.#parents = parents
      for (const row of rows) this.#apply(row)
      if (treeChanged) {
        this.version++
        this.#byCategory.clear()
        this.#categoryMasks.clear()
        for (const event of this.events)
          if (event !== undefined) {
            event.under = this.#ancestors(event.categories)
            this.#file(event, true)
          }
      }
      this.#relation = snap!.relation
      this.#xmax = snap!.xmax
      this.#running = snap!.xip.map(Number)
    }
    const previous = this.#syncing ?? Promise.resolve()
    const next = previous.then(run, run).finally(() => {
      if (this.#syncing === next) this.#syncing = undefined
    })
    this.#syncing = next
    return next
  }

  /** The ID of a lexeme, or undefined when no indexed event has it. */
  lexemeId(lexeme: string): number | undefined {
    return this.#lexemes.get(lexeme)
  }

  /** The events holding the lexeme in `public_search` (guest) or `search`. */
  posting(id: number, guest: boolean): ReadonlySet<number> {
    return (guest ? this.#publicPostings : this.#postings)[id] ?? new Set()
  }

  /** The events holding the lexeme in `title_search`. */
  titlePosting(id: number): ReadonlySet<number> {
    return this.#titlePostings[id] ?? new Set()
  }

  #reset(): void {
    this.version++
    this.moved.length = 0
    this.reloads++
  }

  #moved(slot: number): void {
    this.version++
    if (this.moved.length >= 10_000) this.#reset()
    else this.moved.push(slot)
  }

  /** The events under `category` (with its subcategories). */
  underCategory(category: string): ReadonlySet<number> {
    return this.#byCategory.get(category) ?? new Set()
  }

  /** A byte per slot: 1 when the event is under `category`. */
  categoryMask(category: string): Uint8Array | undefined {
    return this.#categoryMasks.get(category)
  }

  /** Adds an event to (or removes it from) its categories' sets. */
  #file(event: IndexedEvent, add: boolean): void {
    for (const c of event.under) {
      let set = this.#byCategory.get(c)
      if (set === undefined) this.#byCategory.set(c, (set = new Set()))
      let mask = this.#categoryMasks.get(c)
      if (mask === undefined || mask.length <= event.slot) {
        const grown = new Uint8Array(this.columns.price.length)
        if (mask !== undefined) grown.set(mask)
        this.#categoryMasks.set(c, (mask = grown))
      }
      if (add) set.add(event.slot)
      else set.delete(event.slot)
      mask[event.slot] = add ? 1 : 0
    }
  }

  #clear(): void {
    this.#byCategory.clear()
    this.#categoryMasks.clear()
    this.events.length = 0
    this.#slots.clear()
    this.#lexemes.clear()
    this.#postings.length = 0
    this.#publicPostings.length = 0
    this.#titlePostings.length = 0
    this.listedCount = 0
    this.#reset()
  }

  #ids(lexemes: readonly string[]): Int32Array {
    const ids = new Int32Array(lexemes.length)
    lexemes.forEach((lexeme, i) => {
      let id = this.#lexemes.get(lexeme)
      if (id === undefined) {
        id = this.#postings.length
        this.#lexemes.set(lexeme, id)
        this.#postings.push(new Set())
        this.#publicPostings.push(new Set())
        this.#titlePostings.push(new Set())
      }
      ids[i] = id
    })
    return ids.sort()
  }

  #ancestors(categories: readonly string[]): Set<string> {
    const under = new Set<string>()
    for (const own of categories) {
      for (let c: string | null | undefined = own; c != null && !under.has(c); c = this.#parents.get(c))
        under.add(c)
    }
    return under
  }

  #apply(row: Record<string, unknown>): void {
    const id = row.id as string
    const slot = this.#slots.get(id)
    const old = slot === undefined ? undefined : this.events[slot]
    if (old !== undefined && old.changeXid === Number(row.change_xid) && row.listed !== false) return
    if (old !== undefined) {
      for (const l of old.search) this.#postings[l]!.delete(old.slot)
      for (const l of old.publicSearch) this.#publicPostings[l]!.delete(old.slot)
      for (const l of old.titleSearch) this.#titlePostings[l]!.delete(old.slot)
      this.#file(old, false)
    }
    if (row.listed === false) {
      if (old !== undefined) {
        this.events[old.slot] = undefined
        this.listedCount--
        this.#moved(old.slot)
      }
      return
    }
    const categories = row.categories as string[]
    const event: IndexedEvent = {
      slot: slot ?? this.events.length,
      id,
      changeXid: Number(row.change_xid),
      startsAt: Number(row.starts_us),
      priceFrom: row.price_from === null ? null : Number(row.price_from),
      seatsAvailable: Number(row.seats_available),
      rating: row.rating === null ? null : Number(row.rating),
      organizerId: row.organizer_id as string,
      createdAt: Number(row.created_us),
      title: row.title as string,
      categories,
      under: this.#ancestors(categories),
      search: this.#ids(row.search as string[]),
      publicSearch: this.#ids(row.public_search as string[]),
      titleSearch: this.#ids(row.title_search as string[]),
    }
    if (slot === undefined) this.#slots.set(id, event.slot)
    if (event.slot >= this.columns.price.length) this.columns = grow(this.columns, event.slot * 2)
    const col = this.columns
    col.price[event.slot] = event.priceFrom ?? Number.NaN
    col.starts[event.slot] = event.startsAt
    col.seats[event.slot] = event.seatsAvailable
    col.rating[event.slot] = event.rating ?? Number.NaN
    const same = (a: Int32Array, b: Int32Array) => a.length === b.length && a.every((v, i) => v === b[i])
    if (
      old !== undefined &&
      !(
        same(old.search, event.search) &&
        same(old.publicSearch, event.publicSearch) &&
        same(old.titleSearch, event.titleSearch) &&
        old.under.size === event.under.size &&
        [...old.under].every((c) => event.under.has(c))
      )
    )
      this.version++
    this.events[event.slot] = event
    for (const l of event.search) this.#postings[l]!.add(event.slot)
    for (const l of event.publicSearch) this.#publicPostings[l]!.add(event.slot)
    for (const l of event.titleSearch) this.#titlePostings[l]!.add(event.slot)
    this.#file(event, true)
    if (
      old === undefined ||
      old.startsAt !== event.startsAt ||
      old.priceFrom !== event.priceFrom ||
      old.rating !== event.rating ||
      old.createdAt !== event.createdAt ||
      old.title !== event.title
    ) {
      if (old === undefined) this.listedCount++
      this.#moved(event.slot)
    }
  }
}
