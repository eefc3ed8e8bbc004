// Route schemas compile on first use, not at start (query-api/lazy-schemas.ts): the app is ready with its
// validators and serializers waiting, a request compiles only its own, a bad request is refused with the
// same 400 as before, and every schema of the app compiles (what the start used to prove).
import t from 'tap'
import { LazySchemas } from '../../query-api/lazy-schemas.ts'
import { ORGANIZER, eventBody, startHarness } from './api-harness.ts'

t.test('the app starts with its route schemas uncompiled; each compiles at its first use', async (t) => {
  const h = await startHarness()
  t.teardown(() => h.close())
  const schemas = h.app.lazySchemas
  const atStart = schemas.pending
  t.ok(atStart > 100, `the routes' validators and serializers wait (${atStart})`)

  const refused = await h.call(ORGANIZER, { method: 'POST', url: '/api/v1/events', payload: { title: 7 } })
  t.equal(refused.statusCode, 400, 'an invalid body is refused by the compiled validator')
  t.equal(refused.json().code, 'VALIDATION_FAILED')
  t.ok(refused.json().details.errors.length > 0, 'with the validator errors')
  const created = await h.call(ORGANIZER, { method: 'POST', url: '/api/v1/events', payload: eventBody() })
  t.equal(created.statusCode, 202, created.body)
  t.type(created.json().requestId, 'string', 'the response serializer writes the fields of its schema')
  const afterUse = schemas.pending
  t.ok(afterUse < atStart, `the routes used compiled theirs (${atStart} -> ${afterUse})`)
  t.ok(afterUse > atStart - 20, 'and only theirs')

  schemas.compileAll()
  t.equal(schemas.pending, 0, 'every schema of the app compiles')
})

t.test('a compile that fails is tried again, and one that succeeded is not repeated', async (t) => {
  const schemas = new LazySchemas()
  let calls = 0
  const validate = schemas.validator(() => {
    calls++
    if (calls === 1) throw new Error('schema does not compile')
    const real = (data: unknown) => {
      real.errors = data === 1 ? null : [{ message: 'must be 1' }]
      return data === 1
    }
    real.errors = null as unknown
    return real
  })
  const serialize = schemas.serializer(() => (data: { a: number }) => `a=${data.a}`)
  t.equal(schemas.pending, 2)
  t.throws(() => validate(1), /does not compile/)
  t.equal(schemas.pending, 2, 'still waiting after a failed compile')
  t.equal(validate(2), false)
  t.same(validate.errors, [{ message: 'must be 1' }], "the real validator's errors")
  t.equal(validate(1), true)
  t.equal(validate.errors, null)
  t.equal(calls, 2, 'compiled once it succeeded')
  t.equal(serialize({ a: 3 }), 'a=3')
  t.equal(schemas.pending, 0)
  schemas.compileAll()
  t.equal(calls, 2)
})
