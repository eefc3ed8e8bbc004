/**
 * An event's lifecycle transitions (MISSION.md, "Event lifecycle"): publish, reschedule, cancel, and back
 * to the schedule before the reschedules. The processors decide which transition the status allows.
 */
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { Principal } from '../auth.ts'
import { submitCommand, type CommandPlan } from '../command-flow.ts'
import type { ApiContext } from '../context.ts'
import { checkCategories } from './event-categories.ts'
import { CancelEventBody, CommandHeaders, IdParams, PublishBody, RescheduleBody } from '../schemas.ts'
import { eventCommandPlan, eventResponses, submitEventCommand } from './event-command-flow.ts'
import { checkEventOwnership, checkWindow, MANAGERS, ms } from './route-support.ts'

/** POST /events/{id}/publish, /reschedule, /cancel and /restore-schedule. */
export async function eventLifecycleRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  publishEvent(app, context)
  rescheduleEvent(app, context)
  cancelEvent(app, context)
  restoreSchedule(app, context)
}

/**
 * A publish (now, or at `publishAt`) by the event's organizer or an admin (`checkEventOwnership`), with its
 * categories known; shared by the route and the bulk jobs.
 */
export async function publishEventPlan(
  context: ApiContext,
  principal: Principal,
  traceId: string,
  eventId: string,
  publishAt: string | undefined,
): Promise<CommandPlan<unknown>> {
  const event = await checkEventOwnership(context, principal, eventId)
  await checkCategories(context, event?.categories ?? [])
  return eventCommandPlan(context, principal, traceId, eventId, 'PUBLISH', {
    publish: { publishAtMs: publishAt !== undefined ? ms(publishAt) : null },
  })
}

/** A cancellation by the event's organizer or an admin; shared by the route and the bulk jobs. */
export async function cancelEventPlan(
  context: ApiContext,
  principal: Principal,
  traceId: string,
  eventId: string,
  reason: string | undefined,
): Promise<CommandPlan<unknown>> {
  await checkEventOwnership(context, principal, eventId)
  return eventCommandPlan(context, principal, traceId, eventId, 'CANCEL', {
    cancel: { reason: reason ?? null },
  })
}

/** POST /events/{id}/publish: now, or at `publishAt`. */
function publishEvent(app: FastifyInstance, context: ApiContext): void {
  app.post<{ Params: { id: string }; Body: { publishAt?: string } | undefined }>(
    '/events/:id/publish',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: 'Publish now or at publishAt',
        params: IdParams,
        headers: CommandHeaders,
        body: PublishBody,
        response: eventResponses(200),
      },
    },
    async (request, reply) =>
      submitCommand(
        context,
        request,
        reply,
        await publishEventPlan(
          context,
          request.principal,
          String(request.id),
          request.params.id,
          request.body?.publishAt,
        ),
      ),
  )
}

/** POST /events/{id}/reschedule: a new date, time or place; bookings are kept. */
function rescheduleEvent(app: FastifyInstance, context: ApiContext): void {
  app.post<{ Params: { id: string }; Body: { startsAt: string; endsAt: string; place: string } }>(
    '/events/:id/reschedule',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: 'New date, time or place (bookings kept)',
        params: IdParams,
        headers: CommandHeaders,
        body: RescheduleBody,
        response: eventResponses(200),
      },
    },
    async (request, reply) => {
      await checkEventOwnership(context, request.principal, request.params.id)
      const b = request.body
      checkWindow(b.startsAt, b.endsAt)
      return submitEventCommand(context, request, reply, request.params.id, 'RESCHEDULE', {
        reschedule: { startsAtMs: ms(b.startsAt), endsAtMs: ms(b.endsAt), place: b.place },
      })
    },
  )
}

/** POST /events/{id}/cancel: every active booking is canceled with a full refund. */
function cancelEvent(app: FastifyInstance, context: ApiContext): void {
  app.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>(
    '/events/:id/cancel',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: 'Cancel (every active booking refunded in full)',
        params: IdParams,
        headers: CommandHeaders,
        body: CancelEventBody,
        response: eventResponses(200),
      },
    },
    async (request, reply) =>
      submitCommand(
        context,
        request,
        reply,
        await cancelEventPlan(
          context,
          request.principal,
          String(request.id),
          request.params.id,
          request.body?.reason,
        ),
      ),
  )
}

/** POST /events/{id}/restore-schedule: a RESCHEDULED event back to its original schedule. */
function restoreSchedule(app: FastifyInstance, context: ApiContext): void {
  app.post<{ Params: { id: string } }>(
    '/events/:id/restore-schedule',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: 'Go back to the schedule before the reschedules',
        description: 'Only a RESCHEDULED event whose original start is still ahead.',
        params: IdParams,
        headers: CommandHeaders,
        body: Type.Object({}, { additionalProperties: false, 'x-optional': true }),
        response: eventResponses(200),
      },
    },
    async (request, reply) => {
      await checkEventOwnership(context, request.principal, request.params.id)
      return submitEventCommand(context, request, reply, request.params.id, 'RESTORE_SCHEDULE', {})
    },
  )
}
