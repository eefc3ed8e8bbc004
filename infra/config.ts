/**
 * The service's configuration: the only module that reads the environment.
 * Every key has a type, a default and a one-line description (the README's
 * configuration table is generated from this list and a test keeps them in
 * step). Validated once at start-up; an invalid value stops the service with a
 * message naming the variable. Secrets are marked and never logged.
 */
import { isIP } from 'node:net'
import { RuntimeError } from '../streams/index.ts'
import { TOPIC_PREFIX_PATTERN } from '../topologies/index.ts'

type Kind = 'string' | 'integer' | 'url-list' | 'enum' | 'trusted-proxies'

interface Key<T> {
  readonly env: string
  readonly kind: Kind
  readonly default: T
  readonly description: string
  readonly secret?: boolean
  readonly values?: readonly string[]
  readonly min?: number
  /** `string` keys: what a value must match (`patternText` says it in words). */
  readonly pattern?: RegExp
  readonly patternText?: string
}

function key<T>(k: Key<T>): Key<T> {
  return k
}

/** Every environment variable the service reads. */
export const CONFIG_KEYS = {
  nodeEnv: key({
    env: 'NODE_ENV',
    kind: 'enum',
    values: ['development', 'test', 'production'],
    default: 'development' as 'development' | 'test' | 'production',
    description: 'production refuses development defaults (secrets, embedded stores)',
  }),
  logLevel: key({
    env: 'LOG_LEVEL',
    kind: 'enum',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info' as string,
    description: 'pino log level',
  }),
  dataDir: key({
    env: 'DATA_DIR',
    kind: 'string',
    default: '.data',
    description: 'folder of the embedded mode: the log journal and the embedded databases',
  }),
  applicationId: key({
    env: 'APPLICATION_ID',
    kind: 'string',
    default: 'backend-event',
    description: 'streams application ID: consumer group, transactional ID prefix, changelog topic prefix',
  }),
  kafkaBrokers: key({
    env: 'KAFKA_BROKERS',
    kind: 'url-list',
    default: [] as string[],
    description: 'comma-separated host:port list; empty runs the embedded log instead of Kafka',
  }),
  kafkaTopicPrefix: key({
    env: 'KAFKA_TOPIC_PREFIX',
    kind: 'string',
    pattern: TOPIC_PREFIX_PATTERN,
    patternText: 'at most 100 of the letters, digits, ".", "_" and "-"',
    default: '',
    description:
      'put in front of every topic name of infra/topics.ts (changelogs follow APPLICATION_ID): environments or test runs sharing a cluster',
  }),
  kafkaReplicationFactor: key({
    env: 'KAFKA_REPLICATION_FACTOR',
    kind: 'integer',
    min: 1,
    default: 1,
    description: 'replication factor of topics the service creates',
  }),
  kafkaSessionTimeoutMs: key({
    env: 'KAFKA_SESSION_TIMEOUT_MS',
    kind: 'integer',
    min: 1000,
    default: 10_000,
    description: 'consumer group session timeout: how soon a dead instance loses its tasks',
  }),
  commitIntervalMs: key({
    env: 'COMMIT_INTERVAL_MS',
    kind: 'integer',
    min: 1,
    default: 100,
    description: 'how often each task commits its transaction (outputs + changelog + offsets)',
  }),
  embeddedFsyncIntervalMs: key({
    env: 'EMBEDDED_FSYNC_INTERVAL_MS',
    kind: 'integer',
    min: 0,
    default: 100,
    description:
      'embedded log: fdatasync at most this much later (0: on every append); bounds loss on power failure',
  }),
  schemaRegistryUrl: key({
    env: 'SCHEMA_REGISTRY_URL',
    kind: 'string',
    default: '',
    secret: true,
    description:
      'Confluent-compatible schema registry (may carry credentials); empty uses the local registry built from avro/',
  }),
  databaseUrl: key({
    env: 'DATABASE_URL',
    kind: 'string',
    secret: true,
    default: '',
    description: 'PostgreSQL of the read model (pg); empty uses PGlite in DATA_DIR/pg',
  }),
  readModelSchema: key({
    env: 'READ_MODEL_SCHEMA',
    kind: 'string',
    default: 'read_model',
    description: 'Postgres schema of the read model tables',
  }),
  redisUrl: key({
    env: 'REDIS_URL',
    kind: 'string',
    secret: true,
    default: '',
    description:
      'Redis for rate limits, idempotency keys, caches and outcome fan-out; empty keeps them in-process',
  }),
  clickhouseUrl: key({
    env: 'CLICKHOUSE_URL',
    kind: 'string',
    secret: true,
    default: '',
    description:
      'ClickHouse HTTP endpoint of the analytics; empty runs chDB in-process in DATA_DIR/clickhouse',
  }),
  trustProxy: key({
    env: 'TRUST_PROXY',
    kind: 'trusted-proxies',
    default: false as TrustedProxies,
    description:
      'proxies in front of the API whose X-Forwarded-For names the client (rate limits, logs): a hop count, or comma-separated proxy addresses / CIDRs (`loopback`, `uniquelocal` too); empty: none, the socket address is the client; trusting every address is refused',
  }),
  httpHost: key({
    env: 'HTTP_HOST',
    kind: 'string',
    default: '127.0.0.1',
    description: 'address the API listens on',
  }),
  httpPort: key({
    env: 'HTTP_PORT',
    kind: 'integer',
    min: 0,
    default: 3000,
    description: 'port the API listens on',
  }),
  authJwtSecret: key({
    env: 'AUTH_JWT_SECRET',
    kind: 'string',
    secret: true,
    default: '',
    description:
      'HS256 key of bearer tokens; empty: the development key of `npm run tokens` (refused in production)',
  }),
  authJwtPublicKey: key({
    env: 'AUTH_JWT_PUBLIC_KEY',
    kind: 'string',
    default: '',
    description: 'PEM public key for RS256/ES256 tokens (instead of the HS256 secret)',
  }),
  authJwksUrl: key({
    env: 'AUTH_JWKS_URL',
    kind: 'string',
    default: '',
    description: 'JWKS URL for RS256/ES256 tokens (instead of the HS256 secret)',
  }),
  paymentWebhookSecret: key({
    env: 'PAYMENT_WEBHOOK_SECRET',
    kind: 'string',
    secret: true,
    default: '',
    description:
      'HMAC-SHA256 key of payment gateway callbacks; empty: the sandbox key (refused in production)',
  }),
} as const

/**
 * Which proxies' X-Forwarded-For the API believes: none (false), the nearest N hops, or the given proxy
 * addresses and CIDRs (Fastify's `trustProxy`, proxy-addr's notation).
 */
export type TrustedProxies = false | number | readonly string[]

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/** An address, a CIDR that does not cover every address, or one of proxy-addr's names. */
function proxyEntryProblem(entry: string): string | undefined {
  if (PROXY_NAMES.has(entry)) return undefined
  const [address = '', bits, extra] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || extra !== undefined) return `${JSON.stringify(entry)} is not an address or CIDR`
  if (bits === undefined) return undefined
  const max = family === 4 ? 32 : 128
  if (!/^\d+$/.test(bits) || Number(bits) > max) return `${JSON.stringify(entry)} has a bad prefix length`
  if (Number(bits) === 0) return `${JSON.stringify(entry)} trusts every address`
  return undefined
}

type Values = { -readonly [K in keyof typeof CONFIG_KEYS]: (typeof CONFIG_KEYS)[K]['default'] }
export type Config = Readonly<Values>

function parse(name: string, k: Key<unknown>, raw: string): unknown {
  const fail = (why: string): never => {
    throw new RuntimeError('INVALID_CONFIG', `${k.env}: ${why}`, {
      details: { variable: k.env, ...(k.secret === true ? {} : { value: raw }) },
    })
  }
  switch (k.kind) {
    case 'string':
      if (k.pattern !== undefined && !k.pattern.test(raw))
        fail(
          `${k.secret === true ? 'the value' : JSON.stringify(raw)} is not allowed: ${k.patternText ?? `must match ${k.pattern}`}`,
        )
      return raw
    case 'enum':
      if (!k.values!.includes(raw)) fail(`must be one of ${k.values!.join(', ')}`)
      return raw
    case 'integer': {
      if (!/^-?\d+$/.test(raw)) fail('must be an integer (decimal digits)')
      const n = Number(raw)
      if (!Number.isSafeInteger(n)) fail('must be an integer in the safe range')
      if (k.min !== undefined && n < k.min) fail(`must be >= ${k.min}`)
      return n
    }
    case 'url-list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    case 'trusted-proxies': {
      if (/^\d+$/.test(raw)) {
        const hops = Number(raw)
        if (hops < 1 || hops > 10) fail('a hop count must be 1 to 10')
        return hops
      }
      const entries = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
      const problems = entries.map(proxyEntryProblem).filter((p) => p !== undefined)
      if (problems.length > 0 || entries.length === 0)
        fail(
          `${problems.join('; ') || 'empty'}: give a hop count or proxy addresses / CIDRs (never every address)`,
        )
      return entries
    }
  }
  return fail(`unknown kind for ${name}`)
}

/** Reads and validates the configuration from an environment (the process's by default). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const out: { [k: string]: unknown } = {}
  for (const [name, k] of Object.entries(CONFIG_KEYS) as [string, Key<unknown>][]) {
    const raw = env[k.env]
    out[name] = raw === undefined || raw === '' ? k.default : parse(name, k, raw)
  }
  const config = out as Config
  if (config.nodeEnv === 'production') refuseDevelopmentDefaults(config)
  return config
}

/** Production runs on real infrastructure with real secrets; anything else is a configuration error. */
function refuseDevelopmentDefaults(config: Config): void {
  const missing: string[] = []
  if (config.kafkaBrokers.length === 0) missing.push('KAFKA_BROKERS (the embedded log is for one machine)')
  if (config.databaseUrl === '') missing.push('DATABASE_URL')
  if (config.redisUrl === '') missing.push('REDIS_URL')
  if (config.clickhouseUrl === '') missing.push('CLICKHOUSE_URL')
  if (config.authJwtSecret === '' && config.authJwtPublicKey === '' && config.authJwksUrl === '')
    missing.push('AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY or AUTH_JWKS_URL (the development secret is refused)')
  if (config.paymentWebhookSecret === '')
    missing.push('PAYMENT_WEBHOOK_SECRET (the development secret is refused)')
  if (missing.length > 0)
    throw new RuntimeError(
      'INVALID_CONFIG',
      `production refuses development defaults; set ${missing.join('; ')}`,
      {
        details: { missing },
      },
    )
}

/** The configuration with secrets masked, for the start-up log line. */
export function describeConfig(config: Config): { [k: string]: unknown } {
  const out: { [k: string]: unknown } = {}
  for (const [name, k] of Object.entries(CONFIG_KEYS) as [string, Key<unknown>][])
    out[name] = k.secret === true ? '***' : config[name as keyof Config]
  return out
}
