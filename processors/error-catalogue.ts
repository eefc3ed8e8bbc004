/**
 * The service's one error catalogue: every stable code any part of backend-event answers, records or
 * raises, with the HTTP status it surfaces as, whether retrying can help, and what it means. The
 * processors' refusals, the API's answers and the read models' errors reference it (through
 * `ServiceError`, `refuse` and `REASON_CODES`); the runtime's and the Avro layer's own tables are part of
 * it. docs/errors.md is generated from it (`node infra/docs.ts`), and test/errors-catalogue.test.ts
 * keeps the document and every code used in the code in step with it.
 */
import { SCHEMA_ERROR_CODES } from '../avro/index.ts'
import { CodedError, RUNTIME_ERROR_CODES, type ErrorOptions, type ErrorSpec } from '../streams/index.ts'
import { REASON_CODES } from './reason-codes.ts'

/** Codes the query API answers with besides the refusals (which it shares with the processors). */
export const API_ERROR_CODES = {
  MALFORMED_JSON: { httpStatus: 400, retriable: false, meaning: 'The body is not valid JSON.' },
  PAYLOAD_TOO_LARGE: { httpStatus: 400, retriable: false, meaning: 'The body is larger than 1 MB.' },
  UNAUTHENTICATED: {
    httpStatus: 401,
    retriable: false,
    meaning: 'No bearer token where one is required, or an invalid one.',
  },
  INVALID_SIGNATURE: {
    httpStatus: 401,
    retriable: false,
    meaning: 'A payment webhook without a valid HMAC signature.',
  },
  SECOND_FACTOR_REQUIRED: {
    httpStatus: 403,
    retriable: false,
    meaning: 'An admin token without `mfa` or `otp` in `amr`.',
  },
  NOT_FOUND: { httpStatus: 404, retriable: false, meaning: 'No such route or resource.' },
  REQUEST_NOT_FOUND: {
    httpStatus: 404,
    retriable: false,
    meaning: 'No command with this request ID in the last 24 hours.',
  },
  CHECK_IN_DEVICE_NOT_FOUND: {
    httpStatus: 404,
    retriable: false,
    meaning: 'The event has no active check-in device with this ID (unknown, or revoked already).',
  },
  BULK_JOB_NOT_FOUND: {
    httpStatus: 404,
    retriable: false,
    meaning: 'No bulk job with this ID, or one the caller may not see (only its creator and admins may).',
  },
  IDEMPOTENCY_KEY_REUSED: {
    httpStatus: 409,
    retriable: false,
    meaning: 'The Idempotency-Key was used within 24 hours for a different request.',
  },
  TICKET_NOT_AVAILABLE: {
    httpStatus: 409,
    retriable: false,
    meaning:
      'The booking has no ticket: only a CONFIRMED booking with its ticket code has one (a PENDING_PAYMENT booking once paid); its calendar entry also exists for a CANCELED booking. `details.status` is the booking status.',
  },
  IDEMPOTENCY_KEYS_EXHAUSTED: {
    httpStatus: 429,
    retriable: true,
    meaning:
      'More new Idempotency-Keys than one user may introduce in 24 hours (1,000); retries of a known key still work.',
  },
  CHECK_IN_DEVICE_LIMIT: {
    httpStatus: 409,
    retriable: false,
    meaning: 'The event has 100 active check-in devices already; revoke one before creating another.',
  },
  UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, retriable: false, meaning: 'The body is not application/json.' },
  PAYMENT_NOT_POSSIBLE: {
    httpStatus: 422,
    retriable: false,
    meaning: 'The booking is not awaiting payment.',
  },
  CATEGORY_UNKNOWN: {
    httpStatus: 422,
    retriable: false,
    meaning:
      'An event names a category the category tree does not have (on create, edit or publish); `details.unknown` lists them.',
  },
  PRECONDITION_REQUIRED: {
    httpStatus: 428,
    retriable: false,
    meaning: 'The route needs an If-Match header with the version.',
  },
  RATE_LIMITED: {
    httpStatus: 429,
    retriable: true,
    meaning: 'Too many requests for the role and method group (`Retry-After` says when to try again).',
  },
  TOO_MANY_STREAMS: {
    httpStatus: 429,
    retriable: true,
    meaning:
      'Too many open live-availability streams from this address, or on this API instance; close one or retry later.',
  },
  INTERNAL_ERROR: {
    httpStatus: 500,
    retriable: false,
    meaning: 'An unexpected error; the traceId finds it in the logs.',
  },
  UNAVAILABLE: {
    httpStatus: 503,
    retriable: true,
    meaning: 'A dependency (database, Kafka, Redis) is not reachable.',
  },
} as const satisfies Record<string, ErrorSpec>

/** Codes of the read models' own errors (categories are written there directly, not through a command). */
export const READ_MODEL_ERROR_CODES = {
  CATEGORY_NOT_FOUND: {
    httpStatus: 404,
    retriable: false,
    meaning: 'No category with this ID (or the parent given does not exist).',
  },
  CATEGORY_CONFLICT: { httpStatus: 409, retriable: false, meaning: 'The category ID or slug is taken.' },
  CATEGORY_HAS_CHILDREN: { httpStatus: 409, retriable: false, meaning: 'Delete the subcategories first.' },
  CATEGORY_TOO_DEEP: {
    httpStatus: 422,
    retriable: false,
    meaning: 'Categories nest at most 3 levels (or a move under its own subtree).',
  },
  READ_MODEL_UNAVAILABLE: {
    httpStatus: 503,
    retriable: true,
    meaning: 'The database behind a read model cannot be reached or failed; retrying later may help.',
  },
} as const satisfies Record<string, ErrorSpec>

/** Codes that facts carry in their `reasonCode` (why a booking or waiting-list entry ended) and no answer. */
export const FACT_REASON_CODES = {
  EVENT_CANCELED: {
    httpStatus: null,
    retriable: false,
    meaning:
      'On the `CANCELED` booking facts and the `WAITLIST_LEFT` facts emitted when the organizer or an admin cancels the event (each participant notified once).',
  },
  PAYMENT_FAILED: {
    httpStatus: null,
    retriable: false,
    meaning:
      'On the `PAYMENT_FAILED` booking fact (the hold is released; the user may book again), and on `SEATS_CHANGE_RELEASED` when a seat top-up’s payment failed.',
  },
  EXPIRED: {
    httpStatus: null,
    retriable: false,
    meaning:
      'On `SEATS_CHANGE_RELEASED` when a seat top-up’s hold time passed unpaid (the booking keeps its confirmed seats). A top-up the user withdrew is released with no reason code.',
  },
  OVERPAID: {
    httpStatus: null,
    retriable: false,
    meaning:
      'On the `CONFIRMED` (or `SEATS_CHANGED`) fact of a payment of more than the amount due: the booking is confirmed, the difference refunded at once (`refundMinor`; refund reason `OVERPAID`).',
  },
  WRONG_CURRENCY: {
    httpStatus: null,
    retriable: false,
    meaning:
      'On the `LATE_PAYMENT_REFUNDED` fact of a payment in another currency than the booking’s (RUB): it confirms nothing and is refunded whole in its own currency (refund reason `WRONG_CURRENCY`); the booking keeps its state.',
  },
} as const satisfies Record<string, ErrorSpec>

/** The sections of the catalogue, in the order docs/errors.md shows them. */
export const ERROR_SECTIONS = {
  refusals: REASON_CODES,
  api: API_ERROR_CODES,
  readModels: READ_MODEL_ERROR_CODES,
  facts: FACT_REASON_CODES,
  runtime: RUNTIME_ERROR_CODES,
  schemas: SCHEMA_ERROR_CODES,
} as const

type Sections = typeof ERROR_SECTIONS
type Union<T> = (T extends unknown ? (k: T) => void : never) extends (k: infer I) => void ? I : never

/** Every code of the service, e.g. `NO_AVAILABLE_SEATS`, `UNAUTHENTICATED`, `TASK_MIGRATED`. */
export type ErrorCode = { [S in keyof Sections]: keyof Sections[S] }[keyof Sections]

function compose(sections: Sections): Readonly<Record<ErrorCode, ErrorSpec>> {
  const all: { [code: string]: ErrorSpec } = {}
  for (const [section, table] of Object.entries(sections) as [string, Record<string, ErrorSpec>][])
    for (const [code, spec] of Object.entries(table)) {
      // One meaning per code: a code defined in two sections is a programming error.
      if (Object.hasOwn(all, code)) throw new Error(`error code ${code} is defined twice (${section})`)
      all[code] = spec
    }
  return all as Readonly<Record<ErrorCode, ErrorSpec>>
}

/** The one table: every code and its entry. */
export const ERROR_CATALOGUE: Readonly<Record<ErrorCode, ErrorSpec>> & Union<Sections[keyof Sections]> =
  compose(ERROR_SECTIONS) as Readonly<Record<ErrorCode, ErrorSpec>> & Union<Sections[keyof Sections]>

/** Whether `code` is in the catalogue. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, code)
}

/**
 * An error raised on purpose by the domain, the read models or the API: `retriable` and `httpStatus` come
 * from its code's entry in the catalogue.
 *
 * @example
 *   throw new ServiceError('CATEGORY_NOT_FOUND', `no category ${id}`, { details: { id } })
 */
export class ServiceError extends CodedError {
  declare readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    const spec: ErrorSpec = ERROR_CATALOGUE[code]
    super(code, message, {
      ...options,
      retriable: spec.retriable,
      ...(spec.httpStatus === null ? {} : { httpStatus: spec.httpStatus }),
    })
  }
}
