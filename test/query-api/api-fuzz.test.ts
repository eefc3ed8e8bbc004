/**
 * Fuzzing every route of the API (fast-check, 10,000 generated requests per run) on the fixed state of
 * api-state.ts: valid requests of every route with random and boundary values, wrong types, unicode, huge
 * numbers, duplicated and unknown fields, malformed JSON, wrong content types, mangled paths, query strings
 * and headers, under forged, expired, foreign or missing tokens. Whatever comes in:
 *
 * - no answer is a 5xx;
 * - every 4xx (and any error) is `{code, message, details, traceId}` with a code of the catalogue;
 * - a refused request writes nothing: no record reaches the log (commands, payment statuses, favorites).
 *
 * The seed is printed; `FUZZ_SEED=<seed>` replays a run (fast-check then shrinks a failure to a small case).
 */
import type { InjectOptions } from 'fastify'
import fc from 'fast-check'
import { SignJWT } from 'jose'
import t from 'tap'
import { isErrorCode } from '../../processors/index.ts'
import { signDevToken } from '../../query-api/auth.ts'
import {
  ADMIN,
  ADMIN_NO_2FA,
  AUDIENCE,
  ISSUER,
  ORGANIZER,
  ORGANIZER2,
  SECRET,
  tokenFor,
  USER,
  USER2,
} from './api-harness.ts'
import { routeTable, startApiState, VALID_REQUESTS, bulkJobProduced } from './api-state.ts'

const RUNS = 10_000
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31
t.comment(`api fuzz: ${RUNS} requests, seed ${SEED} (FUZZ_SEED=${SEED} replays this run)`)

const state = await startApiState()
t.teardown(() => state.close())
const routes = routeTable(state.h.app)

// ---- tokens ---------------------------------------------------------------------------------------

const key = new TextEncoder().encode(SECRET)
const now = Math.floor(Date.now() / 1000)
const jwt = (claims: Record<string, unknown>, secret: Uint8Array = key) =>
  new SignJWT({
    sub: 'user-1',
    role: 'admin',
    amr: ['mfa'],
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now,
    exp: now + 600,
    ...claims,
  })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(secret)
const unsigned = (claims: Record<string, unknown>) =>
  `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(
    JSON.stringify({
      sub: 'admin-1',
      role: 'admin',
      amr: ['mfa'],
      iss: ISSUER,
      aud: AUDIENCE,
      iat: now,
      exp: now + 600,
      ...claims,
    }),
  ).toString('base64url')}.`

/** Every signed-in principal's valid token: most requests carry one, to get past the door. */
const VALID_AUTHORIZATIONS: string[] = await Promise.all(
  [USER, USER2, ORGANIZER, ORGANIZER2, ADMIN, ADMIN_NO_2FA].map(async (p) => `Bearer ${await tokenFor(p)}`),
)
/** No token, and every kind of bad one. */
const BAD_AUTHORIZATIONS: (string | undefined)[] = [
  undefined,
  `Bearer ${await jwt({}, new TextEncoder().encode('a-forged-key-that-is-not-the-secret!'))}`,
  `Bearer ${await signDevToken(SECRET, { sub: 'user-1', role: 'user' }, { issuer: ISSUER, audience: AUDIENCE, expiresIn: '-2h' })}`,
  `Bearer ${await jwt({ exp: undefined })}`,
  `Bearer ${await jwt({ iat: undefined })}`,
  `Bearer ${await jwt({ iss: 'https://evil.example/' })}`,
  `Bearer ${await jwt({ aud: 'another-application' })}`,
  `Bearer ${await jwt({ iat: now - 50 * 3600, exp: now + 3600 })}`,
  `Bearer ${await jwt({ role: 'root' })}`,
  `Bearer ${await jwt({ sub: '' })}`,
  `Bearer ${await jwt({ sub: 'x'.repeat(500) })}`,
  `Bearer ${unsigned({})}`,
  'Bearer not.a.token',
  'Bearer',
  'Bearer ' + 'A'.repeat(10_000),
  'Basic dXNlcjpwYXNz',
  'bearer lowercase.scheme.token',
  'Bearer a b',
  'Bearer \u0000\u202e',
]

// ---- values ---------------------------------------------------------------------------------------

const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\u202e\u200b',
    '../../etc/passwd',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    '%',
    '%00',
    '🚣‍♀️',
    'Й'.repeat(300),
    '__proto__',
    'constructor',
  ),
)
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    0,
    -0,
    -1,
    1,
    20,
    21,
    2 ** 31,
    2 ** 53 + 1,
    Number.MAX_SAFE_INTEGER,
    1e308,
    -1e308,
    5e-324,
    1_000_000_01,
  ),
)
/** Any value of a field: wrong types included. */
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: text },
  { weight: 3, arbitrary: number },
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    '2026-02-30T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '1970-01-01T00:00:00.000Z',
    'not-a-date',
    'PERCENTAGE',
    'FIXED_AMOUNT',
    'INSTRUCTOR',
    'std',
    'MATRIX10',
    'COMPLETED',
  ),
)
const fieldName = fc.oneof(
  fc.constantFrom(
    'id',
    'eventId',
    'priceOptionId',
    'seats',
    'userId',
    'title',
    'description',
    'startsAt',
    'endsAt',
    'place',
    'capacity',
    'organizerId',
    'code',
    'kind',
    'value',
    'usageLimit',
    'validUntil',
    'validFrom',
    'tiers',
    'role',
    'reason',
    'forceMajeure',
    'name',
    'parentId',
    'slug',
    'priceMinor',
    'allotment',
    'paymentId',
    'bookingId',
    'status',
    'amountMinor',
    'occurredAtMs',
    'publishAt',
    '__proto__',
    'constructor',
  ),
  fc.string({ maxLength: 12 }),
)

// ---- requests -------------------------------------------------------------------------------------

type Mutation =
  | { kind: 'set'; field: string; value: unknown }
  | { kind: 'drop'; index: number }
  | { kind: 'replaceBody'; body: unknown }
  | { kind: 'duplicate'; field: string; value: unknown }
  | { kind: 'rawBody'; text: string }
  | { kind: 'contentType'; value: string | undefined }
  | { kind: 'param'; index: number; value: string; raw: boolean }
  | { kind: 'query'; name: string; value: string }
  | { kind: 'header'; name: string; value: string }

const MALFORMED = [
  '{',
  '{"title":',
  '[1,2',
  'nul',
  '{"a":1,}',
  "{'a':1}",
  '\ufeff{"seats":1}',
  '{"seats":1}{"seats":2}',
  '"just a string"',
  '1e999',
  '{"a":"\\ud800"}',
  '[' + '['.repeat(5000) + ']'.repeat(5000) + ']',
]
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), field: fieldName, value }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), index: fc.nat(20) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('replaceBody' as const), body: fc.jsonValue({ maxDepth: 4 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), field: fieldName, value }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('rawBody' as const),
      text: fc.oneof(fc.constantFrom(...MALFORMED), fc.string({ unit: 'binary', maxLength: 200 })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('contentType' as const),
      value: fc.constantFrom(
        undefined,
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
        'APPLICATION/JSON',
        'application/vnd.api+json',
        'application/json; charset=utf-8',
        '',
        '*/*',
        'application/xml',
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('param' as const),
      index: fc.nat(3),
      value: fc.oneof(
        text,
        fc.constantFrom('state-published', 'state-draft', 'x'.repeat(300), '..', '.', '%2e%2e', '%ZZ'),
      ),
      raw: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('query' as const),
      name: fc.oneof(
        fc.constantFrom(
          'q',
          'page',
          'size',
          'sort',
          'status',
          'place',
          'from',
          'to',
          'priceMin',
          'priceMax',
          'hasSeats',
          'category',
          'organizerId',
          'granularity',
          'limit',
          'eventId',
          '__proto__',
        ),
        fc.string({ maxLength: 8 }),
      ),
      value: fc.oneof(text, number.map(String)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('header' as const),
      name: fc.constantFrom(
        'if-match',
        'prefer',
        'idempotency-key',
        'x-request-id',
        'traceparent',
        'if-none-match',
        'accept',
        'x-session-id',
        'x-signature',
        'content-length',
        'x-forwarded-for',
      ),
      value: fc.oneof(
        text,
        fc.constantFrom(
          '"1"',
          'W/"999999999999"',
          'wait=10',
          'wait=-1',
          'wait=1e9',
          'text/csv',
          '00-' + '0'.repeat(32) + '-' + '0'.repeat(16) + '-01',
          '-1',
          '1e999',
        ),
      ),
    }),
  },
)

const request = fc.record({
  route: fc.constantFrom(...routes),
  authorization: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...VALID_AUTHORIZATIONS) },
    { weight: 2, arbitrary: fc.constantFrom(...BAD_AUTHORIZATIONS) },
  ),
  mutations: fc.array(mutation, { maxLength: 3 }),
})

/** The valid request of the route, with the mutations applied. */
async function build(
  route: string,
  authorization: string | undefined,
  mutations: readonly Mutation[],
): Promise<InjectOptions> {
  const [method, template] = route.split(' ') as [string, string]
  const base = await VALID_REQUESTS[method === 'HEAD' ? `GET ${template}` : route]!(state)
  const [path, search = ''] = String(base.url).split('?')
  const segments = path!.split('/')
  const params = template.split('/').flatMap((s, i) => (s.startsWith(':') ? [i] : []))
  const query = new URLSearchParams(search)
  const headers: Record<string, string> = { ...(base.headers as Record<string, string>) }
  if (authorization !== undefined) headers.authorization = authorization
  let body: unknown = typeof base.payload === 'string' ? JSON.parse(base.payload) : undefined
  let raw: string | undefined
  const duplicates: [string, unknown][] = []
  for (const m of mutations)
    switch (m.kind) {
      case 'set':
        body = { ...(isObject(body) ? body : {}), [m.field]: m.value }
        break
      case 'drop':
        if (isObject(body)) {
          const keys = Object.keys(body)
          if (keys.length > 0)
            body = Object.fromEntries(Object.entries(body).filter(([k]) => k !== keys[m.index % keys.length]))
        }
        break
      case 'replaceBody':
        body = m.body
        break
      case 'duplicate':
        duplicates.push([m.field, m.value])
        break
      case 'rawBody':
        raw = m.text
        break
      case 'contentType':
        if (m.value === undefined) delete headers['content-type']
        else headers['content-type'] = m.value
        break
      case 'param':
        // An availability stream of a real event opens and never ends under inject: its open streams are
        // tested by test/query-api/availability-stream.test.ts; here its refusals only.
        if (template.endsWith('/availability') && m.value.startsWith('state-')) break
        if (params.length > 0) {
          const i = params[m.index % params.length]!
          segments[i] = m.raw ? m.value.replace(/[^\x21-\x7e]/g, '') || '%' : encodeURIComponent(m.value)
        }
        break
      case 'query':
        query.append(m.name, m.value)
        break
      case 'header':
        if (m.name !== 'content-length') headers[m.name] = m.value.replace(/[^\x20-\x7e]/g, '?')
        break
    }
  let payload: string | undefined
  if (raw !== undefined) payload = raw
  else if (body !== undefined) {
    payload = JSON.stringify(body)
    if (duplicates.length > 0 && isObject(body))
      payload = `${payload.slice(0, -1)}${Object.keys(body).length > 0 ? ',' : ''}${duplicates
        .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`)
        .join(',')}}`
  }
  if (payload !== undefined && headers['content-type'] === undefined && raw === undefined)
    headers['content-type'] = 'application/json'
  const qs = query.toString()
  return {
    method: method as InjectOptions['method'],
    url: `${segments.join('/')}${qs === '' ? '' : `?${qs}`}`,
    headers,
    ...(payload === undefined ? {} : { payload }),
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// ---- the property ---------------------------------------------------------------------------------

t.test(
  `${RUNS} generated requests over every route: no 5xx, one error format, nothing written when refused`,
  async (t) => {
    const hits = new Map<string, number>()
    const statuses = new Map<number, number>()
    await fc.assert(
      fc.asyncProperty(request, async ({ route, authorization, mutations }) => {
        const options = await build(route, authorization, mutations)
        const before = state.appended()
        const answer = await state.h.app.inject(options)
        // A bulk job's commands are produced after its 202: they are in the log before the next request.
        if (answer.statusCode === 202 && route.startsWith('POST /api/v1/bulk/'))
          await bulkJobProduced(state.h, answer.json<{ jobId: string }>().jobId)
        hits.set(route, (hits.get(route) ?? 0) + 1)
        statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1)
        const where = `${options.method} ${options.url} → ${answer.statusCode} ${answer.body.slice(0, 300)}`
        if (answer.statusCode >= 500) throw new Error(`a 5xx: ${where}`)
        if (answer.statusCode >= 400) {
          if (state.appended() !== before) throw new Error(`a refused request wrote to the log: ${where}`)
          if (options.method === 'HEAD') return
          let body: Record<string, unknown>
          try {
            body = JSON.parse(answer.body) as Record<string, unknown>
          } catch {
            throw new Error(`an error answer that is not JSON: ${where}`)
          }
          const keys = Object.keys(body).sort().join(',')
          if (keys !== 'code,details,message,traceId')
            throw new Error(`an error answer with keys ${keys}: ${where}`)
          if (typeof body.code !== 'string' || !isErrorCode(body.code))
            throw new Error(`an error code outside the catalogue: ${where}`)
          if (typeof body.message !== 'string' || typeof body.traceId !== 'string' || !isObject(body.details))
            throw new Error(`an error answer of the wrong shape: ${where}`)
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: false },
    )
    for (const route of routes)
      t.ok((hits.get(route) ?? 0) >= 50, `${route}: ${hits.get(route) ?? 0} requests`)
    t.comment(
      `statuses: ${[...statuses]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}×${n}`)
        .join(' ')}`,
    )
    t.ok(
      [...statuses.keys()].some((s) => s >= 200 && s < 300),
      'some requests get through',
    )
    t.ok(
      [...statuses.keys()].every((s) => s < 500),
      'no 5xx',
    )
  },
)
