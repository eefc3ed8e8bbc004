// Keeps the API error table of query-api/README.md in step with API_ERROR_CODES, and checks the mapping of
// pipeline reason codes (one table: processors/reason-codes.ts).
import { readFileSync } from 'node:fs'
import t from 'tap'
import { REASON_CODES } from '../../processors/reason-codes.ts'
import { API_ERROR_CODES, ApiError, httpStatusOf, toErrorBody } from '../../query-api/errors.ts'

const readme = readFileSync(new URL('../../query-api/README.md', import.meta.url), 'utf8')

t.test('every API error code is documented with its status, and nothing else', async (t) => {
  const rows = [...readme.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map(
    (m) => [m[1]!, Number(m[2])] as const,
  )
  const documented = new Map(rows)
  for (const [code, { httpStatus }] of Object.entries(API_ERROR_CODES))
    t.equal(documented.get(code), httpStatus, code)
  t.same([...documented.keys()].sort(), Object.keys(API_ERROR_CODES).sort())
})

t.test('reason codes keep the status of the pipeline catalogue', async (t) => {
  for (const [code, { httpStatus }] of Object.entries(REASON_CODES))
    t.equal(httpStatusOf(code), httpStatus, code)
  t.equal(httpStatusOf('SOMETHING_NEW'), 422)
  const { status, body } = toErrorBody(new ApiError('NO_AVAILABLE_SEATS', 'sold out'), 'trace-1')
  t.equal(status, 409)
  t.same(body, { code: 'NO_AVAILABLE_SEATS', message: 'sold out', details: {}, traceId: 'trace-1' })
  const unexpected = toErrorBody(new TypeError('boom'), 'trace-2')
  t.equal(unexpected.status, 500)
  t.equal(unexpected.body.code, 'INTERNAL_ERROR')
  t.notMatch(unexpected.body.message, /boom/, 'internals do not leak')
})
