/**
 * The read model's public contract: what the query API reads (the catalog, bookings, waiting lists,
 * outcomes, projected from the domain topics) and the two kinds of data it owns and writes directly
 * (admin-managed categories, private favorites). The views it answers with and the queries it takes are
 * in views.ts, with the conventions every view follows (kopecks, ISO instants, `null` for absent facts).
 */
import type { EmbeddedLog, KafkaSecurity, ProjectionBatch, ProjectionSink } from '../../streams/index.ts'
import type { BookingSerdes } from '../../topologies/index.ts'
import type { AuditEntry, AuditQuery, AuditRecord } from './audit-log.ts'
import type { BookingSearch } from './booking-queries.ts'
import type { BulkJobStore } from './bulk-jobs.ts'
import type { CheckInDeviceStore } from './check-in-devices.ts'
import type { PaymentView, RefundListRequest, RefundView } from './payment-views.ts'
import type { EventReviewsRequest, ReviewQueueRequest, ReviewView } from './review-views.ts'
import type {
  AvailabilityChange,
  BookingListRequest,
  BookingStatus,
  AuditActor,
  BookingView,
  Category,
  CategoryInput,
  CategoryNode,
  CategoryPatch,
  EventDetails,
  EventSearch,
  EventSummary,
  FavoriteView,
  Page,
  PageRequest,
  SearchPage,
  PromoCodeView,
  RequestOutcomeView,
  Viewer,
  WaitlistEntryView,
} from './views.ts'

/** The value serdes the projection decodes with (from `createBookingSerdes(registry)`). */
export type ReadModelSerdes = Pick<
  BookingSerdes,
  | 'topics'
  | 'eventEvent'
  | 'bookingEvent'
  | 'outcome'
  | 'reviewEvent'
  | 'paymentRequest'
  | 'paymentStatus'
  | 'refundRequest'
>

/**
 * Where the projection reads the topics: the embedded log, or Kafka in the consumer group `groupId`
 * (default `backend-event-catalog`), with the TLS and SASL settings of `kafka`.
 */
export type ReadModelSource =
  | { readonly log: EmbeddedLog }
  | { readonly brokers: readonly string[]; readonly groupId?: string; readonly kafka?: KafkaSecurity }

/**
 * What one applied projection batch touched: the API invalidates its caches for these and wakes the
 * `Prefer: wait` requests waiting on these request IDs.
 */
export interface AppliedChanges {
  readonly eventIds: readonly string[]
  readonly bookingIds: readonly string[]
  readonly requestIds: readonly string[]
}

/**
 * The read side of the service, one instance per process, backed by PGlite (embedded) or PostgreSQL
 * (`DATABASE_URL`). Open it with `openReadModel` (index.ts). All methods are safe to call concurrently.
 *
 * Errors: methods reject with `ReadModelError` (code `READ_MODEL_UNAVAILABLE`, retriable) when the
 * database cannot be reached, and with `CategoryError` (codes in category-store.ts) from category
 * writes. Unknown IDs are never errors: getters resolve `undefined`.
 *
 * @example
 *   const model = await openReadModel({ dataDir: '.data' })
 *   const page = await model.searchEvents({ q: 'сплав', hasSeats: true, page: 0, size: 20 }, { role: 'guest' })
 */
export interface ReadModel extends CategoryStore, FavoriteStore, CheckInDeviceStore, BulkJobStore {
  /**
   * Catalog search; see `EventSearch` for filters and visibility. `total` is exact but may be reused for
   * up to 2 s for the same filters (forgotten at once when this process applies a batch or writes a
   * category); the items are always read fresh.
   */
  searchEvents(params: EventSearch, viewer: Viewer): Promise<SearchPage<EventSummary>>
  /**
   * One event, or `undefined` when it does not exist or the viewer may not see it (a draft of another
   * organizer: answer 404, not 403, so drafts do not leak). Guests get `place` and `crew` null.
   */
  getEvent(id: string, viewer: Viewer): Promise<EventDetails | undefined>
  /** The event's current version (for `If-Match` / ETag), regardless of visibility; undefined if unknown. */
  eventVersion(id: string): Promise<number | undefined>

  /**
   * Bookings of an event, newest first (organizer of the event or admin: the API checks); those that held
   * seats unless `request.status` asks for others (REJECTED).
   */
  listEventBookings(eventId: string, request: BookingListRequest): Promise<Page<BookingView>>
  /** An event's promo codes in creation order, deactivated ones included (the API checks who may list). */
  listPromoCodes(eventId: string, page: PageRequest): Promise<Page<PromoCodeView>>
  /** One promo code of an event; undefined when the event has no such code (or is unknown). */
  getPromoCode(eventId: string, code: string): Promise<PromoCodeView | undefined>
  /** The event's latest recorded availability (status, free seats per option); undefined if none. */
  latestAvailability(eventId: string): Promise<AvailabilityChange | undefined>
  /**
   * The event's availability changes after `afterPosition`, oldest first, at most `limit`; `complete`
   * false: the ones right after it were dropped (availability.ts AVAILABILITY_CHANGES_KEPT).
   */
  availabilityChanges(
    eventId: string,
    afterPosition: number,
    limit: number,
  ): Promise<{ changes: AvailabilityChange[]; complete: boolean }>
  /** How many of the user's bookings on the event hold or have used the code (its per-user limit). */
  userPromoUses(eventId: string, code: string, userId: string): Promise<number>
  /** A user's bookings, newest first; those that held seats unless `request.status` asks for others. */
  listUserBookings(userId: string, request: BookingListRequest): Promise<Page<BookingView>>
  getBooking(id: string): Promise<BookingView | undefined>
  /** A payment by its ID (what `POST /bookings/{id}/pay` waits for). */
  getPayment(id: string): Promise<PaymentView | undefined>
  /** A booking's payments and refunds, oldest first. */
  bookingPayments(bookingId: string): Promise<{ payments: PaymentView[]; refunds: RefundView[] }>
  /** Refunds across events, latest change first (admins: the FAILED ones wait for them). */
  listRefunds(request: RefundListRequest): Promise<Page<RefundView>>
  /** The admins' booking search across events (`BookingSearch`), newest first. */
  searchBookings(search: BookingSearch): Promise<Page<BookingView>>
  /** An event's bookings of `statuses`, oldest first, at most `MAX_EXPORT_ROWS` (the participants export). */
  exportEventBookings(eventId: string, statuses: readonly BookingStatus[]): Promise<BookingView[]>
  /** The user's active waiting-list entries, soonest event first. */
  listWaitlist(userId: string): Promise<readonly WaitlistEntryView[]>

  /** An event's reviews (see `EventReviewsRequest`: ACTIVE ones, and the viewer's own). */
  listEventReviews(eventId: string, request: EventReviewsRequest): Promise<Page<ReviewView>>
  /** One review, whatever its status; undefined when unknown. */
  getReview(id: string): Promise<ReviewView | undefined>
  /** The reviews of one status, oldest first (the admins' moderation queue with PENDING). */
  listReviewsByStatus(request: ReviewQueueRequest): Promise<Page<ReviewView>>

  /** The recorded outcome of a command, once its decision has been projected. */
  getOutcome(requestId: string): Promise<RequestOutcomeView | undefined>

  /** Appends one record to the durable audit log (audit-log.ts). */
  appendAudit(entry: AuditEntry): Promise<void>
  /** Audit records matching the filters, newest first, each with its command's outcome once decided. */
  listAudit(query: AuditQuery): Promise<Page<AuditRecord>>

  /**
   * Subscribe to applied projection batches (after their transaction committed). Returns the
   * unsubscribe function. Listener errors are logged, never thrown into the projection.
   */
  onApplied(listener: (changes: AppliedChanges) => void): () => void

  /**
   * The projection sink writing this model from the domain topics (`catalogTopics(serdes.topics)`). Feed it with
   * `EmbeddedProjection` or `KafkaProjection` (streams/projection.ts), or use `startReadModelProjection`
   * (index.ts). Each batch is one transaction with its offsets; `onApplied` listeners fire after commit.
   */
  projectionSink(serdes: ReadModelSerdes): ProjectionSink

  /**
   * Applies `batches` as the projection sink would, in transactions that are rolled back: nothing stays
   * and no `onApplied` listener hears of it, but the statements are prepared and the database has the
   * tables in its caches (a start's warm-up, infra/warm-up.ts).
   */
  rehearse(serdes: ReadModelSerdes, batches: readonly ProjectionBatch[]): Promise<void>

  /** Resolves when the database answers a trivial query; rejects otherwise (for `/readyz`). */
  health(): Promise<void>
  /** Releases the pool / closes PGlite. */
  close(): Promise<void>
}

/**
 * Categories are owned by the read model's database, not by a topic: there is no category command topic
 * (infra/topics.ts), and categories are reference data edited by admins. Every write runs in one
 * transaction with a row in `category_audit` (before/after JSON, actor, request ID). Rebuilding the
 * projections keeps them (rebuild.ts copies them into the fresh schema).
 */
export interface CategoryStore {
  /** Every category, ordered by level, position, name. */
  listCategories(): Promise<readonly Category[]>
  /** The same as a forest of roots with children. */
  listCategoryTree(): Promise<readonly CategoryNode[]>
  getCategory(id: string): Promise<Category | undefined>
  /**
   * Creates a category. Rejects with `CategoryError`: `CATEGORY_NOT_FOUND` (the parent),
   * `CATEGORY_TOO_DEEP` (a 4th level), `CATEGORY_CONFLICT` (ID or slug taken), `VALIDATION_FAILED`.
   */
  createCategory(input: CategoryInput, actor: AuditActor): Promise<Category>
  /** Updates; `undefined` when absent. Moving under own descendant or below level 3 is refused. */
  updateCategory(id: string, patch: CategoryPatch, actor: AuditActor): Promise<Category | undefined>
  /**
   * Deletes a leaf category; false when absent. Rejects with `CATEGORY_HAS_CHILDREN` when it has children.
   * Events keep the ID in their `categories` (the event topic is the truth for those).
   */
  deleteCategory(id: string, actor: AuditActor): Promise<boolean>
}

/**
 * Favorites are private per user and owned here (guests have none). Analytics facts about them are the
 * API's to produce; this only stores.
 */
export interface FavoriteStore {
  /** The user's favorites, most recent first, with the events as the user may see them. */
  listFavorites(userId: string, page: PageRequest): Promise<Page<FavoriteView>>
  isFavorite(userId: string, eventId: string): Promise<boolean>
  /** True when added, false when it already was a favorite (idempotent). */
  addFavorite(userId: string, eventId: string): Promise<boolean>
  /** True when removed, false when it was not a favorite (idempotent). */
  removeFavorite(userId: string, eventId: string): Promise<boolean>
}

/** Options of `openReadModel`. */
export interface ReadModelOptions {
  /** PostgreSQL URL: real mode with `pg`. Wins over `dataDir`. */
  readonly databaseUrl?: string
  /** Embedded mode: PGlite in `${dataDir}/pg`. Neither set: in-memory PGlite (tests). */
  readonly dataDir?: string
  /** Schema holding the tables; default `read_model`. */
  readonly schema?: string
  /** pg pool size in real mode; default 20. */
  readonly poolSize?: number
}
