// processors/booking-changes.ts: the booking a command on an existing booking names.
import t from 'tap'
import { changedBookingId } from '../../processors/booking-changes.ts'
import { bookingCommand } from './ledger-fixtures.ts'

t.test('each command type names its payload’s booking; a missing payload names none', async (t) => {
  t.equal(changedBookingId({ ...bookingCommand('CANCEL', {}), type: 'CANCEL' }), '')
  t.equal(changedBookingId({ ...bookingCommand('CHANGE_SEATS', {}), type: 'CHANGE_SEATS' }), '')
  const cancel = bookingCommand('CANCEL', { cancel: { bookingId: 'b1', reason: null, forceMajeure: false } })
  t.equal(changedBookingId({ ...cancel, type: 'CANCEL' }), 'b1')
  const reconfirm = bookingCommand('RECONFIRM', { reconfirm: { bookingId: 'b2' } })
  t.equal(changedBookingId({ ...reconfirm, type: 'RECONFIRM' }), 'b2')
  const seats = bookingCommand('CHANGE_SEATS', { changeSeats: { bookingId: 'b3', seats: 2 } })
  t.equal(changedBookingId({ ...seats, type: 'CHANGE_SEATS' }), 'b3')
})
