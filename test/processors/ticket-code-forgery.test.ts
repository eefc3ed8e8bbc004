import t from 'tap'
import { isLegacyTicketCode } from '../../processors/ticket-code.ts'
import { TICKETS } from './ledger-fixtures.ts'

t.test('a mac is not valid for a claim whose fields are split differently', async (t) => {
  const code = TICKETS.sign({ eventId: 'e1', bookingId: 'b12', seats: 2, issue: 1 })
  const mac = code.split('~')[5]!
  t.strictSame(TICKETS.read(code), {
    claim: { eventId: 'e1', bookingId: 'b12', seats: 2, issue: 1 },
    genuine: true,
  })
  // The same characters in the same order, the field boundary moved: another claim.
  t.strictSame(TICKETS.read(`T1~e1b~12~2~1~${mac}`), {
    claim: { eventId: 'e1b', bookingId: '12', seats: 2, issue: 1 },
    genuine: false,
  })
})

t.test('a legacy code is exactly 12 upper-case hex characters', async (t) => {
  t.equal(isLegacyTicketCode('0123456789AB'), true)
  t.equal(isLegacyTicketCode('X0123456789AB'), false, 'nothing before')
  t.equal(isLegacyTicketCode('0123456789ABX'), false, 'nothing after')
  t.equal(isLegacyTicketCode('0123456789ab'), false)
})
