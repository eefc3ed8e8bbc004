import t from 'tap'
import avsc from 'avsc'
import type { Type } from 'avsc'
import { DeserializationError, SerializationError } from '../../streams/errors.ts'
import type { AvroSchema, CountInput, CountTotal, SchemaRegistry } from '../../avro/index.ts'
import {
  LocalSchemaRegistry,
  SchemaError,
  avroKeySerde,
  avroSerde,
  findSchema,
  historySchemas,
  localSchemaId,
} from '../../avro/index.ts'

const countInputSchema = findSchema('aquastream.runtime.CountInput').schema
const countTotalV1 = historySchemas().find((file) => file.name === 'CountTotal' && file.version === 1)
if (countTotalV1 === undefined) throw new Error('avro/history/runtime/CountTotal.v1.avsc is missing')
const input: CountInput = { key: 'event-1', amount: 42, producedAtMs: 1_767_225_600_000 }

async function countInputSerde(registry: SchemaRegistry = new LocalSchemaRegistry(), topics = ['counts']) {
  const serde = avroSerde<CountInput>({ registry, schema: 'aquastream.runtime.CountInput', topics })
  await serde.init()
  return serde
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    if (error instanceof DeserializationError || error instanceof SerializationError) return error.code
    throw error
  }
  return undefined
}

t.test('round trip through the Confluent wire format', async (t) => {
  const serde = await countInputSerde()
  const bytes = serde.serialize('counts', input)
  t.same(serde.deserialize('counts', bytes), input)
})

t.test('writes magic byte 0, then the big-endian schema ID derived from the schema', async (t) => {
  const serde = await countInputSerde()
  const id = localSchemaId(countInputSchema)
  const bytes = serde.serialize('counts', input)
  const expected = Buffer.from([0, (id >>> 24) & 0xff, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff])
  t.same(bytes.subarray(0, 5), expected)
  t.equal(serde.schemaId('counts'), id)
})

t.test('a hand-written Confluent-style reader decodes what we write', async (t) => {
  const registry = new LocalSchemaRegistry()
  const serde = await countInputSerde(registry)
  const bytes = serde.serialize('counts', input)
  t.equal(bytes.readUInt8(0), 0)
  const writer = registry.lookup(bytes.readUInt32BE(1))
  t.ok(writer, 'the ID in the header is known to the registry')
  const plain = avsc.Type.forSchema(countInputSchema)
  t.same(plain.fromBuffer(bytes.subarray(5)), input)
  t.same((writer as Type).fromBuffer(bytes.subarray(5)), input)
})

t.test('the body is exactly the Avro binary encoding of the value', async (t) => {
  const serde = await countInputSerde()
  const body = serde.serialize('counts', input).subarray(5)
  t.same(body, avsc.Type.forSchema(countInputSchema).toBuffer(input))
})

t.test('values larger than the scratch buffer are encoded whole', async (t) => {
  const serde = await countInputSerde()
  const big: CountInput = { ...input, key: 'k'.repeat(100_000) }
  t.same(serde.deserialize('counts', serde.serialize('counts', big)), big)
  t.same(serde.deserialize('counts', serde.serialize('counts', input)), input, 'small ones still work after')
})

t.test('each topic registers <topic>-value and gets its own header', async (t) => {
  const subjects: string[] = []
  const local = new LocalSchemaRegistry()
  const recording: SchemaRegistry = {
    register: (subject, schema) => {
      subjects.push(subject)
      return local.register(subject, schema)
    },
    lookup: (id) => local.lookup(id),
    fetch: (id) => local.fetch(id),
  }
  const serde = await countInputSerde(recording, ['a', 'b'])
  t.same(subjects, ['a-value', 'b-value'])
  t.same(serde.deserialize('b', serde.serialize('a', input)), input)
})

t.test('the key serde registers <topic>-key', async (t) => {
  const subjects: string[] = []
  const local = new LocalSchemaRegistry()
  const serde = avroKeySerde<string>({
    registry: {
      register: (subject, schema) => {
        subjects.push(subject)
        return local.register(subject, schema)
      },
      lookup: (id) => local.lookup(id),
      fetch: (id) => local.fetch(id),
    },
    schema: 'string',
    topics: ['counts'],
  })
  await serde.init()
  t.same(subjects, ['counts-key'])
  t.equal(serde.deserialize('counts', serde.serialize('counts', 'event-9')), 'event-9')
})

t.test('serialize refuses a value that does not match the schema, naming the field', async (t) => {
  const serde = await countInputSerde()
  const bad = { ...input, amount: 'lots' } as unknown as CountInput
  t.throws(() => serde.serialize('counts', bad), SerializationError)
  try {
    serde.serialize('counts', bad)
  } catch (error) {
    t.equal((error as SerializationError).code, 'SERIALIZATION_FAILED')
    t.same((error as SerializationError).details.paths, ['amount'])
    t.match((error as Error).message, /amount/)
  }
})

t.test('serialize refuses a topic that init() did not register', async (t) => {
  const serde = await countInputSerde()
  t.equal(
    codeOf(() => serde.serialize('elsewhere', input)),
    'SERIALIZATION_FAILED',
  )
})

t.test('poison inputs', async (t) => {
  const serde = await countInputSerde()
  const good = serde.serialize('counts', input)

  t.test('wrong magic byte', async (t) => {
    const bytes = Buffer.from(good)
    bytes[0] = 1
    t.equal(
      codeOf(() => serde.deserialize('counts', bytes)),
      'WRONG_MAGIC_BYTE',
    )
    t.equal(
      codeOf(() => serde.deserialize('counts', Buffer.alloc(0))),
      'WRONG_MAGIC_BYTE',
    )
    t.equal(
      codeOf(() => serde.deserialize('counts', Buffer.from('{"key":"a"}'))),
      'WRONG_MAGIC_BYTE',
    )
  })

  t.test('unknown schema ID', async (t) => {
    const bytes = Buffer.from(good)
    bytes.writeUInt32BE(123_456, 1)
    t.equal(
      codeOf(() => serde.deserialize('counts', bytes)),
      'UNKNOWN_SCHEMA_ID',
    )
    try {
      serde.deserialize('counts', bytes)
    } catch (error) {
      t.equal((error as DeserializationError).details.schemaId, 123_456)
      t.equal((error as DeserializationError).retriable, false)
    }
  })

  t.test('truncated header', async (t) => {
    t.equal(
      codeOf(() => serde.deserialize('counts', good.subarray(0, 3))),
      'UNDECODABLE_BODY',
    )
  })

  t.test('truncated body', async (t) => {
    for (let end = 5; end < good.length; end++) {
      t.equal(
        codeOf(() => serde.deserialize('counts', good.subarray(0, end))),
        'UNDECODABLE_BODY',
        `cut at ${end}`,
      )
    }
  })

  t.test('trailing bytes', async (t) => {
    const bytes = Buffer.concat([good, Buffer.from([0])])
    t.equal(
      codeOf(() => serde.deserialize('counts', bytes)),
      'UNDECODABLE_BODY',
    )
  })

  t.test('garbage body', async (t) => {
    // A string length of 2^62 (zig-zag varint) then nothing: cannot be a CountInput.
    const garbage = Buffer.concat([
      good.subarray(0, 5),
      Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
    ])
    t.equal(
      codeOf(() => serde.deserialize('counts', garbage)),
      'UNDECODABLE_BODY',
    )
  })

  t.test('errors are DeserializationErrors carrying the topic', async (t) => {
    t.throws(() => serde.deserialize('counts', good.subarray(0, 7)), DeserializationError)
    try {
      serde.deserialize('counts', good.subarray(0, 7))
    } catch (error) {
      t.equal((error as DeserializationError).details.topic, 'counts')
    }
  })
})

t.test('data of an older writer version is read through a resolver, with defaults', async (t) => {
  const registry = new LocalSchemaRegistry()
  const v1 = avroSerde<Omit<CountTotal, 'count'>>({
    registry,
    schema: countTotalV1.schema,
    topics: ['totals-v1'],
  })
  await v1.init()
  const v2 = avroSerde<CountTotal>({ registry, schema: 'aquastream.runtime.CountTotal', topics: ['totals'] })
  await v2.init()
  const old = { key: 'a', total: 5, updatedAtMs: 10 }
  t.same(v2.deserialize('totals', v1.serialize('totals-v1', old)), { ...old, count: 0 })
  t.same(v1.deserialize('totals-v1', v2.serialize('totals', { ...old, count: 3 })), old, 'and forward')
})

t.test('a writer schema the reader cannot resolve is UNDECODABLE_BODY with the reason', async (t) => {
  const registry = new LocalSchemaRegistry()
  const other: AvroSchema = {
    type: 'record',
    name: 'Unrelated',
    namespace: 'aquastream.test',
    fields: [{ name: 'x', type: 'int' }],
  }
  const writer = avroSerde<{ x: number }>({ registry, schema: other, topics: ['counts'] })
  await writer.init()
  const reader = await countInputSerde(registry, ['elsewhere'])
  const bytes = writer.serialize('counts', { x: 1 })
  t.equal(
    codeOf(() => reader.deserialize('counts', bytes)),
    'UNDECODABLE_BODY',
  )
  try {
    reader.deserialize('counts', bytes)
  } catch (error) {
    t.match((error as DeserializationError).details.reason, /cannot read/)
  }
})

/**
 * A CountInput reader on a registry that knows only what it fetched from `source`; `onFetch` sees each
 * fetch first (and may throw, as an unreachable registry does).
 */
function remoteReader(source: LocalSchemaRegistry, onFetch: (id: number) => void) {
  const cache = new Map<number, Type>()
  const remote: SchemaRegistry = {
    register: () => Promise.reject(new Error('not used')),
    lookup: (wanted) => cache.get(wanted),
    fetch: async (wanted) => {
      onFetch(wanted)
      const type = await source.fetch(wanted)
      cache.set(wanted, type)
      return type
    },
  }
  return avroSerde<CountInput>({ registry: remote, schema: 'aquastream.runtime.CountInput', topics: [] })
}

t.test(
  'prefetch fetches unknown IDs once, and leaves IDs the registry does not hold to deserialize',
  async (t) => {
    const source = new LocalSchemaRegistry()
    const writer = await countInputSerde(source)
    const bytes = writer.serialize('counts', input)
    const id = bytes.readUInt32BE(1)

    const fetched: number[] = []
    const reader = remoteReader(source, (wanted) => void fetched.push(wanted))
    t.equal(
      codeOf(() => reader.deserialize('counts', bytes)),
      'UNKNOWN_SCHEMA_ID',
      'unknown before prefetch',
    )
    const unknown = Buffer.from(bytes)
    unknown.writeUInt32BE(7, 1)
    await reader.prefetch?.('counts', [bytes, bytes, Buffer.from('x'), unknown])
    t.same(fetched, [id, 7])
    t.same(reader.deserialize('counts', bytes), input)
    t.equal(
      codeOf(() => reader.deserialize('counts', unknown)),
      'UNKNOWN_SCHEMA_ID',
    )
    await reader.prefetch?.('counts', [bytes])
    t.same(fetched, [id, 7], 'a known ID is not fetched again')
  },
)

t.test('prefetch rejects while the registry cannot be reached, so the batch is retried', async (t) => {
  const source = new LocalSchemaRegistry()
  const bytes = (await countInputSerde(source)).serialize('counts', input)
  let reachable = false
  const reader = remoteReader(source, () => {
    if (!reachable) throw new SchemaError('SCHEMA_REGISTRY_FAILED', 'connection refused')
  })
  await t.rejects(reader.prefetch!('counts', [bytes]), { code: 'SCHEMA_REGISTRY_FAILED', retriable: true })
  reachable = true
  await reader.prefetch!('counts', [bytes])
  t.same(reader.deserialize('counts', bytes), input, 'read once the registry answers')
})
