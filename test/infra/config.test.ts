import t, { type Test } from 'tap'
import { CONFIG_KEYS, describeConfig, loadConfig, type Config } from '../../infra/config.ts'
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

t.test(
  'production refuses every development default; with real infrastructure and secrets it loads',
  async (t) => {
    const production = {
      NODE_ENV: 'production',
      KAFKA_BROKERS: 'kafka:9092',
      DATABASE_URL: 'postgres://app@db/app',
      REDIS_URL: 'redis://cache:6379',
      CLICKHOUSE_URL: 'http://ch:8123',
      AUTH_JWT_SECRET: 'a-real-secret-from-the-vault',
      PAYMENT_WEBHOOK_SECRET: 'another-real-secret',
    }
    const config = loadConfig(production)
    t.equal(config.nodeEnv, 'production')
    t.same(config.kafkaBrokers, ['kafka:9092'])
    for (const variable of [
      'KAFKA_BROKERS',
      'DATABASE_URL',
      'REDIS_URL',
      'CLICKHOUSE_URL',
      'AUTH_JWT_SECRET',
      'PAYMENT_WEBHOOK_SECRET',
    ]) {
      const error = configError(t, () => loadConfig({ ...production, [variable]: '' }))
      t.equal(error.code, 'INVALID_CONFIG', `production without ${variable}`)
      t.match(error.message, new RegExp(variable))
    }
    t.equal(configError(t, () => loadConfig({ ...production, KAFKA_BROKERS: ' , ' })).code, 'INVALID_CONFIG')
    t.doesNotThrow(
      () => loadConfig({ ...production, AUTH_JWT_SECRET: '', AUTH_JWKS_URL: 'https://id.example/jwks.json' }),
      'a JWKS URL replaces the HS256 secret',
    )
    t.doesNotThrow(() => loadConfig({ NODE_ENV: 'development' }), 'development runs embedded')
  },
)

t.test('describeConfig lists every key and masks secrets', async (t) => {
  const config = loadConfig({ SCHEMA_REGISTRY_URL: 'https://user:hunter2@registry:8081' })
  const secretKeys = Object.entries(CONFIG_KEYS).filter(
    ([, k]) => (k as { secret?: boolean }).secret === true,
  )
  // No key is marked secret today: nothing is masked, every value is shown as loaded.
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
