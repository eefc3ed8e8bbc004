import avsc from 'avsc'
import type { Schema, Type } from 'avsc'
import { SchemaError } from './schema-errors.ts'

/** A parsed `.avsc` document (JSON), as opposed to an avsc {@link Type}. */
export type AvroSchema = Exclude<Schema, Type>

/**
 * Parse a schema the way every part of `avro/` does: unions are never wrapped,
 * so a union value is the plain value of its branch (`string | null`), and a
 * union whose branches avsc cannot tell apart (two records, `int` and `long`, …)
 * is refused here rather than decoding to a shape the generated types do not
 * describe. Logical types are not registered: `timestamp-millis` stays a number.
 *
 * @throws {SchemaError} `SCHEMA_INVALID` when avsc rejects the schema.
 */
export function parseSchema(schema: AvroSchema | Type): Type {
  if (avsc.Type.isType(schema)) return schema as Type
  try {
    return avsc.Type.forSchema(schema, { wrapUnions: false })
  } catch (cause) {
    throw new SchemaError('SCHEMA_INVALID', `invalid Avro schema: ${(cause as Error).message}`, { cause })
  }
}

/** The Parsing Canonical Form of a schema: what decides its binary encoding, and its identity. */
export function canonicalForm(schema: AvroSchema | Type): string {
  return JSON.stringify(parseSchema(schema).schema())
}
