/**
 * The error catalogue's base class. Every error the service raises on purpose
 * carries a stable `code` (documented in docs/errors.md, kept in step by
 * test/errors-catalogue.test.ts), whether retrying can help, the HTTP status
 * where it surfaces in the API, and the underlying `cause`.
 * Code never matches on messages: match on `code` or on the class.
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

/** Bytes that a serde cannot turn into a value: wrong magic byte, unknown schema, bad body. */
export class DeserializationError extends CodedError {
  constructor(
    code: 'WRONG_MAGIC_BYTE' | 'UNKNOWN_SCHEMA_ID' | 'UNDECODABLE_BODY' | 'DESERIALIZATION_FAILED',
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(code, message, { ...options, retriable: false, httpStatus: 400 })
  }
}

/** A value that a serde refuses to encode (it does not match the schema). */
export class SerializationError extends CodedError {
  constructor(message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super('SERIALIZATION_FAILED', message, { ...options, retriable: false })
  }
}

/** A topology that cannot run: unknown parent, missing store, co-partitioning violated, … */
export class TopologyError extends CodedError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('INVALID_TOPOLOGY', message, { details })
  }
}

/** This instance's producer was fenced: another instance owns the task now. */
export class TaskMigratedError extends CodedError {
  constructor(taskId: string, cause?: unknown) {
    super('TASK_MIGRATED', `task ${taskId} moved to another instance`, {
      retriable: true,
      details: { taskId },
      cause,
    })
  }
}

/** An error handler answered FAIL: the application stops. */
export class StreamsFatalError extends CodedError {
  constructor(message: string, cause?: unknown, details: Record<string, unknown> = {}) {
    super('STREAMS_FATAL', message, { cause, details })
  }
}
