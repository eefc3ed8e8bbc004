/**
 * The stats routes over the analytics read model's queries (ClickHouse aggregates): organizers see their
 * own events, admins all. `Accept: text/csv` exports the same data as CSV (the series; per-event rows for /stats/events).
 * Admins narrow any of them to one organizer with `organizerId`. A CSV export is audited, whoever reads it.
 * Attendance is checked-in seats / confirmed seats from the check-in facts (read-models/analytics/attendance.ts):
 * one event's under `attendance` of GET /events/{id}/stats (with its no-shows once it has ended, and
 * `fillRate` = seats taken / capacity, what "attendance" meant before check-ins), an organizer's or the
 * platform's under `attendance` of GET /stats/events (per organizer and per event too).
 * Mounted by passing `statsRoutes(queries)` in `plugins` of buildApp / startApi.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import type { RoutePlugin } from '../app.ts'
import type { ApiContext } from '../context.ts'
import {
  checkRange,
  type DateRange,
  type StatsQueries,
  type StatsViewer,
  toCsv,
} from '../../read-models/analytics/index.ts'
import { ApiError } from '../errors.ts'
import { Id, IdParams } from '../schemas.ts'
import { MANAGERS } from './route-support.ts'

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })
const StatsQuery = Type.Object(
  {
    from: Type.Optional(Day),
    to: Type.Optional(Day),
    granularity: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], {
      default: 'day',
    }),
    eventId: Type.Optional(Id),
    organizerId: Type.Optional({
      ...Id,
      description: "admins: one organizer's events only (an organizer may name only themselves)",
    }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
)
type StatsQuery = Static<typeof StatsQuery>

const Json = Type.Object(
  {},
  { additionalProperties: true, description: 'JSON, or CSV with Accept: text/csv' },
)

/**
 * Whose events the stats cover: an organizer's own; an admin's, every organizer's, or one organizer's with
 * `organizerId` (an organizer naming another organizer: 403).
 */
function viewerOf(request: FastifyRequest): StatsViewer {
  const asked = (request.query as { organizerId?: string } | undefined)?.organizerId
  if (request.principal.role === 'admin')
    return asked === undefined ? { role: 'ADMIN' } : { role: 'ORGANIZER', organizerId: asked }
  const own = request.principal.userId!
  if (asked !== undefined && asked !== own)
    throw new ApiError('FORBIDDEN', "organizers see their own events' stats only", {
      details: { organizerId: asked },
    })
  return { role: 'ORGANIZER', organizerId: own }
}

/** The requested range: default the last 30 days up to today (UTC). */
function rangeOf(query: StatsQuery): DateRange {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
  const to = query.to ?? day(Date.now())
  const from = query.from ?? day(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000)
  const range = { from, to }
  checkRange(range, query.granularity)
  return range
}

const wantsCsv = (request: FastifyRequest) => /\btext\/csv\b/.test(String(request.headers.accept ?? ''))

function answer(
  request: FastifyRequest,
  reply: FastifyReply,
  json: unknown,
  rows: readonly object[],
  name: string,
) {
  if (!wantsCsv(request)) return reply.send(json)
  request.auditTrail = { export: true }
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .send(toCsv(rows))
}

export function statsRoutes(queries: StatsQueries): RoutePlugin {
  return (app: FastifyInstance, _context: ApiContext) => {
    const schema = (summary: string, params?: typeof IdParams) => ({
      tags: ['stats'],
      summary,
      ...(params ? { params } : {}),
      querystring: StatsQuery,
      response: { 200: Json },
    })
    app.get<{ Params: { id: string }; Querystring: StatsQuery }>(
      '/events/:id/stats',
      {
        config: { roles: MANAGERS },
        schema: schema(
          "One event's stats (its organizer, admins): series, totals, attendance and no-shows",
          IdParams,
        ),
      },
      async (request, reply) => {
        const stats = await queries.eventStats(
          viewerOf(request),
          request.params.id,
          rangeOf(request.query),
          request.query.granularity,
        )
        return answer(request, reply, stats, stats.series, `event-${request.params.id}-stats`)
      },
    )
    app.get<{ Querystring: StatsQuery }>(
      '/stats/events',
      {
        config: { roles: MANAGERS },
        schema: schema('Stats of every visible event; attendance per organizer, platform-wide and per event'),
      },
      async (request, reply) => {
        const q = request.query
        const stats = await queries.eventsStats(
          viewerOf(request),
          rangeOf(q),
          q.granularity,
          q.limit !== undefined ? { limit: q.limit } : {},
        )
        return answer(request, reply, stats, stats.events, 'events-stats')
      },
    )
    app.get<{ Querystring: StatsQuery }>(
      '/stats/bookings',
      { config: { roles: MANAGERS }, schema: schema('Bookings by status per period') },
      async (request, reply) => {
        const q = request.query
        const rows = await queries.bookingStats(
          viewerOf(request),
          rangeOf(q),
          q.granularity,
          q.eventId ? { eventId: q.eventId } : {},
        )
        return answer(request, reply, { items: rows }, rows, 'booking-stats')
      },
    )
    app.get<{ Querystring: StatsQuery }>(
      '/stats/conversions',
      { config: { roles: MANAGERS }, schema: schema('The conversion funnel per period') },
      async (request, reply) => {
        const q = request.query
        const rows = await queries.conversions(
          viewerOf(request),
          rangeOf(q),
          q.granularity,
          q.eventId ? { eventId: q.eventId } : {},
        )
        return answer(request, reply, { items: rows }, rows, 'conversions')
      },
    )
    app.get<{ Querystring: StatsQuery }>(
      '/stats/reviews',
      {
        config: { roles: MANAGERS },
        schema: schema('Reviews: average rating over time, helpful votes, review rate (reviews / attendees)'),
      },
      async (request, reply) => {
        const q = request.query
        const stats = await queries.reviewStats(
          viewerOf(request),
          rangeOf(q),
          q.granularity,
          q.eventId ? { eventId: q.eventId } : {},
        )
        return answer(request, reply, stats, stats.series, 'review-stats')
      },
    )
  }
}
