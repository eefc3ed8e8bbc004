import type { BookingStatus, CrewRole, EventStatus, PromoCodeSnapshot, RefundTier } from '../avro/index.ts'

/**
 * The state one event-ledger task keeps per event, as plain JSON (store values by reference: decisions
 * always return new objects, never mutate the ones they got). Money is in minor units (kopecks).
 */

export const HOUR_MS = 60 * 60 * 1000
export const DAY_MS = 24 * HOUR_MS
export const DEFAULT_HOLD_MINUTES = 120
export const DEFAULT_BOOKING_DEADLINE_HOURS = 24
export const MAX_SEATS_PER_BOOKING = 20
export const MAX_CAPACITY = 10_000
export const MAX_PRICE_OPTIONS = 10
export const MAX_ACTIVE_PROMO_CODES = 50
export const MAX_PRICE_MINOR = 100_000_000
export const REVIEW_WINDOW_MS = 30 * DAY_MS
export const REMINDER_BEFORE_START_MS = DAY_MS
export const WAITLIST_OFFER_MS = 30 * 60 * 1000

export interface PriceOptionState {
  readonly priceOptionId: string
  readonly name: string
  readonly priceMinor: number
  readonly allotment: number
  /** Confirmed plus pending seats of this option. */
  readonly taken: number
  readonly validFromMs: number | null
  readonly validUntilMs: number | null
}

/**
 * A promo code as the ledger keeps it: the Avro `PromoCodeSnapshot` the event facts carry, so a fact takes
 * the state's codes as they are. `used` counts bookings holding or having used the code (a pending hold
 * counts, so uses never exceed the limit).
 */
export type PromoCodeState = PromoCodeSnapshot

export interface CrewRequestState {
  readonly crewRequestId: string
  readonly role: CrewRole
  readonly status: 'REQUESTED' | 'ASSIGNED' | 'UNAVAILABLE' | 'RELEASED'
  readonly memberId: string | null
}

export interface Schedule {
  readonly startsAtMs: number
  readonly endsAtMs: number
  readonly place: string
}

export interface EventState {
  readonly eventId: string
  readonly organizerId: string
  readonly version: number
  readonly status: EventStatus
  readonly title: string
  readonly description: string
  readonly place: string
  readonly startsAtMs: number
  readonly endsAtMs: number
  readonly categories: readonly string[]
  readonly capacity: number
  readonly holdMinutes: number
  readonly bookingDeadlineHours: number
  readonly locale: string
  /** Confirmed plus pending seats over all options. */
  readonly seatsTaken: number
  readonly priceOptions: readonly PriceOptionState[]
  readonly promoCodes: readonly PromoCodeState[]
  /** null: the default policy of refund-policy.ts. */
  readonly refundPolicy: readonly RefundTier[] | null
  readonly crew: readonly CrewRequestState[]
  /** Scheduled publication of a DRAFT. */
  readonly publishAtMs: number | null
  /** The schedule before the first reschedule, for RESTORE_SCHEDULE. */
  readonly original: Schedule | null
  /** Bookings created before this time may cancel with a full refund until the start (reschedule rule). */
  readonly lastRescheduledAtMs: number | null
  /** The start the 24-hour reminder was sent for (a reschedule re-arms it). */
  readonly reminderSentForStartMs: number | null
}

/**
 * Extra seats for a paid CONFIRMED booking, held (counted as taken) until their price is paid: a COMPLETED
 * payment confirms them, a FAILED one or the hold expiry releases them. The booking keeps its confirmed
 * seats and ticket meanwhile. After it ends the record stays (status other than PENDING) so that a late
 * payment for it is recognised and refunded.
 */
export interface SeatTopUp {
  /** The seat count the booking has once the top-up is paid (more than its confirmed seats). */
  readonly seats: number
  /** Price of the added seats, the booking's promo applied. */
  readonly amountMinor: number
  readonly holdExpiresAtMs: number
  /** The CHANGE_SEATS command that asked for it. */
  readonly requestId: string
  /** The payment started for it (INITIATED), once known. */
  readonly paymentId: string | null
  readonly status: 'PENDING' | 'PAID' | 'EXPIRED' | 'PAYMENT_FAILED' | 'WITHDRAWN'
}

/** A payment that paid for a booking's seats, with what was refunded of it. */
export interface Charge {
  readonly paymentId: string
  readonly amountMinor: number
  /** Never above amountMinor. */
  readonly refundedMinor: number
}

/** A participant's acceptance of a changed schedule (RECONFIRM). */
export interface Reconfirmation {
  /** The schedule change accepted: the event's lastRescheduledAtMs at the time. */
  readonly scheduleChangedAtMs: number
  readonly atMs: number
}

/** One accepted scan of a booking's ticket. */
export interface CheckInRecord {
  /** The code scanned (a repeat of the same scan, under another request ID, counts once). */
  readonly code: string
  /** When the scanner read it (its own clock). */
  readonly scannedAtMs: number
  /** Seats this scan admitted. */
  readonly seats: number
  /** The check-in device that scanned, null for a person. */
  readonly deviceId: string | null
  /** The CHECK_IN command that was accepted. */
  readonly requestId: string
}

export interface BookingState {
  readonly bookingId: string
  readonly eventId: string
  readonly userId: string
  readonly priceOptionId: string
  /** Confirmed (or, while PENDING_PAYMENT, held) seats; a pending top-up's extra seats are not included. */
  readonly seats: number
  readonly status: Exclude<BookingStatus, 'REJECTED'>
  /**
   * PENDING_PAYMENT: the amount due, promo applied. CONFIRMED: what the booking was charged net of
   * refunds (paidMinor - refundedMinor), which a seat reduction lowers by its refund and a paid top-up
   * raises by its payment.
   */
  readonly amountMinor: number
  /**
   * What the confirmed seats were paid: the base of policy refunds. A seat reduction takes the removed
   * seats' share out of it (refunding that share by the policy, the rest is the retained fee); a paid
   * top-up adds its payment. 0 while unpaid and for free bookings.
   */
  readonly seatsValueMinor: number
  readonly promoCode: string | null
  readonly paidMinor: number
  /** Sum of refunds requested; never above paidMinor. */
  readonly refundedMinor: number
  readonly refundCount: number
  readonly paymentId: string | null
  /** Payments (IDs) already accounted as COMPLETED: a redelivered status is a no-op. */
  readonly settledPaymentIds: readonly string[]
  /**
   * The payments that paid for the seats (the confirming one, then paid top-ups): refunds go back to them,
   * newest first, never more than each brought. Payments refunded whole (duplicate, late, underpaid) are
   * not charges.
   */
  readonly charges: readonly Charge[]
  /**
   * The current ticket code: signed (`T1~…`, processors/ticket-code.ts) for bookings confirmed since signed
   * tickets, 12 hex characters for older ones (which still check in by exact match); null until confirmed.
   */
  readonly ticketCode: string | null
  /**
   * Which issue of the booking's signed ticket `ticketCode` is: 0 while none was signed (unconfirmed, or a
   * legacy 12-hex code); each confirmation, seat change of a confirmed booking and re-issue signs the next.
   */
  readonly ticketIssue: number
  /**
   * The accepted check-ins (scans) of the booking, in the order they were decided. Each admits at least
   * one seat and together they never admit more than the booking's seats, so there are at most 20.
   */
  readonly checkIns: readonly CheckInRecord[]
  readonly holdExpiresAtMs: number | null
  /** Why a booking ended: drives what a late payment does. */
  readonly endCause: 'USER_CANCELED' | 'EVENT_CANCELED' | 'EXPIRED' | 'PAYMENT_FAILED' | null
  /** The latest seat top-up of a CONFIRMED booking (pending or ended), null if none was asked for. */
  readonly topUp: SeatTopUp | null
  /** The latest schedule change the user re-confirmed, null if none. */
  readonly reconfirmation: Reconfirmation | null
  readonly createdAtMs: number
  readonly updatedAtMs: number
}

export interface WaitingListEntry {
  readonly userId: string
  readonly seats: number
  readonly joinedAtMs: number
}

export interface WaitingListOffer extends WaitingListEntry {
  readonly offeredAtMs: number
  readonly expiresAtMs: number
}

export interface WaitingListState {
  readonly eventId: string
  readonly queue: readonly WaitingListEntry[]
  /** Seats held back for the offered users until their offers expire. */
  readonly offers: readonly WaitingListOffer[]
}

export function isActive(booking: BookingState): boolean {
  return booking.status === 'PENDING_PAYMENT' || booking.status === 'CONFIRMED'
}

/** The booking's top-up awaiting payment, if any. */
export function pendingTopUp(booking: BookingState): SeatTopUp | null {
  return booking.topUp !== null && booking.topUp.status === 'PENDING' ? booking.topUp : null
}

/** Seats the booking counts against the option and the event: its seats plus a pending top-up's extra. */
export function seatsHeld(booking: BookingState): number {
  return pendingTopUp(booking)?.seats ?? booking.seats
}

/** When the booking's unpaid hold (PENDING_PAYMENT, or a pending top-up) expires; null when it has none. */
export function holdDueMs(booking: BookingState): number | null {
  if (booking.status === 'PENDING_PAYMENT') return booking.holdExpiresAtMs
  if (booking.status === 'CONFIRMED') return pendingTopUp(booking)?.holdExpiresAtMs ?? null
  return null
}

/**
 * Whether the booking's user still has to re-confirm: the event's schedule changed (reschedule or
 * restore) after the booking was made, and the user has not re-confirmed that change.
 */
export function awaitsReconfirmation(event: EventState, booking: BookingState): boolean {
  const changedAtMs = event.lastRescheduledAtMs
  return (
    isActive(booking) &&
    changedAtMs !== null &&
    booking.createdAtMs < changedAtMs &&
    booking.reconfirmation?.scheduleChangedAtMs !== changedAtMs
  )
}

export function isBookable(event: EventState): boolean {
  return event.status === 'PUBLISHED' || event.status === 'RESCHEDULED'
}

export function emptyWaitingList(eventId: string): WaitingListState {
  return { eventId, queue: [], offers: [] }
}

/** Seats reserved by outstanding waiting-list offers, except those made to `exceptUserId`. */
export function offeredSeats(list: WaitingListState | undefined, exceptUserId?: string): number {
  let seats = 0
  for (const offer of list?.offers ?? []) if (offer.userId !== exceptUserId) seats += offer.seats
  return seats
}

/** Adds `delta` seats (may be negative) to the option and the event. */
export function takeSeats(event: EventState, priceOptionId: string, delta: number): EventState {
  return {
    ...event,
    seatsTaken: event.seatsTaken + delta,
    priceOptions: event.priceOptions.map((option) =>
      option.priceOptionId === priceOptionId ? { ...option, taken: option.taken + delta } : option,
    ),
  }
}

/** Adds `delta` uses (may be negative) to a promo code. */
export function usePromo(event: EventState, code: string | null, delta: number): EventState {
  if (code === null) return event
  return {
    ...event,
    promoCodes: event.promoCodes.map((promo) =>
      promo.code === code ? { ...promo, used: promo.used + delta } : promo,
    ),
  }
}

/** Seats of the booking checked in so far. */
export function checkedInSeats(booking: BookingState): number {
  let seats = 0
  for (const checkIn of booking.checkIns) seats += checkIn.seats
  return seats
}

/** The scan time of the booking's earliest accepted check-in (scans may arrive out of order); null before any. */
export function firstScannedAtMs(booking: BookingState): number | null {
  let first: number | null = null
  for (const checkIn of booking.checkIns)
    if (first === null || checkIn.scannedAtMs < first) first = checkIn.scannedAtMs
  return first
}

/** The fields added to BookingState since the first stored version. */
type AddedBookingFields =
  'seatsValueMinor' | 'charges' | 'topUp' | 'reconfirmation' | 'ticketIssue' | 'checkIns'

/**
 * A BookingState as stored by an earlier version of the ledger (a changelog or embedded journal written
 * before seat top-ups, or before signed tickets and check-in): the fields added since are optional here.
 */
export type StoredBookingState = Omit<BookingState, AddedBookingFields> &
  Partial<Pick<BookingState, AddedBookingFields>>

/**
 * Reads a stored booking of any version as the current BookingState. Before seat top-ups a booking was
 * paid by one payment: the first it settled (later COMPLETED ones were duplicates, refunded whole, yet
 * counted in `paidMinor` and `refundedMinor`, and `paymentId` names the latest). That payment is its one
 * charge, and what its seats were paid is that payment net of its own refunds.
 */
export function upgradeBooking(stored: StoredBookingState): BookingState {
  if (
    stored.seatsValueMinor !== undefined &&
    stored.charges !== undefined &&
    stored.topUp !== undefined &&
    stored.reconfirmation !== undefined &&
    stored.ticketIssue !== undefined &&
    stored.checkIns !== undefined
  )
    return stored as BookingState
  const paymentId = stored.settledPaymentIds[0] ?? null
  const duplicates =
    stored.settledPaymentIds.length > 1 ? Math.max(0, stored.paidMinor - stored.amountMinor) : 0
  const charge =
    paymentId !== null && stored.paidMinor > duplicates
      ? {
          paymentId,
          amountMinor: stored.paidMinor - duplicates,
          refundedMinor: Math.min(
            stored.paidMinor - duplicates,
            Math.max(0, stored.refundedMinor - duplicates),
          ),
        }
      : undefined
  return {
    ...stored,
    seatsValueMinor:
      stored.seatsValueMinor ?? (charge === undefined ? 0 : charge.amountMinor - charge.refundedMinor),
    charges: stored.charges ?? (charge === undefined ? [] : [charge]),
    topUp: stored.topUp ?? null,
    reconfirmation: stored.reconfirmation ?? null,
    // A booking confirmed before signed tickets keeps its 12-hex code (issue 0) until its seats change or
    // its ticket is re-issued; none was checked in before check-in existed.
    ticketIssue: stored.ticketIssue ?? 0,
    checkIns: stored.checkIns ?? [],
  }
}
