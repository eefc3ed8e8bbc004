import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { actorOf } from '../auth.ts'
import { submitCommand } from '../command-flow.ts'
import { bookingCommand } from '../commands/command-builders.ts'
import type { ApiContext } from '../context.ts'
import { Accepted, CommandHeaders, IdParams, Outcome, WaitlistBody, WaitlistEntry } from '../schemas.ts'
import { SIGNED_IN } from './route-support.ts'

/** The FIFO waiting list of a sold-out event: join, leave, and my entries. */
export async function waitlistRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const rateLimit = context.bookingRateLimit

  app.post<{ Params: { id: string }; Body: { seats?: number } | undefined }>(
    '/events/:id/waitlist',
    {
      config: { roles: SIGNED_IN, rateLimit },
      schema: {
        tags: ['bookings'],
        summary: 'Join the waiting list of a sold-out event',
        params: IdParams,
        headers: CommandHeaders,
        body: WaitlistBody,
        response: { 201: WaitlistEntry, 202: Accepted },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request.principal)
      const eventId = request.params.id
      return submitCommand(context, request, reply, {
        eventId,
        resourceType: 'WAITING_LIST',
        resourceId: `${eventId}/${actor.userId}`,
        commandType: 'booking.JOIN_WAITING_LIST',
        successStatus: 201,
        load: async () =>
          (await context.readModel.listWaitlist(actor.userId)).find((e) => e.eventId === eventId),
        send: ({ requestId, idempotencyKey }) =>
          context.commands.sendBookingCommand(
            bookingCommand({ requestId, eventId, actor, idempotencyKey }, 'JOIN_WAITING_LIST', {
              joinWaitingList: { userId: actor.userId, seats: request.body?.seats ?? 1 },
            }),
            String(request.id),
          ),
      })
    },
  )

  app.delete<{ Params: { id: string } }>(
    '/events/:id/waitlist',
    {
      config: { roles: SIGNED_IN, rateLimit },
      schema: {
        tags: ['bookings'],
        summary: 'Leave the waiting list (or drop an offer)',
        params: IdParams,
        headers: CommandHeaders,
        response: { 200: Outcome, 202: Accepted },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request.principal)
      const eventId = request.params.id
      return submitCommand(context, request, reply, {
        eventId,
        resourceType: 'WAITING_LIST',
        resourceId: `${eventId}/${actor.userId}`,
        commandType: 'booking.LEAVE_WAITING_LIST',
        successStatus: 200,
        send: ({ requestId, idempotencyKey }) =>
          context.commands.sendBookingCommand(
            bookingCommand({ requestId, eventId, actor, idempotencyKey }, 'LEAVE_WAITING_LIST', {
              leaveWaitingList: { userId: actor.userId },
            }),
            String(request.id),
          ),
      })
    },
  )

  app.get(
    '/waitlist',
    {
      config: { roles: SIGNED_IN },
      schema: {
        tags: ['bookings'],
        summary: 'My waiting-list entries',
        response: { 200: Type.Object({ items: Type.Array(WaitlistEntry) }) },
      },
    },
    async (request) => ({ items: await context.readModel.listWaitlist(request.principal.userId!) }),
  )
}
