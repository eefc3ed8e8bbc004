// The FORBIDDEN refusal of processors/booking-decision.ts names the actor and the booking.
import t from 'tap'
import { forbiddenOn } from '../../processors/booking-decision.ts'
import { bookingCommand, confirmedBooking } from './ledger-fixtures.ts'

t.test('forbiddenOn names who may not change which booking', async (t) => {
  const command = bookingCommand('CANCEL', {}, { userId: 'u9', role: 'USER' })
  t.same(forbiddenOn(confirmedBooking(), command), {
    reasonCode: 'FORBIDDEN',
    message: 'u9 may not change booking b1',
  })
})
