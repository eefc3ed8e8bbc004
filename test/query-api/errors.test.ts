// The API's error mapping: refusals keep the catalogue's status (processors/error-catalogue.ts, one table for
// the processors, the read models and the API; test/errors-catalogue.test.ts checks the table itself).
import t from 'tap'
import { REASON_CODES } from '../../processors/index.ts'
import { ApiError, httpStatusOf, toErrorBody } from '../../query-api/errors.ts'

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
