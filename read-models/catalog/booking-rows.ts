/**
 * The `bookings` row a booking fact (`aquastream.booking.events.v1`) leaves, derived from the fact and the
 * row before it: the facts carry a booking's latest state, except what only a sequence of them tells (the
 * refunds so far, a pending seat top-up, the latest re-confirmation, the first check-in). Pure: no SQL, no I/O;
 * booking-applier.ts writes what these return.
 */
import type { BookingDomainEvent } from '../../avro/index.ts'
import { isoOfMs } from './instants.ts'

/** One row of `bookings`. */
export interface BookingRow {
  readonly id: string
  readonly event_id: string
  readonly user_id: string
  readonly status: string
  readonly price_option_id: string | null
  /** Seats held, a pending seat top-up's extra seats included (as in the ledger). */
  readonly seats: number
  readonly amount_minor: number
  readonly paid_minor: number
  /** The sum of the refunds of every fact so far. */
  readonly refunded_minor: number
  readonly promo_code: string | null
  readonly ticket_code: string | null
  readonly reason_code: string | null
  readonly hold_expires_at: string | null
  /** Extra seats of a pending seat top-up (included in `seats`); null when none is pending. */
  readonly top_up_seats: number | null
  /** The latest re-confirmation after a schedule change; null when never. */
  readonly reconfirmed_at: string | null
  /** Seats checked in at the entrance so far (CHECKED_IN facts). */
  readonly checked_in_seats: number
  /** The scan time of the earliest accepted check-in; null before any. */
  readonly first_checked_in_at: string | null
  readonly last_event: string
  readonly last_request_id: string | null
  /** The number of facts applied. */
  readonly version: number
  readonly created_at: string
  readonly updated_at: string
}

/**
 * The extra seats of a booking's pending seat top-up after `fact`. The ledger sets a CONFIRMED booking's
 * `holdExpiresAtMs` exactly while a top-up is pending (`holdDueMs` in processors/ledger-state.ts), and its
 * `seats` then counts the top-up's seats too. SEATS_CHANGE_HELD starts a top-up: its extra seats are the
 * fact's seats less the confirmed seats before it. Other facts of a booking with a top-up pending
 * (RECONFIRMED, LATE_PAYMENT_REFUNDED of an underpayment) keep it; any fact without one (SEATS_CHANGED,
 * SEATS_CHANGE_RELEASED, CANCELED, ...) clears it. Null as well when the row before is unknown (a
 * projection that starts after the top-up was held cannot tell the confirmed seats).
 */
export function topUpSeats(fact: BookingDomainEvent, before: BookingRow | undefined): number | null {
  if (fact.status !== 'CONFIRMED' || fact.holdExpiresAtMs === null || before === undefined) return null
  if (fact.type !== 'SEATS_CHANGE_HELD') return before.top_up_seats
  return fact.seats - (before.seats - (before.top_up_seats ?? 0))
}

/**
 * The booking's row after `fact`, given its row before (undefined for the booking's first fact). The
 * fact must name a booking (`bookingId`; waiting-list facts do not). A CHECKED_IN fact's `seats` are the
 * seats its scan admitted, not the booking's: the row keeps its seats and takes the checked-in total; a
 * TICKET_REISSUED fact (like any other) brings the booking's current ticket code.
 */
export function bookingRow(fact: BookingDomainEvent, before: BookingRow | undefined): BookingRow {
  const checkIn = fact.type === 'CHECKED_IN'
  const firstBefore = before?.first_checked_in_at ?? null
  const scannedAt = checkIn ? isoOfMs(fact.scannedAtMs) : null
  return {
    id: fact.bookingId!,
    event_id: fact.eventId,
    user_id: fact.userId,
    status: fact.status ?? before?.status ?? 'REJECTED',
    price_option_id: fact.priceOptionId,
    seats: checkIn ? (before?.seats ?? fact.seats) : fact.seats,
    amount_minor: fact.amountMinor,
    paid_minor: fact.paidMinor,
    refunded_minor: (before?.refunded_minor ?? 0) + fact.refundMinor,
    promo_code: fact.promoCode,
    ticket_code: fact.ticketCode,
    reason_code: fact.reasonCode,
    hold_expires_at: isoOfMs(fact.holdExpiresAtMs),
    top_up_seats: topUpSeats(fact, before),
    reconfirmed_at:
      fact.type === 'RECONFIRMED' ? isoOfMs(fact.occurredAtMs) : (before?.reconfirmed_at ?? null),
    checked_in_seats: checkIn
      ? (fact.checkedInSeats ?? (before?.checked_in_seats ?? 0) + fact.seats)
      : (before?.checked_in_seats ?? 0),
    first_checked_in_at:
      scannedAt !== null && (firstBefore === null || Date.parse(scannedAt) < Date.parse(firstBefore))
        ? scannedAt
        : firstBefore,
    last_event: fact.type,
    last_request_id: fact.requestId,
    version: (before?.version ?? 0) + 1,
    created_at: before?.created_at ?? isoOfMs(fact.occurredAtMs),
    updated_at: isoOfMs(fact.occurredAtMs),
  }
}
