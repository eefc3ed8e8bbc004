/**
 * The durable audit of the API: every admin request (writes, overrides, moderation, exports and every other
 * read), every organizer write and every export (`auditTrail.export`: CSV of participants or stats, an
 * organizer's too) becomes one `audit_log` row (read-models/catalog/audit-log.ts), written
 * before the answer leaves, whatever the log level. Before the handler of an audited write runs, the state
 * of its target (the event, booking or review its path or body names) is read as its `before`; routes
 * that write directly (categories) set `request.auditTrail` themselves, with the state after (and a route
 * whose path names no target, its target: a new bulk job). A command's
 * after is its decided outcome, joined when the log is read.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AuditEntry } from '../read-models/catalog/index.ts'
import type { Principal } from './auth.ts'
import type { ApiContext } from './context.ts'
import { ADMIN_VIEWER } from './routes/route-support.ts'

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Whether a request of `principal` with `method` is audited: all of an admin's, an organizer's writes. */
export function isAudited(principal: Principal, method: string): boolean {
  return principal.role === 'admin' || (principal.role === 'organizer' && !READS.has(method))
}

/** What a route's path names as its target: `/api/v1/<resources>/:id…` → the resource type and ID. */
const TARGETS: { readonly [segment: string]: string } = {
  events: 'event',
  bookings: 'booking',
  reviews: 'review',
  categories: 'category',
  requests: 'request',
  bulk: 'bulk-job',
}

export function auditTarget(
  route: string,
  params: unknown,
  body: unknown,
): { type: string | null; id: string | null } {
  const segments = route.replace(/^\/api\/v1\//, '').split('/')
  const resources = segments[0] === 'admin' ? segments[1] : segments[0]
  const type = resources === undefined ? null : (TARGETS[resources] ?? null)
  const id = (params as { id?: unknown } | undefined)?.id
  if (typeof id === 'string') return { type, id }
  const eventId = (body as { eventId?: unknown } | undefined)?.eventId
  if (typeof eventId === 'string') return { type: 'event', id: eventId }
  return { type: null, id: null }
}

/** Appends the HTTP request's audit record (appendAuditEntry). */
export async function recordAudit(
  context: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const principal = request.principal
  if (principal.userId === undefined || (principal.role !== 'admin' && principal.role !== 'organizer')) return
  const route = request.routeOptions.url ?? request.url.split('?')[0]!
  const target = request.auditTrail?.target ?? auditTarget(route, request.params, request.body)
  const requestId = reply.getHeader('x-request-id')
  const entry: AuditEntry = {
    actorUserId: principal.userId,
    actorRole: principal.role,
    secondFactor: principal.secondFactor,
    action: `${request.method} ${route}`,
    targetType: target.type,
    targetId: target.id,
    requestId: typeof requestId === 'string' ? requestId : null,
    traceId: String(request.id),
    status: reply.statusCode,
    before: request.auditTrail?.before ?? null,
    after: request.auditTrail?.after ?? null,
    input: { params: request.params ?? null, query: request.query ?? null, body: request.body ?? null },
  }
  await appendAuditEntry(context, entry)
}

/**
 * Appends one audit record (of any transport: the gRPC API writes its own). A failure to write it is
 * logged with the whole record, never thrown: the action itself has happened and its answer must leave.
 */
export async function appendAuditEntry(context: ApiContext, entry: AuditEntry): Promise<void> {
  try {
    await context.readModel.appendAudit(entry)
  } catch (error) {
    context.audit.error({ err: error, entry }, 'audit record not written')
  }
}

/** Reads the target's state before an audited write runs (the request's `auditTrail.before`). */
export async function captureBefore(context: ApiContext, request: FastifyRequest): Promise<void> {
  if (READS.has(request.method) || !isAudited(request.principal, request.method)) return
  const route = request.routeOptions.url
  if (route === undefined) return
  const { type, id } = auditTarget(route, request.params, request.body)
  if (id === null) return
  const before =
    type === 'event'
      ? await context.readModel.getEvent(id, ADMIN_VIEWER)
      : type === 'booking'
        ? await context.readModel.getBooking(id)
        : type === 'review'
          ? await context.readModel.getReview(id)
          : undefined
  if (type === 'event' || type === 'booking' || type === 'review')
    request.auditTrail = { before: before ?? null }
}
