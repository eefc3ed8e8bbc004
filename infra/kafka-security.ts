/**
 * The local broker's authorization, for infra/up.sh (not part of the service):
 *
 *   node infra/kafka-security.ts check <plaintext> <sasl> <tls> <ca-file> <credentials-file> [wait-seconds]
 *
 * keeps the ACLs through the trusted plaintext listener (idempotent: an existing binding stays as it is):
 * the service's principal may do what the service does (every topic, group and transactional ID; create
 * topics), the observer may only read, and nobody else may do anything on the SASL listeners; so only the
 * service's principal writes the command and status topics. Then it prints the users whose SCRAM login
 * fails on the SASL or the TLS listener, one per line (up.sh adds their credentials); with wait-seconds it
 * first waits that long for every login to succeed (new credentials take a moment to reach the listeners).
 *
 * The credentials file (`$CACHE/kafka-credentials.env`, mode 600) holds `KAFKA_SERVICE_USER`,
 * `KAFKA_SERVICE_PASSWORD`, `KAFKA_OBSERVER_USER`, `KAFKA_OBSERVER_PASSWORD`.
 */
import { readFileSync } from 'node:fs'
import kafkajs, { logLevel, type AclEntry, type KafkaConfig } from 'kafkajs'
import { createKafka } from '../streams/index.ts'

// kafkajs is CommonJS: its ACL enums are not named exports Node can see.
const {
  AclOperationTypes: Op,
  AclPermissionTypes,
  AclResourceTypes: Resource,
  ResourcePatternTypes,
} = kafkajs
type Op = kafkajs.AclOperationTypes
type Resource = kafkajs.AclResourceTypes

function credentials(file: string): { service: User; observer: User } {
  const values = new Map<string, string>()
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(?:export\s+)?([A-Z_]+)=(.*)$/.exec(line.trim())
    if (m !== null) values.set(m[1]!, m[2]!)
  }
  const get = (name: string) => {
    const value = values.get(name)
    if (value === undefined || value === '') throw new Error(`${file} has no ${name}`)
    return value
  }
  return {
    service: { name: get('KAFKA_SERVICE_USER'), password: get('KAFKA_SERVICE_PASSWORD') },
    observer: { name: get('KAFKA_OBSERVER_USER'), password: get('KAFKA_OBSERVER_PASSWORD') },
  }
}

interface User {
  readonly name: string
  readonly password: string
}

function acl(principal: string, resourceType: Resource, resourceName: string, operation: Op): AclEntry {
  return {
    principal: `User:${principal}`,
    host: '*',
    resourceType,
    resourceName,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    operation,
    permissionType: AclPermissionTypes.ALLOW,
  }
}

/** What each principal may do. `*` (LITERAL) is Kafka's wildcard resource name. */
function aclsFor(service: string, observer: string): AclEntry[] {
  return [
    acl(service, Resource.TOPIC, '*', Op.ALL),
    acl(service, Resource.GROUP, '*', Op.ALL),
    acl(service, Resource.TRANSACTIONAL_ID, '*', Op.ALL),
    acl(service, Resource.CLUSTER, 'kafka-cluster', Op.CREATE),
    acl(service, Resource.CLUSTER, 'kafka-cluster', Op.DESCRIBE),
    acl(service, Resource.CLUSTER, 'kafka-cluster', Op.DESCRIBE_CONFIGS),
    acl(service, Resource.CLUSTER, 'kafka-cluster', Op.IDEMPOTENT_WRITE),
    acl(observer, Resource.TOPIC, '*', Op.READ),
    acl(observer, Resource.TOPIC, '*', Op.DESCRIBE),
    acl(observer, Resource.GROUP, '*', Op.READ),
    acl(observer, Resource.GROUP, '*', Op.DESCRIBE),
  ]
}

async function keepAcls(plaintext: string, file: string): Promise<void> {
  const { service, observer } = credentials(file)
  const admin = createKafka({
    clientId: 'infra-acls',
    brokers: [plaintext],
    logLevel: logLevel.NOTHING,
  }).admin()
  await admin.connect()
  try {
    await admin.createAcls({ acl: aclsFor(service.name, observer.name) })
  } finally {
    await admin.disconnect()
  }
}

async function canLogIn(broker: string, user: User, ssl: KafkaConfig['ssl']): Promise<boolean> {
  const admin = createKafka({
    clientId: 'infra-login-probe',
    brokers: [broker],
    ssl,
    sasl: { mechanism: 'scram-sha-512', username: user.name, password: user.password },
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 0 },
  }).admin()
  try {
    await admin.connect()
    await admin.describeCluster()
    return true
  } catch {
    return false
  } finally {
    await admin.disconnect().catch(() => {})
  }
}

async function failingLogins(sasl: string, tls: string, ca: string, file: string): Promise<string[]> {
  const { service, observer } = credentials(file)
  const ssl = { ca: [readFileSync(ca, 'utf8')], rejectUnauthorized: true }
  const failing: string[] = []
  for (const user of [service, observer])
    if (!(await canLogIn(sasl, user, undefined)) || !(await canLogIn(tls, user, ssl))) failing.push(user.name)
  return failing
}

const [command, plaintext, sasl, tls, ca, file, wait] = process.argv.slice(2)
if (command !== 'check' || file === undefined) {
  process.stderr.write(
    'usage: kafka-security.ts check <plaintext> <sasl> <tls> <ca-file> <credentials-file> [wait-s]\n',
  )
  process.exit(64)
}
await keepAcls(plaintext!, file)
const deadline = Date.now() + Number(wait ?? 0) * 1000
let failing = await failingLogins(sasl!, tls!, ca!, file)
while (failing.length > 0 && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 500))
  failing = await failingLogins(sasl!, tls!, ca!, file)
}
if (failing.length > 0) process.stdout.write(`${failing.join('\n')}\n`)
