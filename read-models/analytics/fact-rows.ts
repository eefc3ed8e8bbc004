import type {
  BookingDomainEvent,
  EventDomainEvent,
  PaymentStatusChanged,
  RefundRequest,
  ReviewDomainEvent,
} from '../../avro/index.ts'
import type { CatalogView, FavoriteChange } from '../../topologies/index.ts'
import { NO_TALLY, tallyAfter, type TallyOverlay } from './booking-tallies.ts'
import type { FactRow, FactSource } from './fact-tables.ts'

/**
 * Pure row mapping: a decoded value of each analytics topic as a fact row. Absent values (null) are written
 * as empty strings: the fact columns are plain `String`, not `Nullable` (migrations/0001_facts.sql).
 */

const text = (v: string | null | undefined): string => v ?? ''

/**
 * Whether a decoded value is a fact of its source's table: a refund's status (`refundId` set) is no
 * payment's (payment_facts counts payments), and a refund asked again after a failed attempt is the same
 * refund (refund_facts counts each refund once, at its first request).
 */
export function isFactOf(source: FactSource, value: unknown): boolean {
  if (source === 'paymentStatus') return (value as PaymentStatusChanged).refundId === null
  if (source === 'refundRequests') return (value as RefundRequest).attempt <= 1
  return true
}

/**
 * The fact row of one decoded value of `source`'s topic, in the order of its table's `FACT_COLUMNS`;
 * `partition` and `offset` are the record's place. A booking fact also gets the change it made to its
 * booking's tally (`tallies`: before it; updated with it).
 */
export function rowOf(
  source: FactSource,
  value: unknown,
  partition: number,
  offset: number,
  tallies: Pick<TallyOverlay, 'get' | 'set'>,
): FactRow {
  switch (source) {
    case 'eventEvents': {
      const e = value as EventDomainEvent
      return [
        partition,
        offset,
        e.eventId,
        e.version,
        e.type,
        e.status,
        e.organizerId,
        e.title,
        e.place,
        e.categories,
        e.capacity,
        e.seatsTaken,
        e.startsAtMs,
        e.endsAtMs,
        e.occurredAtMs,
        text(e.actorUserId),
        text(e.requestId),
        text(e.detail),
        e.priceOptions.map((o) => o.priceOptionId),
        e.priceOptions.map((o) => o.name),
        e.priceOptions.map((o) => o.priceMinor),
        e.priceOptions.map((o) => o.allotment),
      ]
    }
    case 'bookingEvents': {
      const b = value as BookingDomainEvent
      const before = (b.bookingId === null ? undefined : tallies.get(b.bookingId)) ?? NO_TALLY
      const after = tallyAfter(b, before) ?? before
      if (after !== before) tallies.set(b.bookingId!, after)
      return [
        partition,
        offset,
        b.eventId,
        text(b.bookingId),
        b.userId,
        b.type,
        text(b.status),
        text(b.priceOptionId),
        b.seats,
        b.amountMinor,
        b.paidMinor,
        b.refundMinor,
        text(b.promoCode),
        text(b.reasonCode),
        text(b.requestId),
        b.occurredAtMs,
        b.eventSeatsTaken,
        after.seats - before.seats,
        after.confirmedSeats - before.confirmedSeats,
        after.paidMinor - before.paidMinor,
        b.checkedInSeats ?? 0,
        b.scannedAtMs ?? 0,
        text(b.deviceId),
      ]
    }
    case 'paymentStatus': {
      const p = value as PaymentStatusChanged
      return [partition, offset, p.eventId, p.bookingId, p.paymentId, p.status, p.amountMinor, p.occurredAtMs]
    }
    case 'refundRequests': {
      const r = value as RefundRequest
      return [
        partition,
        offset,
        r.eventId,
        r.refundId,
        r.bookingId,
        text(r.userId),
        text(r.paymentId),
        r.amountMinor,
        r.reason,
        text(r.requestId),
        r.requestedAtMs,
      ]
    }
    case 'views': {
      const v = value as CatalogView
      return [
        partition,
        offset,
        v.viewId,
        v.eventId,
        text(v.userId),
        text(v.sessionId),
        v.userId ?? v.sessionId ?? v.viewId,
        v.occurredAtMs,
      ]
    }
    case 'favorites': {
      const f = value as FavoriteChange
      return [partition, offset, f.eventId, f.userId, f.action, f.occurredAtMs]
    }
    case 'reviewEvents': {
      const r = value as ReviewDomainEvent
      return [
        partition,
        offset,
        r.eventId,
        r.reviewId,
        r.type,
        r.status,
        r.authorId,
        r.organizerId,
        r.rating,
        r.helpfulCount,
        text(r.voterUserId),
        r.submittedAtMs,
        r.occurredAtMs,
      ]
    }
  }
}
