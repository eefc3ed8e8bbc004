import { CodedError, type ErrorOptions, type ErrorSpec } from '../streams/index.ts'

/**
 * The codes of {@link SchemaError}, with whether retrying can help, what they mean and where they
 * surface. The service's one error catalogue (processors/error-catalogue.ts) includes this table.
 */
export const SCHEMA_ERROR_CODES = {
  SCHEMA_NOT_FOUND: {
    httpStatus: 500,
    retriable: false,
    meaning:
      'No `.avsc` under `avro/schemas` has the requested full name, or the registry does not know the subject or schema ID.',
    surfaces: 'Schema catalogue, local and Confluent registries: start-up and serde initialization.',
  },
  SCHEMA_ID_COLLISION: {
    httpStatus: 500,
    retriable: false,
    meaning: 'Two different schemas hash to the same local schema ID.',
    surfaces: 'Local schema registry registration (start-up).',
  },
  SCHEMA_INCOMPATIBLE: {
    httpStatus: 500,
    retriable: false,
    meaning: 'The registry refused a new schema version under a subject (compatibility rule).',
    surfaces: 'Schema registration at start-up (local or Confluent registry).',
  },
  SCHEMA_REGISTRY_FAILED: {
    httpStatus: 500,
    retriable: true,
    meaning: 'The schema registry could not be reached or answered an error.',
    surfaces: 'Confluent registry calls (registration, schema look-up in `prefetch`).',
  },
  SCHEMA_INVALID: {
    httpStatus: 500,
    retriable: false,
    meaning:
      'Schema text that is not a valid Avro schema (or uses an ambiguous union), a schema file in the wrong place, or a history file without a current schema.',
    surfaces: 'Schema catalogue, schema parsing, type generation, Confluent registry look-ups.',
  },
} as const satisfies Record<string, ErrorSpec>

export type SchemaErrorCode = keyof typeof SCHEMA_ERROR_CODES

/** A schema that cannot be found, registered or parsed; `retriable` and `httpStatus` come from its code. */
export class SchemaError extends CodedError {
  constructor(code: SchemaErrorCode, message: string, options: ErrorOptions = {}) {
    const spec = SCHEMA_ERROR_CODES[code]
    super(code, message, { ...options, retriable: spec.retriable, httpStatus: spec.httpStatus })
  }
}
