/**
 * Booking exports and search: an event's participants as CSV (its organizer, admins) and the admins'
 * booking search across events. Every export is audited, whoever reads it (`auditTrail.export`); admin
 * reads are audited anyway (audit.ts).
 */
import type { FastifyInstance } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { toCsv } from '../../read-models/analytics/index.ts'
import type { BookingStatus, BookingView as Booking } from '../../read-models/catalog/index.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import { BookingView, Id, IdParams, Instant, PageOf } from '../schemas.ts'
import { ADMINS, checkEventOwnership, MANAGERS } from './route-support.ts'

const STATUS = '(PENDING_PAYMENT|CONFIRMED|CANCELED|EXPIRED|REJECTED)'
const Statuses = Type.String({
  maxLength: 100,
  pattern: `^${STATUS}(,${STATUS})*$`,
  description: 'Comma-separated booking statuses',
})

const ParticipantsQuery = Type.Object(
  {
    status: Type.Optional({
      ...Statuses,
      description: 'Comma-separated booking statuses; default CONFIRMED',
    }),
  },
  { additionalProperties: false },
)

const BookingSearchQuery = Type.Object(
  {
    userId: Type.Optional(Id),
    eventId: Type.Optional(Id),
    status: Type.Optional(Statuses),
    from: Type.Optional({ ...Instant, description: 'created at or after' }),
    to: Type.Optional({ ...Instant, description: 'created before' }),
    page: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
    size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  },
  { additionalProperties: false },
)

/** The participants export's columns: who holds seats, never the ticket code (it checks a guest in). */
const PARTICIPANT_COLUMNS = [
  'id',
  'userId',
  'status',
  'priceOptionId',
  'seats',
  'amountMinor',
  'paidMinor',
  'refundedMinor',
  'promoCode',
  'checkedInSeats',
  'firstCheckedInAt',
  'createdAt',
  'updatedAt',
] as const satisfies readonly (keyof Booking)[]

const statusesOf = (list: string | undefined, fallback: BookingStatus[]): BookingStatus[] =>
  list === undefined ? fallback : (list.split(',') as BookingStatus[])

/** GET /events/{id}/participants.csv and GET /admin/bookings. */
export async function bookingExportRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.get<{ Params: { id: string }; Querystring: Static<typeof ParticipantsQuery> }>(
    '/events/:id/participants.csv',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: "An event's participants as CSV (its organizer, admins); audited",
        description: `The event's bookings (CONFIRMED unless \`status\` asks for others), oldest first, as text/csv: ${PARTICIPANT_COLUMNS.join(', ')}. 404 EVENT_NOT_FOUND for an unknown event or another organizer's draft, 403 for another organizer's event. Every export is an audit record.`,
        params: IdParams,
        querystring: ParticipantsQuery,
        response: {
          200: {
            description: 'The participants, one row per booking',
            content: { 'text/csv': { schema: Type.String() } },
          },
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      request.auditTrail = { export: true }
      const event = await checkEventOwnership(context, request.principal, id)
      if (event === undefined) throw new ApiError('EVENT_NOT_FOUND', `no event ${id}`)
      const rows = await context.readModel.exportEventBookings(
        id,
        statusesOf(request.query.status, ['CONFIRMED']),
      )
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="event-${id}-participants.csv"`)
        .header('cache-control', 'private, no-store')
        .send(toCsv(rows, PARTICIPANT_COLUMNS))
    },
  )

  app.get<{ Querystring: Static<typeof BookingSearchQuery> }>(
    '/admin/bookings',
    {
      config: { roles: ADMINS },
      schema: {
        tags: ['admin'],
        summary: 'Booking search across events (admins, with a second factor); audited',
        description:
          'Every filter narrows: the user, the event, statuses, the creation time [from, to). Newest first, paged; each filter is served by an index.',
        querystring: BookingSearchQuery,
        response: { 200: PageOf(BookingView) },
      },
    },
    async (request) => {
      const { status, ...query } = request.query
      return context.readModel.searchBookings({
        ...query,
        ...(status === undefined ? {} : { status: statusesOf(status, []) }),
      })
    },
  )
}
