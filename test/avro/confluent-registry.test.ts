// Against a real Confluent-compatible registry (Apicurio, started by infra/up.sh). Fails, never skips,
// when the registry is unreachable.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import avsc from 'avsc'
import type { AvroSchema, CountInput, CountTotal } from '../../avro/index.ts'
import { ConfluentSchemaRegistry, SchemaError, avroSerde, findSchema } from '../../avro/index.ts'

const url = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7'
const suffix = randomUUID().slice(0, 8)
const inputTopic = `test-avro-counts-${suffix}`
const totalTopic = `test-avro-totals-${suffix}`
const input: CountInput = { key: 'event-1', amount: 5, producedAtMs: 1_767_225_600_000 }
const total: CountTotal = { key: 'event-1', total: 5, count: 1, updatedAtMs: 1_767_225_600_001 }

t.test('the registry is reachable', async (t) => {
  const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(5_000) })
  t.equal(response.status, 200, `GET ${url}/subjects`)
})

t.test(
  'encode with one instance, resolve the ID through the registry and decode with a fresh one',
  async (t) => {
    const writerRegistry = new ConfluentSchemaRegistry({ url })
    const inputs = avroSerde<CountInput>({
      registry: writerRegistry,
      schema: 'aquastream.runtime.CountInput',
      topics: [inputTopic],
    })
    const totals = avroSerde<CountTotal>({
      registry: writerRegistry,
      schema: 'aquastream.runtime.CountTotal',
      topics: [totalTopic],
    })
    await inputs.init()
    await totals.init()
    const inputBytes = inputs.serialize(inputTopic, input)
    const totalBytes = totals.serialize(totalTopic, total)

    const readerRegistry = new ConfluentSchemaRegistry({ url })
    const reader = avroSerde<CountInput>({
      registry: readerRegistry,
      schema: 'aquastream.runtime.CountInput',
      topics: [],
    })
    t.throws(
      () => reader.deserialize(inputTopic, inputBytes),
      { code: 'UNKNOWN_SCHEMA_ID' },
      'nothing cached yet',
    )
    await reader.prefetch?.(inputTopic, [inputBytes])
    t.same(reader.deserialize(inputTopic, inputBytes), input)

    const totalReader = avroSerde<CountTotal>({
      registry: readerRegistry,
      schema: 'aquastream.runtime.CountTotal',
      topics: [],
    })
    await totalReader.prefetch?.(totalTopic, [totalBytes])
    t.same(totalReader.deserialize(totalTopic, totalBytes), total)
  },
)

t.test('the ID in our wire bytes is the registry ID of the subject', async (t) => {
  const registry = new ConfluentSchemaRegistry({ url })
  const serde = avroSerde<CountInput>({
    registry,
    schema: 'aquastream.runtime.CountInput',
    topics: [inputTopic],
  })
  await serde.init()
  const wireId = serde.serialize(inputTopic, input).readUInt32BE(1)
  const response = await fetch(`${url}/subjects/${inputTopic}-value/versions/latest`)
  t.equal(response.status, 200)
  const latest = (await response.json()) as { id: number; schema: string }
  t.equal(wireId, latest.id)
  const registered = avsc.Type.forSchema(JSON.parse(latest.schema) as AvroSchema)
  t.ok(registered.equals(serde.type), 'the registry holds our schema under that ID')
  const byId = (await (await fetch(`${url}/schemas/ids/${wireId}`)).json()) as { schema: string }
  t.ok(avsc.Type.forSchema(JSON.parse(byId.schema) as AvroSchema).equals(serde.type))
})

t.test('a backward-incompatible new version under the same subject is refused', async (t) => {
  const registry = new ConfluentSchemaRegistry({ url })
  const subject = `${totalTopic}-value`
  await registry.register(subject, findSchema('aquastream.runtime.CountTotal').schema)
  const current = findSchema('aquastream.runtime.CountTotal').schema as { fields: unknown[] }
  const breaking = {
    ...current,
    fields: [...current.fields, { name: 'region', type: 'string' }],
  } as AvroSchema
  const error = await registry.register(subject, breaking).then(
    () => undefined,
    (error: unknown) => error,
  )
  t.type(error, SchemaError)
  t.equal((error as SchemaError).code, 'SCHEMA_INCOMPATIBLE')
  t.equal((error as SchemaError).details.status, 409)
  t.equal((error as SchemaError).retriable, false)

  const compatible = {
    ...current,
    fields: [...current.fields, { name: 'region', type: 'string', default: '' }],
  }
  const id = await registry.register(subject, compatible as AvroSchema)
  t.ok(id > 0, 'a compatible version (with a default) is accepted')
})

t.test('fetching an ID the registry does not know is SCHEMA_NOT_FOUND', async (t) => {
  const registry = new ConfluentSchemaRegistry({ url })
  await t.rejects(registry.fetch(2 ** 31 - 1), { code: 'SCHEMA_NOT_FOUND' })
  await t.rejects(
    registry.fetch(2 ** 31 - 1),
    { code: 'SCHEMA_NOT_FOUND', message: /answered recently/ },
    'the answer is remembered: a topic full of foreign IDs does not ask per batch',
  )
})

t.test('an unreachable registry is SCHEMA_REGISTRY_FAILED, retriable', async (t) => {
  const registry = new ConfluentSchemaRegistry({ url: 'http://127.0.0.1:1' })
  await t.rejects(registry.fetch(1), { code: 'SCHEMA_REGISTRY_FAILED', retriable: true })
})

// Regression: two instances starting together on a new subject both registered it and both set its
// compatibility; the registry refused the second setting (409 "A rule named 'COMPATIBILITY' already
// exists") and the instance stopped with SCHEMA_INCOMPATIBLE.
t.test('instances registering a new subject at the same moment all get its ID', async (t) => {
  const subject = `test-avro-concurrent-${randomUUID().slice(0, 8)}-value`
  const { schema } = findSchema('aquastream.runtime.CountInput')
  const ids = await Promise.all(
    Array.from({ length: 6 }, () => new ConfluentSchemaRegistry({ url }).register(subject, schema)),
  )
  t.equal(new Set(ids).size, 1, `one ID for every instance: ${ids.join(', ')}`)
})
