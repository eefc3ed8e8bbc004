// Bookings stored by the ledger before seat top-ups (no seatsValueMinor, charges, topUp, reconfirmation) and
// before signed tickets (a 12-hex ticket code, no ticketIssue, no checkIns) are read back, through the
// bookings store's serde, as current ones and decided on correctly.
import t from 'tap'
import type { BookingCommand } from '../../avro/index.ts'
import { cancelBooking } from '../../processors/booking-cancel.ts'
import { changeSeats } from '../../processors/booking-change-seats.ts'
import { checkIn } from '../../processors/booking-check-in.ts'
import { DAY_MS, HOUR_MS, type BookingState } from '../../processors/ledger-state.ts'
import { bookingStateSerde } from '../../topologies/booking-topology.ts'
import { NOW, publishedEvent, stdOption, TICKETS } from './ledger-fixtures.ts'

const STORE_TOPIC = 'app-ledger-bookings-changelog'

const event = publishedEvent({ capacity: 10, seatsTaken: 4, priceOptions: [stdOption(10, 4)] })

/** A confirmed 4-seat booking paid 4,000 by p1, as the previous ledger version wrote it to the changelog. */
const storedBeforeTopUps = {
  bookingId: 'b1',
  eventId: 'e1',
  userId: 'u1',
  priceOptionId: 'std',
  seats: 4,
  status: 'CONFIRMED',
  amountMinor: 4000,
  promoCode: null,
  paidMinor: 4000,
  refundedMinor: 0,
  refundCount: 0,
  paymentId: 'p1',
  settledPaymentIds: ['p1'],
  ticketCode: 'T-1',
  holdExpiresAtMs: null,
  endCause: null,
  createdAtMs: NOW,
  updatedAtMs: NOW,
}

const command = (type: 'CANCEL' | 'CHANGE_SEATS', seats = 0): BookingCommand => ({
  requestId: `r-${type}`,
  eventId: 'e1',
  actor: { userId: 'u1', role: 'USER' },
  issuedAtMs: NOW,
  idempotencyKey: null,
  type,
  request: null,
  cancel: type === 'CANCEL' ? { bookingId: 'b1', reason: null, forceMajeure: false } : null,
  changeSeats: type === 'CHANGE_SEATS' ? { bookingId: 'b1', seats } : null,
  joinWaitingList: null,
  leaveWaitingList: null,
  reconfirm: null,
  checkIn: null,
  reissueTicket: null,
})

function restored(stored: object): BookingState {
  return bookingStateSerde.deserialize(STORE_TOPIC, Buffer.from(JSON.stringify(stored)))
}

t.test('an old paid booking reads with its payment as its one charge', async (t) => {
  const booking = restored(storedBeforeTopUps)
  t.same(booking.charges, [{ paymentId: 'p1', amountMinor: 4000, refundedMinor: 0 }])
  t.equal(booking.seatsValueMinor, 4000)
  t.equal(booking.topUp, null)
  t.equal(booking.reconfirmation, null)
  t.equal(booking.ticketIssue, 0, 'no signed ticket yet')
  t.same(booking.checkIns, [], 'nothing checked in')
  t.same(restored(booking), booking, 'a current booking reads back unchanged')
  const unpaid = restored({ ...storedBeforeTopUps, status: 'PENDING_PAYMENT', paidMinor: 0, paymentId: null })
  t.same(unpaid.charges, [])
  t.equal(unpaid.seatsValueMinor, 0)
})

t.test(
  'an old booking paid twice: the first payment is its charge, the duplicate (refunded whole) is not',
  async (t) => {
    const paidTwice = restored({
      ...storedBeforeTopUps,
      paymentId: 'p2',
      paidMinor: 8000,
      refundedMinor: 4000,
      refundCount: 1,
      settledPaymentIds: ['p1', 'p2'],
    })
    t.same(paidTwice.charges, [{ paymentId: 'p1', amountMinor: 4000, refundedMinor: 0 }])
    t.equal(paidTwice.seatsValueMinor, 4000)
    const canceled = cancelBooking(event, paidTwice, command('CANCEL'), NOW + 7 * DAY_MS)
    if (!canceled.ok) throw new Error(canceled.refusal.message)
    t.match(canceled.outputs.find((o) => o.to === 'refund-requests')?.value, {
      paymentId: 'p1',
      amountMinor: 3200,
    })
  },
)

t.test('an old booking cancels with the policy refund, back to its payment', async (t) => {
  // 3 days before the start: the default policy refunds 80%.
  const canceled = cancelBooking(event, restored(storedBeforeTopUps), command('CANCEL'), NOW + 7 * DAY_MS)
  if (!canceled.ok) throw new Error(canceled.refusal.message)
  t.match(canceled.booking, { status: 'CANCELED', refundedMinor: 3200 })
  t.match(canceled.outputs.find((o) => o.to === 'refund-requests')?.value, {
    paymentId: 'p1',
    amountMinor: 3200,
  })
})

t.test('an old booking that was partly refunded never refunds more than was paid', async (t) => {
  const partlyRefunded = restored({ ...storedBeforeTopUps, seats: 2, refundedMinor: 1600, refundCount: 1 })
  t.same(partlyRefunded.charges, [{ paymentId: 'p1', amountMinor: 4000, refundedMinor: 1600 }])
  const reduced = changeSeats(
    event,
    partlyRefunded,
    undefined,
    command('CHANGE_SEATS', 1),
    NOW + 8 * DAY_MS,
    TICKETS,
  )
  if (!reduced.ok) throw new Error(reduced.refusal.message)
  const canceled = cancelBooking(reduced.event, reduced.booking, command('CANCEL'), NOW + 8 * DAY_MS)
  if (!canceled.ok) throw new Error(canceled.refusal.message)
  t.ok(canceled.booking.refundedMinor <= 4000, `refunded ${canceled.booking.refundedMinor} of 4000`)
  t.same(
    canceled.booking.charges.map((c) => c.refundedMinor <= c.amountMinor),
    [true],
    'the charge is never refunded beyond itself',
  )
})

t.test(
  'an old booking checks in by its exact 12-hex code until a seat change signs it a new one',
  async (t) => {
    const legacyCode = '0123456789AB'
    const booking = restored({ ...storedBeforeTopUps, ticketCode: legacyCode })
    const scan = (code: string, scannedAtMs: number): BookingCommand => ({
      ...command('CANCEL'),
      requestId: `r-scan-${scannedAtMs}`,
      type: 'CHECK_IN',
      actor: { userId: 'org', role: 'ORGANIZER' },
      cancel: null,
      checkIn: { code, scannedAtMs, seats: 1, deviceId: null },
    })
    const ctx = (b: BookingState) => ({
      event,
      booking: (id: string) => (id === b.bookingId ? b : undefined),
      legacyBooking: (code: string) => (code === b.ticketCode ? b : undefined),
      tickets: TICKETS,
    })
    const at = event.startsAtMs - HOUR_MS
    const first = checkIn(ctx(booking), scan(legacyCode, at), at)
    t.match(first, { ok: true, checkIn: { bookingId: 'b1', seats: 4, checkedInSeats: 1 } })
    t.match(checkIn(ctx(booking), scan('FFFFFFFFFFFF', at), at), {
      ok: false,
      refusal: { reasonCode: 'TICKET_INVALID' },
    })
    const reduced = changeSeats(
      event,
      booking,
      undefined,
      command('CHANGE_SEATS', 2),
      NOW + 8 * DAY_MS,
      TICKETS,
    )
    if (!reduced.ok) throw new Error(reduced.refusal.message)
    t.equal(reduced.booking.ticketIssue, 1, 'the first signed ticket')
    t.equal(
      reduced.booking.ticketCode,
      TICKETS.sign({ eventId: 'e1', bookingId: 'b1', seats: 2, issue: 1 }),
      'signed for the new seat count',
    )
    t.match(checkIn(ctx(reduced.booking), scan(legacyCode, at), at), {
      ok: false,
      refusal: { reasonCode: 'TICKET_INVALID' },
    })
    t.match(checkIn(ctx(reduced.booking), scan(reduced.booking.ticketCode!, at), at), { ok: true })
  },
)
