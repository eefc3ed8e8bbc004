/**
 * The PDF ticket of a confirmed booking: GET /bookings/{id}/ticket.pdf, for whoever may see the booking
 * (its user, the event's organizer, admins: booking-access.ts; anyone else gets the 404 of
 * GET /bookings/{id}). Rendering is query-api/tickets/ticket-pdf.ts.
 */
import type { FastifyInstance } from 'fastify'
import type { Principal } from '../auth.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import { IdParams } from '../schemas.ts'
import { DEFAULT_EVENT_TIME_ZONE } from '../tickets/event-time.ts'
import { renderTicketPdf, type TicketData } from '../tickets/ticket-pdf.ts'
import type { BookingView, EventDetails } from '../../read-models/catalog/index.ts'
import { visibleBooking } from './booking-access.ts'
import { ADMIN_VIEWER, SIGNED_IN } from './route-support.ts'

/** Every ticket route. */
export async function ticketRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.get<{ Params: { id: string } }>(
    '/bookings/:id/ticket.pdf',
    {
      config: { roles: SIGNED_IN },
      schema: {
        tags: ['bookings'],
        summary: 'The PDF ticket of a confirmed booking (its user, the organizer, admins)',
        description:
          "One A4 page: the event's title, its start and end in Moscow time (the zone and its offset printed beside them), the full place with the meeting point, the holder (the user ID), seats, the price option and the ticket code as text and as a QR code. 409 TICKET_NOT_AVAILABLE unless the booking is CONFIRMED with a ticket code; 404 BOOKING_NOT_FOUND for anyone but its user, the event's organizer and admins, as GET /bookings/{id}.",
        params: IdParams,
        produces: ['application/pdf'],
        response: {
          200: {
            description: 'The ticket (`Content-Disposition: attachment; filename="ticket-<bookingId>.pdf"`)',
            content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
          },
        },
      },
    },
    async (request, reply) => {
      const { booking, event } = await ticketedBooking(context, request.principal, request.params.id)
      if (booking.status !== 'CONFIRMED' || booking.ticketCode === null)
        throw notAvailable(booking, 'only a CONFIRMED booking has a ticket')
      const pdf = await renderTicketPdf(ticketData(booking, event, booking.ticketCode))
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="ticket-${booking.id}.pdf"`)
        .header('cache-control', 'private, no-store')
        .send(pdf)
    },
  )
}

/**
 * A booking the caller may see (else 404 BOOKING_NOT_FOUND) with its event in full, place included, as
 * its holder is entitled to it. 409 TICKET_NOT_AVAILABLE while the read model does not know the event yet.
 */
export async function ticketedBooking(
  context: ApiContext,
  principal: Principal,
  id: string,
): Promise<{ booking: BookingView; event: EventDetails }> {
  const booking = await visibleBooking(context, principal, id)
  const event = await context.readModel.getEvent(booking.eventId, ADMIN_VIEWER)
  if (event === undefined) throw notAvailable(booking, 'the event of the booking is not known yet')
  return { booking, event }
}

/** 409 TICKET_NOT_AVAILABLE for `booking`, with its status in the details. */
export function notAvailable(booking: BookingView, message: string): ApiError {
  return new ApiError('TICKET_NOT_AVAILABLE', message, {
    details: { bookingId: booking.id, status: booking.status },
  })
}

function ticketData(booking: BookingView, event: EventDetails, ticketCode: string): TicketData {
  return {
    bookingId: booking.id,
    eventId: event.id,
    eventTitle: event.title,
    startsAt: event.startsAt,
    endsAt: event.endsAt,
    timeZone: DEFAULT_EVENT_TIME_ZONE,
    place: event.place ?? event.area,
    holder: booking.userId,
    // The confirmed seats: a pending top-up's seats are not paid for yet.
    seats: booking.seats - (booking.topUpSeats ?? 0),
    priceOption: event.priceOptions.find((o) => o.id === booking.priceOptionId)?.name ?? null,
    ticketCode,
  }
}
