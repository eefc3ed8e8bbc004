// Seat changes of active bookings on the TestDriver, the clock moved by hand: more seats for a paid
// CONFIRMED booking are a top-up held until paid (confirmed by the payment, released on expiry, failure or
// withdrawal, never oversold); fewer seats refund the removed seats' share of what was paid, by the policy.
import t, { type Test } from 'tap'
import type { BookingDomainEvent } from '../../avro/index.ts'
import { LEDGER_STORES } from '../../processors/ledger-stores.ts'
import type { BookingState, EventState } from '../../processors/ledger-state.ts'
import { DEVELOPMENT_TICKET_SECRET, TicketSigner } from '../../processors/ticket-code.ts'
import {
  BookingHarness,
  bookingCommand,
  bookingSerdes,
  bookRequest,
  DAY_MS,
  eventCommand,
  HOUR_MS,
  T0,
  user,
} from './booking-harness.ts'

const TICKETS = new TicketSigner(DEVELOPMENT_TICKET_SECRET)

async function harness(t: { teardown(fn: () => void): void }): Promise<BookingHarness> {
  const h = new BookingHarness(await bookingSerdes())
  t.teardown(() => h.close())
  return h
}

const change = (eventId: string, bookingId: string, seats: number, actor = user('u1')) =>
  bookingCommand(eventId, 'CHANGE_SEATS', { changeSeats: { bookingId, seats } }, actor)
const cancel = (eventId: string, bookingId: string, actor = user('u1')) =>
  bookingCommand(eventId, 'CANCEL', { cancel: { bookingId, reason: null, forceMajeure: false } }, actor)
const facts = (h: BookingHarness): BookingDomainEvent[] =>
  h.bookingEvents.readKeyValuesToList().map(([, v]) => v!)
/** The facts emitted since the last read are exactly these (t.match alone lets extra elements pass). */
function factsAre(t: Test, h: BookingHarness, expected: readonly object[]): void {
  const actual = facts(h)
  t.equal(actual.length, expected.length, `${expected.length} booking facts`)
  t.match(actual, expected)
}
const noteKeys = (h: BookingHarness): string[] =>
  h.notifications.readKeyValuesToList().map(([, n]) => n!.dedupKey)
const refunds = (h: BookingHarness) =>
  h.refunds.readKeyValuesToList().map(([, r]) => [r!.paymentId, r!.amountMinor, r!.reason])
const eventState = (h: BookingHarness, eventId = 'e1') =>
  h.driver.getKeyValueStore<string, EventState>(LEDGER_STORES.events).get(eventId)!
const bookingState = (h: BookingHarness, bookingId: string, eventId = 'e1') =>
  h.driver.getKeyValueStore<string, BookingState>(LEDGER_STORES.bookings).get(`${eventId}/${bookingId}`)!
/** When the booking's hold (or top-up) is due, if it has a timer. */
const holdDueMs = (h: BookingHarness, bookingId: string, eventId = 'e1') =>
  h.driver.getKeyValueStore<string, number>(LEDGER_STORES.holdTimers).get(`${eventId}/${bookingId}`)

/** A CONFIRMED booking `bookingId` of `seats` seats paid by `pay-<bookingId>`. */
function paidBooking(h: BookingHarness, userId: string, bookingId: string, seats: number, priceMinor = 1000) {
  if (!h.booking(bookRequest('e1', userId, bookingId, seats)).accepted) throw new Error('booking refused')
  h.payment('e1', bookingId, 'COMPLETED', priceMinor * seats)
  if (bookingState(h, bookingId).status !== 'CONFIRMED') throw new Error('booking not confirmed')
}

t.test('a paid confirmed booking grows through a top-up: held until paid, then confirmed', async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1', { capacity: 5, priceMinor: 1000 })
  paidBooking(h, 'u1', 'b1', 2)
  const ticket = bookingState(h, 'b1').ticketCode
  h.drain()

  const grow = change('e1', 'b1', 4)
  t.match(h.booking(grow), { accepted: true, message: /2 added seats held until payment of 2000/ })
  factsAre(t, h, [
    {
      type: 'SEATS_CHANGE_HELD',
      status: 'CONFIRMED',
      seats: 4,
      amountMinor: 4000,
      paidMinor: 2000,
      holdExpiresAtMs: T0 + 2 * HOUR_MS,
      ticketCode: ticket,
      requestId: grow.requestId,
      eventSeatsTaken: 4,
    },
  ])
  const held = h.notifications.readKeyValuesToList().map(([, n]) => n!)
  t.match(held, [
    {
      recipientUserId: 'u1',
      templateKey: 'booking.seats_change_held',
      dedupKey: `booking.seats_change_held:b1:${grow.requestId}`,
      params: { seats: '4', amountMinor: '2000', holdExpiresAtMs: String(T0 + 2 * HOUR_MS) },
    },
  ])
  t.match(bookingState(h, 'b1'), { status: 'CONFIRMED', seats: 2, topUp: { seats: 4, status: 'PENDING' } })
  t.equal(holdDueMs(h, 'b1'), T0 + 2 * HOUR_MS, 'the top-up runs on the hold timer')
  t.equal(eventState(h).priceOptions[0]!.taken, 4, 'the added seats are taken while held')
  t.equal(
    h.booking(bookRequest('e1', 'u2', 'b2', 2)).reasonCode,
    'NO_AVAILABLE_SEATS',
    'held seats are not sold twice',
  )
  t.equal(h.booking(change('e1', 'b1', 3)).reasonCode, 'SEAT_CHANGE_PENDING', 'one change at a time')
  t.equal(h.booking(change('e1', 'b1', 5)).reasonCode, 'SEAT_CHANGE_PENDING')
  h.drain()

  h.payment('e1', 'b1', 'INITIATED', 2000, 'pay-b1-top')
  h.payment('e1', 'b1', 'COMPLETED', 2000, 'pay-b1-top')
  h.payment('e1', 'b1', 'COMPLETED', 2000, 'pay-b1-top') // redelivered
  factsAre(t, h, [
    {
      type: 'SEATS_CHANGED',
      status: 'CONFIRMED',
      seats: 4,
      amountMinor: 4000,
      paidMinor: 4000,
      holdExpiresAtMs: null,
      // The paid seats get the booking's next ticket; the 2-seat code no longer checks in.
      ticketCode: TICKETS.sign({ eventId: 'e1', bookingId: 'b1', seats: 4, issue: 2 }),
      requestId: null,
    },
  ])
  t.not(bookingState(h, 'b1').ticketCode, ticket)
  t.same(noteKeys(h), [`booking.seats_changed:b1:${grow.requestId}`])
  t.match(bookingState(h, 'b1'), {
    seats: 4,
    amountMinor: 4000,
    seatsValueMinor: 4000,
    topUp: { status: 'PAID', paymentId: 'pay-b1-top' },
  })
  t.equal(holdDueMs(h, 'b1'), undefined, 'the hold timer is gone')
  h.driver.advanceWallClockTime(2 * HOUR_MS)
  t.ok(h.bookingEvents.isEmpty(), 'nothing lapses later')
  t.equal(eventState(h).seatsTaken, 4)
  t.ok(h.refunds.isEmpty())
})

t.test('an unpaid top-up lapses at the hold time; its late payment is refunded whole', async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1', { capacity: 4, priceMinor: 1000, create: { holdMinutes: 30 } })
  paidBooking(h, 'u1', 'b1', 2)
  const grow = change('e1', 'b1', 4)
  t.ok(h.booking(grow).accepted)
  h.payment('e1', 'b1', 'INITIATED', 2000, 'pay-top')
  h.drain()
  h.driver.advanceWallClockTime(30 * 60_000 - 1000)
  t.ok(h.bookingEvents.isEmpty(), 'not yet')
  h.driver.advanceWallClockTime(1000)
  factsAre(t, h, [
    {
      type: 'SEATS_CHANGE_RELEASED',
      status: 'CONFIRMED',
      seats: 2,
      amountMinor: 2000,
      reasonCode: 'EXPIRED',
      holdExpiresAtMs: null,
      requestId: null,
      eventSeatsTaken: 2,
    },
  ])
  t.same(noteKeys(h), [`booking.seats_change_expired:b1:${grow.requestId}`])
  t.equal(holdDueMs(h, 'b1'), undefined)
  t.ok(h.booking(bookRequest('e1', 'u2', 'b2', 2)).accepted, 'the released seats are sold again')
  h.drain()

  h.payment('e1', 'b1', 'COMPLETED', 2000, 'pay-top')
  factsAre(t, h, [
    { type: 'LATE_PAYMENT_REFUNDED', seats: 2, refundMinor: 2000, reasonCode: 'INVALID_BOOKING_STATE' },
  ])
  t.same(refunds(h), [['pay-top', 2000, 'LATE_PAYMENT']])
  t.same(noteKeys(h), ['payment.refunded:b1:pay-top'])
  t.match(bookingState(h, 'b1'), { seats: 2, paidMinor: 4000, refundedMinor: 2000, amountMinor: 2000 })
  t.equal(eventState(h).seatsTaken, 4, 'never oversold')
  h.payment('e1', 'b1', 'COMPLETED', 2000, 'pay-other')
  factsAre(t, h, [{ type: 'LATE_PAYMENT_REFUNDED', reasonCode: 'DUPLICATE_BOOKING' }])
  t.same(refunds(h), [['pay-other', 2000, 'DUPLICATE_PAYMENT']], 'a payment for nothing is a duplicate')
})

t.test('a failed or short top-up payment; withdrawing a top-up; canceling with one pending', async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1', { capacity: 6, priceMinor: 1000 })
  paidBooking(h, 'u1', 'b1', 1)
  h.drain()

  t.ok(h.booking(change('e1', 'b1', 3)).accepted)
  h.drain()
  h.payment('e1', 'b1', 'COMPLETED', 1500, 'pay-short')
  factsAre(t, h, [{ type: 'LATE_PAYMENT_REFUNDED', reasonCode: 'VALIDATION_FAILED' }])
  t.same(refunds(h), [['pay-short', 1500, 'UNDERPAID']], 'an underpayment is refunded whole')
  t.match(bookingState(h, 'b1').topUp, { status: 'PENDING' }, 'the top-up stays pending')
  h.payment('e1', 'b1', 'FAILED', 0, 'pay-b1')
  t.ok(h.bookingEvents.isEmpty(), "a late failure of the booking's own payment does not touch the top-up")
  h.drain()
  h.payment('e1', 'b1', 'FAILED', 0, 'pay-abandoned')
  t.ok(h.bookingEvents.isEmpty(), 'a failure of a payment not started for the top-up does not touch it')
  h.payment('e1', 'b1', 'INITIATED', 2000, 'pay-failed')
  h.payment('e1', 'b1', 'FAILED', 0, 'pay-failed')
  factsAre(t, h, [{ type: 'SEATS_CHANGE_RELEASED', seats: 1, reasonCode: 'PAYMENT_FAILED' }])
  t.same(noteKeys(h), ['payment.failed:b1:pay-failed'])
  t.equal(eventState(h).seatsTaken, 1)
  h.payment('e1', 'b1', 'FAILED', 0, 'pay-failed') // redelivered
  t.ok(h.bookingEvents.isEmpty())

  t.ok(h.booking(change('e1', 'b1', 2)).accepted, 'asked again after the failure')
  h.drain()
  h.payment('e1', 'b1', 'FAILED', 0, 'pay-failed') // redelivered again, now with a new top-up pending
  t.ok(h.bookingEvents.isEmpty(), "an earlier top-up's failure does not release the new one")
  t.match(bookingState(h, 'b1').topUp, { status: 'PENDING', seats: 2 })
  const withdraw = change('e1', 'b1', 1)
  t.match(h.booking(withdraw), { accepted: true, message: /withdrawn/ })
  factsAre(t, h, [
    { type: 'SEATS_CHANGE_RELEASED', seats: 1, reasonCode: null, requestId: withdraw.requestId },
  ])
  t.same(noteKeys(h), [`booking.seats_changed:b1:${withdraw.requestId}`])
  t.equal(eventState(h).seatsTaken, 1)
  t.equal(holdDueMs(h, 'b1'), undefined)
  t.equal(h.booking(change('e1', 'b1', 1)).reasonCode, 'VALIDATION_FAILED', 'nothing to withdraw any more')

  t.ok(h.booking(change('e1', 'b1', 4)).accepted)
  t.equal(eventState(h).seatsTaken, 4)
  h.drain()
  t.ok(h.booking(cancel('e1', 'b1')).accepted)
  factsAre(t, h, [{ type: 'CANCELED', seats: 1, refundMinor: 1000, holdExpiresAtMs: null }])
  t.same(refunds(h), [['pay-b1', 1000, 'USER_CANCELED']], 'the paid seat refunded, the unpaid ones released')
  t.equal(eventState(h).seatsTaken, 0, 'the confirmed and the held seats are free again')
  t.equal(holdDueMs(h, 'b1'), undefined)
  h.driver.advanceWallClockTime(2 * HOUR_MS)
  t.ok(h.bookingEvents.isEmpty(), 'the released top-up never lapses later')
})

t.test('the added seats: refusals, promo price, free seats at once', async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1', { capacity: 4, priceMinor: 1000 })
  h.event(
    eventCommand('e1', 'CREATE_PROMO_CODE', {
      createPromoCode: {
        code: 'HALF',
        kind: 'PERCENTAGE',
        value: 50,
        usageLimit: 1,
        validFromMs: null,
        validUntilMs: T0 + 10 * DAY_MS,
        maxUsesPerUser: null,
        cancelReturnsUse: false,
      },
    }),
  )
  t.ok(h.booking(bookRequest('e1', 'u1', 'b1', 2, 'std', 'HALF')).accepted)
  h.payment('e1', 'b1', 'COMPLETED', 1000)
  t.ok(h.booking(bookRequest('e1', 'u2', 'b2', 1)).accepted)
  h.drain()
  t.equal(h.booking(change('e1', 'b1', 4)).reasonCode, 'NO_AVAILABLE_SEATS', 'b2 holds the 4th seat')
  t.equal(h.booking(change('e1', 'b1', 3, user('u2'))).reasonCode, 'FORBIDDEN')
  t.equal(
    h.booking(change('e1', 'b1', 3, { userId: 'org-1', role: 'ORGANIZER' })).reasonCode,
    'FORBIDDEN',
    'the organizer does not change seats',
  )
  t.equal(h.booking(change('e1', 'b1', 21)).reasonCode, 'TOO_MANY_SEATS')
  t.equal(h.booking(change('e1', 'nope', 3)).reasonCode, 'BOOKING_NOT_FOUND')
  t.ok(h.booking(change('e1', 'b1', 3)).accepted)
  factsAre(t, h, [{ type: 'SEATS_CHANGE_HELD', seats: 3, amountMinor: 1500, paidMinor: 1000 }])
  t.match(bookingState(h, 'b1').topUp, { amountMinor: 500 }, 'the booking keeps its 50% for added seats')
  t.equal(eventState(h).promoCodes[0]!.used, 1, 'a top-up is no second promo use')

  h.publishedEvent('free', { priceMinor: 0 })
  t.ok(h.booking(bookRequest('free', 'u1', 'f1', 1)).accepted)
  h.drain()
  t.ok(h.booking(change('free', 'f1', 3)).accepted)
  factsAre(t, h, [{ type: 'SEATS_CHANGED', status: 'CONFIRMED', seats: 3, amountMinor: 0 }])
  t.equal(bookingState(h, 'f1', 'free').topUp, null, 'added seats that cost nothing are confirmed at once')

  h.driver.advanceWallClockTime(29 * DAY_MS + 1)
  t.equal(h.booking(change('free', 'f1', 4)).reasonCode, 'BOOKING_DEADLINE_PASSED')
  t.ok(h.booking(change('free', 'f1', 2)).accepted, 'fewer seats until the start')
  h.driver.advanceWallClockTime(DAY_MS)
  t.equal(h.booking(change('free', 'f1', 1)).reasonCode, 'INVALID_BOOKING_STATE', 'not after the start')
})

t.test(
  'a second seat reduction refunds the removed seat share of what was paid, not of the whole payment',
  async (t) => {
    const h = await harness(t)
    h.publishedEvent('e1', { capacity: 6, priceMinor: 1000 })
    paidBooking(h, 'u1', 'b1', 4)
    h.drain()
    h.driver.advanceWallClockTime(26 * DAY_MS) // 4 days before the start: 80%
    t.ok(h.booking(change('e1', 'b1', 2)).accepted)
    factsAre(t, h, [
      { type: 'SEATS_CHANGED', seats: 2, refundMinor: 1600, amountMinor: 2400, paidMinor: 4000 },
    ])
    t.ok(h.booking(change('e1', 'b1', 1)).accepted)
    factsAre(t, h, [{ type: 'SEATS_CHANGED', seats: 1, refundMinor: 800, amountMinor: 1600 }])
    t.ok(h.booking(cancel('e1', 'b1')).accepted)
    factsAre(t, h, [{ type: 'CANCELED', refundMinor: 800 }])
    t.same(refunds(h), [
      ['pay-b1', 1600, 'SEATS_REDUCED'],
      ['pay-b1', 800, 'SEATS_REDUCED'],
      ['pay-b1', 800, 'USER_CANCELED'],
    ])
    t.match(bookingState(h, 'b1'), { paidMinor: 4000, refundedMinor: 3200 }, '80% of every seat back')
  },
)

t.test("refunds go back to the top-up's payment first, never more than each payment", async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1', { capacity: 6, priceMinor: 1000 })
  paidBooking(h, 'u1', 'b1', 2)
  t.ok(h.booking(change('e1', 'b1', 3)).accepted)
  h.payment('e1', 'b1', 'COMPLETED', 1000, 'pay-top')
  h.drain()
  t.ok(h.booking(change('e1', 'b1', 1)).accepted, 'two seats fewer, a week or more ahead: 100%')
  t.same(refunds(h), [
    ['pay-top', 1000, 'SEATS_REDUCED'],
    ['pay-b1', 1000, 'SEATS_REDUCED'],
  ])
  t.ok(h.event(eventCommand('e1', 'CANCEL', { cancel: { reason: 'storm' } })).accepted)
  t.same(refunds(h), [['pay-b1', 1000, 'EVENT_CANCELED']], 'the event cancel returns the rest')
  t.match(bookingState(h, 'b1'), {
    paidMinor: 3000,
    refundedMinor: 3000,
    charges: [
      { paymentId: 'pay-b1', amountMinor: 2000, refundedMinor: 2000 },
      { paymentId: 'pay-top', amountMinor: 1000, refundedMinor: 1000 },
    ],
  })
})

t.test('an event cancel releases a pending top-up with the booking', async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1', { capacity: 6, priceMinor: 1000 })
  paidBooking(h, 'u1', 'b1', 2)
  t.ok(h.booking(change('e1', 'b1', 5)).accepted)
  h.drain()
  t.ok(h.event(eventCommand('e1', 'CANCEL', { cancel: { reason: 'storm' } })).accepted)
  factsAre(t, h, [{ type: 'CANCELED', seats: 2, refundMinor: 2000, reasonCode: 'EVENT_CANCELED' }])
  t.same(refunds(h), [['pay-b1', 2000, 'EVENT_CANCELED']])
  t.equal(eventState(h).seatsTaken, 0)
  t.equal(holdDueMs(h, 'b1'), undefined)
  h.payment('e1', 'b1', 'COMPLETED', 3000, 'pay-top')
  t.same(refunds(h), [['pay-top', 3000, 'LATE_PAYMENT']], 'paying the top-up afterwards is refunded')
})

t.test(
  'a started top-up payment landing after the booking ended is refunded as late, however small',
  async (t) => {
    const h = await harness(t)
    h.publishedEvent('e1', { capacity: 6, priceMinor: 1000 })
    paidBooking(h, 'u1', 'b1', 2)
    t.ok(h.booking(change('e1', 'b1', 3)).accepted)
    h.drain()
    h.payment('e1', 'b1', 'INITIATED', 1000, 'pay-top')
    t.ok(h.event(eventCommand('e1', 'CANCEL', { cancel: { reason: 'storm' } })).accepted)
    h.drain()
    h.payment('e1', 'b1', 'COMPLETED', 1000, 'pay-top')
    factsAre(t, h, [
      { type: 'LATE_PAYMENT_REFUNDED', refundMinor: 1000, reasonCode: 'INVALID_BOOKING_STATE' },
    ])
    t.same(refunds(h), [['pay-top', 1000, 'LATE_PAYMENT']], 'not an underpayment of the 2-seat booking')
  },
)
