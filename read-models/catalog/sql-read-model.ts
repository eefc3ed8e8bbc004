import type { Logger } from 'pino'
import { appendAudit, listAudit, type AuditEntry, type AuditQuery, type AuditRecord } from './audit-log.ts'
import pino from 'pino'
import type { ProjectionBatch, ProjectionSink } from '../../streams/index.ts'
import * as availability from './availability.ts'
import * as bookings from './booking-queries.ts'
import type { BookingSearch } from './booking-queries.ts'
import {
  SqlBulkJobStore,
  type BulkItemProduced,
  type BulkItemToProduce,
  type BulkJobRecord,
  type BulkJobView,
  type NewBulkJob,
} from './bulk-jobs.ts'
import { SqlCategoryStore } from './category-store.ts'
import {
  SqlCheckInDeviceStore,
  type CheckInDeviceGrant,
  type CheckInDeviceView,
  type NewCheckInDevice,
} from './check-in-devices.ts'
import type { Db } from './db.ts'
import { rollingBack } from './rolling-back.ts'
import { ReadModelError } from './errors.ts'
import * as events from './event-queries.ts'
import * as payments from './payment-queries.ts'
import { SqlFavoriteStore } from './favorite-store.ts'
import { ReadModelSink } from './projection-sink.ts'
import * as promos from './promo-queries.ts'
import * as reviews from './review-queries.ts'
import type { EventReviewsRequest, ReviewQueueRequest, ReviewView } from './review-views.ts'
import type { PaymentView, RefundListRequest, RefundView } from './payment-views.ts'
import type { AppliedChanges, ReadModel, ReadModelSerdes } from './read-model.ts'
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

/** Connection-level failures (pg's network errors, PGlite closed) become READ_MODEL_UNAVAILABLE. */
function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  if (
    typeof code === 'string' &&
    (/^(08|57P)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND'].includes(code))
  )
    return true
  return error instanceof Error && /Connection terminated|closed/i.test(error.message) && code === undefined
}

async function guard<T>(work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (error) {
    if (isUnavailable(error)) throw new ReadModelError('the read model database is unavailable', error)
    throw error
  }
}

/** The ReadModel on a Db (pg or PGlite): one code path for both engines. */
export class SqlReadModel implements ReadModel {
  readonly db: Db
  readonly #categories: SqlCategoryStore
  readonly #favorites: SqlFavoriteStore
  readonly #devices: SqlCheckInDeviceStore
  readonly #bulk: SqlBulkJobStore
  readonly #listeners = new Set<(changes: AppliedChanges) => void>()
  readonly #logger: Logger
  readonly #counts = new events.CountCache()

  constructor(db: Db, logger?: Logger) {
    this.db = db
    this.#categories = new SqlCategoryStore(db)
    this.#favorites = new SqlFavoriteStore(db)
    this.#devices = new SqlCheckInDeviceStore(db)
    this.#bulk = new SqlBulkJobStore(db)
    this.#logger = logger ?? pino({ level: 'silent' })
  }

  /** Forgets the cached totals (a batch applied, a category written). */
  #forget(): void {
    this.#counts.clear()
  }

  searchEvents(params: EventSearch, viewer: Viewer): Promise<SearchPage<EventSummary>> {
    return guard(events.searchEvents(this.db, params, viewer, this.#counts))
  }

  getEvent(id: string, viewer: Viewer): Promise<EventDetails | undefined> {
    return guard(events.getEvent(this.db, id, viewer))
  }

  eventVersion(id: string): Promise<number | undefined> {
    return guard(events.eventVersion(this.db, id))
  }

  listEventBookings(eventId: string, request: BookingListRequest): Promise<Page<BookingView>> {
    return guard(bookings.listEventBookings(this.db, eventId, request))
  }

  listPromoCodes(eventId: string, page: PageRequest): Promise<Page<PromoCodeView>> {
    return guard(promos.listPromoCodes(this.db, eventId, page))
  }

  getPromoCode(eventId: string, code: string): Promise<PromoCodeView | undefined> {
    return guard(promos.getPromoCode(this.db, eventId, code))
  }

  latestAvailability(eventId: string): Promise<AvailabilityChange | undefined> {
    return guard(availability.latestAvailability(this.db, eventId))
  }

  availabilityChanges(
    eventId: string,
    afterPosition: number,
    limit: number,
  ): Promise<{ changes: AvailabilityChange[]; complete: boolean }> {
    return guard(availability.availabilityChanges(this.db, eventId, afterPosition, limit))
  }

  userPromoUses(eventId: string, code: string, userId: string): Promise<number> {
    return guard(promos.userPromoUses(this.db, eventId, code, userId))
  }

  listUserBookings(userId: string, request: BookingListRequest): Promise<Page<BookingView>> {
    return guard(bookings.listUserBookings(this.db, userId, request))
  }

  getBooking(id: string): Promise<BookingView | undefined> {
    return guard(bookings.getBooking(this.db, id))
  }

  getPayment(id: string): Promise<PaymentView | undefined> {
    return guard(payments.getPayment(this.db, id))
  }

  bookingPayments(bookingId: string): Promise<{ payments: PaymentView[]; refunds: RefundView[] }> {
    return guard(payments.bookingPayments(this.db, bookingId))
  }

  listRefunds(request: RefundListRequest): Promise<Page<RefundView>> {
    return guard(payments.listRefunds(this.db, request))
  }

  searchBookings(search: BookingSearch): Promise<Page<BookingView>> {
    return guard(bookings.searchBookings(this.db, search))
  }

  exportEventBookings(eventId: string, statuses: readonly BookingStatus[]): Promise<BookingView[]> {
    return guard(bookings.exportEventBookings(this.db, eventId, statuses))
  }

  listWaitlist(userId: string): Promise<readonly WaitlistEntryView[]> {
    return guard(bookings.listWaitlist(this.db, userId))
  }

  listEventReviews(eventId: string, request: EventReviewsRequest): Promise<Page<ReviewView>> {
    return guard(reviews.listEventReviews(this.db, eventId, request))
  }

  getReview(id: string): Promise<ReviewView | undefined> {
    return guard(reviews.getReview(this.db, id))
  }

  listReviewsByStatus(request: ReviewQueueRequest): Promise<Page<ReviewView>> {
    return guard(reviews.listReviewsByStatus(this.db, request))
  }

  getOutcome(requestId: string): Promise<RequestOutcomeView | undefined> {
    return guard(bookings.getOutcome(this.db, requestId))
  }

  appendAudit(entry: AuditEntry): Promise<void> {
    return guard(appendAudit(this.db, entry))
  }

  listAudit(query: AuditQuery): Promise<Page<AuditRecord>> {
    return guard(listAudit(this.db, query))
  }

  listCategories(): Promise<readonly Category[]> {
    return guard(this.#categories.listCategories())
  }

  listCategoryTree(): Promise<readonly CategoryNode[]> {
    return guard(this.#categories.listCategoryTree())
  }

  getCategory(id: string): Promise<Category | undefined> {
    return guard(this.#categories.getCategory(id))
  }

  createCategory(input: CategoryInput, actor: AuditActor): Promise<Category> {
    return guard(this.#categories.createCategory(input, actor)).finally(() => this.#forget())
  }

  updateCategory(id: string, patch: CategoryPatch, actor: AuditActor): Promise<Category | undefined> {
    return guard(this.#categories.updateCategory(id, patch, actor)).finally(() => this.#forget())
  }

  deleteCategory(id: string, actor: AuditActor): Promise<boolean> {
    return guard(this.#categories.deleteCategory(id, actor)).finally(() => this.#forget())
  }

  listFavorites(userId: string, page: PageRequest): Promise<Page<FavoriteView>> {
    return guard(this.#favorites.listFavorites(userId, page))
  }

  isFavorite(userId: string, eventId: string): Promise<boolean> {
    return guard(this.#favorites.isFavorite(userId, eventId))
  }

  addFavorite(userId: string, eventId: string): Promise<boolean> {
    return guard(this.#favorites.addFavorite(userId, eventId))
  }

  removeFavorite(userId: string, eventId: string): Promise<boolean> {
    return guard(this.#favorites.removeFavorite(userId, eventId))
  }

  createCheckInDevice(device: NewCheckInDevice): Promise<CheckInDeviceView | undefined> {
    return guard(this.#devices.createCheckInDevice(device))
  }

  listCheckInDevices(eventId: string): Promise<readonly CheckInDeviceView[]> {
    return guard(this.#devices.listCheckInDevices(eventId))
  }

  revokeCheckInDevice(eventId: string, deviceId: string): Promise<boolean> {
    return guard(this.#devices.revokeCheckInDevice(eventId, deviceId))
  }

  findCheckInDevice(keyHash: string): Promise<CheckInDeviceGrant | undefined> {
    return guard(this.#devices.findCheckInDevice(keyHash))
  }

  createBulkJob(job: NewBulkJob): Promise<{ job: BulkJobRecord; created: boolean }> {
    return guard(this.#bulk.createBulkJob(job))
  }

  getBulkJob(id: string): Promise<BulkJobView | undefined> {
    return guard(this.#bulk.getBulkJob(id))
  }

  unproducedBulkJobs(idleSince?: string): Promise<readonly BulkJobRecord[]> {
    return guard(this.#bulk.unproducedBulkJobs(idleSince))
  }

  bulkItemsToProduce(jobId: string): Promise<readonly BulkItemToProduce[]> {
    return guard(this.#bulk.bulkItemsToProduce(jobId))
  }

  markBulkItems(jobId: string, items: readonly BulkItemProduced[]): Promise<void> {
    return guard(this.#bulk.markBulkItems(jobId, items))
  }

  onApplied(listener: (changes: AppliedChanges) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async rehearse(serdes: ReadModelSerdes, batches: readonly ProjectionBatch[]): Promise<void> {
    // A projection name of its own: the catalog's stored offsets would skip the batches as applied.
    const sink = new ReadModelSink({
      db: rollingBack(this.db),
      serdes,
      logger: this.#logger,
      projection: 'rehearsal',
    })
    await sink.applyAll(batches)
  }

  projectionSink(serdes: ReadModelSerdes): ProjectionSink {
    return new ReadModelSink({
      db: this.db,
      serdes,
      logger: this.#logger,
      onApplied: (changes) => {
        this.#counts.clear()
        for (const listener of this.#listeners) {
          try {
            listener(changes)
          } catch (error) {
            this.#logger.error({ err: error }, 'read model onApplied listener failed')
          }
        }
      },
    })
  }

  async health(): Promise<void> {
    await guard(this.db.query('SELECT 1'))
  }

  close(): Promise<void> {
    return this.db.close()
  }
}
