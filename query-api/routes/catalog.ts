import type { FastifyInstance } from 'fastify'
import type { EventStatus } from '../../avro/index.ts'
import { produceView } from '../analytics-facts.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import type {
  EventDetails as EventDetailsView,
  EventSearch,
  EventSortField,
} from '../../read-models/catalog/index.ts'
import type { Principal } from '../auth.ts'
import {
  BookingView,
  EventDetails,
  EventSummary,
  IdParams,
  PageOf,
  BookingListQuery,
  bookingListRequest,
  SearchPageOf,
  SearchQuery,
} from '../schemas.ts'
import { ANYONE, checkEventOwnership, MANAGERS, sendWithEtag, serialize, viewerOf } from './route-support.ts'

const STATUSES: readonly EventStatus[] = [
  'DRAFT',
  'PUBLISHED',
  'RESCHEDULED',
  'CANCELED',
  'COMPLETED',
  'REVIEWED',
]

/** Guests and users see the same catalog: their answers are cached; organizers and admins read through. */
const cacheable = (role: string) => role === 'guest' || role === 'user'

export async function catalogRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.get<{ Querystring: SearchQuery }>(
    '/events',
    {
      config: { roles: ANYONE },
      schema: {
        tags: ['catalog'],
        summary: 'Search the catalog',
        description:
          'Full-text `q` (Russian and English stemming), filters, `sort=field,dir` (default `relevance` with `q`), pages from 0 or a keyset `cursor` (the `nextCursor` of the page before). `total` is exact up to 1,000 matches; beyond, `totalIsEstimate` is true. Guests and users see PUBLISHED and RESCHEDULED events (and other public statuses on request); drafts only their organizer and admins.',
        querystring: SearchQuery,
        response: {
          200: SearchPageOf(EventSummary),
          304: { type: 'null', description: 'Not modified (If-None-Match)' },
        },
      },
    },
    async (request, reply) => {
      const search = eventSearchOf(request.query)
      const viewer = viewerOf(request.principal)
      if (!cacheable(viewer.role))
        return sendWithEtag(request, reply, serialize(await context.readModel.searchEvents(search, viewer)))
      // Guests' `q` and `place` match only what guests see (not the exact meeting point): such a search
      // has an answer per audience; any other is the same for guests and users.
      const audience = search.q === undefined && search.place === undefined ? 'all' : viewer.role
      const key = `search:${audience}:${JSON.stringify(search)}`
      const { hit, generation } = await context.cache.get('catalog', key)
      context.metrics.cache.inc({ result: hit ? 'hit' : 'miss' })
      if (hit) return sendWithEtag(request, reply, hit)
      const fresh = serialize(
        await context.readModel.searchEvents(
          search,
          viewer.role === 'user' ? { role: 'user' } : { role: 'guest' },
        ),
      )
      await context.cache.set('catalog', generation, key, fresh)
      return sendWithEtag(request, reply, fresh)
    },
  )

  app.get<{ Params: IdParamsType }>(
    '/events/:id',
    {
      config: { roles: ANYONE },
      schema: {
        tags: ['catalog'],
        summary: 'One event',
        description:
          'Guests get reduced details (no exact meeting point, no crew). Drafts: their organizer and admins only.',
        params: IdParams,
        response: { 200: EventDetails, 304: { type: 'null', description: 'Not modified (If-None-Match)' } },
      },
    },
    async (request, reply) => {
      const id = request.params.id
      const viewer = viewerOf(request.principal)
      const load = async () => {
        const event = await context.readModel.getEvent(
          id,
          viewer.role === 'user' ? { role: 'user', userId: 'any' } : viewer,
        )
        if (event === undefined) throw new ApiError('EVENT_NOT_FOUND', `no event ${id}`)
        return serialize(event)
      }
      if (!cacheable(viewer.role)) {
        const event = await findEvent(context, request.principal, id)
        produceView(context.commands, request.log, request, id)
        return sendWithEtag(request, reply, serialize(event))
      }
      const tag = `event:${id}`
      const { hit, generation } = await context.cache.get(tag, viewer.role)
      context.metrics.cache.inc({ result: hit ? 'hit' : 'miss' })
      if (hit) {
        produceView(context.commands, request.log, request, id)
        return sendWithEtag(request, reply, hit)
      }
      const fresh = await load()
      await context.cache.set(tag, generation, viewer.role, fresh)
      produceView(context.commands, request.log, request, id)
      return sendWithEtag(request, reply, fresh)
    },
  )

  app.get<{ Params: IdParamsType; Querystring: { page: number; size: number; status?: string } }>(
    '/events/:id/bookings',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: "An event's bookings (its organizer, admins)",
        description:
          'The bookings that held seats (an organizer who sold 30 seats to 300 hopefuls sees 30); refused requests (REJECTED) only with `status=REJECTED`.',
        params: IdParams,
        querystring: BookingListQuery,
        response: { 200: PageOf(BookingView) },
      },
    },
    async (request) => {
      const event = await checkEventOwnership(context, request.principal, request.params.id)
      if (event === undefined) throw new ApiError('EVENT_NOT_FOUND', `no event ${request.params.id}`)
      return context.readModel.listEventBookings(request.params.id, bookingListRequest(request.query))
    },
  )
}

type IdParamsType = { id: string }

/** The read model's search of a validated catalog query (`SearchQuery`); 400 for an unknown status. */
export function eventSearchOf(q: SearchQuery): EventSearch {
  return {
    ...(q.q !== undefined && q.q.trim() !== '' ? { q: q.q } : {}),
    ...(q.category !== undefined ? { category: q.category } : {}),
    ...(q.from !== undefined ? { from: new Date(q.from) } : {}),
    ...(q.to !== undefined ? { to: new Date(q.to) } : {}),
    ...(q.priceMin !== undefined ? { priceMin: q.priceMin } : {}),
    ...(q.priceMax !== undefined ? { priceMax: q.priceMax } : {}),
    ...(q.place !== undefined ? { place: q.place } : {}),
    ...(q.hasSeats !== undefined ? { hasSeats: q.hasSeats } : {}),
    ...(q.minRating !== undefined ? { minRating: q.minRating } : {}),
    ...(q.organizerId !== undefined ? { organizerId: q.organizerId } : {}),
    ...(q.status !== undefined ? { status: parseStatuses(q.status) } : {}),
    ...(q.sort !== undefined ? { sort: parseSort(q.sort) } : {}),
    ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
    page: q.page,
    size: q.size,
  }
}

/** One event as the caller may see it (reduced for guests, drafts for their organizer and admins); 404 otherwise. */
export async function findEvent(
  context: ApiContext,
  principal: Principal,
  id: string,
): Promise<EventDetailsView> {
  const event = await context.readModel.getEvent(id, viewerOf(principal))
  if (event === undefined) throw new ApiError('EVENT_NOT_FOUND', `no event ${id}`)
  return event
}

function parseStatuses(raw: string): EventStatus[] {
  const out = raw.split(',') as EventStatus[]
  const bad = out.filter((s) => !STATUSES.includes(s))
  if (bad.length > 0)
    throw new ApiError('VALIDATION_FAILED', `unknown status ${bad.join(', ')}`, {
      details: { in: 'querystring', allowed: STATUSES },
    })
  return out
}

function parseSort(raw: string): { field: EventSortField; dir: 'asc' | 'desc' } {
  const [field, dir] = raw.split(',') as [EventSortField, 'asc' | 'desc' | undefined]
  return { field, dir: dir ?? 'asc' }
}
