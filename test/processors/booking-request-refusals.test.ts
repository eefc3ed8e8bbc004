// REQUEST decided by processors/booking-request.ts: each refusal with its exact code and message, the held
// booking, its outputs, and a free booking confirmed at once.
import t from 'tap'
import type { BookingCommand, RequestBooking } from '../../avro/index.ts'
import { requestBooking, type BookingRequestContext } from '../../processors/booking-request.ts'
import { DAY_MS, HOUR_MS, type EventState } from '../../processors/ledger-state.ts'
import { bookingCommand, NOW, publishedEvent, stdOption, TICKETS } from './ledger-fixtures.ts'

const command = (input: Partial<RequestBooking> | null, actor?: BookingCommand['actor']) =>
  bookingCommand(
    'REQUEST',
    {
      request:
        input === null
          ? null
          : { bookingId: 'b1', userId: 'u1', priceOptionId: 'std', seats: 2, promoCode: null, ...input },
    },
    actor,
  )

const ctx = (overrides: Partial<BookingRequestContext> = {}): BookingRequestContext => ({
  event: publishedEvent(),
  existing: undefined,
  activeBookingId: undefined,
  promoBookings: [],
  waitingList: undefined,
  ...overrides,
})

function refusal(c: BookingRequestContext, cmd: BookingCommand) {
  const decision = requestBooking(c, cmd, NOW, TICKETS)
  return decision.ok ? 'granted' : decision.refusal
}

t.test('refusals with their codes and messages', async (t) => {
  t.same(refusal(ctx(), command(null)), {
    reasonCode: 'VALIDATION_FAILED',
    message: 'REQUEST needs the request payload',
  })
  t.same(refusal(ctx({ event: undefined }), command({})), {
    reasonCode: 'EVENT_NOT_FOUND',
    message: 'no event e1',
  })
  t.same(refusal(ctx(), command({ userId: 'u2' })), {
    reasonCode: 'FORBIDDEN',
    message: 'users book for themselves only',
  })
  const ownEvent = { reasonCode: 'ORGANIZER_OWN_EVENT', message: 'an organizer cannot book their own event' }
  t.same(refusal(ctx(), command({ userId: 'org' }, { userId: 'adm', role: 'ADMIN' } as never)), ownEvent)
  t.same(refusal(ctx(), command({ userId: 'u1' }, { userId: 'org', role: 'ADMIN' } as never)), ownEvent)
  t.same(refusal(ctx(), command({ bookingId: '' })), {
    reasonCode: 'VALIDATION_FAILED',
    message: 'bookingId is required',
  })
  t.same(refusal(ctx({ existing: {} as never }), command({})), {
    reasonCode: 'DUPLICATE_BOOKING',
    message: 'booking b1 exists',
  })
  t.same(refusal(ctx({ activeBookingId: 'b0' }), command({})), {
    reasonCode: 'DUPLICATE_BOOKING',
    message: 'user u1 has the active booking b0',
  })
  t.same(refusal(ctx(), command({ priceOptionId: 'vip' })), {
    reasonCode: 'PRICE_OPTION_NOT_FOUND',
    message: 'no price option vip',
  })
  const later = publishedEvent({ priceOptions: [{ ...stdOption(3), validFromMs: NOW + 1 }] })
  t.same(refusal(ctx({ event: later }), command({})), {
    reasonCode: 'PRICE_OPTION_NOT_AVAILABLE',
    message: 'price option std is not on sale now',
  })
  t.same(refusal(ctx(), command({ seats: 4 })), {
    reasonCode: 'NO_AVAILABLE_SEATS',
    message: 'fewer than 4 free seats',
  })
})

t.test('an admin books for a user; no promo code and an empty one are the same', async (t) => {
  t.equal(refusal(ctx(), command({ userId: 'u2' }, { userId: 'adm', role: 'ADMIN' } as never)), 'granted')
  for (const promoCode of [null, '']) {
    const decision = requestBooking(ctx(), command({ promoCode }), NOW, TICKETS)
    t.equal(decision.ok, true, `promo ${String(promoCode)}`)
  }
})

t.test('a paid request holds the seats: the whole booking, event and outputs', async (t) => {
  const event = publishedEvent()
  const decision = requestBooking(ctx({ event }), command({}), NOW, TICKETS)
  if (!decision.ok) throw new Error(decision.refusal.message)
  t.equal(decision.message, 'seats held until payment')
  t.strictSame(decision.booking, {
    bookingId: 'b1',
    eventId: 'e1',
    userId: 'u1',
    priceOptionId: 'std',
    seats: 2,
    status: 'PENDING_PAYMENT',
    amountMinor: 2000,
    seatsValueMinor: 0,
    promoCode: null,
    paidMinor: 0,
    refundedMinor: 0,
    refundCount: 0,
    paymentId: null,
    settledPaymentIds: [],
    charges: [],
    ticketCode: null,
    ticketIssue: 0,
    checkIns: [],
    holdExpiresAtMs: NOW + 2 * HOUR_MS,
    endCause: null,
    topUp: null,
    reconfirmation: null,
    createdAtMs: NOW,
    updatedAtMs: NOW,
  })
  t.strictSame(decision.event, { ...event, seatsTaken: 2, priceOptions: [stdOption(3, 2)] })
  t.equal(decision.outputs.length, 2)
  t.match(decision.outputs[0], { to: 'booking-events', value: { type: 'HELD', bookingId: 'b1' } })
  t.strictSame(decision.outputs[1], {
    to: 'notifications',
    value: {
      dedupKey: 'booking.created:b1',
      recipientUserId: 'u1',
      templateKey: 'booking.created',
      locale: event.locale,
      params: {
        eventId: 'e1',
        eventTitle: 'Sailing',
        bookingId: 'b1',
        amountMinor: '2000',
        holdExpiresAtMs: String(NOW + 2 * HOUR_MS),
      },
      eventId: 'e1',
      createdAtMs: NOW,
    },
  })
})

t.test('a free request is confirmed at once with its ticket', async (t) => {
  const event: EventState = publishedEvent({ priceOptions: [{ ...stdOption(3), priceMinor: 0 }] })
  const decision = requestBooking(ctx({ event }), command({}), NOW + DAY_MS, TICKETS)
  if (!decision.ok) throw new Error(decision.refusal.message)
  t.equal(decision.message, 'booking confirmed')
  t.match(decision.booking, { status: 'CONFIRMED', amountMinor: 0, holdExpiresAtMs: null, ticketIssue: 1 })
  t.equal(decision.outputs.length, 3)
})
