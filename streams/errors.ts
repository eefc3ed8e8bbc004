import { RUNTIME_ERROR_CODES, type RuntimeErrorCode } from './error-codes.ts'

/**
 * The base class of every error raised on purpose. It carries a stable `code` (every code is in the
 * service's one catalogue, processors/error-catalogue.ts, which generates docs/errors.md), whether
 * retrying can help, the HTTP status where it surfaces in an API, and the underlying `cause`.
 * Code never matches on messages: match on `code` or on the class. Raise the runtime's own codes with
 * `RuntimeError`, which takes `retriable` and `httpStatus` from their table.
 */
export class CodedError extends Error {
  readonly code: string
  readonly retriable: boolean
  readonly httpStatus: number
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    code: string,
    message: string,
    options: {
      retriable?: boolean
      httpStatus?: number
      details?: Record<string, unknown>
      cause?: unknown
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.retriable = options.retriable ?? false
    this.httpStatus = options.httpStatus ?? 500
    this.details = options.details ?? {}
  }
}

/** What an error adds to its message: structured details and the underlying cause. */
export interface ErrorOptions {
  readonly details?: Record<string, unknown>
  readonly cause?: unknown
}

/**
 * An error of the runtime's catalogue (streams/error-codes.ts): `retriable` and `httpStatus` come from its
 * code's entry.
 *
 * @example
 *   throw new RuntimeError('LOG_CLOSED', 'the embedded log is closed')
 */
export class RuntimeError extends CodedError {
  constructor(code: RuntimeErrorCode, message: string, options: ErrorOptions = {}) {
    const spec = RUNTIME_ERROR_CODES[code]
    super(code, message, {
      ...options,
      retriable: spec.retriable,
      ...(spec.httpStatus === null ? {} : { httpStatus: spec.httpStatus }),
    })
  }
}

/** Bytes that a serde cannot turn into a value: wrong magic byte, unknown schema, bad body. */
export class DeserializationError extends RuntimeError {
  constructor(
    code: 'WRONG_MAGIC_BYTE' | 'UNKNOWN_SCHEMA_ID' | 'UNDECODABLE_BODY' | 'DESERIALIZATION_FAILED',
    message: string,
    options: ErrorOptions = {},
  ) {
    super(code, message, options)
  }
}

/** A value that a serde refuses to encode (it does not match the schema). */
export class SerializationError extends RuntimeError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('SERIALIZATION_FAILED', message, options)
  }
}

/** A topology that cannot run: unknown parent, missing store, co-partitioning violated, … */
export class TopologyError extends RuntimeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('INVALID_TOPOLOGY', message, { details })
  }
}

/** This instance's producer was fenced: another instance owns the task now. */
export class TaskMigratedError extends RuntimeError {
  constructor(taskId: string, cause?: unknown) {
    super('TASK_MIGRATED', `task ${taskId} moved to another instance`, { details: { taskId }, cause })
  }
}

/** An error handler answered FAIL: the application stops. */
export class StreamsFatalError extends RuntimeError {
  constructor(message: string, cause?: unknown, details: Record<string, unknown> = {}) {
    super('STREAMS_FATAL', message, { cause, details })
  }
}
