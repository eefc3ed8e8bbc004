// Check-in and ticket re-issue on the TestDriver, the clock moved by hand: a scanned code is decided by the
// event's task at the scan's own time; every refusal of processors/booking-check-in.ts, seats admitted
// once each, a repeated scan counted once, and a re-issued or seat-changed ticket's old code superseded.
import t, { type Test } from 'tap'
import type { Actor, BookingDomainEvent } from '../../avro/index.ts'
import { LEDGER_STORES } from '../../processors/ledger-stores.ts'
import type { BookingState } from '../../processors/ledger-state.ts'
import { DEVELOPMENT_TICKET_SECRET, TicketSigner } from '../../processors/ticket-code.ts'
import {
  ADMIN,
  BookingHarness,
  bookingCommand,
  bookingSerdes,
  bookRequest,
  DAY_MS,
  HOUR_MS,
  nextRequestId,
  ORGANIZER,
  T0,
  user,
} from './booking-harness.ts'

const TICKETS = new TicketSigner(DEVELOPMENT_TICKET_SECRET)
/** The harness's event (createPayload): from T0 + 30 days to T0 + 31 days. */
const STARTS = T0 + 30 * DAY_MS
const ENDS = T0 + 31 * DAY_MS
const OPENS = STARTS - 2 * HOUR_MS
/** The task's clock at the entrance (atTheEntrance), and the time of most scans. */
const AT = STARTS - HOUR_MS
const MINUTE_MS = 60_000

async function harness(t: Test): Promise<BookingHarness> {
  const h = new BookingHarness(await bookingSerdes())
  t.teardown(() => h.close())
  return h
}

const scan = (
  code: string,
  scannedAtMs: number,
  options: {
    seats?: number
    deviceId?: string | null
    actor?: Actor
    eventId?: string
    requestId?: string
  } = {},
) =>
  bookingCommand(
    options.eventId ?? 'e1',
    'CHECK_IN',
    { checkIn: { code, scannedAtMs, seats: options.seats ?? 1, deviceId: options.deviceId ?? null } },
    options.actor ?? ORGANIZER,
    options.requestId ?? nextRequestId(),
  )
const reissue = (bookingId: string, actor: Actor, eventId = 'e1') =>
  bookingCommand(eventId, 'REISSUE_TICKET', { reissueTicket: { bookingId } }, actor)
const change = (bookingId: string, seats: number, actor = user('u1')) =>
  bookingCommand('e1', 'CHANGE_SEATS', { changeSeats: { bookingId, seats } }, actor)
const cancel = (bookingId: string, actor = user('u1')) =>
  bookingCommand('e1', 'CANCEL', { cancel: { bookingId, reason: null, forceMajeure: false } }, actor)
const bookingState = (h: BookingHarness, bookingId: string, eventId = 'e1') =>
  h.driver.getKeyValueStore<string, BookingState>(LEDGER_STORES.bookings).get(`${eventId}/${bookingId}`)!
const codeOf = (h: BookingHarness, bookingId: string, eventId = 'e1') => {
  const code = bookingState(h, bookingId, eventId).ticketCode
  if (code === null) throw new Error(`${bookingId} has no ticket`)
  return code
}
const facts = (h: BookingHarness): BookingDomainEvent[] =>
  h.bookingEvents.readKeyValuesToList().map(([, v]) => v!)

/** A paid CONFIRMED booking of `seats` seats. */
function paidBooking(h: BookingHarness, userId: string, bookingId: string, seats: number, eventId = 'e1') {
  if (!h.booking(bookRequest(eventId, userId, bookingId, seats)).accepted) throw new Error('refused')
  h.payment(eventId, bookingId, 'COMPLETED', 1000 * seats)
  if (bookingState(h, bookingId, eventId).status !== 'CONFIRMED') throw new Error('not confirmed')
}

/** Events e1 and e2 published, u1's booking b1 of `seats` on e1 and u2's b2 on e2 confirmed, the clock an hour before e1's start. */
async function atTheEntrance(t: Test, seats = 2): Promise<BookingHarness> {
  const h = await harness(t)
  h.publishedEvent('e1', { priceMinor: 1000 })
  h.publishedEvent('e2', { priceMinor: 1000 })
  paidBooking(h, 'u1', 'b1', seats)
  paidBooking(h, 'u2', 'b2', 1, 'e2')
  h.driver.advanceWallClockTime(30 * DAY_MS - HOUR_MS)
  h.drain()
  return h
}

t.test('a genuine code of a confirmed booking checks in: fact, outcome and counts', async (t) => {
  const h = await atTheEntrance(t, 3)
  const code = codeOf(h, 'b1')
  t.equal(code, TICKETS.sign({ eventId: 'e1', bookingId: 'b1', seats: 3, issue: 1 }), 'the first issue')
  const at = STARTS - 90 * MINUTE_MS
  const first = scan(code, at, { seats: 2, deviceId: 'dev-1' })
  t.match(h.booking(first), {
    accepted: true,
    resourceType: 'BOOKING',
    resourceId: 'b1',
    checkIn: { bookingId: 'b1', seats: 3, checkedInSeats: 2, firstScannedAtMs: at, scannedAtMs: at },
  })
  const [fact, ...more] = facts(h)
  t.same(more, [], 'one fact')
  t.match(fact, {
    type: 'CHECKED_IN',
    bookingId: 'b1',
    status: 'CONFIRMED',
    seats: 2,
    checkedInSeats: 2,
    scannedAtMs: at,
    deviceId: 'dev-1',
    requestId: first.requestId,
    ticketCode: code,
  })
  t.match(h.booking(scan(`  ${code} `, at + MINUTE_MS, { actor: ADMIN })), {
    accepted: true,
    checkIn: { checkedInSeats: 3, firstScannedAtMs: at },
  })
  t.same(
    facts(h).map((f) => [f.type, f.seats, f.checkedInSeats, f.deviceId]),
    [['CHECKED_IN', 1, 3, null]],
  )
  t.equal(bookingState(h, 'b1').checkIns.length, 2)
  t.equal(h.booking(first).requestId, first.requestId, 'a repeated request ID is answered again')
  t.ok(h.bookingEvents.isEmpty(), 'and decided once')
})

t.test('only the event organizer or an admin checks tickets in', async (t) => {
  const h = await atTheEntrance(t)
  const code = codeOf(h, 'b1')
  t.equal(h.booking(scan(code, AT, { actor: user('u1') })).reasonCode, 'FORBIDDEN')
  t.equal(
    h.booking(scan(code, AT, { actor: { userId: 'org-2', role: 'ORGANIZER' } })).reasonCode,
    'FORBIDDEN',
  )
  t.equal(h.booking(scan(code, AT, { eventId: 'nope' })).reasonCode, 'EVENT_NOT_FOUND')
  t.ok(h.bookingEvents.isEmpty())
})

t.test('forged and malformed codes are TICKET_INVALID, with no booking named', async (t) => {
  const h = await atTheEntrance(t)
  const code = codeOf(h, 'b1')
  const parts = code.split('~')
  const forged = [
    [...parts.slice(0, 3), '20', ...parts.slice(4)].join('~'), // more seats, same mac
    [...parts.slice(0, 5), 'A'.repeat(22)].join('~'),
    new TicketSigner('an-attackers-own-secret-of-32-bytes!').sign({
      eventId: 'e1',
      bookingId: 'b1',
      seats: 2,
      issue: 1,
    }),
    'hello',
    '',
    '0123456789AB', // the shape of a legacy code no booking holds
    TICKETS.sign({ eventId: 'e1', bookingId: 'nobody', seats: 1, issue: 1 }), // genuine, no such booking
  ]
  for (const bad of forged)
    t.match(
      h.booking(scan(bad, AT)),
      { accepted: false, reasonCode: 'TICKET_INVALID', resourceId: '', checkIn: null },
      JSON.stringify(bad),
    )
  t.ok(h.bookingEvents.isEmpty())
})

t.test('a genuine ticket of another event is TICKET_WRONG_EVENT', async (t) => {
  const h = await atTheEntrance(t)
  t.match(h.booking(scan(codeOf(h, 'b2', 'e2'), AT)), {
    accepted: false,
    reasonCode: 'TICKET_WRONG_EVENT',
    checkIn: null,
  })
})

t.test('a canceled or unpaid booking is TICKET_NOT_CONFIRMED', async (t) => {
  const h = await atTheEntrance(t)
  const code = codeOf(h, 'b1')
  t.ok(h.booking(cancel('b1')).accepted)
  t.match(h.booking(scan(code, AT)), {
    accepted: false,
    reasonCode: 'TICKET_NOT_CONFIRMED',
    resourceId: 'b1',
    checkIn: { bookingId: 'b1', seats: 2, checkedInSeats: 0, firstScannedAtMs: null, scannedAtMs: AT },
  })
})

t.test(
  "a code of the booking's earlier seat count is TICKET_SUPERSEDED; the new one checks in",
  async (t) => {
    const h = await harness(t)
    h.publishedEvent('e1', { priceMinor: 1000 })
    paidBooking(h, 'u1', 'b1', 3)
    const old = codeOf(h, 'b1')
    t.ok(h.booking(change('b1', 2)).accepted)
    const current = codeOf(h, 'b1')
    t.equal(current, TICKETS.sign({ eventId: 'e1', bookingId: 'b1', seats: 2, issue: 2 }))
    const notice = h.notifications
      .readKeyValuesToList()
      .map(([, n]) => n!)
      .find((n) => n.templateKey === 'booking.seats_changed')
    t.equal(notice?.params.ticketCode, current, 'the user is sent the new code')
    h.driver.advanceWallClockTime(30 * DAY_MS - HOUR_MS)
    t.match(h.booking(scan(old, AT)), { reasonCode: 'TICKET_SUPERSEDED', checkIn: { checkedInSeats: 0 } })
    t.match(h.booking(scan(current, AT, { seats: 2 })), {
      accepted: true,
      checkIn: { checkedInSeats: 2 },
    })
  },
)

t.test('check-in is open from 2 h before the start to the end, by the scan time', async (t) => {
  const h = await atTheEntrance(t)
  const code = codeOf(h, 'b1')
  t.match(h.booking(scan(code, OPENS - 1)), {
    reasonCode: 'CHECK_IN_TOO_EARLY',
    checkIn: { bookingId: 'b1', checkedInSeats: 0 },
  })
  // The task's clock is past the end; the scanner reports a scan made during the event (an offline batch).
  h.driver.advanceWallClockTime(2 * DAY_MS)
  t.match(h.booking(scan(code, ENDS + 1)), { reasonCode: 'CHECK_IN_CLOSED' })
  t.match(h.booking(scan(code, OPENS)), {
    accepted: true,
    checkIn: { checkedInSeats: 1, scannedAtMs: OPENS },
  })
  t.match(h.booking(scan(code, ENDS)), { accepted: true, checkIn: { checkedInSeats: 2 } })
})

t.test("a scan time more than 5 minutes ahead of the task's clock is refused", async (t) => {
  const h = await atTheEntrance(t)
  const now = h.driver.clock.now()
  const code = codeOf(h, 'b1')
  t.match(h.booking(scan(code, now + 5 * MINUTE_MS + 1)), {
    reasonCode: 'VALIDATION_FAILED',
    message: /scanner's clock/,
  })
  t.ok(h.booking(scan(code, now + 5 * MINUTE_MS)).accepted)
})

t.test('every seat once: a used ticket is TICKET_ALREADY_USED with the first scan time', async (t) => {
  const h = await atTheEntrance(t, 3)
  const code = codeOf(h, 'b1')
  const first = STARTS - 2 * HOUR_MS + MINUTE_MS
  // An offline scanner's batch arrives in another order than it was scanned.
  t.ok(h.booking(scan(code, first + 10 * MINUTE_MS, { deviceId: 'dev-1' })).accepted)
  t.match(h.booking(scan(code, first, { deviceId: 'dev-1' })), {
    accepted: true,
    checkIn: { checkedInSeats: 2, firstScannedAtMs: first },
  })
  t.match(h.booking(scan(code, first + 20 * MINUTE_MS, { seats: 2 })), {
    accepted: false,
    reasonCode: 'TICKET_SEATS_EXCEEDED',
    message: /only 1 of the booking's 3 seats/,
    checkIn: { seats: 3, checkedInSeats: 2 },
  })
  t.ok(h.booking(scan(code, first + 30 * MINUTE_MS)).accepted)
  t.match(h.booking(scan(code, first + 40 * MINUTE_MS, { deviceId: 'dev-2' })), {
    accepted: false,
    reasonCode: 'TICKET_ALREADY_USED',
    checkIn: { seats: 3, checkedInSeats: 3, firstScannedAtMs: first, scannedAtMs: first + 40 * MINUTE_MS },
  })
  t.equal(
    facts(h).reduce((sum, f) => sum + f.seats, 0),
    3,
    'the CHECKED_IN facts admit the booking seats',
  )
  t.equal(h.booking(change('b1', 2)).reasonCode, 'INVALID_BOOKING_STATE', 'checked-in seats stay')
})

t.test('the same scan sent again under another request ID counts once', async (t) => {
  const h = await atTheEntrance(t, 2)
  const code = codeOf(h, 'b1')
  const at = STARTS - HOUR_MS
  t.ok(h.booking(scan(code, at, { deviceId: 'dev-1' })).accepted)
  t.equal(facts(h).length, 1)
  t.match(h.booking(scan(code, at, { deviceId: 'dev-1' })), {
    accepted: true,
    message: /counted already/,
    checkIn: { checkedInSeats: 1, firstScannedAtMs: at },
  })
  t.ok(h.bookingEvents.isEmpty(), 'no second fact')
  t.match(
    h.booking(scan(code, at, { deviceId: 'dev-2' })),
    { accepted: true, checkIn: { checkedInSeats: 2 } },
    'the same time on another device is another scan',
  )
  t.match(
    h.booking(scan(code, at, { deviceId: 'dev-1' })),
    { accepted: true, checkIn: { checkedInSeats: 2 } },
    'the repeat still answers with the current counts once the ticket is used',
  )
})

t.test('REISSUE_TICKET: a new code, the old one TICKET_SUPERSEDED; who may, and when', async (t) => {
  const h = await atTheEntrance(t, 2)
  const old = codeOf(h, 'b1')
  t.ok(h.booking(scan(old, STARTS - HOUR_MS)).accepted)
  h.drain()
  t.equal(h.booking(reissue('b1', user('u2'))).reasonCode, 'FORBIDDEN')
  t.equal(h.booking(reissue('nope', user('u1'))).reasonCode, 'BOOKING_NOT_FOUND')
  const asked = reissue('b1', user('u1'))
  t.match(h.booking(asked), { accepted: true, resourceId: 'b1' })
  const current = codeOf(h, 'b1')
  t.equal(current, TICKETS.sign({ eventId: 'e1', bookingId: 'b1', seats: 2, issue: 2 }))
  t.match(facts(h), [
    { type: 'TICKET_REISSUED', bookingId: 'b1', ticketCode: current, requestId: asked.requestId },
  ])
  t.match(
    h.notifications.readKeyValuesToList().map(([, n]) => n),
    [
      {
        recipientUserId: 'u1',
        templateKey: 'booking.ticket_reissued',
        dedupKey: 'booking.ticket_reissued:b1:2',
        params: { bookingId: 'b1', ticketCode: current, seats: '2' },
      },
    ],
  )
  t.match(h.booking(scan(old, STARTS - 70 * MINUTE_MS)), {
    reasonCode: 'TICKET_SUPERSEDED',
    checkIn: { checkedInSeats: 1 },
  })
  t.match(
    h.booking(scan(current, STARTS - 70 * MINUTE_MS)),
    { accepted: true, checkIn: { checkedInSeats: 2 } },
    'seats checked in before the re-issue stay checked in',
  )
  t.ok(h.booking(reissue('b1', ORGANIZER)).accepted, 'the organizer may')
  t.ok(h.booking(reissue('b1', ADMIN)).accepted, 'an admin may')
  t.equal(bookingState(h, 'b1').ticketIssue, 4)
})

t.test('REISSUE_TICKET of a booking awaiting payment is INVALID_BOOKING_STATE', async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1', { priceMinor: 1000 })
  t.ok(h.booking(bookRequest('e1', 'u3', 'b3', 1)).accepted, 'a hold awaiting payment')
  t.equal(h.booking(reissue('b3', user('u3'))).reasonCode, 'INVALID_BOOKING_STATE', 'no ticket yet')
  t.equal(bookingState(h, 'b3').ticketCode, null)
})

t.test('a free booking is confirmed with a signed ticket at once', async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1', { priceMinor: 0 })
  t.ok(h.booking(bookRequest('e1', 'u1', 'b1', 2)).accepted)
  t.equal(codeOf(h, 'b1'), TICKETS.sign({ eventId: 'e1', bookingId: 'b1', seats: 2, issue: 1 }))
})
