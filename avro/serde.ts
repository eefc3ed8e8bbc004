import type { Type } from 'avsc'
import { DeserializationError, type Serde, SerializationError } from '../streams/index.ts'
import type { AvroSchema } from './parse-schema.ts'
import { parseSchema } from './parse-schema.ts'
import { findSchema } from './schema-catalogue.ts'
import type { SchemaRegistry } from './schema-registry.ts'
import { HEADER_SIZE, MAGIC_BYTE, encodeHeader, readSchemaId } from './wire-format.ts'

/** Options of {@link avroSerde} and {@link avroKeySerde}. */
export interface AvroSerdeOptions {
  /** Where schema IDs come from: a {@link LocalSchemaRegistry} or a {@link ConfluentSchemaRegistry}. */
  readonly registry: SchemaRegistry
  /**
   * The schema values are written with and read as: parsed `.avsc` JSON, or the full name of a current
   * schema under `avro/schemas` (`'aquastream.runtime.CountInput'`). A name without a dot is an Avro
   * primitive (`'string'`, `'long'`), handy for keys.
   */
  readonly schema: AvroSchema | string
  /** Every topic the serde is used on; `init()` registers the schema for each. */
  readonly topics: readonly string[]
}

/** A {@link Serde} in the Confluent Avro wire format; call `init()` once before the first `serialize`. */
export interface AvroSerde<T> extends Serde<T> {
  /**
   * Register the schema under `<topic>-value` (or `<topic>-key`) for every topic and remember the IDs.
   *
   * @throws {SchemaError} `SCHEMA_INCOMPATIBLE` when the registry refuses the schema,
   *   `SCHEMA_REGISTRY_FAILED` when it cannot be reached.
   */
  init(): Promise<void>
  /** The avsc type values are written with and read as. */
  readonly type: Type
  /** The schema ID `serialize` writes on `topic`, once `init()` has run. */
  schemaId(topic: string): number | undefined
}

/**
 * A value serde in the Confluent Avro wire format (see `wire-format.ts`), with subjects named by
 * TopicNameStrategy (`<topic>-value`).
 *
 * - `serialize` throws {@link SerializationError} when the value does not match the schema
 *   (`details.paths` lists the bad fields) or the topic was not initialized.
 * - `deserialize` throws {@link DeserializationError}: `WRONG_MAGIC_BYTE`, `UNKNOWN_SCHEMA_ID` (the registry
 *   cache does not know the ID; `prefetch` fills it, and rejects only when the registry cannot be reached),
 *   or `UNDECODABLE_BODY` (truncated, trailing bytes, garbage, or a writer schema the reader schema cannot
 *   resolve: `details.reason`).
 * - Data written with another version of the schema is read through a cached avsc resolver.
 *
 * @example
 * const serde = avroSerde<CountInput>({ registry, schema: 'aquastream.runtime.CountInput', topics: ['counts'] })
 * await serde.init()
 * const bytes = serde.serialize('counts', { key: 'a', amount: 1, producedAtMs: Date.now() })
 */
export function avroSerde<T>(options: AvroSerdeOptions): AvroSerde<T> {
  return createAvroSerde<T>(options, 'value')
}

/** {@link avroSerde} for record keys: subjects are `<topic>-key`. */
export function avroKeySerde<T>(options: AvroSerdeOptions): AvroSerde<T> {
  return createAvroSerde<T>(options, 'key')
}

/** Per writer schema ID: `null` reads directly with the reader type, a resolver converts, a string says why it cannot. */
type Reader = ReturnType<Type['createResolver']> | null | string

// One scratch buffer for every serde: serialize is synchronous, so no two encodes overlap.
let scratch = Buffer.allocUnsafe(16 * 1024)

function createAvroSerde<T>(options: AvroSerdeOptions, part: 'key' | 'value'): AvroSerde<T> {
  const { registry, topics } = options
  const schema = resolveSchema(options.schema)
  const type = parseSchema(schema)
  const headers = new Map<string, Buffer>()
  const readers = new Map<number, Reader>()

  function readerFor(id: number, topic: string): Reader {
    const writer = registry.lookup(id)
    if (writer === undefined) {
      throw new DeserializationError('UNKNOWN_SCHEMA_ID', `schema ID ${id} on ${topic} is not known`, {
        details: { topic, schemaId: id },
      })
    }
    let reader: Reader
    if (writer === type || writer.equals(type)) {
      reader = null
    } else {
      try {
        reader = type.createResolver(writer)
      } catch (error) {
        reader = `${String(type.name ?? type.typeName)} cannot read schema ID ${id}: ${(error as Error).message}`
      }
    }
    readers.set(id, reader)
    return reader
  }

  return {
    type,

    async init() {
      for (const topic of topics) {
        const id = await registry.register(`${topic}-${part}`, schema)
        headers.set(topic, encodeHeader(id))
        readers.set(id, null) // our own schema: read without a resolver
      }
    },

    schemaId(topic) {
      return headers.get(topic)?.readUInt32BE(1)
    },

    serialize(topic, data) {
      const header = headers.get(topic)
      if (header === undefined) {
        throw new SerializationError(
          `Avro serde has no schema ID for ${topic}: add it to topics and await init()`,
          {
            details: { topic },
          },
        )
      }
      header.copy(scratch, 0)
      let end: number
      try {
        end = type.encode(data, scratch, HEADER_SIZE)
        if (end < 0) {
          // avsc returns minus the number of missing bytes when the buffer is too small.
          const bigger = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end))
          header.copy(bigger, 0)
          scratch = bigger
          end = type.encode(data, scratch, HEADER_SIZE)
        }
      } catch (cause) {
        throw invalidValue(type, topic, data, cause)
      }
      const out = Buffer.allocUnsafe(end)
      scratch.copy(out, 0, 0, end)
      return out
    },

    deserialize(topic, data) {
      if (data.length === 0 || data[0] !== MAGIC_BYTE) {
        throw new DeserializationError(
          'WRONG_MAGIC_BYTE',
          `record on ${topic} does not start with magic byte 0`,
          {
            details: { topic, magicByte: data[0] },
          },
        )
      }
      if (data.length < HEADER_SIZE) throw undecodable(topic, undefined, 'header truncated')
      const id = data.readUInt32BE(1)
      let reader = readers.get(id)
      if (reader === undefined) reader = readerFor(id, topic)
      if (typeof reader === 'string') throw undecodable(topic, id, reader)
      let decoded: { value: unknown; offset: number }
      try {
        decoded = reader === null ? type.decode(data, HEADER_SIZE) : type.decode(data, HEADER_SIZE, reader)
      } catch (cause) {
        throw undecodable(topic, id, (cause as Error).message, cause)
      }
      if (decoded.offset < 0) throw undecodable(topic, id, 'body truncated')
      if (decoded.offset !== data.length) {
        throw undecodable(topic, id, `${data.length - decoded.offset} trailing bytes after the body`)
      }
      return decoded.value as T
    },

    async prefetch(_topic, data) {
      let missing: Set<number> | undefined
      for (const record of data) {
        const id = readSchemaId(record)
        if (id === undefined || readers.has(id) || registry.lookup(id) !== undefined) continue
        ;(missing ??= new Set()).add(id)
      }
      if (missing === undefined) return
      // An ID the registry does not hold (or cannot parse) is not an error here: deserialize reports
      // UNKNOWN_SCHEMA_ID for its records, which go the way of any bad input. A registry that cannot be
      // reached is: the caller retries the batch rather than dead-lettering or skipping good records.
      await Promise.all(
        [...missing].map((id) =>
          registry.fetch(id).catch((error: unknown) => {
            if ((error as { retriable?: unknown }).retriable === true) throw error
          }),
        ),
      )
    },
  }
}

function resolveSchema(schema: AvroSchema | string): AvroSchema {
  return typeof schema === 'string' && schema.includes('.') ? findSchema(schema).schema : schema
}

function invalidValue(type: Type, topic: string, data: unknown, cause: unknown): SerializationError {
  const paths: string[] = []
  type.isValid(data, { errorHook: (path) => paths.push(path.join('.')) })
  const where = paths.length > 0 ? ` at ${paths.join(', ')}` : ''
  return new SerializationError(
    `value for ${topic} does not match ${String(type.name ?? type.typeName)}${where}`,
    {
      details: { topic, paths },
      cause,
    },
  )
}

function undecodable(topic: string, schemaId: number | undefined, reason: string, cause?: unknown) {
  return new DeserializationError('UNDECODABLE_BODY', `cannot decode record on ${topic}: ${reason}`, {
    details: { topic, schemaId, reason },
    cause,
  })
}
