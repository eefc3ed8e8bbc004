/**
 * What the read model answers with and the queries it takes: the views of the catalog, bookings,
 * waiting lists and outcomes (projected from the domain topics), of the categories and favorites it owns,
 * and the search, paging and audit inputs of the `ReadModel` interface (read-model.ts).
 *
 * Conventions of every view:
 * - money is in kopecks (minor units), as in the Avro contracts; a JS `number` (safe up to 2^53);
 * - instants are ISO 8601 strings in UTC (`2026-06-01T07:00:00.000Z`), ready for JSON;
 * - optional facts are `null`, never absent, so responses keep a stable shape;
 * - nothing here authorizes a write: the API decides who may call what, except for the visibility rules
 *   documented on `searchEvents` and `getEvent` (drafts, guest reductions), which the read model enforces
 *   from the `Viewer` it is given.
 */
import type {
  BookingEventType,
  BookingStatus,
  EventStatus,
  PromoKind,
  ResourceType,
} from '../../avro/index.ts'

export type { BookingStatus, EventStatus, PromoKind, ResourceType }

/** Who is asking. `userId` is the token's `sub`; absent for guests. */
export interface Viewer {
  readonly userId?: string
  readonly role: 'guest' | 'user' | 'organizer' | 'admin'
}

/** A page of results; `page` counts from 0, `total` counts every match. */
export interface Page<T> {
  readonly items: readonly T[]
  readonly page: number
  readonly size: number
  readonly total: number
}

/**
 * A page of a catalog search: a `Page` whose `total` is exact up to 1,000 matches; beyond,
 * `totalIsEstimate` is true and `total` is 1,000 ("more than 1,000"). `nextCursor` continues after the
 * last item (`EventSearch.cursor`); null when no more events match.
 */
export interface SearchPage<T> extends Page<T> {
  readonly totalIsEstimate: boolean
  readonly nextCursor: string | null
}

/** Which page to read: `page` from 0, `size` 1-100 (values outside are clamped). */
export interface PageRequest {
  readonly page: number
  readonly size: number
}

/**
 * A page of a booking list. `status`: the statuses to list; by default the bookings that held seats
 * (PENDING_PAYMENT, CONFIRMED, CANCELED, EXPIRED), so refused requests (REJECTED) appear only when asked
 * for. `total` counts the same rows.
 */
export interface BookingListRequest extends PageRequest {
  readonly status?: readonly BookingStatus[]
}

export type EventSortField = 'relevance' | 'startsAt' | 'price' | 'title' | 'createdAt' | 'rating'

/**
 * Catalog search. Every filter narrows (AND). Unset filters do not apply.
 *
 * - `q`: full-text query, stemmed in Russian and English (`байдарки` finds `байдарка`, `rafting` finds
 *   `rafts`); words are ANDed, `"quoted phrase"` and `-word` work (`websearch_to_tsquery`). With `q` the
 *   default order is `relevance`: the events whose title matches come first, then those matching in the
 *   description or the place only; soonest first within each (search-paging.ts says why not `ts_rank`).
 * - `category`: a category ID; matches events in it or in any of its subcategories.
 * - `from` / `to`: the event starts at or after `from` and at or before `to`.
 * - `priceMin` / `priceMax` (kopecks): the event's lowest price option (`priceFrom`) is in the range.
 * - `place`: case-insensitive substring of the place.
 *
 * A guest viewer (`role: 'guest'`) does not see the exact meeting point, so `q` and `place` match only what
 * a guest sees: the title, the description and the area (`q`), the area (`place`).
 * - `hasSeats`: true keeps events with at least one free seat, false those without.
 * - `status`: statuses to list; default `PUBLISHED` and `RESCHEDULED` (the bookable catalog).
 *   `DRAFT` rows are only ever returned to admins and to their own organizer (others just get none).
 * - `organizerId`: only this organizer's events (the organizer's "my events").
 * - `sort`: default `relevance` with `q`, else `startsAt asc`; `relevance` without `q` is `startsAt asc`.
 *   Ties break on the event ID, so pages are stable. `price` and `rating` sort events without one last in
 *   both directions.
 * - `page` / `size`: the page from 0 (`OFFSET page × size`), 1-100 events.
 * - `cursor`: a `nextCursor` of an earlier page of the same search and order: the page after it (then
 *   `page` is not used). Deep pages by cursor cost what the first page does.
 */
export interface EventSearch {
  readonly q?: string
  readonly category?: string
  readonly from?: Date
  readonly to?: Date
  readonly priceMin?: number
  readonly priceMax?: number
  readonly place?: string
  readonly hasSeats?: boolean
  readonly status?: readonly EventStatus[]
  readonly organizerId?: string
  /** Only events rated at least this (1-5); unrated events never match. */
  readonly minRating?: number
  readonly sort?: { readonly field: EventSortField; readonly dir: 'asc' | 'desc' }
  readonly cursor?: string
  readonly page: number
  readonly size: number
}

/** An event in a list. */
export interface EventSummary {
  readonly id: string
  readonly version: number
  readonly status: EventStatus
  readonly organizerId: string
  readonly title: string
  /**
   * The public part of the place: the text before the first comma of `place` (the convention is
   * "Region / river, exact meeting point"), or the whole place when it has no comma.
   */
  readonly area: string
  readonly startsAt: string
  readonly endsAt: string
  /** Category IDs as the organizer set them. */
  readonly categories: readonly string[]
  /** Lowest price over the price options, kopecks; null when the event has no price option yet. */
  readonly priceFrom: number | null
  readonly currency: 'RUB'
  readonly capacity: number
  /**
   * Free seats: capacity minus confirmed and pending seats minus seats offered to the waiting list, and
   * no more than the price options still hold.
   */
  readonly seatsAvailable: number
  /** Mean rating of the ACTIVE reviews, 1 decimal; null until one is ACTIVE. */
  readonly rating: number | null
  /** How many ACTIVE reviews the rating is the mean of. */
  readonly reviewCount: number
  readonly createdAt: string
  readonly updatedAt: string
}

/** A price option with its live availability. */
export interface PriceOptionView {
  readonly id: string
  readonly name: string
  readonly priceMinor: number
  readonly allotment: number
  readonly seatsTaken: number
  readonly seatsAvailable: number
  readonly validFrom: string | null
  readonly validUntil: string | null
}

/**
 * A crew request as the event topic tells it. The topic carries the request ID and its status, not the
 * role or the member: those live with the crew service.
 */
export interface CrewView {
  readonly crewRequestId: string
  readonly status: 'REQUESTED' | 'ASSIGNED' | 'UNAVAILABLE' | 'RELEASED'
}

/**
 * One event in full. For guests `place` and `crew` are null (reduced details: the area is public, the
 * exact meeting point and the crew are not).
 */
export interface EventDetails extends EventSummary {
  readonly description: string
  readonly place: string | null
  readonly seatsTaken: number
  readonly priceOptions: readonly PriceOptionView[]
  readonly crew: readonly CrewView[] | null
  /** Scheduled publication time, when the organizer scheduled one. */
  readonly publishAt: string | null
  /** Reason of a cancellation (the event topic's `detail` on CANCELED). */
  readonly cancelReason: string | null
}

/**
 * A promo code of an event as its organizer and admins see it. The terms come from the event snapshots;
 * `uses` is counted from the projected bookings with the ledger's rule (a pending hold counts, a confirmed
 * booking keeps its use when canceled, an unpaid hold that ends gives it back), so it follows bookings as
 * they are projected. The ledger's own count decides a booking; this one may lag it by the projection.
 */
export interface PromoCodeView {
  readonly code: string
  readonly kind: PromoKind
  /** Percent (1-100) for PERCENTAGE, kopecks off the booking for FIXED_AMOUNT. */
  readonly value: number
  readonly usageLimit: number
  readonly uses: number
  /** `usageLimit - uses`, never below 0. */
  readonly usesLeft: number
  /** Usable from (inclusive); null: from creation. */
  readonly validFrom: string | null
  /** Usable until (inclusive). */
  readonly validUntil: string
  /** False once deactivated. */
  readonly active: boolean
  /** How many bookings of one user may hold or have used it; null: no per-user limit. */
  readonly maxUsesPerUser: number | null
  /** Whether a confirmed booking canceled later gives its use back. */
  readonly cancelReturnsUse: boolean
}

/** A category of the tree (at most 3 levels: root is level 1). */
export interface Category {
  readonly id: string
  readonly parentId: string | null
  readonly name: string
  readonly slug: string
  /** 1 for roots, up to 3. */
  readonly level: number
  readonly position: number
  readonly createdAt: string
  readonly updatedAt: string
}

/** A category with its children, as `listCategoryTree` returns it. */
export interface CategoryNode extends Category {
  readonly children: readonly CategoryNode[]
}

export interface CategoryInput {
  /** Optional on create: a slug of the name is generated (must be unique). */
  readonly id?: string
  readonly parentId: string | null
  readonly name: string
  readonly slug?: string
  readonly position?: number
}

export interface CategoryPatch {
  readonly parentId?: string | null
  readonly name?: string
  readonly slug?: string
  readonly position?: number
}

/** Who changed a category, for the audit trail (admins only; the API checks the role and the 2FA claim). */
export interface AuditActor {
  readonly userId: string
  readonly requestId: string
}

/** A booking as its user and the event's organizer see it. */
export interface BookingView {
  readonly id: string
  readonly eventId: string
  /** Owner of the event, so the API can let the organizer read it. */
  readonly eventOrganizerId: string | null
  readonly eventTitle: string | null
  readonly eventStartsAt: string | null
  readonly userId: string
  readonly status: BookingStatus
  readonly priceOptionId: string | null
  /**
   * Seats the booking holds: a pending seat top-up's extra seats included (they are taken from the event
   * until paid or released); the confirmed seats are `seats - (topUpSeats ?? 0)`.
   */
  readonly seats: number
  /**
   * Amount due, kopecks: the price of a PENDING_PAYMENT booking; for a CONFIRMED one what it was charged
   * net of refunds plus the price of a pending seat top-up.
   */
  readonly amountMinor: number
  readonly paidMinor: number
  /** Sum of the refunds requested for this booking so far. */
  readonly refundedMinor: number
  readonly promoCode: string | null
  readonly ticketCode: string | null
  readonly reasonCode: string | null
  /** When the unpaid hold expires: a PENDING_PAYMENT booking's, or a CONFIRMED booking's pending top-up. */
  readonly holdExpiresAt: string | null
  /** Extra seats of a pending seat top-up (included in `seats`), null when none is pending. */
  readonly topUpSeats: number | null
  /** When the user last re-confirmed the booking after a schedule change, null when never. */
  readonly reconfirmedAt: string | null
  /** Seats of the booking checked in at the entrance so far. */
  readonly checkedInSeats: number
  /** When the booking's first accepted check-in was scanned (ISO 8601), null before any. */
  readonly firstCheckedInAt: string | null
  /** The last booking fact applied, e.g. `CONFIRMED`, `SEATS_CHANGED`, `PAYMENT_FAILED`. */
  readonly lastEvent: BookingEventType
  /** Bumped on every applied fact; usable as an ETag. */
  readonly version: number
  readonly createdAt: string
  readonly updatedAt: string
}

/** A user's place on an event's waiting list (active entries only: waiting or holding an offer). */
export interface WaitlistEntryView {
  readonly eventId: string
  readonly eventTitle: string | null
  readonly eventStartsAt: string | null
  readonly userId: string
  readonly seats: number
  readonly status: 'WAITING' | 'OFFERED'
  /** 1-based position among the event's active entries, by join time. */
  readonly position: number
  readonly joinedAt: string
  readonly offerExpiresAt: string | null
}

/** The single outcome of a command, as `GET /api/v1/requests/{id}` shows it. */
export interface RequestOutcomeView {
  readonly requestId: string
  readonly eventId: string
  readonly commandType: string
  readonly accepted: boolean
  readonly resourceType: ResourceType
  readonly resourceId: string
  readonly reasonCode: string | null
  readonly message: string
  readonly decidedAt: string
  /** Who sent the command; null for outcomes projected before senders were recorded. */
  readonly actorUserId: string | null
  readonly idempotencyKey: string | null
  /** Set when the request repeated an earlier request's Idempotency-Key: the request that was decided. */
  readonly originalRequestId: string | null
  /**
   * A CHECK_IN's result: the booking's check-in counts after the decision, when the scanned code named a
   * booking of the event (accepted or refused); null otherwise and for other commands.
   */
  readonly checkIn: CheckInResultView | null
}

/** What a CHECK_IN decided about the scanned ticket's booking. */
export interface CheckInResultView {
  readonly bookingId: string
  /** The booking's seats. */
  readonly seats: number
  /** Its seats checked in after the decision. */
  readonly checkedInSeats: number
  /** The scan time of its first accepted check-in (ISO 8601); null before any. */
  readonly firstScannedAt: string | null
  /** This scan's time (ISO 8601). */
  readonly scannedAt: string
}

/** An event a user marked, with when. */
export interface FavoriteView {
  readonly event: EventSummary
  readonly favoritedAt: string
}

/**
 * One recorded state of an event's availability (GET /events/{id}/availability): its status and free
 * seats, overall and per price option, at `position` (1, 2, … per event, in the order applied).
 */
export interface AvailabilityChange {
  readonly position: number
  readonly status: EventStatus
  readonly seatsAvailable: number
  readonly options: readonly { readonly id: string; readonly name: string; readonly available: number }[]
}
