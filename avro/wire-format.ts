/**
 * The Confluent wire format of a Kafka record value (or key):
 *
 * ```
 * byte 0      magic byte, always 0
 * bytes 1..4  schema ID, unsigned 32-bit big-endian
 * bytes 5..   the Avro binary encoding of the value, written with that schema
 * ```
 */
export const MAGIC_BYTE = 0

/** Bytes before the Avro body. */
export const HEADER_SIZE = 5

/** The five header bytes for a schema ID. */
export function encodeHeader(schemaId: number): Buffer {
  const header = Buffer.alloc(HEADER_SIZE)
  header.writeUInt8(MAGIC_BYTE, 0)
  header.writeUInt32BE(schemaId, 1)
  return header
}

/** The schema ID of a record in the wire format, or `undefined` when it is too short or its magic byte is not 0. */
export function readSchemaId(data: Buffer): number | undefined {
  if (data.length < HEADER_SIZE || data[0] !== MAGIC_BYTE) return undefined
  return data.readUInt32BE(1)
}
