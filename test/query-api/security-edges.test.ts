// The API's edges, as issue 13 found them open: rejected requests were never counted, a body of unknown
// keys came back as a many times larger answer, and guests' search matched the meeting point they may not
// see. Each test here fails against the code before the fix.
import t from 'tap'
import { ORGANIZER, publishedEvent, startHarness, tokenFor, USER } from './api-harness.ts'

const h = await startHarness()
t.teardown(() => h.close())

t.test(
  '401, 403 and 404 answers are counted per address; over the budget every request is 429',
  async (t) => {
    const from = (remoteAddress: string, url: string, authorization?: string) =>
      h.app.inject({ method: 'GET', url, remoteAddress, headers: authorization ? { authorization } : {} })
    const attacker = '203.0.113.7'
    const codes: number[] = []
    for (let i = 0; i < 10; i++)
      codes.push((await from(attacker, '/api/v1/bookings', 'Bearer forged.token.x')).statusCode)
    for (let i = 0; i < 10; i++)
      codes.push((await from(attacker, '/api/v1/categories/x', 'Bearer a.b.c')).statusCode)
    for (let i = 0; i < 10; i++) codes.push((await from(attacker, `/api/v1/no-such-route-${i}`)).statusCode)
    t.same(new Set(codes), new Set([401, 404]), '30 rejections answer as they are')
    const blocked = await from(attacker, '/api/v1/events')
    t.equal(blocked.statusCode, 429, 'the 31st request of the address is refused, a valid one too')
    t.equal(blocked.json().code, 'RATE_LIMITED')
    t.equal(blocked.json().details.group, 'rejected')
    t.ok(Number(blocked.headers['retry-after']) > 0, 'Retry-After says when')
    t.equal((await from('198.51.100.1', '/api/v1/events')).statusCode, 200, 'another address is not affected')
    t.equal((await from(attacker, '/healthz')).statusCode, 200, 'liveness is never refused')
  },
)

t.test("forbidden answers count too: a user probing other users' bookings is stopped", async (t) => {
  const prober = '203.0.113.8'
  const token = `Bearer ${await tokenFor(USER)}`
  let last = 0
  for (let i = 0; i < 31; i++)
    last = (
      await h.app.inject({
        method: 'GET',
        url: `/api/v1/bookings/probe-${i}`,
        remoteAddress: prober,
        headers: { authorization: token },
      })
    ).statusCode
  t.equal(last, 429, 'after 30 misses (404 BOOKING_NOT_FOUND) the address is refused')
})

t.test('validation errors are capped and never echoed twice', async (t) => {
  const unknown: Record<string, number> = {}
  for (let i = 0; i < 37_000; i++) unknown[`unknown_key_${i}`] = i
  const body = JSON.stringify(unknown)
  t.ok(body.length > 900_000 && body.length < 1024 * 1024, `a body of ${body.length} bytes of unknown keys`)
  const answer = await h.call(ORGANIZER, {
    method: 'POST',
    url: '/api/v1/events',
    headers: { 'content-type': 'application/json' },
    payload: body,
  })
  t.equal(answer.statusCode, 400)
  t.ok(answer.body.length < 4000, `a small answer (${answer.body.length} bytes)`)
  const error = answer.json()
  t.equal(error.code, 'VALIDATION_FAILED')
  t.ok(error.details.errors.length <= 10, 'at most 10 errors listed')
  t.ok(error.details.total > 10, `the total is counted (${error.details.total})`)
  t.match(error.message, /more\)$/, 'the message names the first error and counts the rest')
  t.equal(answer.body.split('unknown_key_0"').length - 1, 1, 'the first unknown key appears once')

  const longKey = 'k'.repeat(900_000)
  const one = await h.call(ORGANIZER, {
    method: 'POST',
    url: '/api/v1/events',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ [longKey]: 1 }),
  })
  t.equal(one.statusCode, 400)
  t.ok(one.body.length < 4000, `a 900 KB key name is not echoed (${one.body.length} bytes)`)
})

t.test("guests' search and place filter match only what guests see, not the meeting point", async (t) => {
  // eventBody's place: "Altai, Katun river, Chemal bridge"; the area (public) is "Altai".
  const id = await publishedEvent(h, { organizer: { sub: 'org-search', role: 'organizer' } })
  const search = async (as: 'guest' | typeof USER, query: string) => {
    const answer = await h.call(as, { method: 'GET', url: `/api/v1/events?organizerId=org-search&${query}` })
    t.equal(answer.statusCode, 200, query)
    return answer.json().total as number
  }
  t.equal(await search('guest', 'place=Altai'), 1, 'guests filter by the area')
  t.equal(await search('guest', 'place=Chemal'), 0, "guests' place filter does not reach the meeting point")
  t.equal(await search('guest', 'place=Altai,%20K'), 0, 'not even one character past the area')
  t.equal(await search('guest', 'q=Chemal'), 0, "guests' full-text search does not reach the meeting point")
  t.equal(await search('guest', 'q=Altai'), 1, 'guests find the area by full text')
  t.equal(await search('guest', 'q=rafting'), 1, 'and the title')
  t.equal(await search(USER, 'place=Chemal'), 1, 'signed-in users see the place and filter by it')
  t.equal(await search(USER, 'q=Chemal'), 1, 'and search it')
  t.equal(await search('guest', 'place=Chemal'), 0, "a user's answer is not served to guests from the cache")
  const details = await h.call('guest', { method: 'GET', url: `/api/v1/events/${id}` })
  t.equal(details.json().place, null, 'the details stay reduced')
})

t.test('control characters in search text are a 400, never a 500 (API fuzz seed 1193979388)', async (t) => {
  for (const query of ['place=%00', 'q=%00', 'organizerId=%00', 'place=a%1Fb', 'q=x%7F'])
    for (const method of ['GET', 'HEAD'] as const) {
      const answer = await h.call('guest', { method, url: `/api/v1/events?${query}` })
      t.equal(answer.statusCode, 400, `${method} ${query}`)
      if (method === 'GET') t.equal(answer.json().code, 'VALIDATION_FAILED')
    }
  const fine = await h.call('guest', {
    method: 'GET',
    url: '/api/v1/events?place=%D0%90%D0%BB%D1%82%D0%B0%D0%B9',
  })
  t.equal(fine.statusCode, 200, 'Cyrillic text passes')
})
