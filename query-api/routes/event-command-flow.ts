import type { FastifyReply, FastifyRequest } from 'fastify'
import type { EventCommand } from '../../avro/index.ts'
import { actorOf, type Principal } from '../auth.ts'
import { reflects, submitCommand, type CommandPlan } from '../command-flow.ts'
import { eventCommand } from '../commands/command-builders.ts'
import type { ApiContext } from '../context.ts'
import { Accepted, EventDetails as EventDetailsSchema } from '../schemas.ts'
import { viewerOf } from './route-support.ts'

/**
 * How every event write reaches the pipeline: an EventCommand produced under the request's ID and
 * answered at once (202) or, with `Prefer: wait`, with the decision. Shared by the event route families
 * (event-writes.ts mounts them).
 */

/** The type-specific part of an EventCommand; the flow adds the request ID, event ID, actor and type. */
export type EventCommandPayload = Partial<Omit<EventCommand, 'requestId' | 'eventId' | 'actor' | 'type'>>

/** The decision a `Prefer: wait` answer waits for. */
export type Decision = Parameters<typeof reflects>[1]

/** What a route answers with the event: `status` once decided, 202 before. */
export const eventResponses = (status: 200 | 201) => ({ [status]: EventDetailsSchema, 202: Accepted })

/** How one route's command is answered, beyond the defaults (the event, 200). */
export interface EventCommandOptions {
  readonly resourceType?: 'EVENT' | 'PRICE_OPTION' | 'PROMO_CODE' | 'REFUND_POLICY' | 'CREW_REQUEST'
  /** A string, or a function of a fresh ID kept across Idempotency-Key repeats. */
  readonly resourceId?: string | ((fresh: string) => string)
  readonly successStatus?: 200 | 201
  /** What `Prefer: wait` answers with; the event by default, `null`: the outcome at once. */
  readonly load?: ((resourceId: string, outcome: Decision) => Promise<unknown>) | null
}

/**
 * Produces an event command of `type` on `eventId` and answers it (202, or the decision with Prefer:
 * wait). `payload` may depend on the resource ID (a fresh one kept across Idempotency-Key repeats).
 */
export async function submitEventCommand(
  context: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  eventId: string,
  type: EventCommand['type'],
  payload: EventCommandPayload | ((resourceId: string) => EventCommandPayload),
  options: EventCommandOptions = {},
): Promise<unknown> {
  return submitCommand(
    context,
    request,
    reply,
    eventCommandPlan(context, request.principal, String(request.id), eventId, type, payload, options),
  )
}

/**
 * The plan of an event command of `type` on `eventId` by `principal` (the route checks who may send it);
 * `traceId` goes with the command. Shared by the routes and the bulk jobs (bulk-jobs.ts).
 */
export function eventCommandPlan(
  context: ApiContext,
  principal: Principal,
  traceId: string,
  eventId: string,
  type: EventCommand['type'],
  payload: EventCommandPayload | ((resourceId: string) => EventCommandPayload),
  options: EventCommandOptions = {},
): CommandPlan<unknown> {
  const actor = actorOf(principal)
  const loadEvent = async (_id: string, outcome: Decision) => {
    const event = await context.readModel.getEvent(eventId, viewerOf(principal))
    return event !== undefined && reflects(event, outcome) ? event : undefined
  }
  return {
    eventId,
    resourceType: options.resourceType ?? 'EVENT',
    resourceId: options.resourceId ?? eventId,
    commandType: `event.${type}`,
    successStatus: options.successStatus ?? 200,
    location: () => `/api/v1/events/${encodeURIComponent(eventId)}`,
    ...(options.load === null ? {} : { load: options.load ?? loadEvent }),
    send: ({ requestId, resourceId, idempotencyKey }) =>
      context.commands.sendEventCommand(
        eventCommand(
          { requestId, eventId, actor, idempotencyKey },
          type,
          typeof payload === 'function' ? payload(resourceId) : payload,
        ),
        traceId,
      ),
  }
}
