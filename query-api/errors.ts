/**
 * The query API's one error handler. Every 4xx and 5xx answer has the body `{code, message, details,
 * traceId}`; `code` is stable and comes from the service's one error catalogue
 * (processors/error-catalogue.ts, documented in docs/errors.md), whose entry gives the HTTP status.
 * Refusals decided by the pipeline keep their reason code: one table, no second mapping.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ERROR_CATALOGUE, isErrorCode, ServiceError } from '../processors/index.ts'
import { CodedError } from '../streams/index.ts'

/**
 * An error the API answers with on purpose; its status and `retriable` come from the catalogue
 * (processors/error-catalogue.ts), the one table of codes the processors, the read models and the API share.
 */
export class ApiError extends ServiceError {}

/**
 * The error of a command the pipeline refused: its reason code with the catalogue's status. A code this
 * version does not know (a newer processor's) keeps its name and answers 422.
 */
export function refusalError(
  reasonCode: string,
  message: string,
  details: Record<string, unknown> = {},
): CodedError {
  return isErrorCode(reasonCode)
    ? new ApiError(reasonCode, message, { details })
    : new CodedError(reasonCode, message, { httpStatus: 422, details })
}

/** The HTTP status a code answers with; codes outside the catalogue (a newer processor's) answer 422. */
export function httpStatusOf(code: string): number {
  return (isErrorCode(code) ? ERROR_CATALOGUE[code].httpStatus : null) ?? 422
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
    code: { type: 'string', description: 'Stable error code (docs/errors.md)' },
    message: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
    traceId: { type: 'string' },
  },
} as const

/** Validation errors an answer lists at most; the rest are counted in `details.total`. */
export const MAX_VALIDATION_ERRORS = 10
/** Longest text of a value echoed in a validation error (a key name, an allowed value). */
const MAX_ECHO_CHARS = 100

interface SchemaError {
  readonly instancePath?: string
  readonly keyword?: string
  readonly message?: string
  readonly params?: unknown
}

/**
 * Fastify's `schemaErrorFormatter`: one short message naming the first error and how many there are.
 * The errors themselves go to `details.errors` once, capped ({@link toErrorBody}): a body of a million
 * unknown keys answers a few hundred bytes, not every key twice.
 */
export function validationError(errors: readonly SchemaError[], dataVar: string): Error {
  const first = errors[0]
  const what = `${dataVar}${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''
  return new Error(`${clip(what, 200)}${more}`)
}

function clip(text: string, max = MAX_ECHO_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}

/** A schema error's parameters with long texts cut (they may echo the request: an unknown key's name). */
function clipParams(params: unknown): unknown {
  if (params === null || typeof params !== 'object') return typeof params === 'string' ? clip(params) : params
  return Object.fromEntries(
    Object.entries(params).map(([k, v]) => [
      k,
      typeof v === 'string' ? clip(v) : Array.isArray(v) ? v.slice(0, 10) : v,
    ]),
  )
}

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
        message: clip(fe.message ?? 'invalid request', 300),
        details: {
          in: fe.validationContext,
          total: fe.validation.length,
          errors: (fe.validation as SchemaError[]).slice(0, MAX_VALIDATION_ERRORS).map((e) => ({
            path: clip(e.instancePath ?? ''),
            keyword: e.keyword,
            message: clip(e.message ?? ''),
            params: clipParams(e.params),
          })),
        },
        traceId,
      },
    }
  const byFastifyCode: Record<
    string,
    'PAYLOAD_TOO_LARGE' | 'MALFORMED_JSON' | 'UNSUPPORTED_MEDIA_TYPE' | 'VALIDATION_FAILED'
  > = {
    FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
    FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  }
  const mapped = fe.code === undefined ? undefined : byFastifyCode[fe.code]
  if (mapped !== undefined)
    return {
      status: ERROR_CATALOGUE[mapped].httpStatus,
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

/** What Fastify refuses before routing, by Fastify's code: the message of our 400. */
const REFUSED_BEFORE_ROUTING: Readonly<Record<string, string>> = {
  FST_ERR_BAD_URL: 'the URL is not valid (a bad percent-encoding)',
  FST_ERR_MAX_PARAM_LENGTH: 'a path parameter is too long',
}

/**
 * Fastify's `frameworkErrors` (errors raised before a route is found) as the API's own: a refusal of the
 * URL is 400 VALIDATION_FAILED (`details.in: "url"`), in the one error format; anything else unchanged.
 */
export function beforeRouting(error: FastifyError): unknown {
  const status = error.statusCode ?? 500
  if (status < 400 || status >= 500) return error
  const message = REFUSED_BEFORE_ROUTING[error.code] ?? 'the request cannot be routed'
  return new ApiError('VALIDATION_FAILED', message, { details: { in: 'url' } })
}

/** Fastify's error handler: logs 5xx with the stack, answers the error body. */
export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = toErrorBody(error, String(request.id))
  if (status >= 500) request.log.error({ err: error }, 'request failed')
  else request.log.info({ code: body.code, status }, 'request refused')
  return reply.code(status).type('application/json; charset=utf-8').send(body)
}
