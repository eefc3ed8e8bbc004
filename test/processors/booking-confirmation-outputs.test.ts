// The outputs of a confirmation (processors/booking-confirmation.ts): the fact, the user's notice with the
// ticket code and the organizer's notice, compared whole.
import t from 'tap'
import { confirmedOutputs } from '../../processors/booking-confirmation.ts'
import { TIMER_CAUSE } from '../../processors/ledger-outputs.ts'
import { confirmedBooking, NOW, publishedEvent } from './ledger-fixtures.ts'

const event = publishedEvent()

const notice = (recipientUserId: string, templateKey: string, params: Record<string, string>) => ({
  to: 'notifications',
  value: {
    dedupKey: `${templateKey}:b1`,
    recipientUserId,
    templateKey,
    locale: event.locale,
    params: { eventId: 'e1', eventTitle: 'Sailing', ...params },
    eventId: 'e1',
    createdAtMs: NOW,
  },
})

t.test('the user and the organizer are told the ticket and the seats', async (t) => {
  const outputs = confirmedOutputs(event, confirmedBooking(), TIMER_CAUSE, NOW)
  t.equal(outputs.length, 3)
  t.match(outputs[0], { to: 'booking-events', value: { type: 'CONFIRMED', bookingId: 'b1' } })
  const params = { bookingId: 'b1', ticketCode: 'T-1', seats: '4' }
  t.strictSame(outputs[1], notice('u1', 'booking.confirmed', params))
  t.strictSame(outputs[2], notice('org', 'booking.confirmed.organizer', { ...params, userId: 'u1' }))
})

t.test('no ticket code yet: an empty one', async (t) => {
  const outputs = confirmedOutputs(event, confirmedBooking({ ticketCode: null }), TIMER_CAUSE, NOW)
  t.strictSame(outputs[1], notice('u1', 'booking.confirmed', { bookingId: 'b1', ticketCode: '', seats: '4' }))
})
