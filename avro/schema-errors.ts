import { CodedError } from '../streams/index.ts'

/**
 * Codes of {@link SchemaError}:
 * - `SCHEMA_NOT_FOUND`: no `.avsc` under `avro/schemas` has the requested full name.
 * - `SCHEMA_ID_COLLISION`: two different schemas hash to the same local schema ID.
 * - `SCHEMA_INCOMPATIBLE`: the registry refused a new version under a subject (compatibility rule).
 * - `SCHEMA_REGISTRY_FAILED`: the registry could not be reached or answered an error; retriable.
 * - `SCHEMA_INVALID`: the schema text is not a valid Avro schema (or uses an ambiguous union).
 */
export type SchemaErrorCode =
  | 'SCHEMA_NOT_FOUND'
  | 'SCHEMA_ID_COLLISION'
  | 'SCHEMA_INCOMPATIBLE'
  | 'SCHEMA_REGISTRY_FAILED'
  | 'SCHEMA_INVALID'

/** A schema that cannot be found, registered or parsed. Only `SCHEMA_REGISTRY_FAILED` is retriable. */
export class SchemaError extends CodedError {
  constructor(
    code: SchemaErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(code, message, { ...options, retriable: code === 'SCHEMA_REGISTRY_FAILED' })
  }
}
