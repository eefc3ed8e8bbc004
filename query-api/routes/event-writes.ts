/**
 * Organizer and admin writes on events, price options, promo codes, refund policies and crew requests. Each validates the body, checks
 * the caller may manage the event (the processors check again), and produces an EventCommand.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { EventCommand } from '../../avro/index.ts'
import { actorOf } from '../auth.ts'
import { reflects, submitCommand } from '../command-flow.ts'
import { eventCommand } from '../commands/command-builders.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import type { EventDetails, Viewer } from '../../read-models/catalog/index.ts'
import {
  Accepted,
  CancelEventBody,
  CommandHeaders,
  CreateEventBody,
  CrewRequestBody,
  EventDetails as EventDetailsSchema,
  Id,
  IdParams,
  PriceOptionBody,
  PriceOptionView,
  PromoBody,
  PublishBody,
  RefundPolicyBody,
  RescheduleBody,
  UpdateEventBody,
  Outcome,
} from '../schemas.ts'
import { ADMIN_VIEWER, checkEventOwnership, ifMatchVersion, MANAGERS, ms, viewerOf } from './route-support.ts'

type Payload = Partial<Omit<EventCommand, 'requestId' | 'eventId' | 'actor' | 'type'>>

const eventResponses = (status: 200 | 201) => ({ [status]: EventDetailsSchema, 202: Accepted })

export async function eventWriteRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  /** Produces an event command and answers it (202, or the decision with Prefer: wait). */
  const send = async (
    request: FastifyRequest,
    reply: FastifyReply,
    eventId: string,
    type: EventCommand['type'],
    payload: Payload | ((resourceId: string) => Payload),
    options: {
      resourceType?: 'EVENT' | 'PRICE_OPTION' | 'PROMO_CODE' | 'REFUND_POLICY' | 'CREW_REQUEST'
      /** A string, or a function of a fresh ID kept across Idempotency-Key repeats. */
      resourceId?: string | ((fresh: string) => string)
      successStatus?: 200 | 201
      /** What `Prefer: wait` answers with; the event by default, `null`: the outcome at once. */
      load?: ((resourceId: string, outcome: Parameters<typeof reflects>[1]) => Promise<unknown>) | null
    } = {},
  ) => {
    const actor = actorOf(request.principal)
    const before =
      request.principal.role === 'admin' ? await context.readModel.getEvent(eventId, ADMIN_VIEWER) : undefined
    const loadEvent = async (_id: string, outcome: Parameters<typeof reflects>[1]) => {
      const event = await context.readModel.getEvent(eventId, viewerOf(request.principal))
      return event !== undefined && reflects(event, outcome) ? event : undefined
    }
    const answer = await submitCommand(context, request, reply, {
      eventId,
      resourceType: options.resourceType ?? 'EVENT',
      resourceId: options.resourceId ?? eventId,
      commandType: `event.${type}`,
      successStatus: options.successStatus ?? 200,
      location: () => `/api/v1/events/${encodeURIComponent(eventId)}`,
      ...(options.load === null ? {} : { load: options.load ?? loadEvent }),
      send: ({ requestId, resourceId }) =>
        context.commands.sendEventCommand(
          eventCommand(
            { requestId, eventId, actor },
            type,
            typeof payload === 'function' ? payload(resourceId) : payload,
          ),
          String(request.id),
        ),
    })
    if (before !== undefined) request.auditTrail = { before }
    return answer
  }

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
      if (
        b.organizerId !== undefined &&
        request.principal.role !== 'admin' &&
        b.organizerId !== request.principal.userId
      )
        throw new ApiError('FORBIDDEN', 'only admins create events for another organizer')
      checkWindow(b.startsAt, b.endsAt)
      const eventId = b.id ?? randomUUID()
      return send(
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
      return send(request, reply, request.params.id, 'UPDATE', {
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
    async (request, reply) => {
      await checkEventOwnership(context, request.principal, request.params.id)
      const at = request.body?.publishAt
      return send(request, reply, request.params.id, 'PUBLISH', {
        publish: { publishAtMs: at !== undefined ? ms(at) : null },
      })
    },
  )

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
      return send(request, reply, request.params.id, 'RESCHEDULE', {
        reschedule: { startsAtMs: ms(b.startsAt), endsAtMs: ms(b.endsAt), place: b.place },
      })
    },
  )

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
    async (request, reply) => {
      await checkEventOwnership(context, request.principal, request.params.id)
      return send(request, reply, request.params.id, 'CANCEL', {
        cancel: { reason: request.body?.reason ?? null },
      })
    },
  )

  const priceOptionLoader =
    (eventId: string, viewer: Viewer) =>
    async (optionId: string, outcome: Parameters<typeof reflects>[1]) => {
      const event: EventDetails | undefined = await context.readModel.getEvent(eventId, viewer)
      if (event === undefined || !reflects(event, outcome)) return undefined
      return event.priceOptions.find((p) => p.id === optionId)
    }
  const priceOptionInput = (id: string, b: PriceOptionBody) => {
    if (b.validFrom !== undefined && b.validUntil !== undefined && ms(b.validUntil) <= ms(b.validFrom))
      throw new ApiError('VALIDATION_FAILED', 'validUntil must be after validFrom', {
        details: { in: 'body' },
      })
    return {
      priceOptionId: id,
      name: b.name,
      priceMinor: b.priceMinor,
      allotment: b.allotment,
      validFromMs: b.validFrom !== undefined ? ms(b.validFrom) : null,
      validUntilMs: b.validUntil !== undefined ? ms(b.validUntil) : null,
    }
  }
  const OptionParams = Type.Object({ id: Id, optionId: Id }, { additionalProperties: false })

  app.post<{ Params: { id: string }; Body: PriceOptionBody }>(
    '/events/:id/price-options',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: 'Add a price option (up to 10)',
        params: IdParams,
        headers: CommandHeaders,
        body: PriceOptionBody,
        response: { 201: PriceOptionView, 202: Accepted },
      },
    },
    async (request, reply) => {
      await checkEventOwnership(context, request.principal, request.params.id)
      const optionId = request.body.id ?? randomUUID()
      return send(
        request,
        reply,
        request.params.id,
        'ADD_PRICE_OPTION',
        { priceOption: priceOptionInput(optionId, request.body) },
        {
          resourceType: 'PRICE_OPTION',
          resourceId: optionId,
          successStatus: 201,
          load: priceOptionLoader(request.params.id, viewerOf(request.principal)),
        },
      )
    },
  )

  app.put<{ Params: { id: string; optionId: string }; Body: PriceOptionBody }>(
    '/events/:id/price-options/:optionId',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: 'Replace a price option',
        params: OptionParams,
        headers: CommandHeaders,
        body: PriceOptionBody,
        response: { 200: PriceOptionView, 202: Accepted },
      },
    },
    async (request, reply) => {
      await checkEventOwnership(context, request.principal, request.params.id)
      if (request.body.id !== undefined && request.body.id !== request.params.optionId)
        throw new ApiError('VALIDATION_FAILED', 'the body id differs from the path', {
          details: { in: 'body' },
        })
      const optionId = request.params.optionId
      return send(
        request,
        reply,
        request.params.id,
        'UPDATE_PRICE_OPTION',
        { priceOption: priceOptionInput(optionId, request.body) },
        {
          resourceType: 'PRICE_OPTION',
          resourceId: optionId,
          load: priceOptionLoader(request.params.id, viewerOf(request.principal)),
        },
      )
    },
  )

  app.delete<{ Params: { id: string; optionId: string } }>(
    '/events/:id/price-options/:optionId',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: 'Remove a price option without active bookings',
        params: OptionParams,
        headers: CommandHeaders,
        response: { 200: Outcome, 202: Accepted },
      },
    },
    async (request, reply) => {
      await checkEventOwnership(context, request.principal, request.params.id)
      return send(
        request,
        reply,
        request.params.id,
        'REMOVE_PRICE_OPTION',
        { removePriceOption: { priceOptionId: request.params.optionId } },
        {
          resourceType: 'PRICE_OPTION',
          resourceId: request.params.optionId,
          load: null,
        },
      )
    },
  )

  app.post<{ Params: { id: string }; Body: PromoBody }>(
    '/events/:id/promos',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: 'Create a promo code (at most 50 active)',
        params: IdParams,
        headers: CommandHeaders,
        body: PromoBody,
        response: { 201: Outcome, 202: Accepted },
      },
    },
    async (request, reply) => {
      await checkEventOwnership(context, request.principal, request.params.id)
      const b = request.body
      if (b.kind === 'PERCENTAGE' && b.value > 100)
        throw new ApiError('VALIDATION_FAILED', 'a PERCENTAGE promo is 1-100', {
          details: { in: 'body', field: 'value' },
        })
      const until = ms(b.validUntil)
      if (until > Date.now() + 366 * 24 * 3600 * 1000)
        throw new ApiError('VALIDATION_FAILED', 'validUntil is at most one year ahead', {
          details: { in: 'body', field: 'validUntil' },
        })
      if (b.validFrom !== undefined && ms(b.validFrom) >= until)
        throw new ApiError('VALIDATION_FAILED', 'validUntil must be after validFrom', {
          details: { in: 'body' },
        })
      return send(
        request,
        reply,
        request.params.id,
        'CREATE_PROMO_CODE',
        {
          createPromoCode: {
            code: b.code,
            kind: b.kind,
            value: b.value,
            usageLimit: b.usageLimit,
            validFromMs: b.validFrom !== undefined ? ms(b.validFrom) : null,
            validUntilMs: until,
          },
        },
        { resourceType: 'PROMO_CODE', resourceId: b.code, successStatus: 201, load: null },
      )
    },
  )

  app.delete<{ Params: { id: string; code: string } }>(
    '/events/:id/promos/:code',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: 'Deactivate a promo code',
        params: Type.Object(
          { id: Id, code: Type.String({ pattern: '^[A-Z0-9]{3,20}$' }) },
          { additionalProperties: false },
        ),
        headers: CommandHeaders,
        response: { 200: Outcome, 202: Accepted },
      },
    },
    async (request, reply) => {
      await checkEventOwnership(context, request.principal, request.params.id)
      return send(
        request,
        reply,
        request.params.id,
        'DEACTIVATE_PROMO_CODE',
        { deactivatePromoCode: { code: request.params.code } },
        {
          resourceType: 'PROMO_CODE',
          resourceId: request.params.code,
          load: null,
        },
      )
    },
  )

  app.put<{ Params: { id: string }; Body: RefundPolicyBody }>(
    '/events/:id/refund-policy',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: "Set the event's own refund policy",
        description:
          'Tiers of distinct hours before the start; the first one whose hours are reached applies.',
        params: IdParams,
        headers: CommandHeaders,
        body: RefundPolicyBody,
        response: eventResponses(200),
      },
    },
    async (request, reply) => {
      await checkEventOwnership(context, request.principal, request.params.id)
      const tiers = request.body.tiers
      if (new Set(tiers.map((tier) => tier.minHoursBeforeStart)).size !== tiers.length)
        throw new ApiError('VALIDATION_FAILED', 'tier hours must be distinct', {
          details: { in: 'body', field: 'tiers' },
        })
      return send(
        request,
        reply,
        request.params.id,
        'SET_REFUND_POLICY',
        {
          refundPolicy: {
            tiers: tiers.map((tier) => ({
              minHoursBeforeStart: tier.minHoursBeforeStart,
              percent: tier.percent,
            })),
          },
        },
        { resourceType: 'REFUND_POLICY' },
      )
    },
  )

  app.post<{ Params: { id: string }; Body: CrewRequestBody }>(
    '/events/:id/crew',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: 'Ask the crew service for a crew member',
        params: IdParams,
        headers: CommandHeaders,
        body: CrewRequestBody,
        response: { 201: Outcome, 202: Accepted },
      },
    },
    async (request, reply) => {
      await checkEventOwnership(context, request.principal, request.params.id)
      const role = request.body.role
      const id = request.body.id
      return send(
        request,
        reply,
        request.params.id,
        'REQUEST_CREW',
        (crewRequestId) => ({ crewRequest: { crewRequestId, role } }),
        {
          resourceType: 'CREW_REQUEST',
          resourceId: id ?? ((fresh) => fresh),
          successStatus: 201,
          load: null,
        },
      )
    },
  )

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
      return send(request, reply, request.params.id, 'RESTORE_SCHEDULE', {})
    },
  )
}

function checkWindow(startsAt: string, endsAt: string): void {
  if (ms(endsAt) <= ms(startsAt))
    throw new ApiError('VALIDATION_FAILED', 'endsAt must be after startsAt', {
      details: { in: 'body', field: 'endsAt' },
    })
}
