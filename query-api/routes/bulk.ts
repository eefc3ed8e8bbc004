/**
 * Bulk operations (MISSION.md, admin side): up to 500 events published or canceled, or 500 bookings
 * canceled, in one job. The job is stored before the 202 answer; each item is then the command its
 * single-item route would produce, decided by its event's task (query-api/bulk-jobs.ts). The job's progress
 * and every item's result are at GET /bulk/{id}, read from the durable request outcomes.
 *
 * Who: organizers on their own events (and their events' bookings), admins on any. The caller's right to
 * each item is checked per item, as the single-item route checks it: an organizer's job naming another
 * organizer's event refuses that item alone (403 FORBIDDEN in its result), since each item is a command of
 * its own and the others are the organizer's to act on. What the caller may not ask of any item refuses the
 * whole job: `forceMajeure` from anyone but an admin (403), a malformed body or more than 500 items (400).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { canCancelForForceMajeure } from '../../processors/index.ts'
import type { BulkJobView } from '../../read-models/catalog/index.ts'
import { actorOf } from '../auth.ts'
import { bulkItemRequestId, MAX_BULK_ITEMS } from '../bulk-jobs.ts'
import { fingerprint, freshId } from '../command-flow.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import { CommandHeaders, Id, IdParams, Instant, Nullable } from '../schemas.ts'
import { MANAGERS } from './route-support.ts'

const Targets = Type.Array(Id, { minItems: 1, maxItems: MAX_BULK_ITEMS, uniqueItems: true })
const Reason = Type.String({ maxLength: 1000 })

const BulkEventsBody = Type.Object(
  {
    action: Type.Union([Type.Literal('PUBLISH'), Type.Literal('CANCEL')]),
    eventIds: Targets,
    publishAt: Type.Optional({ ...Instant, description: 'PUBLISH only: publish at this instant' }),
    reason: Type.Optional({ ...Reason, description: 'CANCEL only' }),
  },
  { additionalProperties: false },
)
type BulkEventsBody = Static<typeof BulkEventsBody>

const BulkBookingsBody = Type.Object(
  {
    action: Type.Literal('CANCEL'),
    bookingIds: Targets,
    reason: Type.Optional(Reason),
    forceMajeure: Type.Optional(
      Type.Boolean({ description: 'admins only: every booking refunded in full whatever the policy' }),
    ),
  },
  { additionalProperties: false },
)
type BulkBookingsBody = Static<typeof BulkBookingsBody>

const BulkAccepted = Type.Object(
  {
    jobId: Type.String(),
    items: Type.Integer(),
    status: Type.Literal('RUNNING'),
    links: Type.Object({ job: Type.String() }),
  },
  { description: 'The job is stored; its items are being produced. Progress at links.job.' },
)

const BulkItem = Type.Object({
  position: Type.Integer(),
  targetId: Type.String({ description: 'the event or booking ID' }),
  eventId: Nullable(Type.String()),
  requestId: Type.String({ description: "the item's command, also at /requests/{id}" }),
  status: Type.Union([Type.Literal('PENDING'), Type.Literal('ACCEPTED'), Type.Literal('REJECTED')]),
  decidedBy: Nullable(Type.Union([Type.Literal('pipeline'), Type.Literal('api')])),
  reasonCode: Nullable(Type.String()),
  message: Nullable(Type.String()),
  decidedAt: Nullable(Type.String()),
})

const BulkJob = Type.Object({
  jobId: Type.String(),
  kind: Type.Union([Type.Literal('events'), Type.Literal('bookings')]),
  action: Type.String(),
  options: Type.Object({}, { additionalProperties: true }),
  createdBy: Type.String(),
  createdAt: Type.String(),
  status: Type.Union([Type.Literal('RUNNING'), Type.Literal('COMPLETED')], {
    description: 'COMPLETED once every item has its result',
  }),
  producedAt: Nullable(Type.String({ description: "when every item's command was produced (or refused)" })),
  total: Type.Integer(),
  pending: Type.Integer(),
  accepted: Type.Integer(),
  rejected: Type.Integer(),
  items: Type.Array(BulkItem),
})

/** POST /bulk/events, POST /bulk/bookings, GET /bulk/{id}. */
export async function bulkRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.post<{ Body: BulkEventsBody }>(
    '/bulk/events',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['bulk'],
        summary: 'Publish or cancel up to 500 events in one job (their organizer, admins)',
        description:
          "Answers 202 with the job once stored; each event then gets the command of POST /events/{id}/publish or /cancel, with that route's checks, decided by its event's task. An event of another organizer is refused as an item (403 FORBIDDEN in its result), not as the job. `Idempotency-Key` makes a retry answer the same job.",
        headers: CommandHeaders,
        body: BulkEventsBody,
        response: { 202: BulkAccepted },
      },
    },
    async (request, reply) => {
      const b = request.body
      if (b.action === 'PUBLISH' && b.reason !== undefined)
        throw invalid('reason', 'reason is for CANCEL only')
      if (b.action === 'CANCEL' && b.publishAt !== undefined)
        throw invalid('publishAt', 'publishAt is for PUBLISH only')
      const options = b.action === 'PUBLISH' ? { publishAt: b.publishAt } : { reason: b.reason }
      return createJob(context, request, reply, 'events', b.action, b.eventIds, options)
    },
  )

  app.post<{ Body: BulkBookingsBody }>(
    '/bulk/bookings',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['bulk'],
        summary: "Cancel up to 500 bookings in one job (their events' organizer, admins)",
        description:
          "Answers 202 with the job once stored; each booking then gets the command of POST /bookings/{id}/cancel (refund by the event's policy; an organizer's or admin's cancellation refunds in full), decided by its event's task. A booking the caller may not see is refused as an item (404 BOOKING_NOT_FOUND in its result). `forceMajeure: true` is for admins only: 403 for the whole job otherwise.",
        headers: CommandHeaders,
        body: BulkBookingsBody,
        response: { 202: BulkAccepted },
      },
    },
    async (request, reply) => {
      const b = request.body
      if (b.forceMajeure === true && !canCancelForForceMajeure(actorOf(request.principal)))
        throw new ApiError('FORBIDDEN', 'force majeure refunds are for admins')
      return createJob(context, request, reply, 'bookings', b.action, b.bookingIds, {
        reason: b.reason,
        forceMajeure: b.forceMajeure ?? false,
      })
    },
  )

  app.get<{ Params: { id: string } }>(
    '/bulk/:id',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['bulk'],
        summary: "A bulk job's progress and every item's result (its creator, admins)",
        description:
          "An item is PENDING until its command is decided, then ACCEPTED or REJECTED with the pipeline's reason code (`decidedBy: pipeline`), or REJECTED by the API before any command (`decidedBy: api`: another organizer's event, a booking the caller may not see). 404 BULK_JOB_NOT_FOUND for anyone but the creator and admins.",
        params: IdParams,
        response: { 200: BulkJob },
      },
    },
    async (request) => {
      const job = await context.readModel.getBulkJob(request.params.id)
      if (
        job === undefined ||
        (request.principal.role !== 'admin' && job.actorUserId !== request.principal.userId)
      )
        throw new ApiError('BULK_JOB_NOT_FOUND', `no bulk job ${request.params.id}`)
      return jobBody(job)
    },
  )
}

/**
 * Stores the job (or, for a repeat of its Idempotency-Key, finds it), starts producing it and answers 202.
 * A key reused with another body is 409 IDEMPOTENCY_KEY_REUSED.
 */
async function createJob(
  context: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  kind: 'events' | 'bookings',
  action: string,
  targets: readonly string[],
  options: { [key: string]: unknown },
): Promise<unknown> {
  const principal = request.principal
  const jobId = freshId(request, 'bulk-job')
  const route = request.routeOptions.url ?? request.url
  const print = fingerprint({ method: request.method, route, params: {}, body: request.body })
  const { job, created } = await context.readModel.createBulkJob({
    id: jobId,
    kind,
    action,
    options: JSON.parse(JSON.stringify(options)) as { [key: string]: unknown },
    actorUserId: actorOf(principal).userId,
    actorRole: principal.role === 'admin' ? 'admin' : 'organizer',
    secondFactor: principal.secondFactor,
    fingerprint: print,
    traceId: String(request.id),
    items: targets.map((targetId, position) => ({
      targetId,
      requestId: bulkItemRequestId(jobId, position),
    })),
  })
  if (!created && (job.fingerprint !== print || job.actorUserId !== actorOf(principal).userId))
    throw new ApiError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request', {
      details: { jobId },
    })
  void context.bulk.run(job)
  request.auditTrail = {
    before: null,
    after: { jobId, kind, action, items: job.itemCount },
    target: { type: 'bulk-job', id: jobId },
  }
  const link = `/api/v1/bulk/${encodeURIComponent(jobId)}`
  return reply
    .code(202)
    .header('location', link)
    .send({ jobId, items: job.itemCount, status: 'RUNNING', links: { job: link } })
}

function jobBody(job: BulkJobView) {
  const count = (status: string) => job.items.filter((item) => item.status === status).length
  const pending = count('PENDING')
  return {
    jobId: job.id,
    kind: job.kind,
    action: job.action,
    options: job.options,
    createdBy: job.actorUserId,
    createdAt: job.createdAt,
    status: pending === 0 ? ('COMPLETED' as const) : ('RUNNING' as const),
    producedAt: job.producedAt,
    total: job.itemCount,
    pending,
    accepted: count('ACCEPTED'),
    rejected: count('REJECTED'),
    items: job.items,
  }
}

const invalid = (field: string, message: string) =>
  new ApiError('VALIDATION_FAILED', message, { details: { in: 'body', field } })
