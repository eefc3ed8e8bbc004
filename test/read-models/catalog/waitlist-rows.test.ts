// A waiting-list entry after each booking-topic fact, without a database: its place in the queue, offers,
// the facts that end it, and the facts that leave it alone.
import t from 'tap'
import type { BookingDomainEvent } from '../../../avro/index.ts'
import {
  isWaitlistFact,
  waitlistEntryAfter,
  type WaitlistRow,
} from '../../../read-models/catalog/waitlist-rows.ts'

const T0 = Date.UTC(2026, 5, 1, 9)
const MINUTE_MS = 60_000

const fact = (overrides: Partial<BookingDomainEvent>): BookingDomainEvent => ({
  eventId: 'ev-1',
  bookingId: null,
  userId: 'u1',
  type: 'WAITLIST_JOINED',
  status: null,
  priceOptionId: null,
  seats: 2,
  amountMinor: 0,
  paidMinor: 0,
  refundMinor: 0,
  promoCode: null,
  ticketCode: null,
  reasonCode: null,
  holdExpiresAtMs: null,
  offerExpiresAtMs: null,
  requestId: null,
  occurredAtMs: T0,
  eventSeatsTaken: 0,
  checkedInSeats: null,
  scannedAtMs: null,
  deviceId: null,
  ...overrides,
})

const waiting: WaitlistRow = {
  event_id: 'ev-1',
  user_id: 'u1',
  seats: 2,
  status: 'WAITING',
  queue_seq: 7,
  joined_at: new Date(T0).toISOString(),
  offer_expires_at: null,
}

t.test('a join waits at the place of its offset', async (t) => {
  t.strictSame(waitlistEntryAfter(fact({ type: 'WAITLIST_JOINED' }), 7, null), waiting)
})

t.test('an offer keeps the place and join time of the entry', async (t) => {
  const offered = fact({
    type: 'WAITLIST_OFFERED',
    occurredAtMs: T0 + MINUTE_MS,
    offerExpiresAtMs: T0 + 30 * MINUTE_MS,
  })
  t.strictSame(waitlistEntryAfter(offered, 12, waiting), {
    ...waiting,
    status: 'OFFERED',
    offer_expires_at: new Date(T0 + 30 * MINUTE_MS).toISOString(),
  })
  t.match(
    waitlistEntryAfter(offered, 12, null),
    { queue_seq: 12, joined_at: new Date(T0 + MINUTE_MS).toISOString() },
    'no entry known: placed by the offer',
  )
})

t.test('leaving, an expired offer, or booking ends the entry', async (t) => {
  t.equal(waitlistEntryAfter(fact({ type: 'WAITLIST_LEFT' }), 8, waiting), null)
  t.equal(waitlistEntryAfter(fact({ type: 'WAITLIST_OFFER_EXPIRED' }), 8, waiting), null)
  for (const type of ['HELD', 'CONFIRMED'] as const)
    t.equal(waitlistEntryAfter(fact({ type, bookingId: 'b1' }), 8, waiting), null, type)
})

t.test('other facts leave the entry as it is', async (t) => {
  t.equal(waitlistEntryAfter(fact({ type: 'HELD', bookingId: 'b1' }), 8, null), undefined, 'no entry to end')
  t.equal(waitlistEntryAfter(fact({ type: 'HELD', bookingId: null }), 8, waiting), undefined, 'no booking')
  t.equal(waitlistEntryAfter(fact({ type: 'CANCELED', bookingId: 'b1' }), 8, waiting), undefined)
  t.equal(waitlistEntryAfter(fact({ type: 'EXPIRED', bookingId: 'b1' }), 8, waiting), undefined)
})

t.test('isWaitlistFact: the four waiting-list facts, no booking fact', async (t) => {
  const all: BookingDomainEvent['type'][] = [
    'HELD',
    'CONFIRMED',
    'REJECTED',
    'CANCELED',
    'EXPIRED',
    'SEATS_CHANGED',
    'PAYMENT_FAILED',
    'LATE_PAYMENT_REFUNDED',
    'WAITLIST_JOINED',
    'WAITLIST_LEFT',
    'WAITLIST_OFFERED',
    'WAITLIST_OFFER_EXPIRED',
    'SEATS_CHANGE_HELD',
    'SEATS_CHANGE_RELEASED',
    'RECONFIRMED',
  ]
  t.strictSame(
    all.filter((type) => isWaitlistFact(fact({ type }))),
    ['WAITLIST_JOINED', 'WAITLIST_LEFT', 'WAITLIST_OFFERED', 'WAITLIST_OFFER_EXPIRED'],
  )
})
