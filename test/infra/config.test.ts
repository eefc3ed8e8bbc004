import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import {
  CONFIG_KEYS,
  describeConfig,
  DEVELOPMENT_AUTH,
  kafkaSecurityOf,
  loadConfig,
  loadServiceConfig,
  type Config,
} from '../../infra/config.ts'
import { CodedError } from '../../streams/index.ts'

/** The CodedError `fn` throws (fails the test when it throws nothing or something else). */
function configError(t: Test, fn: () => unknown): CodedError {
  try {
    fn()
  } catch (error) {
    t.type(error, CodedError)
    return error as CodedError
  }
  t.fail('expected an error')
  return new CodedError('NONE', 'nothing thrown')
}

t.test('an empty environment gives the defaults', async (t) => {
  const config = loadConfig({})
  t.equal(config.nodeEnv, 'development')
  t.same(config.kafkaBrokers, [], 'embedded by default')
  t.equal(config.commitIntervalMs, 100)
  t.equal(config.databaseUrl, '', 'PGlite by default')
  const defaults = Object.fromEntries(Object.entries(CONFIG_KEYS).map(([name, k]) => [name, k.default]))
  t.same(config, defaults, 'every key falls back to its declared default')
  t.same(loadConfig({ COMMIT_INTERVAL_MS: '', LOG_LEVEL: '' }), config, 'an empty value is the default')
})

t.test('every key has an upper-case variable name and a description; names are unique', async (t) => {
  const envs = Object.values(CONFIG_KEYS).map((k) => k.env)
  t.equal(new Set(envs).size, envs.length)
  for (const k of Object.values(CONFIG_KEYS)) {
    t.match(k.env, /^[A-Z][A-Z0-9_]*$/)
    t.ok(k.description.length > 10, `${k.env} is described`)
  }
})

t.test('values are parsed by kind', async (t) => {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    DATA_DIR: '/var/lib/backend-event',
    APPLICATION_ID: 'backend-event-blue',
    KAFKA_REPLICATION_FACTOR: '3',
    KAFKA_SESSION_TIMEOUT_MS: '45000',
    COMMIT_INTERVAL_MS: '1',
    EMBEDDED_FSYNC_INTERVAL_MS: '0',
    SCHEMA_REGISTRY_URL: 'http://registry:8081',
    UNRELATED: 'ignored',
  })
  t.equal(config.nodeEnv, 'test')
  t.equal(config.logLevel, 'debug')
  t.equal(config.dataDir, '/var/lib/backend-event')
  t.equal(config.applicationId, 'backend-event-blue')
  t.equal(config.kafkaReplicationFactor, 3)
  t.equal(config.kafkaSessionTimeoutMs, 45_000)
  t.equal(config.commitIntervalMs, 1, 'the minimum is allowed')
  t.equal(config.embeddedFsyncIntervalMs, 0, '0 = fsync on every append')
  t.equal(config.schemaRegistryUrl, 'http://registry:8081')
  t.notOk('UNRELATED' in config)
})

t.test('KAFKA_BROKERS is a comma-separated list, trimmed, empty entries dropped', async (t) => {
  t.same(loadConfig({ KAFKA_BROKERS: 'kafka-1:9092' }).kafkaBrokers, ['kafka-1:9092'])
  t.same(loadConfig({ KAFKA_BROKERS: ' kafka-1:9092 ,kafka-2:9092,, kafka-3:19092 ,' }).kafkaBrokers, [
    'kafka-1:9092',
    'kafka-2:9092',
    'kafka-3:19092',
  ])
  t.same(loadConfig({ KAFKA_BROKERS: ' , ' }).kafkaBrokers, [], 'separators only: no broker')
})

t.test('an invalid integer is INVALID_CONFIG naming the variable', async (t) => {
  for (const [env, raw, why] of [
    ['COMMIT_INTERVAL_MS', 'fast', /must be an integer/],
    ['COMMIT_INTERVAL_MS', '1.5', /must be an integer/],
    ['COMMIT_INTERVAL_MS', '0', /must be >= 1/],
    ['KAFKA_REPLICATION_FACTOR', '-1', /must be >= 1/],
    ['KAFKA_SESSION_TIMEOUT_MS', '999', /must be >= 1000/],
    ['EMBEDDED_FSYNC_INTERVAL_MS', '-5', /must be >= 0/],
    ['EMBEDDED_FSYNC_INTERVAL_MS', '9007199254740993', /must be an integer/],
  ] as const) {
    const error = configError(t, () => loadConfig({ [env]: raw }))
    t.equal(error.code, 'INVALID_CONFIG', `${env}=${raw}`)
    t.match(error.message, new RegExp(`^${env}: `), 'the message starts with the variable')
    t.match(error.message, why)
    t.same(error.details, { variable: env, value: raw })
    t.equal(error.retriable, false)
  }
})

t.test('an invalid enum value is INVALID_CONFIG naming the variable and the allowed values', async (t) => {
  const level = configError(t, () => loadConfig({ LOG_LEVEL: 'verbose' }))
  t.equal(level.code, 'INVALID_CONFIG')
  t.match(level.message, /^LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent$/)
  t.same(level.details, { variable: 'LOG_LEVEL', value: 'verbose' })
  const env = configError(t, () => loadConfig({ NODE_ENV: 'Production' }))
  t.equal(env.code, 'INVALID_CONFIG')
  t.match(env.message, /^NODE_ENV: /)
  t.match(env.message, /development, test, production/)
})

const REAL_SECRETS = {
  AUTH_JWT_SECRET: 'a-real-secret-from-the-vault-of-32-bytes',
  AUTH_JWT_ISSUER: 'https://id.aquastream.example/',
  AUTH_JWT_AUDIENCE: 'backend-event-api',
  PAYMENT_WEBHOOK_SECRET: 'another-real-secret-of-at-least-32-bytes',
  TICKET_SECRET: 'a-third-real-secret-that-signs-tickets',
}

t.test(
  'production refuses every development default; with real infrastructure and secrets it loads',
  async (t) => {
    const production = {
      NODE_ENV: 'production',
      KAFKA_BROKERS: 'kafka:9092',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'backend-event',
      KAFKA_SASL_PASSWORD: 'kafka-password',
      DATABASE_URL: 'postgres://app@db/app',
      REDIS_URL: 'redis://cache:6379',
      CLICKHOUSE_URL: 'http://ch:8123',
      ...REAL_SECRETS,
    }
    const config = loadServiceConfig(production)
    t.equal(config.nodeEnv, 'production')
    t.same(config.kafkaBrokers, ['kafka:9092'])
    t.equal(config.embedded, false)
    for (const variable of [
      'KAFKA_BROKERS',
      'DATABASE_URL',
      'REDIS_URL',
      'CLICKHOUSE_URL',
      'AUTH_JWT_SECRET',
      'AUTH_JWT_ISSUER',
      'AUTH_JWT_AUDIENCE',
      'PAYMENT_WEBHOOK_SECRET',
      'TICKET_SECRET',
    ]) {
      const error = configError(t, () => loadServiceConfig({ ...production, [variable]: '' }))
      t.equal(error.code, 'INVALID_CONFIG', `production without ${variable}`)
      t.match(error.message, new RegExp(variable))
    }
    t.equal(configError(t, () => loadConfig({ ...production, KAFKA_BROKERS: ' , ' })).code, 'INVALID_CONFIG')
    t.match(
      configError(t, () =>
        loadConfig({
          ...production,
          KAFKA_SASL_MECHANISM: '',
          KAFKA_SASL_USERNAME: '',
          KAFKA_SASL_PASSWORD: '',
        }),
      ),
      { code: 'INVALID_CONFIG', message: /^KAFKA_SASL_MECHANISM: production authenticates to Kafka/ },
      'production refuses unauthenticated Kafka clients',
    )
    t.doesNotThrow(
      () =>
        loadServiceConfig({
          ...production,
          AUTH_JWT_SECRET: '',
          AUTH_JWKS_URL: 'https://id.example/jwks.json',
        }),
      'a JWKS URL replaces the HS256 secret',
    )
    t.doesNotThrow(() => loadServiceConfig({ NODE_ENV: 'development' }), 'development runs embedded')
  },
)

t.test(
  'outside the embedded mode the service refuses every fail-open default, whatever NODE_ENV says',
  async (t) => {
    // Kafka, Postgres and Redis configured, NODE_ENV unset: the case that used to accept the repository's
    // development secret (an admin token of `npm run tokens`) and the sandbox's webhook key.
    const real = {
      KAFKA_BROKERS: '127.0.0.1:9092',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/backend_event',
      REDIS_URL: 'redis://127.0.0.1:6379',
    }
    t.equal(loadServiceConfig({ ...real, ...REAL_SECRETS }).embedded, false, 'with real secrets it starts')
    t.doesNotThrow(
      () => loadConfig(real),
      'tools and workers, which verify no token, still load the configuration',
    )
    const cases: [string, Record<string, string>, string][] = [
      ['no token verifier at all', { ...real, ...REAL_SECRETS, AUTH_JWT_SECRET: '' }, 'AUTH_JWT_SECRET'],
      [
        'the development JWT secret',
        { ...real, ...REAL_SECRETS, AUTH_JWT_SECRET: DEVELOPMENT_AUTH.jwtSecret },
        'AUTH_JWT_SECRET',
      ],
      ['a one-character JWT secret', { ...real, ...REAL_SECRETS, AUTH_JWT_SECRET: 'x' }, 'AUTH_JWT_SECRET'],
      [
        'a one-character JWT secret in production',
        { ...real, ...REAL_SECRETS, NODE_ENV: 'production', AUTH_JWT_SECRET: 'x' },
        'AUTH_JWT_SECRET',
      ],
      [
        'a 31-byte JWT secret',
        { ...real, ...REAL_SECRETS, AUTH_JWT_SECRET: 'x'.repeat(31) },
        'AUTH_JWT_SECRET',
      ],
      [
        'no webhook secret',
        { ...real, ...REAL_SECRETS, PAYMENT_WEBHOOK_SECRET: '' },
        'PAYMENT_WEBHOOK_SECRET',
      ],
      [
        "the sandbox's webhook secret",
        { ...real, ...REAL_SECRETS, PAYMENT_WEBHOOK_SECRET: DEVELOPMENT_AUTH.webhookSecret },
        'PAYMENT_WEBHOOK_SECRET',
      ],
      [
        'a short webhook secret',
        { ...real, ...REAL_SECRETS, PAYMENT_WEBHOOK_SECRET: 'short' },
        'PAYMENT_WEBHOOK_SECRET',
      ],
      ['no ticket secret', { ...real, ...REAL_SECRETS, TICKET_SECRET: '' }, 'TICKET_SECRET'],
      [
        'the development ticket secret',
        { ...real, ...REAL_SECRETS, TICKET_SECRET: DEVELOPMENT_AUTH.ticketSecret },
        'TICKET_SECRET',
      ],
      [
        'a 31-byte ticket secret',
        { ...real, ...REAL_SECRETS, TICKET_SECRET: 'x'.repeat(31) },
        'TICKET_SECRET',
      ],
      [
        'a short ticket secret in production',
        { ...real, ...REAL_SECRETS, NODE_ENV: 'production', TICKET_SECRET: 'short' },
        'TICKET_SECRET',
      ],
      ['no issuer', { ...real, ...REAL_SECRETS, AUTH_JWT_ISSUER: '' }, 'AUTH_JWT_ISSUER'],
      ['no audience', { ...real, ...REAL_SECRETS, AUTH_JWT_AUDIENCE: '' }, 'AUTH_JWT_AUDIENCE'],
      [
        'Postgres only (no Kafka) is not the embedded mode',
        { DATABASE_URL: real.DATABASE_URL, ...REAL_SECRETS, AUTH_JWT_SECRET: '' },
        'AUTH_JWT_SECRET',
      ],
      [
        'Kafka only (no Postgres) is not the embedded mode',
        { KAFKA_BROKERS: real.KAFKA_BROKERS, ...REAL_SECRETS, PAYMENT_WEBHOOK_SECRET: '' },
        'PAYMENT_WEBHOOK_SECRET',
      ],
      [
        'a clock tolerance above 60 s',
        { ...real, ...REAL_SECRETS, AUTH_CLOCK_TOLERANCE_S: '61' },
        'AUTH_CLOCK_TOLERANCE_S',
      ],
      [
        'a JWKS fetched over plain http from another host',
        { ...real, ...REAL_SECRETS, AUTH_JWT_SECRET: '', AUTH_JWKS_URL: 'http://id.example/jwks.json' },
        'AUTH_JWKS_URL',
      ],
      [
        'two token verifiers',
        { ...real, ...REAL_SECRETS, AUTH_JWKS_URL: 'https://id.example/jwks.json' },
        'AUTH_JWT_SECRET',
      ],
      [
        'a public key that is not one',
        { ...real, ...REAL_SECRETS, AUTH_JWT_SECRET: '', AUTH_JWT_PUBLIC_KEY: 'nope' },
        'AUTH_JWT_PUBLIC_KEY',
      ],
    ]
    for (const [why, env, variable] of cases) {
      const error = configError(t, () => loadServiceConfig(env))
      t.equal(error.code, 'INVALID_CONFIG', why)
      t.match(error.message, new RegExp(`^${variable}: `), `${why}: the message starts with ${variable}`)
      t.ok(
        ((error.details.variables as string[] | undefined) ?? [error.details.variable]).includes(variable),
        `${why}: details name ${variable}`,
      )
      t.notMatch(
        error.message,
        /a-real-secret|another-real-secret|a-third-real-secret|development-ticket-secret/,
        'no secret value in the message',
      )
    }
    const all = configError(t, () => loadServiceConfig(real))
    t.same(
      all.details.variables,
      ['AUTH_JWT_SECRET', 'AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE', 'PAYMENT_WEBHOOK_SECRET', 'TICKET_SECRET'],
      'every missing setting is named at once',
    )
  },
)

t.test('the embedded mode runs on the development secrets, and only it', async (t) => {
  const embedded = loadServiceConfig({})
  t.equal(embedded.embedded, true)
  t.equal(embedded.authJwtSecret, DEVELOPMENT_AUTH.jwtSecret)
  t.equal(embedded.authJwtIssuer, DEVELOPMENT_AUTH.issuer)
  t.equal(embedded.authJwtAudience, DEVELOPMENT_AUTH.audience)
  t.equal(embedded.paymentWebhookSecret, DEVELOPMENT_AUTH.webhookSecret)
  t.equal(embedded.ticketSecret, DEVELOPMENT_AUTH.ticketSecret)
  t.equal(
    loadServiceConfig({ TICKET_SECRET: REAL_SECRETS.TICKET_SECRET }).ticketSecret,
    REAL_SECRETS.TICKET_SECRET,
    'a ticket secret set in the embedded mode is used',
  )
  t.match(
    configError(t, () => loadServiceConfig({ TICKET_SECRET: 'short' })),
    { code: 'INVALID_CONFIG', message: /^TICKET_SECRET: must be at least 32 bytes/ },
    'a ticket secret that is set is a real one, in the embedded mode too',
  )
  const own = loadServiceConfig({ AUTH_JWT_SECRET: REAL_SECRETS.AUTH_JWT_SECRET })
  t.equal(own.authJwtSecret, REAL_SECRETS.AUTH_JWT_SECRET, 'a secret set in the embedded mode is used')
  t.equal(own.authJwtIssuer, DEVELOPMENT_AUTH.issuer)
  const jwks = loadServiceConfig({ AUTH_JWKS_URL: 'http://127.0.0.1:8080/jwks.json' })
  t.equal(jwks.authJwtSecret, '', 'with a JWKS URL no development secret is added')
  t.match(
    configError(t, () => loadServiceConfig({ AUTH_JWT_SECRET: 'short' })),
    { code: 'INVALID_CONFIG', message: /^AUTH_JWT_SECRET: must be at least 32 bytes/ },
    'a secret that is set is a real one, in the embedded mode too',
  )
  t.equal(loadConfig({ AUTH_CLOCK_TOLERANCE_S: '60' }).authClockToleranceS, 60)
  t.equal(loadConfig({}).authClockToleranceS, 30)
  t.equal(loadConfig({}).authJwtMaxAgeS, 43_200)
})

t.test("Kafka TLS and SASL settings come together and become every client's ssl and sasl", async (t) => {
  t.same(kafkaSecurityOf(loadConfig({})), {}, 'none by default')
  const scram = loadConfig({
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'backend-event',
    KAFKA_SASL_PASSWORD: 'pw',
  })
  t.same(kafkaSecurityOf(scram), {
    sasl: { mechanism: 'scram-sha-512', username: 'backend-event', password: 'pw' },
  })
  t.equal(describeConfig(scram).kafkaSaslPassword, '***', 'the SASL password is never logged')
  t.equal(
    describeConfig(loadServiceConfig({})).ticketSecret,
    '***',
    'the ticket secret is never logged (the development one neither)',
  )
  const dir = mkdtempSync(join(tmpdir(), 'kafka-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const ca = join(dir, 'ca.pem')
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
  t.same(kafkaSecurityOf(loadConfig({ KAFKA_SSL: 'true' })), { ssl: true }, 'TLS with the system CAs')
  const tls = kafkaSecurityOf(loadConfig({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: ca }))
  t.same(tls.ssl, { rejectUnauthorized: true, ca: [readFileSync(ca, 'utf8')] }, 'a CA file')
  for (const [why, env, variable] of [
    [
      'a mechanism without a user',
      { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 'pw' },
      'KAFKA_SASL_USERNAME',
    ],
    [
      'a mechanism without a password',
      { KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u' },
      'KAFKA_SASL_PASSWORD',
    ],
    [
      'credentials without a mechanism',
      { KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'pw' },
      'KAFKA_SASL_MECHANISM',
    ],
    [
      'plain without TLS',
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'pw' },
      'KAFKA_SASL_MECHANISM',
    ],
    ['an unknown mechanism', { KAFKA_SASL_MECHANISM: 'gssapi' }, 'KAFKA_SASL_MECHANISM'],
    [
      'a CA file that does not exist',
      { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'none.pem') },
      'KAFKA_SSL_CA_FILE',
    ],
    ['a CA file without TLS', { KAFKA_SSL_CA_FILE: ca }, 'KAFKA_SSL_CA_FILE'],
    ['a certificate without its key', { KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: ca }, 'KAFKA_SSL_KEY_FILE'],
    ['KAFKA_SSL not a boolean', { KAFKA_SSL: 'yes' }, 'KAFKA_SSL'],
  ] as const)
    t.match(
      configError(t, () => loadConfig(env)),
      { code: 'INVALID_CONFIG', message: new RegExp(`^${variable}: `) },
      why,
    )
})

t.test('describeConfig lists every key and masks secrets', async (t) => {
  const config = loadConfig({ SCHEMA_REGISTRY_URL: 'https://user:hunter2@registry:8081' })
  const secretKeys = Object.entries(CONFIG_KEYS).filter(
    ([, k]) => (k as { secret?: boolean }).secret === true,
  )
  const described = describeConfig(config)
  t.same(Object.keys(described).sort(), Object.keys(CONFIG_KEYS).sort())
  for (const [name] of Object.entries(CONFIG_KEYS))
    if (secretKeys.some(([s]) => s === name)) t.equal(described[name], '***', `${name} is masked`)
    else t.same(described[name], config[name as keyof Config], `${name} is shown`)

  // The mechanism: mark a key secret (the objects are plain; this test file runs in its own process).
  const key = CONFIG_KEYS.schemaRegistryUrl as { secret?: boolean }
  const before = key.secret
  key.secret = true
  t.teardown(() => {
    if (before === undefined) delete key.secret
    else key.secret = before
  })
  const masked = describeConfig(config)
  t.equal(masked.schemaRegistryUrl, '***', 'a secret value is masked')
  t.notMatch(JSON.stringify(masked), /hunter2/, 'the secret appears nowhere in the description')
  t.equal(masked.applicationId, 'backend-event', 'other keys are still shown')
  t.same(masked.kafkaBrokers, [])

  // An invalid secret value is not echoed in the error details.
  const keyWithMin = CONFIG_KEYS.kafkaReplicationFactor as { secret?: boolean }
  keyWithMin.secret = true
  t.teardown(() => {
    delete keyWithMin.secret
  })
  const error = configError(t, () => loadConfig({ KAFKA_REPLICATION_FACTOR: 'secret-value' }))
  t.equal(error.code, 'INVALID_CONFIG')
  t.same(error.details, { variable: 'KAFKA_REPLICATION_FACTOR' }, 'no value in the details of a secret')
  t.notMatch(error.message, /secret-value/, 'nor in the message')
})

t.test('TRUST_PROXY: a hop count or proxy addresses / CIDRs, never every address', async (t) => {
  t.equal(loadConfig({}).trustProxy, false, 'none by default')
  t.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2)
  t.same(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback,::1' }).trustProxy, [
    '10.0.0.0/8',
    'loopback',
    '::1',
  ])
  for (const raw of ['true', '*', '0.0.0.0/0', '::/0', '0', '11', '10.0.0.0/33', 'proxy.example'])
    t.match(
      configError(t, () => loadConfig({ TRUST_PROXY: raw })),
      { code: 'INVALID_CONFIG', message: /^TRUST_PROXY: / },
      `${raw} is refused`,
    )
})
