/**
 * Errors as gRPC statuses. An error becomes the error body of the HTTP API first (`toErrorBody`: the one
 * catalogue of codes, so a refusal keeps its reason code), then a status code by the table below, with:
 * - `grpc-status-details-bin`: a `google.rpc.Status` whose one detail is a `google.rpc.ErrorInfo`
 *   (`reason`: the code, `domain`: `backend-event`, `metadata`: `traceId`, `requestId` when a command
 *   was sent, `details`: the HTTP body's `details` as JSON);
 * - trailing metadata for clients without the rich error model: `x-reason-code`, `x-trace-id`,
 *   `x-request-id` (a command's), `x-error-details` (the `details` as JSON).
 */
import { Metadata, status as Status, type ServiceError } from '@grpc/grpc-js'
import protobuf from 'protobufjs'
import { join } from 'node:path'
import { toErrorBody, type ErrorBody } from '../errors.ts'
import { PROTO_ROOT } from './protos.ts'

/** The gRPC code of an HTTP status, for every code the catalogue does not name below. */
const BY_HTTP_STATUS: Readonly<Record<number, Status>> = {
  400: Status.INVALID_ARGUMENT,
  401: Status.UNAUTHENTICATED,
  403: Status.PERMISSION_DENIED,
  404: Status.NOT_FOUND,
  409: Status.FAILED_PRECONDITION,
  413: Status.RESOURCE_EXHAUSTED,
  415: Status.INVALID_ARGUMENT,
  422: Status.FAILED_PRECONDITION,
  428: Status.FAILED_PRECONDITION,
  429: Status.RESOURCE_EXHAUSTED,
  503: Status.UNAVAILABLE,
  504: Status.DEADLINE_EXCEEDED,
}

/** Codes whose gRPC meaning is more precise than their HTTP status's. */
const BY_CODE: Readonly<Record<string, Status>> = {
  EVENT_ALREADY_EXISTS: Status.ALREADY_EXISTS,
  DUPLICATE_BOOKING: Status.ALREADY_EXISTS,
  PRICE_OPTION_EXISTS: Status.ALREADY_EXISTS,
  PROMO_CODE_EXISTS: Status.ALREADY_EXISTS,
  ALREADY_ON_WAITING_LIST: Status.ALREADY_EXISTS,
  IDEMPOTENCY_KEY_REUSED: Status.ALREADY_EXISTS,
  VERSION_CONFLICT: Status.ABORTED,
  NO_AVAILABLE_SEATS: Status.RESOURCE_EXHAUSTED,
  PROMO_EXHAUSTED: Status.RESOURCE_EXHAUSTED,
  PROMO_USER_LIMIT: Status.RESOURCE_EXHAUSTED,
}

/** The gRPC status code of an error body's code and HTTP status. */
export function grpcCodeOf(code: string, httpStatus: number): Status {
  return (
    BY_CODE[code] ??
    BY_HTTP_STATUS[httpStatus] ??
    (httpStatus < 500 ? Status.FAILED_PRECONDITION : Status.INTERNAL)
  )
}

export const ERROR_DOMAIN = 'backend-event'

const richErrors = new protobuf.Root().loadSync(
  [join(PROTO_ROOT, 'google/rpc/status.proto'), join(PROTO_ROOT, 'google/rpc/error_details.proto')],
  { keepCase: true },
)
const StatusMessage = richErrors.lookupType('google.rpc.Status')
const ErrorInfoMessage = richErrors.lookupType('google.rpc.ErrorInfo')

/** JSON in printable ASCII (what a text metadata value may hold): other characters as `\\u` escapes. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** The metadata of an error answer (both forms, see above). */
function errorMetadata(grpcCode: Status, body: ErrorBody): Metadata {
  const requestId = typeof body.details.requestId === 'string' ? body.details.requestId : undefined
  const info = ErrorInfoMessage.encode(
    ErrorInfoMessage.fromObject({
      reason: body.code,
      domain: ERROR_DOMAIN,
      metadata: {
        traceId: body.traceId,
        ...(requestId === undefined ? {} : { requestId }),
        details: JSON.stringify(body.details),
      },
    }),
  ).finish()
  const rich = StatusMessage.encode(
    StatusMessage.fromObject({
      code: grpcCode,
      message: body.message,
      details: [{ type_url: 'type.googleapis.com/google.rpc.ErrorInfo', value: info }],
    }),
  ).finish()
  const metadata = new Metadata()
  metadata.set('grpc-status-details-bin', Buffer.from(rich))
  metadata.set('x-reason-code', body.code)
  metadata.set('x-trace-id', body.traceId)
  if (requestId !== undefined) metadata.set('x-request-id', requestId)
  metadata.set('x-error-details', asciiJson(body.details))
  return metadata
}

/** Anything a method threw as the status it answers; `httpStatus` says how it is logged (5xx: an error). */
export function toGrpcError(
  error: unknown,
  traceId: string,
): { error: Partial<ServiceError>; httpStatus: number; reason: string } {
  const { status, body } = toErrorBody(error, traceId)
  const code = grpcCodeOf(body.code, status)
  return {
    httpStatus: status,
    reason: body.code,
    error: { code, details: body.message, metadata: errorMetadata(code, body) },
  }
}

/** A DEADLINE_EXCEEDED answer naming the command sent (ask RequestService.GetOutcome with its ID later). */
export function deadlineExceeded(requestId: string, traceId: string): Partial<ServiceError> {
  const body: ErrorBody = {
    code: 'DEADLINE_EXCEEDED',
    message: 'not decided before the deadline; the outcome will be at RequestService.GetOutcome',
    details: { requestId },
    traceId,
  }
  return {
    code: Status.DEADLINE_EXCEEDED,
    details: body.message,
    metadata: errorMetadata(Status.DEADLINE_EXCEEDED, body),
  }
}

/** Decodes `grpc-status-details-bin` (for clients in TypeScript and the tests). */
export function errorInfoOf(
  metadata: Metadata,
): { reason: string; domain: string; metadata: Record<string, string> } | undefined {
  const raw = metadata.get('grpc-status-details-bin')[0]
  if (!(raw instanceof Buffer)) return undefined
  const rich = StatusMessage.toObject(StatusMessage.decode(raw)) as {
    details?: { type_url: string; value: Uint8Array }[]
  }
  const detail = rich.details?.find((d) => d.type_url.endsWith('/google.rpc.ErrorInfo'))
  if (detail === undefined) return undefined
  return ErrorInfoMessage.toObject(ErrorInfoMessage.decode(detail.value)) as never
}
