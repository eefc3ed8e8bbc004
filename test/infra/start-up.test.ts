/**
 * The service as `npm start` runs it (`node main.ts`): it refuses to start on every fail-open configuration
 * of issue 13, with one line naming the variable (exit code 78, no secret value echoed); and once started, a
 * token without `exp`, of another issuer or audience, older than the maximum age, or signed with the
 * development key while a real one is configured gets 401, while a full token gets in. The operational
 * endpoints are on the ops listener, not on the public one. A service killed with SIGKILL has written
 * Node's compile cache (main.ts), so a restart after a crash does not compile its modules again.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import t from 'tap'
import { DEVELOPMENT_AUTH } from '../../infra/config.ts'
import { startApp } from '../support/processes.ts'

/** Nothing configured: the embedded mode, whatever the caller's environment (infra.env) holds. */
const EMBEDDED = {
  NODE_ENV: '',
  KAFKA_BROKERS: '',
  KAFKA_SASL_MECHANISM: '',
  KAFKA_SASL_USERNAME: '',
  KAFKA_SASL_PASSWORD: '',
  DATABASE_URL: '',
  REDIS_URL: '',
  CLICKHOUSE_URL: '',
  SCHEMA_REGISTRY_URL: '',
  AUTH_JWT_SECRET: '',
  AUTH_JWT_PUBLIC_KEY: '',
  AUTH_JWKS_URL: '',
  AUTH_JWT_ISSUER: '',
  AUTH_JWT_AUDIENCE: '',
  PAYMENT_WEBHOOK_SECRET: '',
  TICKET_SECRET: '',
  OPS_HTTP_PORT: '',
  LOG_LEVEL: 'warn',
}
/** Kafka, Postgres and Redis configured (never reached: the configuration is refused first). */
const REAL = {
  ...EMBEDDED,
  KAFKA_BROKERS: '127.0.0.1:1',
  DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
  REDIS_URL: 'redis://127.0.0.1:1',
}
const SECRET = 'a-real-secret-of-the-start-up-test-32b'
const WEBHOOK = 'a-real-webhook-secret-of-the-start-up-test'
const TICKETS = 'a-real-ticket-secret-of-the-start-up-test'
const SECRETS = {
  AUTH_JWT_SECRET: SECRET,
  AUTH_JWT_ISSUER: 'https://id.start-up.test/',
  AUTH_JWT_AUDIENCE: 'backend-event-start-up',
  PAYMENT_WEBHOOK_SECRET: WEBHOOK,
  TICKET_SECRET: TICKETS,
}

t.test('each fail-open configuration refuses to start, naming the variable', async (t) => {
  const cases: [string, Record<string, string>, string][] = [
    ['Kafka, Postgres and Redis, NODE_ENV unset, no secrets', REAL, 'AUTH_JWT_SECRET'],
    [
      'the development JWT secret',
      { ...REAL, ...SECRETS, AUTH_JWT_SECRET: DEVELOPMENT_AUTH.jwtSecret },
      'AUTH_JWT_SECRET',
    ],
    [
      "the sandbox's webhook secret",
      { ...REAL, ...SECRETS, PAYMENT_WEBHOOK_SECRET: DEVELOPMENT_AUTH.webhookSecret },
      'PAYMENT_WEBHOOK_SECRET',
    ],
    [
      'the development ticket secret',
      { ...REAL, ...SECRETS, TICKET_SECRET: DEVELOPMENT_AUTH.ticketSecret },
      'TICKET_SECRET',
    ],
    [
      'a one-character JWT secret in production',
      { ...REAL, ...SECRETS, NODE_ENV: 'production', AUTH_JWT_SECRET: 'x' },
      'AUTH_JWT_SECRET',
    ],
    ['no issuer', { ...REAL, ...SECRETS, AUTH_JWT_ISSUER: '' }, 'AUTH_JWT_ISSUER'],
    ['no audience', { ...REAL, ...SECRETS, AUTH_JWT_AUDIENCE: '' }, 'AUTH_JWT_AUDIENCE'],
    [
      'a clock tolerance of two minutes',
      { ...REAL, ...SECRETS, AUTH_CLOCK_TOLERANCE_S: '120' },
      'AUTH_CLOCK_TOLERANCE_S',
    ],
  ]
  for (const [why, env, variable] of cases) {
    const app = startApp('main.ts', env)
    const { code } = await app.exited
    t.equal(code, 78, `${why}: exit code 78`)
    t.match(app.stderr(), new RegExp(`configuration refused: ${variable}: `), `${why}: names ${variable}`)
    t.notMatch(
      app.stderr(),
      new RegExp(`${SECRET}|${WEBHOOK}|${TICKETS}|${DEVELOPMENT_AUTH.ticketSecret}`),
      `${why}: no secret in the message`,
    )
  }
})

t.test('a started service refuses every token that is not fully valid', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'start-up-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const app = startApp('main.ts', {
    ...EMBEDDED,
    ...SECRETS,
    DATA_DIR: dataDir,
    HTTP_PORT: '0',
    OPS_HTTP_PORT: '0',
    AUTH_JWT_MAX_AGE_S: '600',
    LOG_LEVEL: 'info',
  })
  t.teardown(() => app.child.kill('SIGKILL'))
  const running = await app.waitFor<{ msg?: string; api?: string; ops?: string }>(
    (l) => l.msg === 'backend-event is running',
    180_000,
  )
  const compiled = app.latest<number>('compiledSchemas') ?? 0
  t.ok(compiled > 100, `the API compiled its route schemas (${compiled}) before it listened`)
  const now = Math.floor(Date.now() / 1000)
  const key = new TextEncoder().encode(SECRET)
  const token = (claims: Record<string, unknown>, secret = key) =>
    new SignJWT({
      sub: 'user-1',
      role: 'user',
      iss: SECRETS.AUTH_JWT_ISSUER,
      aud: SECRETS.AUTH_JWT_AUDIENCE,
      iat: now,
      exp: now + 300,
      ...claims,
    })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(secret)
  const status = async (authorization: string) =>
    (await fetch(`${running.api}/api/v1/bookings`, { headers: { authorization: `Bearer ${authorization}` } }))
      .status
  t.equal(await status(await token({})), 200, 'a full token gets in')
  t.equal(await status(await token({ exp: undefined })), 401, 'no exp')
  t.equal(await status(await token({ iss: 'https://other-idp.example/' })), 401, 'another issuer')
  t.equal(await status(await token({ aud: 'another-application' })), 401, 'another audience (an ID token)')
  t.equal(
    await status(await token({ iat: now - 700, exp: now + 3600 })),
    401,
    'older than AUTH_JWT_MAX_AGE_S',
  )
  t.equal(
    await status(
      await token(
        { iss: DEVELOPMENT_AUTH.issuer, aud: DEVELOPMENT_AUTH.audience },
        new TextEncoder().encode(DEVELOPMENT_AUTH.jwtSecret),
      ),
    ),
    401,
    'a development token, with a real secret configured',
  )
  t.equal((await fetch(`${running.api}/metrics`)).status, 404, 'no metrics on the public listener')
  t.equal((await fetch(`${running.api}/docs/`)).status, 404, 'no docs on the public listener')
  t.ok(running.ops, 'the ops listener is announced')
  t.equal((await fetch(`${running.ops}/metrics`)).status, 200, 'metrics on the ops listener')
  t.equal(
    (await fetch(`${running.ops}/openapi.json`)).status,
    200,
    'the OpenAPI document on the ops listener',
  )
  app.child.kill('SIGTERM')
  t.equal((await app.exited).code, 0, 'a clean stop')
})

t.test(
  'a service killed with SIGKILL has written its compile cache: the next start does not compile again',
  async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'start-up-'))
    const cacheDir = mkdtempSync(join(tmpdir(), 'start-up-compile-cache-'))
    t.teardown(() => {
      rmSync(dataDir, { recursive: true, force: true })
      rmSync(cacheDir, { recursive: true, force: true })
    })
    const app = startApp('main.ts', {
      ...EMBEDDED,
      DATA_DIR: dataDir,
      HTTP_PORT: '0',
      LOG_LEVEL: 'info',
      NODE_COMPILE_CACHE: cacheDir,
    })
    t.teardown(() => app.child.kill('SIGKILL'))
    await app.waitFor<{ msg?: string }>((l) => l.msg === 'backend-event is running', 180_000)
    app.child.kill('SIGKILL')
    await app.exited
    // Node keeps one file per module it compiled; without the flush a killed process left one file in all.
    const files = readdirSync(cacheDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
    t.ok(files.length > 100, `the service's modules are in the cache (${files.length} files)`)
  },
)
