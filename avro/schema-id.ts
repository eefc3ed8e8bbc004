import { createHash } from 'node:crypto'
import type { Type } from 'avsc'
import type { AvroSchema } from './parse-schema.ts'
import { canonicalForm } from './parse-schema.ts'

/**
 * The local schema ID of a schema: the first 31 bits of the SHA-256 of its Parsing Canonical Form,
 * read as a big-endian unsigned integer, with 0 (never a valid ID) mapped to 1. Stable across processes,
 * restarts and machines, and independent of docs, defaults, aliases and logical-type annotations
 * (which do not change the binary encoding).
 */
export function localSchemaId(schema: AvroSchema | Type): number {
  return schemaIdOfCanonicalForm(canonicalForm(schema))
}

/** {@link localSchemaId} of an already computed canonical form. */
export function schemaIdOfCanonicalForm(canonical: string): number {
  return schemaIdOfDigest(createHash('sha256').update(canonical, 'utf8').digest())
}

/** The first 31 bits of a digest as a positive integer; 0 becomes 1 (0 is not a valid ID). */
export function schemaIdOfDigest(digest: Buffer): number {
  return digest.readUInt32BE(0) >>> 1 || 1
}
