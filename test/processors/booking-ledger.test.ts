import t from 'tap'
import type { BookingCommand } from '../../avro/index.ts'
import {
  applyPayment,
  cancelBooking,
  expireHold,
  freeSeats,
  requestBooking,
} from '../../processors/booking-ledger.ts'
import { createEvent } from '../../processors/event-lifecycle.ts'
import { DAY_MS, HOUR_MS, type EventState } from '../../processors/ledger-state.ts'

const NOW = Date.UTC(2026, 0, 1)

function publishedEvent(overrides: Partial<EventState> = {}): EventState {
  const created = createEvent(
    'e1',
    { userId: 'org', role: 'ORGANIZER' },
    {
      organizerId: null,
      title: 'Sailing',
      description: 'A day of sailing on the lake.',
      startsAtMs: NOW + 10 * DAY_MS,
      endsAtMs: NOW + 11 * DAY_MS,
      place: 'Lake',
      categories: ['sailing'],
      capacity: 5,
      holdMinutes: null,
      bookingDeadlineHours: null,
      locale: 'ru-RU',
    },
  ) as EventState
  return {
    ...created,
    status: 'PUBLISHED',
    priceOptions: [
      {
        priceOptionId: 'std',
        name: 'Std',
        priceMinor: 1000,
        allotment: 3,
        taken: 0,
        validFromMs: null,
        validUntilMs: null,
      },
    ],
    ...overrides,
  }
}

function request(userId: string, bookingId: string, seats: number): BookingCommand {
  return {
    requestId: `r-${bookingId}`,
    eventId: 'e1',
    actor: { userId, role: 'USER' },
    issuedAtMs: NOW,
    type: 'REQUEST',
    request: { bookingId, userId, priceOptionId: 'std', seats, promoCode: null },
    cancel: null,
    changeSeats: null,
    joinWaitingList: null,
    leaveWaitingList: null,
  }
}

const ctx = (event: EventState) => ({
  event,
  existing: undefined,
  activeBookingId: undefined,
  waitingList: undefined,
})

t.test('a request holds seats against the option allotment, never beyond it', async (t) => {
  const event = publishedEvent()
  const first = requestBooking(ctx(event), request('u1', 'b1', 2), NOW)
  if (!first.ok) throw new Error(first.refusal.message)
  t.equal(first.event.seatsTaken, 2)
  t.equal(first.event.priceOptions[0]!.taken, 2)
  t.match(first.booking, { status: 'PENDING_PAYMENT', amountMinor: 2000, holdExpiresAtMs: NOW + 2 * HOUR_MS })
  t.equal(event.seatsTaken, 0, 'the input state is not mutated')
  const second = requestBooking(ctx(first.event), request('u2', 'b2', 2), NOW)
  t.match(second, { ok: false, refusal: { reasonCode: 'NO_AVAILABLE_SEATS' } }, 'allotment 3 < 2 + 2')
  t.equal(freeSeats(first.event, 'std', undefined, 'u2'), 1)
})

t.test('waiting-list offers to others hold seats back', async (t) => {
  const event = publishedEvent({ capacity: 3 })
  const list = {
    eventId: 'e1',
    queue: [],
    offers: [{ userId: 'w', seats: 2, joinedAtMs: NOW, offeredAtMs: NOW, expiresAtMs: NOW + 1 }],
  }
  t.equal(freeSeats(event, 'std', list, 'u1'), 1)
  t.equal(freeSeats(event, 'std', list, 'w'), 3)
})

t.test('expiry and payment: late payment after expiry confirms when seats are free', async (t) => {
  const held = requestBooking(ctx(publishedEvent()), request('u1', 'b1', 1), NOW)
  if (!held.ok) throw new Error('refused')
  t.same(expireHold(held.event, held.booking, NOW + HOUR_MS).outputs, [], 'not due yet')
  const expired = expireHold(held.event, held.booking, NOW + 2 * HOUR_MS)
  t.equal(expired.booking?.status, 'EXPIRED')
  t.equal(expired.event.seatsTaken, 0)
  const payment = {
    paymentId: 'p1',
    bookingId: 'b1',
    eventId: 'e1',
    status: 'COMPLETED' as const,
    amountMinor: 1000,
    occurredAtMs: NOW,
  }
  const late = applyPayment(expired.event, expired.booking, undefined, undefined, payment, NOW + 3 * HOUR_MS)
  t.match(late.booking, { status: 'CONFIRMED', paidMinor: 1000 })
  t.equal(late.event.seatsTaken, 1)
  const again = applyPayment(late.event, late.booking, 'b1', undefined, payment, NOW + 3 * HOUR_MS)
  t.same(again.outputs, [], 'a redelivered payment is a no-op')
})

t.test('user cancel of a confirmed booking refunds by the policy, capped by the payment', async (t) => {
  const event = publishedEvent()
  const held = requestBooking(ctx(event), request('u1', 'b1', 1), NOW)
  if (!held.ok) throw new Error('refused')
  const paid = applyPayment(
    held.event,
    held.booking,
    'b1',
    undefined,
    {
      paymentId: 'p1',
      bookingId: 'b1',
      eventId: 'e1',
      status: 'COMPLETED',
      amountMinor: 1000,
      occurredAtMs: NOW,
    },
    NOW,
  )
  const command: BookingCommand = {
    ...request('u1', 'b1', 1),
    type: 'CANCEL',
    request: null,
    cancel: { bookingId: 'b1', reason: null, forceMajeure: false },
  }
  const canceled = cancelBooking(paid.event, paid.booking, command, event.startsAtMs - 3 * DAY_MS)
  if (!canceled.ok) throw new Error('refused')
  t.match(canceled.booking, { status: 'CANCELED', refundedMinor: 800 })
  t.match(canceled.outputs.find((o) => o.to === 'refund-requests')?.value, {
    amountMinor: 800,
    reason: 'USER_CANCELED',
    refundId: 'b1:refund:0',
  })
})
