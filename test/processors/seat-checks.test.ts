// The booking checks every request passes (processors/seat-checks.ts), at their bounds and with the messages
// clients are shown: the option's sale window (both ends inclusive), the seat count (1 to 20), and why an
// event takes no bookings.
import t from 'tap'
import { HOUR_MS, MAX_SEATS_PER_BOOKING } from '../../processors/ledger-state.ts'
import { bookingClosed, checkSeatCount, onSale } from '../../processors/seat-checks.ts'
import { draftEvent, NOW, publishedEvent, stdOption } from './ledger-fixtures.ts'

t.test(
  'an option is on sale from validFrom to validUntil, both ends included, open ends when null',
  async (t) => {
    const window = { ...stdOption(3), validFromMs: NOW, validUntilMs: NOW + HOUR_MS }
    t.equal(onSale(window, NOW - 1), false, 'before the window')
    t.equal(onSale(window, NOW), true, 'at its first instant')
    t.equal(onSale(window, NOW + HOUR_MS), true, 'at its last instant')
    t.equal(onSale(window, NOW + HOUR_MS + 1), false, 'after the window')
    t.equal(onSale({ ...window, validFromMs: null }, NOW - 10 * HOUR_MS), true, 'no start: on sale before')
    t.equal(onSale({ ...window, validFromMs: null }, NOW + HOUR_MS + 1), false, 'no start, still an end')
    t.equal(onSale({ ...window, validUntilMs: null }, NOW + 10 * HOUR_MS), true, 'no end: on sale after')
    t.equal(onSale({ ...window, validUntilMs: null }, NOW - 1), false, 'no end, still a start')
  },
)

t.test('a booking has 1 to 20 seats', async (t) => {
  t.equal(MAX_SEATS_PER_BOOKING, 20)
  t.equal(checkSeatCount(1), undefined)
  t.equal(checkSeatCount(20), undefined, 'twenty is allowed')
  t.same(checkSeatCount(21), { reasonCode: 'TOO_MANY_SEATS', message: 'at most 20 seats per booking' })
  for (const seats of [0, -1, 1.5, Number.NaN])
    t.same(
      checkSeatCount(seats),
      { reasonCode: 'VALIDATION_FAILED', message: 'seats must be 1-20' },
      `${seats}`,
    )
})

t.test('why an event takes no bookings, in the words the client reads', async (t) => {
  t.same(bookingClosed(draftEvent(), NOW), { reasonCode: 'EVENT_NOT_BOOKABLE', message: 'event is DRAFT' })
  const event = publishedEvent({ bookingDeadlineHours: 24 })
  const deadline = event.startsAtMs - 24 * HOUR_MS
  t.equal(bookingClosed(event, deadline), undefined, 'open at the deadline itself')
  t.same(bookingClosed(event, deadline + 1), {
    reasonCode: 'BOOKING_DEADLINE_PASSED',
    message: 'booking closed 24 h before the start',
  })
})
