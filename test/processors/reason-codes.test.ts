import { readFileSync } from 'node:fs'
import t from 'tap'
import { REASON_CODES } from '../../processors/reason-codes.ts'

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')

t.test(
  'docs/errors.md lists every reason code with its HTTP status and summary, and nothing else',
  async (t) => {
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` +\| (\d{3}) +\| (.*?) *\|$/gm)].map(
      ([, code, status, summary]) => ({
        code,
        status: Number(status),
        summary,
      }),
    )
    t.same(
      rows,
      Object.entries(REASON_CODES).map(([code, entry]) => ({
        code,
        status: entry.httpStatus,
        summary: entry.summary,
      })),
    )
  },
)

t.test('the codes the issue names are in the catalogue', async (t) => {
  for (const code of [
    'NO_AVAILABLE_SEATS',
    'DUPLICATE_BOOKING',
    'EVENT_NOT_BOOKABLE',
    'BOOKING_DEADLINE_PASSED',
    'TOO_MANY_SEATS',
    'ORGANIZER_OWN_EVENT',
    'PROMO_INVALID',
    'PROMO_EXHAUSTED',
    'INVALID_BOOKING_STATE',
    'VERSION_CONFLICT',
    'FORBIDDEN',
    'EVENT_NOT_FOUND',
    'INVALID_TRANSITION',
    'VALIDATION_FAILED',
  ])
    t.ok(code in REASON_CODES, code)
  t.equal(REASON_CODES.NO_AVAILABLE_SEATS.httpStatus, 409, 'MISSION.md: 409 NO_AVAILABLE_SEATS')
  t.equal(REASON_CODES.INVALID_BOOKING_STATE.httpStatus, 422, 'MISSION.md: 422 INVALID_BOOKING_STATE')
})
