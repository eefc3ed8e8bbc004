/**
 * A serde turns a typed value into the bytes of a Kafka record and back, like
 * Kafka Streams' `Serde<T>`. Both directions are synchronous so the processing
 * loop never waits inside a record; a serde that needs remote look-ups (a schema
 * registry) does them ahead of time in `prefetch`, which the runtime awaits once
 * per fetched batch before it deserializes the batch.
 *
 * `deserialize` throws a {@link DeserializationError} for bytes it cannot read;
 * the runtime hands that to the deserialization exception handler.
 */
export interface Serde<T> {
  serialize(topic: string, data: T): Buffer
  deserialize(topic: string, data: Buffer): T
  /** Optional: make every schema the given encoded records need available to `deserialize`. */
  prefetch?(topic: string, data: readonly Buffer[]): Promise<void>
}

/** UTF-8 strings, the usual key serde (event IDs, request IDs). */
export const stringSerde: Serde<string> = {
  serialize: (_topic, data) => Buffer.from(data, 'utf8'),
  deserialize: (_topic, data) => data.toString('utf8'),
}

/** Raw bytes, unchanged. */
export const bufferSerde: Serde<Buffer> = {
  serialize: (_topic, data) => data,
  deserialize: (_topic, data) => data,
}

/** Big-endian signed 64-bit integers carried as `bigint`-free numbers (safe range only). */
export const int64Serde: Serde<number> = {
  serialize: (_topic, data) => {
    const b = Buffer.allocUnsafe(8)
    b.writeBigInt64BE(BigInt(data))
    return b
  },
  deserialize: (topic, data) => {
    if (data.length !== 8) throw new TypeError(`int64 value of ${data.length} bytes on ${topic}`)
    return Number(data.readBigInt64BE())
  },
}

/** JSON, for internal topics and tests; domain topics use the Avro serdes from `avro/`. */
export function jsonSerde<T>(): Serde<T> {
  return {
    serialize: (_topic, data) => Buffer.from(JSON.stringify(data), 'utf8'),
    deserialize: (_topic, data) => JSON.parse(data.toString('utf8')) as T,
  }
}
