/**
 * Calendar files (RFC 5545, query-api/tickets/calendar-ics.ts): GET /events/{id}/calendar.ics for whoever
 * may see the event (guests too, with the place reduced to its area exactly as GET /events/{id} reduces
 * it), GET /bookings/{id}/calendar.ics for whoever may see the booking (its user, the event's organizer,
 * admins: the same rule and the same 404 as its ticket), with the full meeting point.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import { IdParams } from '../schemas.ts'
import { bookingCalendarEntry, eventCalendarEntry, renderCalendar } from '../tickets/calendar-ics.ts'
import { ANYONE, SIGNED_IN, viewerOf } from './route-support.ts'
import { notAvailable, ticketedBooking } from './tickets.ts'

const CALENDAR_RESPONSE = {
  200: {
    description: 'An iCalendar file (`text/calendar; charset=utf-8`, an attachment)',
    content: { 'text/calendar': { schema: { type: 'string' } } },
  },
}

/** Every calendar route. */
export async function calendarRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.get<{ Params: { id: string } }>(
    '/events/:id/calendar.ics',
    {
      config: { roles: ANYONE },
      schema: {
        tags: ['catalog'],
        summary: 'The event as an iCalendar file',
        description:
          'One VEVENT, `METHOD:PUBLISH`: UID `<eventId>@aquastream`, DTSTART/DTEND in UTC, SEQUENCE = the event version (it grows on every reschedule), STATUS CANCELLED for a canceled event. Guests get the area as LOCATION, not the meeting point (as GET /events/{id}); drafts only their organizer and admins (404 EVENT_NOT_FOUND otherwise).',
        params: IdParams,
        produces: ['text/calendar'],
        response: CALENDAR_RESPONSE,
      },
    },
    async (request, reply) => {
      const id = request.params.id
      const event = await context.readModel.getEvent(id, viewerOf(request.principal))
      if (event === undefined) throw new ApiError('EVENT_NOT_FOUND', `no event ${id}`)
      return sendCalendar(reply, renderCalendar(eventCalendarEntry(event)), `event-${id}.ics`)
    },
  )

  app.get<{ Params: { id: string } }>(
    '/bookings/:id/calendar.ics',
    {
      config: { roles: SIGNED_IN },
      schema: {
        tags: ['bookings'],
        summary: "The booking's calendar entry (its user, the organizer, admins)",
        description:
          "One VEVENT, `METHOD:PUBLISH`: UID `<bookingId>.booking@aquastream`, the event's times in UTC, the full meeting point, seats and price option; SEQUENCE = event version + booking version (it grows on every reschedule); STATUS CANCELLED once the booking or the event is canceled. No ticket code. 409 TICKET_NOT_AVAILABLE for a booking never confirmed (PENDING_PAYMENT, REJECTED, EXPIRED); 404 BOOKING_NOT_FOUND for anyone but its user, the event's organizer and admins.",
        params: IdParams,
        produces: ['text/calendar'],
        response: CALENDAR_RESPONSE,
      },
    },
    async (request, reply) => {
      const { booking, event } = await ticketedBooking(context, request.principal, request.params.id)
      if (booking.status !== 'CONFIRMED' && booking.status !== 'CANCELED')
        throw notAvailable(booking, 'only a CONFIRMED (or a canceled) booking has a calendar entry')
      return sendCalendar(
        reply,
        renderCalendar(bookingCalendarEntry(booking, event)),
        `booking-${booking.id}.ics`,
        {
          private: true,
        },
      )
    },
  )
}

function sendCalendar(
  reply: FastifyReply,
  text: string,
  filename: string,
  options: { private?: boolean } = {},
): FastifyReply {
  return reply
    .type('text/calendar; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .header('cache-control', options.private === true ? 'private, no-store' : 'private, no-cache')
    .send(Buffer.from(text, 'utf8'))
}
