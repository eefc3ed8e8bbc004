/**
 * Creating an event (a DRAFT) and editing it. Creation is the one event write without an event to check
 * ownership on: `canCreateEvent` decides who it may be created for.
 */
import type { FastifyInstance } from 'fastify'
import { freshId } from '../command-flow.ts'
import { Type } from '@sinclair/typebox'
import { canCreateEvent } from '../../processors/index.ts'
import { actorOf } from '../auth.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import { CommandHeaders, CreateEventBody, IdParams, UpdateEventBody } from '../schemas.ts'
import { checkCategories } from './event-categories.ts'
import { eventResponses, submitEventCommand } from './event-command-flow.ts'
import { checkEventOwnership, checkWindow, ifMatchVersion, MANAGERS, ms } from './route-support.ts'

/** POST /events and PUT /events/{id}. */
export async function eventCreateEditRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  createEvent(app, context)
  editEvent(app, context)
}

/** POST /events: a DRAFT, for the caller or (admins) for `organizerId`; 201 with the event. */
function createEvent(app: FastifyInstance, context: ApiContext): void {
  app.post<{ Body: CreateEventBody }>(
    '/events',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: 'Create a DRAFT event',
        headers: CommandHeaders,
        body: CreateEventBody,
        response: eventResponses(201),
      },
    },
    async (request, reply) => {
      const b = request.body
      if (!canCreateEvent(actorOf(request.principal), b.organizerId ?? null))
        throw new ApiError('FORBIDDEN', 'only admins create events for another organizer')
      checkWindow(b.startsAt, b.endsAt)
      await checkCategories(context, b.categories ?? [])
      const eventId = b.id ?? freshId(request, 'event')
      return submitEventCommand(
        context,
        request,
        reply,
        eventId,
        'CREATE',
        {
          create: {
            organizerId: b.organizerId ?? null,
            title: b.title,
            description: b.description ?? '',
            startsAtMs: ms(b.startsAt),
            endsAtMs: ms(b.endsAt),
            place: b.place,
            categories: b.categories ?? [],
            capacity: b.capacity,
            holdMinutes: b.holdMinutes ?? null,
            bookingDeadlineHours: b.bookingDeadlineHours ?? null,
            locale: b.locale ?? 'ru-RU',
          },
        },
        { successStatus: 201 },
      )
    },
  )
}

/** PUT /events/{id}: the fields sent, under optimistic concurrency (`If-Match`: the version). */
function editEvent(app: FastifyInstance, context: ApiContext): void {
  app.put<{ Params: { id: string }; Body: UpdateEventBody }>(
    '/events/:id',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: 'Edit an event (If-Match: its version)',
        description:
          'Fields left out are unchanged. Dates and place change only in DRAFT (reschedule afterwards). A stale If-Match is refused with 409 VERSION_CONFLICT.',
        params: IdParams,
        headers: Type.Composite([
          CommandHeaders,
          Type.Object({ 'if-match': Type.Optional(Type.String({ maxLength: 20 })) }),
        ]),
        body: UpdateEventBody,
        response: eventResponses(200),
      },
    },
    async (request, reply) => {
      const expectedVersion = ifMatchVersion(request)
      await checkEventOwnership(context, request.principal, request.params.id)
      const b = request.body
      if (b.startsAt !== undefined && b.endsAt !== undefined) checkWindow(b.startsAt, b.endsAt)
      await checkCategories(context, b.categories ?? [])
      return submitEventCommand(context, request, reply, request.params.id, 'UPDATE', {
        expectedVersion,
        update: {
          title: b.title ?? null,
          description: b.description ?? null,
          place: b.place ?? null,
          startsAtMs: b.startsAt !== undefined ? ms(b.startsAt) : null,
          endsAtMs: b.endsAt !== undefined ? ms(b.endsAt) : null,
          categories: b.categories ?? null,
          capacity: b.capacity ?? null,
          holdMinutes: b.holdMinutes ?? null,
          bookingDeadlineHours: b.bookingDeadlineHours ?? null,
        },
      })
    },
  )
}
