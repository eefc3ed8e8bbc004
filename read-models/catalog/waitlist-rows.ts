/**
 * The `waitlist_entries` row of a user on an event's waiting list after a booking-topic fact. Only active
 * entries have a row (WAITING, or OFFERED seats); an entry that ends is deleted. Pure: no SQL, no I/O;
 * booking-applier.ts writes what this returns.
 */
import type { BookingDomainEvent } from '../../avro/index.ts'
import { isoOfMs } from './instants.ts'

/** One row of `waitlist_entries`: an active entry of (event, user). */
export interface WaitlistRow {
  readonly event_id: string
  readonly user_id: string
  readonly seats: number
  readonly status: 'WAITING' | 'OFFERED'
  /** The offset of the join in its partition: the queue's FIFO order. */
  readonly queue_seq: number
  readonly joined_at: string
  readonly offer_expires_at: string | null
}

const WAITLIST_FACTS: ReadonlySet<BookingDomainEvent['type']> = new Set([
  'WAITLIST_JOINED',
  'WAITLIST_OFFERED',
  'WAITLIST_LEFT',
  'WAITLIST_OFFER_EXPIRED',
])

/** Whether the fact is about the waiting list only (it changes no booking). */
export function isWaitlistFact(fact: BookingDomainEvent): boolean {
  return WAITLIST_FACTS.has(fact.type)
}

/**
 * The entry of (`fact.eventId`, `fact.userId`) after `fact`, given the entry before (null when there is
 * none) and the fact's offset (the queue place of a join). Returns the new row, null when the entry ends
 * (left, offer expired, or used up by the user's booking: HELD or CONFIRMED, as `removeFromWaitingList`
 * in processors/waiting-list.ts), or undefined when the fact leaves the entry as it is.
 */
export function waitlistEntryAfter(
  fact: BookingDomainEvent,
  offset: number,
  entry: WaitlistRow | null,
): WaitlistRow | null | undefined {
  switch (fact.type) {
    case 'WAITLIST_JOINED':
      return {
        event_id: fact.eventId,
        user_id: fact.userId,
        seats: fact.seats,
        status: 'WAITING',
        queue_seq: offset,
        joined_at: isoOfMs(fact.occurredAtMs),
        offer_expires_at: null,
      }
    case 'WAITLIST_OFFERED':
      // An offer keeps the entry's place and join time; an offer without a known entry (a projection
      // started after the join) is placed by the offer itself.
      return {
        event_id: fact.eventId,
        user_id: fact.userId,
        seats: fact.seats,
        status: 'OFFERED',
        queue_seq: entry?.queue_seq ?? offset,
        joined_at: entry?.joined_at ?? isoOfMs(fact.occurredAtMs),
        offer_expires_at: isoOfMs(fact.offerExpiresAtMs),
      }
    case 'WAITLIST_LEFT':
    case 'WAITLIST_OFFER_EXPIRED':
      return null
    case 'HELD':
    case 'CONFIRMED':
      return fact.bookingId !== null && entry !== null ? null : undefined
    default:
      return undefined
  }
}
