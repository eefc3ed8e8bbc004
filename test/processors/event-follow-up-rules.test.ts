import t from 'tap'
import { followUpEffect } from '../../processors/event-follow-up.ts'
import { scheduleNotice } from '../../processors/schedule-notices.ts'
import { CAUSE, eventState, NOW } from './event-state-builders.ts'
import { confirmedBooking, heldBooking } from './ledger-fixtures.ts'

t.test('the reminder goes to CONFIRMED bookings only', async (t) => {
  const event = eventState({ status: 'PUBLISHED' })
  t.strictSame(scheduleNotice(event, heldBooking(), 'REMIND', NOW), [])
  t.equal(scheduleNotice(event, confirmedBooking(), 'REMIND', NOW).length, 1)
})

t.test('CANCEL_ALL closes the waiting list only when there is one', async (t) => {
  const event = eventState({ status: 'CANCELED' })
  const effect = followUpEffect(event, [], undefined, 'CANCEL_ALL', CAUSE, NOW)
  t.strictSame(effect, { event, bookings: [], listClosed: false, outputs: [] })
})
