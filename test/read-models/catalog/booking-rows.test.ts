// The bookings row a fact leaves, without a database: what the facts say as they are, and what only the
// row before can tell (refunds so far, a pending seat top-up's extra seats, the latest re-confirmation).
import t from 'tap'
import type { BookingDomainEvent } from '../../../avro/index.ts'
import { bookingRow, topUpSeats, type BookingRow } from '../../../read-models/catalog/booking-rows.ts'

const T0 = Date.UTC(2026, 5, 1, 9)
const MINUTE_MS = 60_000

const fact = (overrides: Partial<BookingDomainEvent>): BookingDomainEvent => ({
  eventId: 'ev-1',
  bookingId: 'b1',
  userId: 'u1',
  type: 'HELD',
  status: 'PENDING_PAYMENT',
  priceOptionId: 'po-1',
  seats: 2,
  amountMinor: 200_000,
  paidMinor: 0,
  refundMinor: 0,
  promoCode: null,
  ticketCode: null,
  reasonCode: null,
  holdExpiresAtMs: null,
  offerExpiresAtMs: null,
  requestId: 'r1',
  occurredAtMs: T0,
  eventSeatsTaken: 0,
  checkedInSeats: null,
  scannedAtMs: null,
  deviceId: null,
  ...overrides,
})

/** The rows after each fact in turn, from no row. */
function fold(facts: readonly BookingDomainEvent[]): BookingRow[] {
  const rows: BookingRow[] = []
  for (const f of facts) rows.push(bookingRow(f, rows.at(-1)))
  return rows
}

t.test('a pending top-up: held, kept while pending, cleared once paid', async (t) => {
  const hold = T0 + 30 * MINUTE_MS
  const rows = fold([
    fact({ type: 'HELD', status: 'PENDING_PAYMENT', seats: 2, holdExpiresAtMs: hold }),
    fact({ type: 'CONFIRMED', status: 'CONFIRMED', seats: 2, paidMinor: 200_000, ticketCode: 'T-1' }),
    // Grows to 5: 3 extra seats held until paid.
    fact({
      type: 'SEATS_CHANGE_HELD',
      status: 'CONFIRMED',
      seats: 5,
      holdExpiresAtMs: hold + 60 * MINUTE_MS,
    }),
    fact({ type: 'RECONFIRMED', status: 'CONFIRMED', seats: 5, holdExpiresAtMs: hold + 60 * MINUTE_MS }),
    fact({ type: 'SEATS_CHANGED', status: 'CONFIRMED', seats: 5, paidMinor: 500_000 }),
  ])
  t.strictSame(
    rows.map((r) => r.top_up_seats),
    [null, null, 3, 3, null],
  )
  t.strictSame(
    rows.map((r) => r.seats),
    [2, 2, 5, 5, 5],
    'seats stay the held count, the top-up included',
  )
})

t.test('a top-up held over a pending one counts from the confirmed seats, not the held ones', async (t) => {
  // Not a path of today's ledger (it refuses with SEAT_CHANGE_PENDING), but the derivation must not
  // drift if a writer ever emits it: 2 confirmed, 3 pending, then 6 held are 4 extra seats, not 1.
  const confirmed = bookingRow(fact({ type: 'CONFIRMED', status: 'CONFIRMED', seats: 2 }), undefined)
  const first = bookingRow(
    fact({ type: 'SEATS_CHANGE_HELD', status: 'CONFIRMED', seats: 5, holdExpiresAtMs: T0 + MINUTE_MS }),
    confirmed,
  )
  const second = fact({ type: 'SEATS_CHANGE_HELD', status: 'CONFIRMED', seats: 6, holdExpiresAtMs: T0 })
  t.equal(topUpSeats(second, first), 4)
})

t.test('a top-up that ends unpaid or with the booking is cleared', async (t) => {
  const confirmed = bookingRow(fact({ type: 'CONFIRMED', status: 'CONFIRMED', seats: 2 }), undefined)
  const held = bookingRow(
    fact({ type: 'SEATS_CHANGE_HELD', status: 'CONFIRMED', seats: 4, holdExpiresAtMs: T0 + MINUTE_MS }),
    confirmed,
  )
  t.equal(held.top_up_seats, 2)
  const released = fact({ type: 'SEATS_CHANGE_RELEASED', status: 'CONFIRMED', seats: 2 })
  t.equal(topUpSeats(released, held), null, 'SEATS_CHANGE_RELEASED')
  t.equal(topUpSeats(fact({ type: 'CANCELED', status: 'CANCELED', seats: 4 }), held), null, 'CANCELED')
  const refundKept = fact({
    type: 'LATE_PAYMENT_REFUNDED',
    status: 'CONFIRMED',
    seats: 4,
    holdExpiresAtMs: T0 + MINUTE_MS,
  })
  t.equal(topUpSeats(refundKept, held), 2, 'an underpayment refunded while the top-up is pending keeps it')
})

t.test('no row before: the confirmed seats are unknown, so no top-up is claimed', async (t) => {
  const f = fact({ type: 'SEATS_CHANGE_HELD', status: 'CONFIRMED', seats: 5, holdExpiresAtMs: T0 })
  t.equal(topUpSeats(f, undefined), null)
})

t.test('reconfirmed_at is the latest RECONFIRMED and outlives later facts', async (t) => {
  const rows = fold([
    fact({ type: 'CONFIRMED', status: 'CONFIRMED' }),
    fact({ type: 'RECONFIRMED', status: 'CONFIRMED', occurredAtMs: T0 + MINUTE_MS }),
    fact({ type: 'SEATS_CHANGED', status: 'CONFIRMED', occurredAtMs: T0 + 2 * MINUTE_MS }),
    fact({ type: 'RECONFIRMED', status: 'CONFIRMED', occurredAtMs: T0 + 3 * MINUTE_MS }),
  ])
  t.strictSame(
    rows.map((r) => r.reconfirmed_at),
    [
      null,
      new Date(T0 + MINUTE_MS).toISOString(),
      new Date(T0 + MINUTE_MS).toISOString(),
      new Date(T0 + 3 * MINUTE_MS).toISOString(),
    ],
  )
})

t.test('refunds add up, versions count facts, the creation time stays the first fact', async (t) => {
  const rows = fold([
    fact({ type: 'CONFIRMED', status: 'CONFIRMED', paidMinor: 200_000 }),
    fact({ type: 'SEATS_CHANGED', status: 'CONFIRMED', refundMinor: 50_000, occurredAtMs: T0 + MINUTE_MS }),
    fact({ type: 'CANCELED', status: 'CANCELED', refundMinor: 100_000, occurredAtMs: T0 + 2 * MINUTE_MS }),
  ])
  const last = rows.at(-1)!
  t.equal(last.refunded_minor, 150_000)
  t.equal(last.version, 3)
  t.equal(last.created_at, new Date(T0).toISOString())
  t.equal(last.updated_at, new Date(T0 + 2 * MINUTE_MS).toISOString())
})

t.test('a fact without a status keeps the row status; a first one without is REJECTED', async (t) => {
  const confirmed = bookingRow(fact({ type: 'CONFIRMED', status: 'CONFIRMED' }), undefined)
  t.equal(bookingRow(fact({ type: 'SEATS_CHANGED', status: null }), confirmed).status, 'CONFIRMED')
  t.equal(bookingRow(fact({ type: 'REJECTED', status: null }), undefined).status, 'REJECTED')
})
