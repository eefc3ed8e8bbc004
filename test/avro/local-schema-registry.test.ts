import { createHash } from 'node:crypto'
import t from 'tap'
import type { AvroSchema } from '../../avro/index.ts'
import {
  LocalSchemaRegistry,
  SchemaError,
  canonicalForm,
  findSchema,
  loadSchemaFiles,
  localSchemaId,
  schemaIdOfCanonicalForm,
  schemaIdOfDigest,
} from '../../avro/index.ts'

const countInput = findSchema('aquastream.runtime.CountInput').schema
const countTotal = findSchema('aquastream.runtime.CountTotal').schema

async function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (error) {
    if (error instanceof SchemaError) return error.code
    throw error
  }
  return undefined
}

t.test('IDs are the first 31 bits of the SHA-256 of the canonical form', async (t) => {
  const canonical = canonicalForm(countInput)
  t.equal(
    canonical,
    '{"name":"aquastream.runtime.CountInput","type":"record","fields":[{"name":"key","type":"string"},{"name":"amount","type":"long"},{"name":"producedAtMs","type":"long"}]}',
  )
  const expected = createHash('sha256').update(canonical).digest().readUInt32BE(0) >>> 1
  t.equal(localSchemaId(countInput), expected)
  t.ok(expected > 0 && expected < 2 ** 31)
})

t.test('IDs are stable across fresh instances and registrations', async (t) => {
  const first = new LocalSchemaRegistry()
  const second = new LocalSchemaRegistry()
  const a = await first.register('counts-value', countInput)
  const b = await second.register('other-value', countInput)
  t.equal(a, b)
  t.equal(a, localSchemaId(countInput))
  t.equal(await first.register('totals-value', countTotal), localSchemaId(countTotal))
  t.not(localSchemaId(countInput), localSchemaId(countTotal))
})

t.test('docs, defaults and logical-type annotations do not change the ID', async (t) => {
  const bare: AvroSchema = {
    type: 'record',
    name: 'CountInput',
    namespace: 'aquastream.runtime',
    fields: [
      { name: 'key', type: 'string' },
      { name: 'amount', type: 'long' },
      { name: 'producedAtMs', type: 'long' },
    ],
  }
  t.equal(localSchemaId(bare), localSchemaId(countInput))
})

t.test('preloads every current and history schema', async (t) => {
  const registry = new LocalSchemaRegistry()
  for (const file of loadSchemaFiles()) {
    t.ok(registry.lookup(localSchemaId(file.schema)), `${file.fullName} v${file.version}`)
  }
  t.equal(new LocalSchemaRegistry({ preload: false }).lookup(localSchemaId(countInput)), undefined)
})

t.test('IDs take the first 31 bits of the digest and are never 0', async (t) => {
  t.equal(schemaIdOfDigest(Buffer.alloc(32)), 1)
  t.equal(schemaIdOfDigest(Buffer.from([0, 0, 0, 1, 0xff])), 1, 'the 32nd bit is dropped')
  t.equal(schemaIdOfDigest(Buffer.from([0, 0, 0, 2])), 1)
  t.equal(schemaIdOfDigest(Buffer.from([0, 0, 0, 4])), 2)
  t.equal(schemaIdOfDigest(Buffer.alloc(32, 0xff)), 2 ** 31 - 1)
  t.equal(schemaIdOfCanonicalForm('x'), schemaIdOfDigest(createHash('sha256').update('x').digest()))
})

t.test('two different schemas with the same ID are refused', async (t) => {
  const registry = new LocalSchemaRegistry({ preload: false, schemaId: () => 7 })
  t.equal(await registry.register('counts-value', countInput), 7)
  t.equal(await registry.register('counts-value', countInput), 7, 'the same schema again is fine')
  t.equal(await errorCode(registry.register('totals-value', countTotal)), 'SCHEMA_ID_COLLISION')
  t.throws(
    () => new LocalSchemaRegistry({ schemaId: () => 7 }),
    { code: 'SCHEMA_ID_COLLISION' },
    'also on preload',
  )
})

t.test('a new version that is not backward compatible is refused under the same subject', async (t) => {
  const registry = new LocalSchemaRegistry()
  await registry.register('totals-value', countTotal)
  const breaking: AvroSchema = {
    type: 'record',
    name: 'CountTotal',
    namespace: 'aquastream.runtime',
    fields: [
      { name: 'key', type: 'string' },
      { name: 'total', type: 'long' },
      { name: 'count', type: 'long', default: 0 },
      { name: 'updatedAtMs', type: 'long' },
      { name: 'region', type: 'string' },
    ],
  }
  t.equal(await errorCode(registry.register('totals-value', breaking)), 'SCHEMA_INCOMPATIBLE')
  t.ok(await registry.register('fresh-totals-value', breaking), 'a new subject takes it')
  const lenient = new LocalSchemaRegistry({ compatibility: 'NONE' })
  await lenient.register('totals-value', countTotal)
  t.ok(await lenient.register('totals-value', breaking), 'NONE takes it')
})

t.test('fetch answers known IDs and rejects unknown ones', async (t) => {
  const registry = new LocalSchemaRegistry()
  const id = await registry.register('counts-value', countInput)
  t.equal(await registry.fetch(id), registry.lookup(id))
  t.equal(await errorCode(registry.fetch(1)), 'SCHEMA_NOT_FOUND')
})
