import type { FastifyReply, FastifyRequest } from 'fastify'
import { canManageEvent } from '../../processors/index.ts'
import { actorOf, type Principal, type Role } from '../auth.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import type { EventDetails, Viewer } from '../../read-models/catalog/index.ts'
import { etagOf, matchesEtag } from '../response-cache.ts'
import { ErrorResponse } from '../schemas.ts'

/** The roles of `config.roles`, by who may call a route. */
export const ANYONE: readonly Role[] = ['guest', 'user', 'organizer', 'admin']
export const SIGNED_IN: readonly Role[] = ['user', 'organizer', 'admin']
export const USERS: readonly Role[] = ['user', 'admin']
export const MANAGERS: readonly Role[] = ['organizer', 'admin']
export const ADMINS: readonly Role[] = ['admin']

/** The error answers every route documents. */
export const ERROR_RESPONSES = {
  '4xx': { ...ErrorResponse, description: 'Error: {code, message, details, traceId}' },
  '5xx': { ...ErrorResponse, description: 'Error: {code, message, details, traceId}' },
}

/** The read model's viewer of a caller: what it may see of the catalog (a check-in device: a guest's). */
export function viewerOf(principal: Principal): Viewer {
  return principal.userId === undefined || principal.role === 'device'
    ? { role: 'guest' }
    : { userId: principal.userId, role: principal.role }
}

/** A viewer that sees everything, for the API's own checks (never to answer a caller with). */
export const ADMIN_VIEWER: Viewer = { role: 'admin', userId: 'system' }

/**
 * The event a manager acts on, when the read model knows it and the caller may manage it by the
 * processors' own rule (`canManageEvent`: an admin, or its organizer with the ORGANIZER role): 404 for a
 * draft the caller may not see, 403 for another organizer's event. Undefined when not projected yet (just
 * created): the pipeline, which applies the same rule, decides.
 */
export async function checkEventOwnership(
  context: ApiContext,
  principal: Principal,
  eventId: string,
): Promise<EventDetails | undefined> {
  const event = await context.readModel.getEvent(eventId, ADMIN_VIEWER)
  if (event === undefined) return undefined
  if (canManageEvent(event, actorOf(principal))) return event
  if (event.status === 'DRAFT') throw new ApiError('EVENT_NOT_FOUND', `no event ${eventId}`)
  throw new ApiError('FORBIDDEN', 'organizers manage their own events only', { details: { eventId } })
}

/**
 * Sends a JSON body with a strong ETag; `If-None-Match` with the same tag answers 304. The body is
 * serialized here (cached answers reuse the bytes).
 */
export function sendWithEtag(
  request: FastifyRequest,
  reply: FastifyReply,
  cached: { etag: string; body: string },
  cacheControl = 'no-cache',
): FastifyReply {
  reply.header('etag', cached.etag).header('cache-control', cacheControl)
  if (matchesEtag(request.headers['if-none-match'], cached.etag)) return reply.code(304).send()
  return reply.type('application/json; charset=utf-8').send(cached.body)
}

/** A JSON body and its strong ETag, for {@link sendWithEtag} and the response cache. */
export function serialize(value: unknown): { etag: string; body: string } {
  const body = JSON.stringify(value)
  return { etag: etagOf(body), body }
}

/** Epoch ms of an ISO instant the schema already validated. */
export const ms = (instant: string): number => Date.parse(instant)

/** 400 unless `endsAt` is after `startsAt` (a schema cannot compare two fields). */
export function checkWindow(startsAt: string, endsAt: string): void {
  if (ms(endsAt) <= ms(startsAt))
    throw new ApiError('VALIDATION_FAILED', 'endsAt must be after startsAt', {
      details: { in: 'body', field: 'endsAt' },
    })
}

/** The version in `If-Match` (`"3"`, `W/"3"` or `3`), or 428 without one. */
export function ifMatchVersion(request: FastifyRequest): number {
  const header = request.headers['if-match']
  if (header === undefined)
    throw new ApiError('PRECONDITION_REQUIRED', 'send If-Match with the event version')
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(String(header).trim())
  if (m === null)
    throw new ApiError('VALIDATION_FAILED', 'If-Match must be the event version, e.g. "3"', {
      details: { in: 'headers', header: 'if-match' },
    })
  return Number(m[1])
}
