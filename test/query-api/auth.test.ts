import { createServer } from 'node:http'
import t from 'tap'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose'
import type { FastifyRequest } from 'fastify'
import {
  actorOf,
  authenticate,
  authorize,
  checkDeviceScope,
  createTokenVerifier,
  DEVICE,
  deviceIdOf,
  deviceKeyHash,
  deviceMayCheckIn,
  displayNameOf,
  GUEST,
  newDeviceKey,
  signDevToken,
  type DeviceLookup,
} from '../../query-api/auth.ts'
import type { ApiError } from '../../query-api/errors.ts'

const codeOf = async (p: Promise<unknown> | (() => unknown)) => {
  try {
    await (typeof p === 'function' ? p() : p)
    return 'ok'
  } catch (error) {
    return (error as ApiError).code
  }
}

const SECRET = 'secret-1-of-the-auth-tests-32-bytes-long'
const ISSUER = 'https://id.example/'
const AUDIENCE = 'backend-event'
const CLAIMS = { issuer: ISSUER, audience: AUDIENCE }
const key = new TextEncoder().encode(SECRET)

t.test('HS256: sub, role and amr become the principal; bad tokens are 401', async (t) => {
  const verify = createTokenVerifier({ jwtSecret: SECRET, ...CLAIMS })
  const admin = await verify(await signDevToken(SECRET, { sub: 'a1', role: 'admin', amr: ['otp'] }, CLAIMS))
  t.same(admin, { userId: 'a1', role: 'admin', secondFactor: true })
  t.equal(
    await codeOf(
      verify(await signDevToken('another-secret-of-32-bytes-or-more!', { sub: 'u', role: 'user' }, CLAIMS)),
    ),
    'UNAUTHENTICATED',
  )
  const signed = (claims: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key)
  t.equal(await codeOf(verify(await signed({}))), 'UNAUTHENTICATED', 'no role')
  t.equal(await codeOf(verify(await signed({ role: 'root' }))), 'UNAUTHENTICATED', 'unknown role')
  const expired = await signDevToken(SECRET, { sub: 'u', role: 'user' }, { ...CLAIMS, expiresIn: '-1m' })
  t.equal(await codeOf(verify(expired)), 'UNAUTHENTICATED', 'expired')
  const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(
    JSON.stringify({ sub: 'u', role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: 2e9, iat: 1e9 }),
  ).toString('base64url')}.`
  t.equal(await codeOf(verify(none)), 'UNAUTHENTICATED', 'alg none')
})

t.test("the name claim: a plain display name is the principal's name, anything else none", async (t) => {
  const verify = createTokenVerifier({ jwtSecret: SECRET, ...CLAIMS })
  const named = await verify(
    await signDevToken(SECRET, { sub: 'u1', role: 'user', name: ' Анна  К. ' }, CLAIMS),
  )
  t.same(named, { userId: 'u1', role: 'user', secondFactor: false, name: 'Анна К.' })
  for (const claim of ['', '   ', 'x'.repeat(101), '<b>Bold</b>', 'nul\u0000name', 'rtl\u202ename', 42, null])
    t.equal(displayNameOf(claim), undefined, JSON.stringify(claim))
  t.equal(displayNameOf('Jean-Luc Picard'), 'Jean-Luc Picard')
  t.equal(displayNameOf('tab\tand\nnewline'), 'tab and newline', 'whitespace runs become one space')
})

t.test(
  'every token is verified fully: issuer, audience, exp, iat, maximum age, clock tolerance',
  async (t) => {
    const verify = createTokenVerifier({
      jwtSecret: SECRET,
      ...CLAIMS,
      maxTokenAgeS: 3600,
      clockToleranceS: 30,
    })
    const now = Math.floor(Date.now() / 1000)
    const token = (claims: {
      iss?: string
      aud?: string | string[]
      exp?: number
      iat?: number
      nbf?: number
    }) =>
      new SignJWT({ role: 'admin', amr: ['mfa'], ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('a1')
        .sign(key)
    const good = { iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 600 }
    t.equal(await codeOf(verify(await token(good))), 'ok', 'issuer, audience, iat and exp as expected')
    t.equal(
      await codeOf(verify(await token({ ...good, aud: [AUDIENCE, 'other'] }))),
      'ok',
      'one of the audiences',
    )
    for (const [why, claims] of [
      ['without exp (it would never expire)', { ...good, exp: undefined }],
      ['without iat (its age is unknown)', { ...good, iat: undefined }],
      ['of another issuer', { ...good, iss: 'https://evil.example/' }],
      ['without an issuer', { ...good, iss: undefined }],
      ['for another audience (an ID token, another application)', { ...good, aud: 'some-other-client' }],
      ['without an audience', { ...good, aud: undefined }],
      ['older than the maximum age, though not expired', { ...good, iat: now - 3700, exp: now + 3600 }],
      ['expired beyond the clock tolerance', { ...good, iat: now - 600, exp: now - 31 }],
      ['not valid before a time beyond the tolerance', { ...good, nbf: now + 120 }],
      ['issued in the future beyond the tolerance', { ...good, iat: now + 120 }],
    ] as const)
      t.equal(await codeOf(verify(await token(claims))), 'UNAUTHENTICATED', `a token ${why} is 401`)
    t.equal(
      await codeOf(verify(await token({ ...good, exp: now - 10 }))),
      'ok',
      'expired 10 s ago is within the 30 s tolerance',
    )
    t.throws(
      () => createTokenVerifier({ jwtSecret: SECRET, ...CLAIMS, clockToleranceS: 61 }),
      /clock tolerance/,
    )
    t.throws(
      () => createTokenVerifier({ jwtSecret: SECRET, issuer: '', audience: AUDIENCE }),
      /AUTH_JWT_ISSUER/,
    )
    t.throws(
      () => createTokenVerifier({ jwtSecret: SECRET, issuer: ISSUER, audience: '' }),
      /AUTH_JWT_AUDIENCE/,
    )
  },
)

t.test('RS256 and ES256 with a public key; a JWKS URL', async (t) => {
  for (const alg of ['RS256', 'ES256'] as const) {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
    const verify = createTokenVerifier({ jwtPublicKey: await exportSPKI(publicKey), ...CLAIMS })
    const token = await new SignJWT({ role: 'organizer' })
      .setProtectedHeader({ alg })
      .setSubject('o1')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey)
    t.same(await verify(token), { userId: 'o1', role: 'organizer', secondFactor: false }, alg)
    const hs = await signDevToken('x'.repeat(32), { sub: 'o1', role: 'organizer' }, CLAIMS)
    t.equal(await codeOf(verify(hs)), 'UNAUTHENTICATED', `${alg}: an HS256 token is refused`)
  }
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }
  const server = createServer((_req, res) =>
    res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })),
  )
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  const { port } = server.address() as { port: number }
  const verify = createTokenVerifier({ jwksUrl: `http://127.0.0.1:${port}/jwks.json`, ...CLAIMS })
  const sign = (issuer: string, audience: string) =>
    new SignJWT({ role: 'admin', amr: ['mfa'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('u9')
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey)
  t.same(await verify(await sign(ISSUER, AUDIENCE)), { userId: 'u9', role: 'admin', secondFactor: true })
  t.equal(
    await codeOf(verify(await sign(ISSUER, 'another-application'))),
    'UNAUTHENTICATED',
    "the same identity provider's token for another application is refused",
  )
})

t.test('authorize: guests 401, wrong roles 403, admins need a second factor', async (t) => {
  t.equal(await codeOf(() => authorize(GUEST, ['user'])), 'UNAUTHENTICATED')
  t.equal(await codeOf(() => authorize(GUEST, ['guest', 'user'])), 'ok')
  t.equal(
    await codeOf(() => authorize({ userId: 'u', role: 'user', secondFactor: false }, ['organizer'])),
    'FORBIDDEN',
  )
  t.equal(
    await codeOf(() => authorize({ userId: 'a', role: 'admin', secondFactor: false }, ['admin'])),
    'SECOND_FACTOR_REQUIRED',
  )
  t.equal(await codeOf(() => authorize({ userId: 'a', role: 'admin', secondFactor: true }, ['admin'])), 'ok')
  t.throws(() => createTokenVerifier(CLAIMS), /AUTH_JWT_SECRET/)
})

t.test(
  'device keys: looked up by hash, refused when unknown, revoked or orphaned; scoped to their event',
  async (t) => {
    const verify = createTokenVerifier({ jwtSecret: SECRET, ...CLAIMS })
    const key = newDeviceKey()
    t.match(key, /^ckd_[A-Za-z0-9_-]{43}$/)
    t.not(newDeviceKey(), key, 'random')
    t.match(deviceKeyHash(key), /^[0-9a-f]{64}$/)
    t.notOk(deviceKeyHash(key).includes(key.slice(4, 12)), 'the hash is not the key')
    const asked: string[] = []
    const devices: DeviceLookup = async (hash) => {
      asked.push(hash)
      if (hash === deviceKeyHash(key)) return { deviceId: 'dev-1', eventId: 'e1', organizerId: 'org-1' }
      if (hash === deviceKeyHash(`ckd_${'B'.repeat(43)}`))
        return { deviceId: 'dev-2', eventId: 'gone', organizerId: null }
      return undefined
    }
    const request = (authorization: string) => ({ headers: { authorization } }) as unknown as FastifyRequest
    const device = await authenticate(request(`Bearer ${key}`), verify, devices)
    t.same(device, {
      userId: undefined,
      role: 'device',
      secondFactor: false,
      device: { deviceId: 'dev-1', eventId: 'e1', organizerId: 'org-1' },
    })
    t.same(asked, [deviceKeyHash(key)], 'looked up by its hash, never by the key')
    t.same(actorOf(device), { userId: 'org-1', role: 'ORGANIZER' }, 'acts for the organizer')
    t.equal(deviceIdOf(device), 'dev-1')
    t.equal(deviceIdOf(GUEST), null)
    t.equal(deviceMayCheckIn(device, 'e1'), true)
    t.equal(deviceMayCheckIn(device, 'e2'), false)
    t.equal(deviceMayCheckIn(GUEST, 'e2'), true, 'not a device: the route decides')
    t.equal(await codeOf(() => checkDeviceScope(device, 'e1')), 'ok')
    t.equal(await codeOf(() => checkDeviceScope(device, 'e2')), 'FORBIDDEN')
    t.equal(await codeOf(() => checkDeviceScope(device, undefined)), 'FORBIDDEN', 'a route without :id')
    t.equal(await codeOf(() => authorize(device, ['organizer', 'admin'])), 'FORBIDDEN', 'not listed: refused')
    t.equal(await codeOf(() => authorize(device, ['guest', 'user', 'organizer', 'admin'])), 'FORBIDDEN')
    t.equal(await codeOf(() => authorize(device, ['organizer', 'admin', DEVICE])), 'ok')
    for (const bad of [
      `ckd_${'A'.repeat(43)}`,
      `ckd_${'B'.repeat(43)}`,
      'ckd_short',
      `ckd_${'A'.repeat(42)}!`,
    ])
      t.equal(await codeOf(authenticate(request(`Bearer ${bad}`), verify, devices)), 'UNAUTHENTICATED', bad)
    t.equal(
      await codeOf(authenticate(request(`Bearer ${key}`), verify)),
      'UNAUTHENTICATED',
      'no lookup configured: device keys refused',
    )
    const user = await authenticate(
      request(`Bearer ${await signDevToken(SECRET, { sub: 'u1', role: 'user' }, CLAIMS)}`),
      verify,
      devices,
    )
    t.match(user, { userId: 'u1', role: 'user' }, 'JWTs as before')
    t.equal(user.device, undefined)
  },
)
