/**
 * The service's configuration: the only module that reads the environment.
 * Every key has a type, a default and a one-line description (the README's
 * configuration table is generated from this list and a test keeps them in
 * step). Validated once at start-up; an invalid value stops the service with a
 * message naming the variable. Secrets are marked and never logged.
 */
import { createPublicKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { DEVELOPMENT_TICKET_SECRET } from '../processors/index.ts'
import { RuntimeError, type KafkaSecurity } from '../streams/index.ts'
import { TOPIC_PREFIX_PATTERN } from '../topologies/index.ts'

type Kind = 'string' | 'integer' | 'optional-integer' | 'boolean' | 'url-list' | 'enum' | 'trusted-proxies'

interface Key<T> {
  readonly env: string
  readonly kind: Kind
  readonly default: T
  readonly description: string
  readonly secret?: boolean
  readonly values?: readonly string[]
  readonly min?: number
  readonly max?: number
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
      'ClickHouse HTTP endpoint of the analytics; empty runs chDB in DATA_DIR/clickhouse, in a child process of the service',
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
  grpcHost: key({
    env: 'GRPC_HOST',
    kind: 'string',
    default: '127.0.0.1',
    description: 'address of the gRPC API (see GRPC_PORT)',
  }),
  grpcPort: key({
    env: 'GRPC_PORT',
    kind: 'optional-integer',
    min: 0,
    default: null as number | null,
    description:
      "port of the gRPC API for the platform's services (BookingService, EventService, RequestService, health, reflection); empty: none; 0: any free port",
  }),
  opsHttpHost: key({
    env: 'OPS_HTTP_HOST',
    kind: 'string',
    default: '127.0.0.1',
    description: 'address of the internal operations listener (see OPS_HTTP_PORT)',
  }),
  opsHttpPort: key({
    env: 'OPS_HTTP_PORT',
    kind: 'optional-integer',
    min: 0,
    default: null as number | null,
    description:
      'port of an internal listener for `/metrics`, `/openapi.json`, `/docs`, `/healthz` and `/readyz`; empty: none',
  }),
  opsOnPublicListener: key({
    env: 'OPS_ON_PUBLIC_LISTENER',
    kind: 'boolean',
    default: false,
    description:
      'also serve `/metrics`, `/openapi.json` and `/docs` on the public API listener (`true`/`false`)',
  }),
  readinessCacheMs: key({
    env: 'READINESS_CACHE_MS',
    kind: 'integer',
    min: 0,
    max: 60_000,
    default: 5000,
    description:
      '`/readyz` answers from its last check for this long (dependencies are checked at most this often)',
  }),
  bulkCommandsPerSecond: key({
    env: 'BULK_COMMANDS_PER_SECOND',
    kind: 'integer',
    min: 0,
    max: 100_000,
    default: 200,
    description:
      'at most this many commands per second per bulk job (`POST /bulk/...`), so a job never floods the pipeline; 0: no limit',
  }),
  authJwtSecret: key({
    env: 'AUTH_JWT_SECRET',
    kind: 'string',
    secret: true,
    default: '',
    description:
      'HS256 key of bearer tokens, at least 32 bytes; empty in the embedded mode: the development key of `npm run tokens`; required (or a public key / JWKS) anywhere else',
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
    description:
      'JWKS URL (https, or http on a loopback address) for RS256/ES256 tokens (instead of the HS256 secret)',
  }),
  authJwtIssuer: key({
    env: 'AUTH_JWT_ISSUER',
    kind: 'string',
    default: '',
    description:
      'the `iss` every token must carry; empty in the embedded mode: the development issuer; required anywhere else',
  }),
  authJwtAudience: key({
    env: 'AUTH_JWT_AUDIENCE',
    kind: 'string',
    default: '',
    description:
      'the `aud` every token must carry (this API, not another application or an ID token); empty in the embedded mode: the development audience; required anywhere else',
  }),
  authJwtMaxAgeS: key({
    env: 'AUTH_JWT_MAX_AGE_S',
    kind: 'integer',
    min: 60,
    default: 43_200,
    description:
      'tokens issued (`iat`) longer ago than this are refused, whatever their `exp`; `exp` and `iat` are required',
  }),
  authClockToleranceS: key({
    env: 'AUTH_CLOCK_TOLERANCE_S',
    kind: 'integer',
    min: 0,
    max: 60,
    default: 30,
    description: 'clock skew allowed when checking `exp`, `nbf` and `iat` (at most 60 s)',
  }),
  paymentWebhookSecret: key({
    env: 'PAYMENT_WEBHOOK_SECRET',
    kind: 'string',
    secret: true,
    default: '',
    description:
      'HMAC-SHA256 key of payment gateway callbacks, at least 32 bytes; empty in the embedded mode: the sandbox key; required anywhere else',
  }),
  paymentReturnUrl: key({
    env: 'PAYMENT_RETURN_URL',
    kind: 'string',
    default: '',
    description:
      'where the payment provider sends the payer back after paying (in every payment request); empty: the provider’s default',
  }),
  paymentsHttpHost: key({
    env: 'PAYMENTS_HTTP_HOST',
    kind: 'string',
    default: '127.0.0.1',
    description: 'address the sandbox payment service (`npm run payments:sandbox`) listens on',
  }),
  paymentsHttpPort: key({
    env: 'PAYMENTS_HTTP_PORT',
    kind: 'integer',
    min: 0,
    default: 3100,
    description: 'port of the sandbox payment service’s routes (0: any free port)',
  }),
  ticketSecret: key({
    env: 'TICKET_SECRET',
    kind: 'string',
    secret: true,
    default: '',
    description:
      'HMAC-SHA256 key that signs ticket codes (scanned at check-in), at least 32 bytes; empty in the embedded mode: the development key; required anywhere else. Changing it invalidates every ticket issued',
  }),
  kafkaSsl: key({
    env: 'KAFKA_SSL',
    kind: 'boolean',
    default: false,
    description: 'TLS to the brokers (`true`/`false`), for every Kafka client of the service',
  }),
  kafkaSslCaFile: key({
    env: 'KAFKA_SSL_CA_FILE',
    kind: 'string',
    default: '',
    description: "PEM file of the CA that signed the brokers' certificates; empty: the system CAs",
  }),
  kafkaSslCertFile: key({
    env: 'KAFKA_SSL_CERT_FILE',
    kind: 'string',
    default: '',
    description: 'PEM client certificate for mutual TLS (with KAFKA_SSL_KEY_FILE)',
  }),
  kafkaSslKeyFile: key({
    env: 'KAFKA_SSL_KEY_FILE',
    kind: 'string',
    default: '',
    description: 'PEM private key of the client certificate (mutual TLS)',
  }),
  kafkaSaslMechanism: key({
    env: 'KAFKA_SASL_MECHANISM',
    kind: 'enum',
    values: ['scram-sha-512', 'scram-sha-256', 'plain'],
    default: '' as '' | 'scram-sha-512' | 'scram-sha-256' | 'plain',
    description:
      'SASL mechanism of every Kafka client (`scram-sha-512`, `scram-sha-256`, `plain` only with KAFKA_SSL); empty: no SASL',
  }),
  kafkaSaslUsername: key({
    env: 'KAFKA_SASL_USERNAME',
    kind: 'string',
    default: '',
    description: "the service's Kafka principal (SASL user name)",
  }),
  kafkaSaslPassword: key({
    env: 'KAFKA_SASL_PASSWORD',
    kind: 'string',
    secret: true,
    default: '',
    description: "the service's SASL password",
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
    case 'integer':
    case 'optional-integer': {
      if (!/^-?\d+$/.test(raw)) fail('must be an integer (decimal digits)')
      const n = Number(raw)
      if (!Number.isSafeInteger(n)) fail('must be an integer in the safe range')
      if (k.min !== undefined && n < k.min) fail(`must be >= ${k.min}`)
      if (k.max !== undefined && n > k.max) fail(`must be <= ${k.max}`)
      return n
    }
    case 'boolean':
      if (raw === 'true' || raw === '1') return true
      if (raw === 'false' || raw === '0') return false
      return fail('must be true or false')
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

/**
 * Reads and validates the configuration from an environment (the process's by default): every value by its
 * kind, and the rules between values that hold for every process (tools and workers included):
 *
 * - a secret that is set has at least 32 bytes; at most one token verifier (secret, public key or JWKS);
 *   the public key parses; a JWKS URL is https (or http on a loopback address);
 * - Kafka's SASL settings come together (mechanism, user name, password), `plain` only over TLS, the TLS
 *   files are readable PEM, a client certificate comes with its key;
 * - production (`NODE_ENV=production`) runs on real infrastructure (no embedded stores) and authenticates
 *   to Kafka (SASL or a client certificate).
 *
 * Whether the service may start with the secrets it has is {@link loadServiceConfig}'s decision.
 *
 * @throws RuntimeError INVALID_CONFIG whose message starts with the variable at fault.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const out: { [k: string]: unknown } = {}
  for (const [name, k] of Object.entries(CONFIG_KEYS) as [string, Key<unknown>][]) {
    const raw = env[k.env]
    out[name] = raw === undefined || raw === '' ? k.default : parse(name, k, raw)
  }
  const config = out as Config
  const problems = [...valueProblems(config), ...kafkaProblems(config)]
  if (config.nodeEnv === 'production') problems.push(...productionProblems(config))
  refuse(problems)
  return config
}

/** One reason the configuration is refused: the variable at fault and why. */
interface Problem {
  readonly variable: string
  readonly why: string
}

/** Throws INVALID_CONFIG naming every variable at fault (the message starts with the first). */
function refuse(problems: readonly Problem[]): void {
  if (problems.length === 0) return
  throw new RuntimeError('INVALID_CONFIG', problems.map((p) => `${p.variable}: ${p.why}`).join('; '), {
    details: { variables: problems.map((p) => p.variable) },
  })
}

/** The shortest secret the service accepts, in bytes (HS256 and HMAC-SHA256 keys: the hash's size). */
export const MIN_SECRET_BYTES = 32

function valueProblems(config: Config): Problem[] {
  const problems: Problem[] = []
  for (const [variable, value] of [
    ['AUTH_JWT_SECRET', config.authJwtSecret],
    ['PAYMENT_WEBHOOK_SECRET', config.paymentWebhookSecret],
    ['TICKET_SECRET', config.ticketSecret],
  ] as const)
    if (value !== '' && Buffer.byteLength(value) < MIN_SECRET_BYTES)
      problems.push({
        variable,
        why: `must be at least ${MIN_SECRET_BYTES} bytes (a random key, not a word)`,
      })
  const verifiers = [
    ['AUTH_JWT_SECRET', config.authJwtSecret],
    ['AUTH_JWT_PUBLIC_KEY', config.authJwtPublicKey],
    ['AUTH_JWKS_URL', config.authJwksUrl],
  ].filter(([, value]) => value !== '')
  if (verifiers.length > 1)
    problems.push({
      variable: verifiers[0]![0]!,
      why: `set one token verifier only, not ${verifiers.map(([v]) => v).join(' and ')}`,
    })
  if (config.authJwtPublicKey !== '')
    try {
      createPublicKey(config.authJwtPublicKey)
    } catch {
      problems.push({ variable: 'AUTH_JWT_PUBLIC_KEY', why: 'is not a PEM public key' })
    }
  if (config.authJwksUrl !== '') {
    const url = URL.parse(config.authJwksUrl)
    if (
      url === null ||
      (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname)))
    )
      problems.push({
        variable: 'AUTH_JWKS_URL',
        why: 'must be an https URL (http only on a loopback address): keys fetched in the clear can be replaced',
      })
  }
  return problems
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname)
}

function kafkaProblems(config: Config): Problem[] {
  const problems: Problem[] = []
  const sasl = config.kafkaSaslMechanism !== ''
  if (sasl && config.kafkaSaslUsername === '')
    problems.push({ variable: 'KAFKA_SASL_USERNAME', why: `is required with KAFKA_SASL_MECHANISM` })
  if (sasl && config.kafkaSaslPassword === '')
    problems.push({ variable: 'KAFKA_SASL_PASSWORD', why: `is required with KAFKA_SASL_MECHANISM` })
  if (!sasl && (config.kafkaSaslUsername !== '' || config.kafkaSaslPassword !== ''))
    problems.push({
      variable: 'KAFKA_SASL_MECHANISM',
      why: 'is required with KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD (scram-sha-512, scram-sha-256 or plain)',
    })
  if (config.kafkaSaslMechanism === 'plain' && !config.kafkaSsl)
    problems.push({
      variable: 'KAFKA_SASL_MECHANISM',
      why: 'plain sends the password as is: only with KAFKA_SSL=true',
    })
  const files = [
    ['KAFKA_SSL_CA_FILE', config.kafkaSslCaFile, 'CERTIFICATE'],
    ['KAFKA_SSL_CERT_FILE', config.kafkaSslCertFile, 'CERTIFICATE'],
    ['KAFKA_SSL_KEY_FILE', config.kafkaSslKeyFile, 'PRIVATE KEY'],
  ] as const
  for (const [variable, path, label] of files) {
    if (path === '') continue
    if (!config.kafkaSsl) problems.push({ variable, why: 'is used only with KAFKA_SSL=true' })
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (error) {
      problems.push({ variable, why: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` })
      continue
    }
    if (!text.includes(label)) problems.push({ variable, why: `is not a PEM file with a ${label}` })
  }
  if ((config.kafkaSslCertFile === '') !== (config.kafkaSslKeyFile === ''))
    problems.push({
      variable: config.kafkaSslCertFile === '' ? 'KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_KEY_FILE',
      why: 'a client certificate and its key come together',
    })
  return problems
}

/** Production runs on real infrastructure and authenticates to Kafka. */
function productionProblems(config: Config): Problem[] {
  const problems: Problem[] = []
  const required = (variable: string, missing: boolean, why: string) => {
    if (missing) problems.push({ variable, why })
  }
  required(
    'KAFKA_BROKERS',
    config.kafkaBrokers.length === 0,
    'production refuses development defaults: the embedded log is for one machine',
  )
  required(
    'DATABASE_URL',
    config.databaseUrl === '',
    'production refuses development defaults: PGlite is for one machine',
  )
  required(
    'REDIS_URL',
    config.redisUrl === '',
    'production refuses development defaults: instances share limits and keys through Redis',
  )
  required(
    'CLICKHOUSE_URL',
    config.clickhouseUrl === '',
    'production refuses development defaults: chDB is for one machine',
  )
  required(
    'KAFKA_SASL_MECHANISM',
    config.kafkaSaslMechanism === '' && config.kafkaSslCertFile === '',
    'production authenticates to Kafka: set SASL (KAFKA_SASL_*) or a client certificate (KAFKA_SSL_CERT_FILE)',
  )
  return problems
}

/**
 * The embedded mode: no Kafka and no PostgreSQL configured, one process on one machine with its data folder.
 * Only there may the service run on development secrets.
 */
export function isEmbedded(config: Pick<Config, 'kafkaBrokers' | 'databaseUrl'>): boolean {
  return config.kafkaBrokers.length === 0 && config.databaseUrl === ''
}

/**
 * The development secrets of the embedded mode: `npm run tokens` signs with them and the embedded service
 * accepts them when AUTH_JWT_SECRET, PAYMENT_WEBHOOK_SECRET and TICKET_SECRET are unset. Anywhere else they
 * are refused.
 */
export const DEVELOPMENT_AUTH = {
  jwtSecret: 'aquastream-development-secret-do-not-use-in-production',
  issuer: 'urn:aquastream:development',
  audience: 'backend-event',
  webhookSecret: 'aquastream-sandbox-webhook-secret-not-for-production',
  ticketSecret: DEVELOPMENT_TICKET_SECRET,
} as const

declare const checkedForService: unique symbol

/**
 * The configuration the service starts with: {@link loadServiceConfig} checked its secrets and filled in the
 * development ones in the embedded mode, so every secret and token rule here is the one to enforce.
 */
export type ServiceConfig = Config & {
  /** No Kafka and no PostgreSQL: the embedded mode (development secrets and the sandbox gateway allowed). */
  readonly embedded: boolean
  readonly [checkedForService]: true
}

const HELPER_ENV = ['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG', 'LC_ALL', 'LC_CTYPE'] as const

/**
 * What a helper process of the service (the chDB engine) gets of `env`: where programs, home and temporary
 * files are, the time zone and the locale. Nothing else: the service's environment holds its secrets (the
 * JWT key, the webhook secret, database URLs with passwords), which a helper has no use for.
 */
export function helperProcessEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(
    HELPER_ENV.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])),
  )
}

/**
 * The configuration of the service itself (`main.ts`): {@link loadConfig}, then the decision whether it may
 * start with the secrets it has. In the embedded mode unset secrets, issuer and audience become the
 * development ones ({@link DEVELOPMENT_AUTH}); anywhere else (Kafka or PostgreSQL configured, whatever
 * NODE_ENV says) the service refuses to start without a token verifier, AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE,
 * PAYMENT_WEBHOOK_SECRET and TICKET_SECRET, and refuses the development values.
 *
 * @throws RuntimeError INVALID_CONFIG naming the variables at fault.
 */
export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  return serviceConfig(loadConfig(env))
}

/** {@link loadServiceConfig} on a loaded configuration. */
export function serviceConfig(config: Config): ServiceConfig {
  const embedded = isEmbedded(config)
  const hasVerifier =
    config.authJwtSecret !== '' || config.authJwtPublicKey !== '' || config.authJwksUrl !== ''
  if (embedded)
    return {
      ...config,
      authJwtSecret: hasVerifier ? config.authJwtSecret : DEVELOPMENT_AUTH.jwtSecret,
      authJwtIssuer: config.authJwtIssuer || DEVELOPMENT_AUTH.issuer,
      authJwtAudience: config.authJwtAudience || DEVELOPMENT_AUTH.audience,
      paymentWebhookSecret: config.paymentWebhookSecret || DEVELOPMENT_AUTH.webhookSecret,
      ticketSecret: config.ticketSecret || DEVELOPMENT_AUTH.ticketSecret,
      embedded,
    } as ServiceConfig
  const where = 'outside the embedded mode (KAFKA_BROKERS or DATABASE_URL is set)'
  const problems: Problem[] = []
  if (!hasVerifier)
    problems.push({
      variable: 'AUTH_JWT_SECRET',
      why: `${where} a token verifier is required: AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY or AUTH_JWKS_URL (the development secret is refused)`,
    })
  if (config.authJwtSecret === DEVELOPMENT_AUTH.jwtSecret)
    problems.push({ variable: 'AUTH_JWT_SECRET', why: `the development secret is refused ${where}` })
  if (config.authJwtIssuer === '' || config.authJwtIssuer === DEVELOPMENT_AUTH.issuer)
    problems.push({ variable: 'AUTH_JWT_ISSUER', why: `${where} the identity provider's issuer is required` })
  if (config.authJwtAudience === '' || config.authJwtAudience === DEVELOPMENT_AUTH.audience)
    problems.push({
      variable: 'AUTH_JWT_AUDIENCE',
      why: `${where} this API's audience is required (tokens for other applications are refused)`,
    })
  if (config.paymentWebhookSecret === '' || config.paymentWebhookSecret === DEVELOPMENT_AUTH.webhookSecret)
    problems.push({
      variable: 'PAYMENT_WEBHOOK_SECRET',
      why: `${where} the gateway's HMAC key is required (the sandbox key is refused)`,
    })
  if (config.ticketSecret === '' || config.ticketSecret === DEVELOPMENT_AUTH.ticketSecret)
    problems.push({
      variable: 'TICKET_SECRET',
      why: `${where} the key that signs ticket codes is required (the development key is refused: anyone could forge tickets)`,
    })
  refuse(problems)
  return { ...config, embedded } as ServiceConfig
}

/**
 * The TLS and SASL settings of every kafkajs client of the service (streams, projections, the API's
 * producer, admin clients), from the one configuration. Reads the PEM files.
 */
export function kafkaSecurityOf(config: Config): KafkaSecurity {
  const security: { ssl?: KafkaSecurity['ssl']; sasl?: KafkaSecurity['sasl'] } = {}
  if (config.kafkaSsl) {
    const read = (path: string) => (path === '' ? undefined : readFileSync(path, 'utf8'))
    const ca = read(config.kafkaSslCaFile)
    const cert = read(config.kafkaSslCertFile)
    const key = read(config.kafkaSslKeyFile)
    security.ssl =
      ca === undefined && cert === undefined
        ? true
        : {
            rejectUnauthorized: true,
            ...(ca === undefined ? {} : { ca: [ca] }),
            ...(cert === undefined ? {} : { cert }),
            ...(key === undefined ? {} : { key }),
          }
  }
  if (config.kafkaSaslMechanism !== '')
    security.sasl = {
      mechanism: config.kafkaSaslMechanism,
      username: config.kafkaSaslUsername,
      password: config.kafkaSaslPassword,
    } as KafkaSecurity['sasl']
  return security
}

/** The configuration with secrets masked, for the start-up log line. */
export function describeConfig(config: Config): { [k: string]: unknown } {
  const out: { [k: string]: unknown } = {}
  for (const [name, k] of Object.entries(CONFIG_KEYS) as [string, Key<unknown>][])
    out[name] = k.secret === true ? '***' : config[name as keyof Config]
  return out
}
