// Ticket codes: an HMAC of the claim under the server's key, read back offline. Tampering with any field
// or the mac, or a key other than the signer's, leaves a code that is not genuine; what is no code at all
// reads as undefined.
import t from 'tap'
import {
  DEVELOPMENT_TICKET_SECRET,
  isLegacyTicketCode,
  TicketSigner,
  type TicketClaim,
} from '../../processors/ticket-code.ts'

const signer = new TicketSigner('a-ticket-secret-of-the-unit-test-32-bytes')
const claim: TicketClaim = { eventId: 'ev-1', bookingId: 'bk-1', seats: 3, issue: 2 }

t.test('a signed code reads back as its claim, genuine; the same claim signs the same code', async (t) => {
  const code = signer.sign(claim)
  t.match(code, /^T1~ev-1~bk-1~3~2~[A-Za-z0-9_-]{22}$/)
  t.same(signer.read(code), { claim, genuine: true })
  t.same(signer.read(`  ${code}\n`), { claim, genuine: true }, 'whitespace around a scanned code is ignored')
  t.equal(signer.sign({ ...claim }), code, 'deterministic: a replay issues the same ticket')
  t.not(signer.sign({ ...claim, issue: 3 }), code, 'the next issue is another code')
})

t.test('a tampered field or mac is not genuine', async (t) => {
  const code = signer.sign(claim)
  const parts = code.split('~')
  const tampered = (index: number, value: string) => parts.map((p, i) => (i === index ? value : p)).join('~')
  for (const [index, value, what] of [
    [1, 'ev-2', 'event'],
    [2, 'bk-2', 'booking'],
    [3, '20', 'seats'],
    [4, '1', 'issue'],
  ] as const) {
    const read = signer.read(tampered(index, value))
    t.equal(read?.genuine, false, `another ${what} is refused`)
  }
  const mac = parts[5]!
  const flipped = (mac[0] === 'A' ? 'B' : 'A') + mac.slice(1)
  t.equal(signer.read(tampered(5, flipped))?.genuine, false, 'a changed mac is refused')
  t.equal(signer.read(tampered(5, mac.slice(0, 21)))?.genuine, false, 'a shortened mac is refused')
  t.equal(signer.read(tampered(5, mac + 'A'))?.genuine, false, 'a lengthened mac is refused')
})

t.test('a code signed with another secret is not genuine', async (t) => {
  const other = new TicketSigner(DEVELOPMENT_TICKET_SECRET)
  t.equal(signer.read(other.sign(claim))?.genuine, false)
  t.equal(other.read(signer.sign(claim))?.genuine, false)
  t.throws(() => new TicketSigner(''), /needs a secret/)
})

t.test('what is no ticket code at all reads as undefined', async (t) => {
  const code = signer.sign(claim)
  for (const malformed of [
    '',
    'hello',
    '0123456789AB',
    code.replace(/^T1/, 'T2'),
    code + '~extra',
    code.split('~').slice(0, 5).join('~'),
    'T1~~bk-1~3~2~' + 'A'.repeat(22),
    'T1~ev-1~~3~2~' + 'A'.repeat(22),
    'T1~ev-1~bk-1~0~2~' + 'A'.repeat(22),
    'T1~ev-1~bk-1~03~2~' + 'A'.repeat(22),
    'T1~ev-1~bk-1~3~-1~' + 'A'.repeat(22),
    'T1~ev-1~bk-1~3.5~2~' + 'A'.repeat(22),
    'T1~ev-1~bk-1~9999999~2~' + 'A'.repeat(22),
  ])
    t.equal(signer.read(malformed), undefined, JSON.stringify(malformed))
})

t.test('legacy codes are the 12 upper-case hex characters of bookings before signed tickets', async (t) => {
  t.ok(isLegacyTicketCode('0123456789AB'))
  t.notOk(isLegacyTicketCode('0123456789ab'))
  t.notOk(isLegacyTicketCode('0123456789A'))
  t.notOk(isLegacyTicketCode(signer.sign(claim)))
})
