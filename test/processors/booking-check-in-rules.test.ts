import t from 'tap'
import type { Actor } from '../../avro/index.ts'
import { checkIn, type CheckInContext } from '../../processors/booking-check-in.ts'
import { reissueTicket, ticketNotice } from '../../processors/booking-tickets.ts'
import { bookingFact } from '../../processors/ledger-outputs.ts'
import { HOUR_MS, type BookingState, type CheckInRecord } from '../../processors/ledger-state.ts'
import {
  bookingCommand,
  checkInCommand,
  reissueTicketCommand,
} from '../../query-api/commands/command-builders.ts'
import { confirmedBooking, NOW, publishedEvent, TICKETS } from './ledger-fixtures.ts'

const event = publishedEvent()
const AT = event.startsAtMs // check-in is open from 2 h before the start to the end
const organizer: Actor = { userId: 'org', role: 'ORGANIZER' }
const code = (issue: number, seats = 20, eventId = 'e1', bookingId = 'b1') =>
  TICKETS.sign({ eventId, bookingId, seats, issue })

/** A free CONFIRMED booking of 20 seats whose ticket is the second issue. */
const booking = (overrides: Partial<BookingState> = {}): BookingState =>
  confirmedBooking({ seats: 20, ticketCode: code(2), ticketIssue: 2, ...overrides })

const ctx = (
  b: BookingState | undefined = booking(),
  overrides: Partial<CheckInContext> = {},
): CheckInContext => ({
  event,
  booking: (id) => (b !== undefined && id === b.bookingId ? b : undefined),
  legacyBooking: (c) => (b !== undefined && c === b.ticketCode ? b : undefined),
  tickets: TICKETS,
  ...overrides,
})

const scan = (
  c: string,
  seats = 1,
  scannedAtMs = AT,
  actor: Actor = organizer,
  deviceId: string | null = 'd1',
) =>
  checkInCommand(
    { requestId: 'q1', eventId: 'e1', actor, issuedAtMs: NOW },
    { code: c, scannedAtMs, seats, deviceId },
  )

const refused = (reasonCode: string, message: string, bookingId = '', result: object | null = null) => ({
  ok: false,
  refusal: { reasonCode, message },
  bookingId,
  checkIn: result,
})

const result = (
  b: BookingState,
  checkedInSeats: number,
  firstScannedAtMs: number | null,
  scannedAtMs = AT,
) => ({
  bookingId: b.bookingId,
  seats: b.seats,
  checkedInSeats,
  firstScannedAtMs,
  scannedAtMs,
})

const record = (c: string, seats: number, scannedAtMs = AT, deviceId: string | null = 'd1'): CheckInRecord =>
  ({ code: c, scannedAtMs, seats, deviceId, requestId: 'q0' }) as CheckInRecord

t.test('refusals before the code is read', async (t) => {
  t.strictSame(
    checkIn(ctx(), bookingCommand({ requestId: 'q1', eventId: 'e1', actor: organizer }, 'CHECK_IN', {}), AT),
    refused('VALIDATION_FAILED', 'CHECK_IN needs its payload'),
  )
  t.strictSame(
    checkIn({ ...ctx(), event: undefined }, scan(code(2)), AT),
    refused('EVENT_NOT_FOUND', 'no event e1'),
  )
  t.strictSame(
    checkIn(ctx(), scan(code(2), 1, AT, { userId: 'u1', role: 'USER' }), AT),
    refused('FORBIDDEN', 'u1 may not check in tickets of this event'),
  )
  for (const seats of [0, -1, 21, 1.5])
    t.strictSame(
      checkIn(ctx(), scan(code(2), seats), AT),
      refused('VALIDATION_FAILED', 'seats must be 1-20'),
      String(seats),
    )
})

t.test('codes that admit to no booking of the event', async (t) => {
  t.strictSame(
    checkIn(ctx(), scan('hello'), AT),
    refused('TICKET_INVALID', 'not a ticket code of this service'),
  )
  t.strictSame(
    checkIn(ctx(), scan('0123456789AB'), AT),
    refused('TICKET_INVALID', 'not a ticket code of this service'),
  )
  t.strictSame(
    checkIn(ctx(), scan(`${code(2).slice(0, -1)}x`), AT),
    refused('TICKET_INVALID', 'the ticket code is not genuine'),
  )
  t.strictSame(
    checkIn(ctx(), scan(code(2, 20, 'e9')), AT),
    refused('TICKET_WRONG_EVENT', 'the ticket is for another event (e9)'),
  )
  t.strictSame(
    checkIn(ctx(), scan(code(2, 20, 'e1', 'b9')), AT),
    refused('TICKET_INVALID', 'no booking b9 on this event'),
  )
})

t.test('refusals that name the booking', async (t) => {
  const pending = booking({ status: 'PENDING_PAYMENT' })
  t.strictSame(
    checkIn(ctx(pending), scan(code(2)), AT),
    refused('TICKET_NOT_CONFIRMED', 'booking b1 is PENDING_PAYMENT', 'b1', result(pending, 0, null)),
  )
  t.strictSame(
    checkIn(ctx(), scan(code(1)), AT),
    refused(
      'TICKET_SUPERSEDED',
      'booking b1 has a newer ticket (seats changed or re-issued)',
      'b1',
      result(booking(), 0, null),
    ),
  )
  const opens = event.startsAtMs - 2 * HOUR_MS
  t.strictSame(
    checkIn(ctx(), scan(code(2), 1, opens - 1), AT),
    refused(
      'CHECK_IN_TOO_EARLY',
      `check-in opens at ${new Date(opens).toISOString()}`,
      'b1',
      result(booking(), 0, null, opens - 1),
    ),
  )
  t.strictSame(
    checkIn(ctx(), scan(code(2), 1, event.endsAtMs + 1), event.endsAtMs + 1),
    refused(
      'CHECK_IN_CLOSED',
      `check-in closed at the end, ${new Date(event.endsAtMs).toISOString()}`,
      'b1',
      result(booking(), 0, null, event.endsAtMs + 1),
    ),
  )
  const used = booking({ seats: 3, checkIns: [record(code(2), 2, AT - 9), record(code(2), 1, AT - 5)] })
  t.strictSame(
    checkIn(ctx(used), scan(code(2)), AT),
    refused(
      'TICKET_ALREADY_USED',
      `all 3 seats are checked in; first scan at ${new Date(AT - 9).toISOString()}`,
      'b1',
      result(used, 3, AT - 9),
    ),
  )
  const noSeats = booking({ seats: 0 })
  t.strictSame(
    checkIn(ctx(noSeats), scan(code(2)), AT),
    refused(
      'TICKET_ALREADY_USED',
      'all 0 seats are checked in; first scan at unknown',
      'b1',
      result(noSeats, 0, null),
    ),
  )
})

t.test('a scan is counted once; another code at the same time and device is a new scan', async (t) => {
  const scanned = booking({ checkIns: [record(code(2), 2, AT - 9)] })
  t.strictSame(checkIn(ctx(scanned), scan(code(2), 2, AT - 9), AT), {
    ok: true,
    booking: undefined,
    outputs: [],
    message: 'this scan was counted already',
    checkIn: result(scanned, 2, AT - 9, AT - 9),
  })
  const other = booking({ checkIns: [record(code(1), 2, AT - 9)] })
  const decision = checkIn(ctx(other), scan(code(2), 2, AT - 9), AT)
  t.equal(decision.ok && decision.message, '2 seat(s) checked in: 4 of 20')
})

t.test('an accepted scan records the seats and says how many are in', async (t) => {
  const before = booking({ checkIns: [record(code(2), 5, AT - 9)] })
  const next = booking({
    checkIns: [
      ...before.checkIns,
      { code: code(2), scannedAtMs: AT, seats: 15, deviceId: 'd1', requestId: 'q1' },
    ],
    updatedAtMs: AT + 1,
  })
  t.strictSame(checkIn(ctx(before), scan(` ${code(2)} `, 15), AT + 1), {
    ok: true,
    booking: next,
    outputs: [
      bookingFact(event, next, 'CHECKED_IN', { requestId: 'q1', actorUserId: 'org' }, AT + 1, {
        checkIn: { seats: 15, checkedInSeats: 20, scannedAtMs: AT, deviceId: 'd1' },
      }),
    ],
    message: '15 seat(s) checked in: 20 of 20',
    checkIn: result(next, 20, AT - 9),
  })
  const first = checkIn(ctx(), scan(code(2), 20), AT)
  t.equal(first.ok && first.message, '20 seat(s) checked in: 20 of 20', 'the maximum seats in one scan')
  const one = checkIn(ctx(), scan(code(2), 1), AT)
  t.equal(one.ok && one.message, '1 seat(s) checked in: 1 of 20')
})

const reissue = (actor: Actor, bookingId = 'b1') =>
  reissueTicketCommand({ requestId: 'q2', eventId: 'e1', actor, issuedAtMs: NOW }, bookingId)

t.test('REISSUE_TICKET', async (t) => {
  t.strictSame(
    reissueTicket(
      event,
      booking(),
      bookingCommand({ requestId: 'q2', eventId: 'e1', actor: organizer }, 'REISSUE_TICKET', {}),
      AT,
      TICKETS,
    ),
    { ok: false, refusal: { reasonCode: 'VALIDATION_FAILED', message: 'REISSUE_TICKET needs its payload' } },
  )
  t.strictSame(reissueTicket(event, undefined, reissue(organizer, 'b7'), AT, TICKETS), {
    ok: false,
    refusal: { reasonCode: 'BOOKING_NOT_FOUND', message: 'no booking b7' },
  })
  t.strictSame(reissueTicket(event, booking({ status: 'CANCELED' }), reissue(organizer), AT, TICKETS), {
    ok: false,
    refusal: {
      reasonCode: 'INVALID_BOOKING_STATE',
      message: 'booking is CANCELED: only a confirmed booking has a ticket',
    },
  })
  const decision = reissueTicket(event, booking(), reissue(organizer), AT, TICKETS)
  t.equal(
    decision.ok && decision.message,
    'ticket re-issued (issue 3); the previous code no longer checks in',
  )
  t.equal(decision.ok && decision.booking?.ticketCode, code(3))
  t.strictSame(ticketNotice(event, booking({ ticketCode: null, ticketIssue: 0 }), 'booking.confirmed', AT), {
    to: 'notifications',
    value: {
      dedupKey: 'booking.confirmed:b1:0',
      recipientUserId: 'u1',
      templateKey: 'booking.confirmed',
      locale: 'ru-RU',
      params: { eventId: 'e1', eventTitle: 'Sailing', bookingId: 'b1', ticketCode: '', seats: '20' },
      eventId: 'e1',
      createdAtMs: AT,
    },
  })
})
