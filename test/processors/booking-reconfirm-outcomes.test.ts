// RECONFIRM decided by processors/booking-reconfirm.ts: refusal messages and the outcome's message.
import t from 'tap'
import { reconfirmBooking } from '../../processors/booking-reconfirm.ts'
import type { BookingState } from '../../processors/ledger-state.ts'
import { bookingCommand, confirmedBooking, NOW, publishedEvent } from './ledger-fixtures.ts'

const event = publishedEvent({ lastRescheduledAtMs: NOW + 10 })
const LATER = NOW + 1000
const command = (withPayload = true) =>
  bookingCommand('RECONFIRM', { reconfirm: withPayload ? { bookingId: 'b1' } : null })

function refusal(booking: BookingState | undefined, withPayload = true) {
  const decision = reconfirmBooking(event, booking, command(withPayload), LATER)
  return decision.ok ? 'granted' : decision.refusal
}

t.test('refusals with their codes and messages', async (t) => {
  t.same(refusal(confirmedBooking(), false), {
    reasonCode: 'VALIDATION_FAILED',
    message: 'RECONFIRM needs its payload',
  })
  t.same(refusal(undefined), { reasonCode: 'BOOKING_NOT_FOUND', message: 'no booking b1' })
  t.same(refusal(confirmedBooking({ status: 'EXPIRED' })), {
    reasonCode: 'INVALID_BOOKING_STATE',
    message: 'booking is EXPIRED',
  })
})

t.test('a re-confirmation is recorded and answered', async (t) => {
  const decision = reconfirmBooking(event, confirmedBooking(), command(), LATER)
  if (!decision.ok) throw new Error(decision.refusal.message)
  t.equal(
    decision.message,
    're-confirmed for the current schedule; a full refund on cancel stays open until the start',
  )
  t.strictSame(decision.booking.reconfirmation, { scheduleChangedAtMs: NOW + 10, atMs: LATER })
})
