import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { produceFavoriteChange } from '../analytics-facts.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import { EventSummary, IdParams, PageOf, PageQuery } from '../schemas.ts'
import { SIGNED_IN, viewerOf } from './route-support.ts'

const Favorite = Type.Object({ event: EventSummary, favoritedAt: Type.String() })
const FavoriteState = Type.Object({
  eventId: Type.String(),
  favorite: Type.Boolean(),
  changed: Type.Boolean(),
})

/**
 * Private favorites (guests have none); stored by the read model directly, idempotent. Each actual change
 * is also produced on `aquastream.favorites.v1` for analytics.
 */
export async function favoriteRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.get<{ Querystring: { page: number; size: number } }>(
    '/favorites',
    {
      config: { roles: SIGNED_IN },
      schema: {
        tags: ['favorites'],
        summary: 'My favorites, newest first',
        querystring: PageQuery,
        response: { 200: PageOf(Favorite) },
      },
    },
    async (request) => context.readModel.listFavorites(request.principal.userId!, request.query),
  )

  app.post<{ Params: { id: string } }>(
    '/events/:id/favorite',
    {
      config: { roles: SIGNED_IN },
      schema: {
        tags: ['favorites'],
        summary: 'Mark an event as a favorite',
        params: IdParams,
        response: { 200: FavoriteState, 201: FavoriteState },
      },
    },
    async (request, reply) => {
      const eventId = request.params.id
      if ((await context.readModel.getEvent(eventId, viewerOf(request.principal))) === undefined)
        throw new ApiError('EVENT_NOT_FOUND', `no event ${eventId}`)
      const changed = await context.readModel.addFavorite(request.principal.userId!, eventId)
      if (changed) await produceFavoriteChange(context.commands, request.log, request, eventId, 'ADDED')
      return reply.code(changed ? 201 : 200).send({ eventId, favorite: true, changed })
    },
  )

  app.delete<{ Params: { id: string } }>(
    '/events/:id/favorite',
    {
      config: { roles: SIGNED_IN },
      schema: {
        tags: ['favorites'],
        summary: 'Remove a favorite',
        params: IdParams,
        response: { 200: FavoriteState },
      },
    },
    async (request) => {
      const changed = await context.readModel.removeFavorite(request.principal.userId!, request.params.id)
      if (changed)
        await produceFavoriteChange(context.commands, request.log, request, request.params.id, 'REMOVED')
      return { eventId: request.params.id, favorite: false, changed }
    },
  )
}
