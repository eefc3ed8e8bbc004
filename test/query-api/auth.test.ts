import { createServer } from 'node:http'
import t from 'tap'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose'
import { authorize, createTokenVerifier, GUEST, signDevToken } from '../../query-api/auth.ts'
import type { ApiError } from '../../query-api/errors.ts'

const codeOf = async (p: Promise<unknown> | (() => unknown)) => {
  try {
    await (typeof p === 'function' ? p() : p)
    return 'ok'
  } catch (error) {
    return (error as ApiError).code
  }
}

t.test('HS256: sub, role and amr become the principal; bad tokens are 401', async (t) => {
  const verify = createTokenVerifier({ jwtSecret: 'secret-1' })
  const admin = await verify(await signDevToken('secret-1', { sub: 'a1', role: 'admin', amr: ['otp'] }))
  t.same(admin, { userId: 'a1', role: 'admin', secondFactor: true })
  t.equal(await codeOf(verify(await signDevToken('other', { sub: 'u', role: 'user' }))), 'UNAUTHENTICATED')
  const noRole = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('u')
    .sign(new TextEncoder().encode('secret-1'))
  t.equal(await codeOf(verify(noRole)), 'UNAUTHENTICATED')
  const badRole = await new SignJWT({ role: 'root' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('u')
    .sign(new TextEncoder().encode('secret-1'))
  t.equal(await codeOf(verify(badRole)), 'UNAUTHENTICATED')
  const expired = await signDevToken('secret-1', { sub: 'u', role: 'user' }, '-1m')
  t.equal(await codeOf(verify(expired)), 'UNAUTHENTICATED')
})

t.test('RS256 and ES256 with a public key; a JWKS URL', async (t) => {
  for (const alg of ['RS256', 'ES256'] as const) {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
    const verify = createTokenVerifier({ jwtPublicKey: await exportSPKI(publicKey) })
    const token = await new SignJWT({ role: 'organizer' })
      .setProtectedHeader({ alg })
      .setSubject('o1')
      .setExpirationTime('1h')
      .sign(privateKey)
    t.same(await verify(token), { userId: 'o1', role: 'organizer', secondFactor: false }, alg)
    const hs = await signDevToken('x', { sub: 'o1', role: 'organizer' })
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
  const verify = createTokenVerifier({ jwksUrl: `http://127.0.0.1:${port}/jwks.json` })
  const token = await new SignJWT({ role: 'user' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject('u9')
    .sign(privateKey)
  t.same(await verify(token), { userId: 'u9', role: 'user', secondFactor: false })
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
  t.throws(() => createTokenVerifier({}), /AUTH_JWT_SECRET/)
})
