import type { PaymentStatusChanged, RefundRequest, RequestOutcome } from '../avro/index.ts'
import type { KeyValueStore, ProcessorContext } from '../streams/index.ts'
import {
  holdDueMs,
  isActive,
  type BookingState,
  type EventState,
  type WaitingListState,
} from './ledger-state.ts'
import type { LedgerOutput } from './ledger-outputs.ts'
import { dueRefundRetry, refundStatusLanded, trackRefund, type TrackedRefund } from './refund-retries.ts'
import { outcomeExpired } from './request-outcomes.ts'

/** The stores of the event ledger; all keyed so that one event's entries live in its partition's task. */
export const LEDGER_STORES = {
  /** eventId → EventState (compact: price options, promo codes, crew, counters). */
  events: 'ledger-events',
  /** `<eventId>/<bookingId>` → BookingState. */
  bookings: 'ledger-bookings',
  /** `<eventId>/<userId>` → bookingId of the user's one active booking. */
  activeBookings: 'ledger-active-bookings',
  /** `<eventId>/<userId>` → IDs of the user's bookings on the event made with a promo code (per-user limits). */
  promoBookings: 'ledger-promo-bookings',
  /** eventId → WaitingListState. */
  waitingLists: 'ledger-waiting-lists',
  /**
   * `<eventId>/<bookingId>` → when the hold of a PENDING_PAYMENT booking, or of a CONFIRMED one's seat top-up,
   * is due (ms): a number, which a restart reads 100,000 of before it serves (`primeHolds`).
   */
  holdTimers: 'ledger-hold-timers',
  /** `<eventId>/<refundId>` → TrackedRefund of a refund asked for and not yet completed (refund-retries.ts). */
  refunds: 'ledger-refunds',
  /** requestId → RequestOutcome, kept OUTCOME_RETENTION_MS. */
  outcomes: 'ledger-request-outcomes',
  /** `<eventId>/<actor userId>/<Idempotency-Key>` → FirstRequest, kept OUTCOME_RETENTION_MS. */
  idempotencyKeys: 'ledger-idempotency-keys',
} as const

/** What a decision needs to know of a user's bookings on an event. */
export interface UserBookings {
  /** The ID of the user's one active booking, if any. */
  readonly activeBookingId: string | undefined
  /** The user's bookings made with a promo code, ended ones included (promo-codes.ts `userPromoUses`). */
  readonly promoBookings: readonly BookingState[]
}

/** The request an Idempotency-Key was first used for, and when it was decided. */
export interface FirstRequest {
  readonly requestId: string
  readonly decidedAtMs: number
}

/** When an unpaid hold (or a pending seat top-up) of a booking is due to expire. */
export interface HoldTimer {
  readonly eventId: string
  readonly bookingId: string
  readonly dueMs: number
}

/**
 * Per hold-timer store: no timer in it is due before this time. Kept in memory beside the store, not
 * logged: absent (unknown) after a restore until the first scan; a scan sets it to the earliest timer
 * it saw, a timer written lowers it. A delete, or a write a failed record rolls back, leaves it lower
 * than it need be, which the next scan corrects. So the timers punctuator reads no timer on the ticks
 * where none can be due (every second: a flash sale leaves 100,000 holds). Keyed by the store, so every
 * LedgerStores of a task (the event and review ledgers) sees the same bound.
 */
const holdsDueFrom = new WeakMap<KeyValueStore<string, number>, number>()

const bookingKey = (eventId: string, bookingId: string) => `${eventId}/${bookingId}`
/** The timer of a hold-timer entry; event IDs hold no `/` (one event's entries are found by `<eventId>/`). */
function holdTimer(key: string, dueMs: number): HoldTimer {
  const slash = key.indexOf('/')
  return { eventId: key.slice(0, slash), bookingId: key.slice(slash + 1), dueMs }
}
const userKey = (eventId: string, userId: string) => `${eventId}/${userId}`
// The key is the client's text: JSON keeps any character of it from running into the IDs.
const idempotencyKey = (eventId: string, userId: string, key: string) =>
  JSON.stringify([eventId, userId, key])

/**
 * The event ledger's state as it sits in its stores (LEDGER_STORES): the key scheme, and the indexes kept
 * in step with the bookings (each user's active booking, each unpaid hold's timer). The processor reads
 * and writes its state only through this, so no path can save a booking and forget its index or timer.
 */
export class LedgerStores {
  readonly #events: KeyValueStore<string, EventState>
  readonly #bookings: KeyValueStore<string, BookingState>
  readonly #active: KeyValueStore<string, string>
  readonly #promoBookings: KeyValueStore<string, readonly string[]>
  readonly #waitingLists: KeyValueStore<string, WaitingListState>
  readonly #holds: KeyValueStore<string, number>
  readonly #outcomes: KeyValueStore<string, RequestOutcome>
  readonly #keys: KeyValueStore<string, FirstRequest>
  readonly #refunds: KeyValueStore<string, TrackedRefund>

  constructor(context: ProcessorContext<string, unknown>) {
    this.#events = context.getStateStore(LEDGER_STORES.events)
    this.#bookings = context.getStateStore(LEDGER_STORES.bookings)
    this.#active = context.getStateStore(LEDGER_STORES.activeBookings)
    this.#promoBookings = context.getStateStore(LEDGER_STORES.promoBookings)
    this.#waitingLists = context.getStateStore(LEDGER_STORES.waitingLists)
    this.#holds = context.getStateStore(LEDGER_STORES.holdTimers)
    this.#outcomes = context.getStateStore(LEDGER_STORES.outcomes)
    this.#keys = context.getStateStore(LEDGER_STORES.idempotencyKeys)
    this.#refunds = context.getStateStore(LEDGER_STORES.refunds)
  }

  /** Tracks a refund just asked for (or asked again) until a status reports it done (refund-retries.ts). */
  trackRefund(request: RefundRequest): void {
    this.#refunds.put(bookingKey(request.eventId, request.refundId), trackRefund(request))
  }

  /** A refund's status (`status.refundId` set): done, or failed and waiting for its retry. */
  landRefundStatus(status: PaymentStatusChanged, nowMs: number): void {
    const key = bookingKey(status.eventId, status.refundId!)
    const next = refundStatusLanded(this.#refunds.get(key), status, nowMs)
    if (next === null) this.#refunds.delete(key)
    else if (next !== undefined) this.#refunds.put(key, next)
  }

  /** The retries of FAILED refunds due at `nowMs` (each tracked again as REQUESTED once emitted). */
  dueRefundRetries(nowMs: number): LedgerOutput[] {
    const due: LedgerOutput[] = []
    for (const [, tracked] of this.#refunds.all()) {
      const retry = dueRefundRetry(tracked, nowMs)
      if (retry !== undefined) due.push(retry)
    }
    return due
  }

  event(eventId: string): EventState | undefined {
    return this.#events.get(eventId)
  }

  /** Writes the event, unless it is the stored record already (a decision that left it as it was). */
  saveEvent(event: EventState): void {
    if (this.#events.get(event.eventId) !== event) this.#events.put(event.eventId, event)
  }

  /** Writes the event even when unchanged (the store records the write). */
  putEvent(event: EventState): void {
    this.#events.put(event.eventId, event)
  }

  /** The IDs of the task's events, as they are now (writes while iterating do not move the list). */
  eventIds(): string[] {
    return [...this.#events.all()].map(([eventId]) => eventId)
  }

  booking(eventId: string, bookingId: string): BookingState | undefined {
    return this.#bookings.get(bookingKey(eventId, bookingId))
  }

  /** The event's bookings (a scan of the event's keys, not of the store). */
  bookingsOf(eventId: string): BookingState[] {
    return [...this.#bookings.prefixScan(`${eventId}/`)].map(([, b]) => b)
  }

  /** The ID of the user's active booking on the event, if any. */
  activeBookingId(eventId: string, userId: string): string | undefined {
    return this.#active.get(userKey(eventId, userId))
  }

  /** Whether the user holds a CONFIRMED booking on the event: their active one, or one of their promo-code bookings. */
  hasConfirmedBooking(eventId: string, userId: string): boolean {
    const { activeBookingId, promoBookings } = this.userBookings(eventId, userId)
    const active = activeBookingId === undefined ? undefined : this.booking(eventId, activeBookingId)
    return [active, ...promoBookings].some((booking) => booking?.status === 'CONFIRMED')
  }

  /** The user's active booking and promo-code bookings on the event. */
  userBookings(eventId: string, userId: string): UserBookings {
    const ids = this.#promoBookings.get(userKey(eventId, userId)) ?? []
    return {
      activeBookingId: this.activeBookingId(eventId, userId),
      promoBookings: ids.flatMap((id) => this.booking(eventId, id) ?? []),
    }
  }

  /** Writes a booking with its active-booking and promo-booking index entries and hold timer. */
  saveBooking(booking: BookingState): void {
    const key = bookingKey(booking.eventId, booking.bookingId)
    this.#bookings.put(key, booking)
    const indexKey = userKey(booking.eventId, booking.userId)
    if (isActive(booking)) this.#active.put(indexKey, booking.bookingId)
    else if (this.#active.get(indexKey) === booking.bookingId) this.#active.delete(indexKey)
    if (booking.promoCode !== null) {
      const ids = this.#promoBookings.get(indexKey) ?? []
      if (!ids.includes(booking.bookingId)) this.#promoBookings.put(indexKey, [...ids, booking.bookingId])
    }
    const dueMs = holdDueMs(booking)
    if (dueMs !== null) {
      this.#holds.put(key, dueMs)
      const from = holdsDueFrom.get(this.#holds)
      if (from !== undefined && dueMs < from) holdsDueFrom.set(this.#holds, dueMs)
    } else if (this.#holds.get(key) !== undefined) this.#holds.delete(key)
  }

  /**
   * The hold timers due at `nowMs`, in the store's order. Only those are collected, and the store is not
   * read at all while `holdsDueFrom` says none can be due. Call it before any hold is written in the same
   * record or punctuation (runTimers does): a rollback then goes back to the timers it scanned.
   */
  dueHolds(nowMs: number): HoldTimer[] {
    if ((holdsDueFrom.get(this.#holds) ?? -Infinity) > nowMs) return []
    const due: HoldTimer[] = []
    let earliest = Infinity
    for (const [key, dueMs] of this.#holds.all()) {
      if (dueMs <= nowMs) due.push(holdTimer(key, dueMs))
      if (dueMs < earliest) earliest = dueMs
    }
    holdsDueFrom.set(this.#holds, earliest)
    return due
  }

  /**
   * Reads every hold timer once, so that the bound is known: after a restore the timers are bytes until
   * read, and the first scan decodes all of them (a flash sale leaves 100,000). A task calls it as it
   * starts, before the service reports ready, so that the first tick does not stall the first requests.
   */
  primeHolds(): void {
    this.dueHolds(-Infinity)
  }

  /** Drops a timer whose event or booking is gone. */
  dropHold(timer: HoldTimer): void {
    this.#holds.delete(bookingKey(timer.eventId, timer.bookingId))
  }

  waitingList(eventId: string): WaitingListState | undefined {
    return this.#waitingLists.get(eventId)
  }

  putWaitingList(eventId: string, list: WaitingListState): void {
    this.#waitingLists.put(eventId, list)
  }

  deleteWaitingList(eventId: string): void {
    this.#waitingLists.delete(eventId)
  }

  /** The waiting lists with an offer expired at `nowMs`, by event ID. */
  listsWithDueOffers(nowMs: number): [string, WaitingListState][] {
    return [...this.#waitingLists.all()].filter(([, list]) => list.offers.some((o) => o.expiresAtMs <= nowMs))
  }

  /** The outcome kept for a request ID, if it is still kept. */
  outcome(requestId: string): RequestOutcome | undefined {
    return this.#outcomes.get(requestId)
  }

  putOutcome(requestId: string, outcome: RequestOutcome): void {
    this.#outcomes.put(requestId, outcome)
  }

  /** The first request of an actor's Idempotency-Key on an event, while it is kept. */
  firstRequest(eventId: string, userId: string, key: string): FirstRequest | undefined {
    return this.#keys.get(idempotencyKey(eventId, userId, key))
  }

  putFirstRequest(eventId: string, userId: string, key: string, first: FirstRequest): void {
    this.#keys.put(idempotencyKey(eventId, userId, key), first)
  }

  /** Drops the outcomes and Idempotency-Keys older than the retention. */
  pruneOutcomes(nowMs: number): void {
    const expired = [...this.#outcomes.all()].filter(([, outcome]) => outcomeExpired(outcome, nowMs))
    for (const [requestId] of expired) this.#outcomes.delete(requestId)
    const expiredKeys = [...this.#keys.all()].filter(([, first]) => outcomeExpired(first, nowMs))
    for (const [key] of expiredKeys) this.#keys.delete(key)
  }
}
