/**
 * An event's price options (up to 10): add, replace, remove. The processors keep the allotments within the
 * capacity and refuse removing an option that active bookings hold.
 */
import type { FastifyInstance } from 'fastify'
import { freshId } from '../command-flow.ts'
import { Type } from '@sinclair/typebox'
import type { Viewer } from '../../read-models/catalog/index.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import { reflects } from '../command-flow.ts'
import {
  Accepted,
  CommandHeaders,
  Id,
  IdParams,
  Outcome,
  PriceOptionBody,
  PriceOptionView,
} from '../schemas.ts'
import { submitEventCommand, type Decision } from './event-command-flow.ts'
import { checkEventOwnership, MANAGERS, ms, viewerOf } from './route-support.ts'

const OptionParams = Type.Object({ id: Id, optionId: Id }, { additionalProperties: false })

/** POST /events/{id}/price-options, PUT and DELETE /events/{id}/price-options/{optionId}. */
export async function priceOptionRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  addPriceOption(app, context)
  replacePriceOption(app, context)
  removePriceOption(app, context)
}

/** What `Prefer: wait` answers with: the option as the projected event shows it after the decision. */
const priceOptionLoader =
  (context: ApiContext, eventId: string, viewer: Viewer) => async (optionId: string, outcome: Decision) => {
    const event = await context.readModel.getEvent(eventId, viewer)
    if (event === undefined || !reflects(event, outcome)) return undefined
    return event.priceOptions.find((p) => p.id === optionId)
  }

/** The command's option; 400 when its validity window ends before it starts. */
function priceOptionInput(id: string, b: PriceOptionBody) {
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

/** POST /events/{id}/price-options: 201 with the option. */
function addPriceOption(app: FastifyInstance, context: ApiContext): void {
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
      const optionId = request.body.id ?? freshId(request, 'price-option')
      return submitEventCommand(
        context,
        request,
        reply,
        request.params.id,
        'ADD_PRICE_OPTION',
        { priceOption: priceOptionInput(optionId, request.body) },
        {
          resourceType: 'PRICE_OPTION',
          resourceId: optionId,
          successStatus: 201,
          load: priceOptionLoader(context, request.params.id, viewerOf(request.principal)),
        },
      )
    },
  )
}

/** PUT /events/{id}/price-options/{optionId}: the whole option replaced. */
function replacePriceOption(app: FastifyInstance, context: ApiContext): void {
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
      return submitEventCommand(
        context,
        request,
        reply,
        request.params.id,
        'UPDATE_PRICE_OPTION',
        { priceOption: priceOptionInput(optionId, request.body) },
        {
          resourceType: 'PRICE_OPTION',
          resourceId: optionId,
          load: priceOptionLoader(context, request.params.id, viewerOf(request.principal)),
        },
      )
    },
  )
}

/** DELETE /events/{id}/price-options/{optionId}: only an option without active bookings. */
function removePriceOption(app: FastifyInstance, context: ApiContext): void {
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
      return submitEventCommand(
        context,
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
}
