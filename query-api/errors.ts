/**
 * The query API's error catalogue and its one error handler. Every 4xx and 5xx answer has the body
 * `{code, message, details, traceId}`; `code` is stable (documented in query-api/README.md, kept in step
 * by test/query-api/errors.test.ts). Refusals decided by the pipeline keep their reason code
 * (processors/reason-codes.ts) and the HTTP status that catalogue gives it: one table, no second mapping.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { REASON_CODES, type ReasonCode } from '../processors/index.ts'
import { CodedError } from '../streams/index.ts'

/** The API's own codes (reason codes of refused commands come from processors/reason-codes.ts). */
export const API_ERROR_CODES = {
  VALIDATION_FAILED: {
    httpStatus: 400,
    summary: 'The request breaks its schema: types, lengths, unknown fields.',
  },
  MALFORMED_JSON: { httpStatus: 400, summary: 'The body is not valid JSON.' },
  PAYLOAD_TOO_LARGE: { httpStatus: 400, summary: 'The body is larger than 1 MB.' },
  UNAUTHENTICATED: { httpStatus: 401, summary: 'No bearer token where one is required, or an invalid one.' },
  FORBIDDEN: { httpStatus: 403, summary: 'The role may not call this route, or not on this resource.' },
  SECOND_FACTOR_REQUIRED: { httpStatus: 403, summary: 'An admin token without `mfa` or `otp` in `amr`.' },
  NOT_FOUND: { httpStatus: 404, summary: 'No such route or resource.' },
  EVENT_NOT_FOUND: { httpStatus: 404, summary: 'No event with this ID (or a draft the caller may not see).' },
  BOOKING_NOT_FOUND: { httpStatus: 404, summary: 'No booking with this ID visible to the caller.' },
  REQUEST_NOT_FOUND: { httpStatus: 404, summary: 'No command with this request ID in the last 24 hours.' },
  CATEGORY_NOT_FOUND: { httpStatus: 404, summary: 'No category with this ID.' },
  CATEGORY_CONFLICT: { httpStatus: 409, summary: 'The category ID or slug is taken.' },
  CATEGORY_HAS_CHILDREN: { httpStatus: 409, summary: 'Delete the subcategories first.' },
  CATEGORY_TOO_DEEP: {
    httpStatus: 422,
    summary: 'Categories nest at most 3 levels (or a move under its own subtree).',
  },
  IDEMPOTENCY_KEY_REUSED: {
    httpStatus: 409,
    summary: 'The Idempotency-Key was used within 24 hours for a different request.',
  },
  PRECONDITION_REQUIRED: { httpStatus: 428, summary: 'The route needs an If-Match header with the version.' },
  UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, summary: 'The body is not application/json.' },
  INVALID_SIGNATURE: { httpStatus: 401, summary: 'A payment webhook without a valid HMAC signature.' },
  PAYMENT_NOT_POSSIBLE: { httpStatus: 422, summary: 'The booking is not awaiting payment.' },
  RATE_LIMITED: { httpStatus: 429, summary: 'Too many requests for the role and method group.' },
  UNAVAILABLE: { httpStatus: 503, summary: 'A dependency (database, Kafka, Redis) is not reachable.' },
  INTERNAL_ERROR: { httpStatus: 500, summary: 'An unexpected error; the traceId finds it in the logs.' },
} as const satisfies Record<string, { readonly httpStatus: number; readonly summary: string }>

export type ApiErrorCode = keyof typeof API_ERROR_CODES

/** An error the API answers with on purpose. */
export class ApiError extends CodedError {
  constructor(
    code: ApiErrorCode | ReasonCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown; httpStatus?: number } = {},
  ) {
    super(code, message, {
      ...options,
      httpStatus: options.httpStatus ?? httpStatusOf(code),
      retriable: code === 'RATE_LIMITED' || code === 'UNAVAILABLE',
    })
  }
}

/** The HTTP status of an API code or a pipeline reason code; unknown reason codes are 422. */
export function httpStatusOf(code: string): number {
  if (Object.hasOwn(API_ERROR_CODES, code)) return API_ERROR_CODES[code as ApiErrorCode].httpStatus
  if (Object.hasOwn(REASON_CODES, code)) return REASON_CODES[code as ReasonCode].httpStatus
  return 422
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  readonly code: string
  readonly message: string
  readonly details: Record<string, unknown>
  readonly traceId: string
}

/** JSON schema of ErrorBody (for the OpenAPI document). */
export const ERROR_SCHEMA = {
  $id: 'Error',
  type: 'object',
  required: ['code', 'message', 'details', 'traceId'],
  properties: {
    code: { type: 'string', description: 'Stable error code (query-api/README.md, docs/errors.md)' },
    message: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
    traceId: { type: 'string' },
  },
} as const

/** Turns anything thrown in a route into `{code, message, details, traceId}` with the right status. */
export function toErrorBody(error: unknown, traceId: string): { status: number; body: ErrorBody } {
  const fe = error as Partial<FastifyError> & { validation?: unknown[]; validationContext?: string }
  if (error instanceof CodedError && error.httpStatus < 500)
    return {
      status: error.httpStatus,
      body: { code: error.code, message: error.message, details: { ...error.details }, traceId },
    }
  if (Array.isArray(fe.validation))
    return {
      status: 400,
      body: {
        code: 'VALIDATION_FAILED',
        message: fe.message ?? 'invalid request',
        details: {
          in: fe.validationContext,
          errors: fe.validation.map((v) => {
            const e = v as { instancePath?: string; message?: string; keyword?: string; params?: unknown }
            return { path: e.instancePath, keyword: e.keyword, message: e.message, params: e.params }
          }),
        },
        traceId,
      },
    }
  const byFastifyCode: Record<string, ApiErrorCode> = {
    FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
    FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  }
  const mapped = fe.code === undefined ? undefined : byFastifyCode[fe.code]
  if (mapped !== undefined)
    return {
      status: API_ERROR_CODES[mapped].httpStatus,
      body: { code: mapped, message: fe.message ?? mapped, details: {}, traceId },
    }
  if (error instanceof SyntaxError && typeof fe.statusCode === 'number' && fe.statusCode === 400)
    return { status: 400, body: { code: 'MALFORMED_JSON', message: error.message, details: {}, traceId } }
  if (error instanceof CodedError && error.code === 'UNAVAILABLE')
    return { status: 503, body: { code: 'UNAVAILABLE', message: error.message, details: {}, traceId } }
  if (error instanceof CodedError && error.retriable)
    return {
      status: 503,
      body: {
        code: 'UNAVAILABLE',
        message: 'a dependency is unavailable',
        details: { cause: error.code },
        traceId,
      },
    }
  return {
    status: 500,
    body: { code: 'INTERNAL_ERROR', message: 'unexpected error', details: {}, traceId },
  }
}

/** Fastify's error handler: logs 5xx with the stack, answers the error body. */
export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = toErrorBody(error, String(request.id))
  if (status >= 500) request.log.error({ err: error }, 'request failed')
  else request.log.info({ code: body.code, status }, 'request refused')
  return reply.code(status).type('application/json; charset=utf-8').send(body)
}
