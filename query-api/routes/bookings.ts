/**
 * Bookings: a user books, reads, cancels, changes seats and re-confirms after a schedule change (paying is in
 * payments.ts); the event's organizer reads and cancels the bookings of their events. Writes are BookingCommands keyed by
 * the event; the booking method group has its own, tighter rate limit. Who may do what: booking-access.ts.
 */
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { submitCommand } from '../command-flow.ts'
import type { ApiContext } from '../context.ts'
import {
  Accepted,
  BookingView,
  CancelBookingBody,
  ChangeSeatsBody,
  CommandHeaders,
  CreateBookingBody,
  IdParams,
  PageOf,
  BookingListQuery,
  BookingWithRefunds,
  bookingListRequest,
} from '../schemas.ts'
import { bookingToChange, visibleBooking } from './booking-access.ts'
import {
  bookingRequestPlan,
  cancelBookingPlan,
  changeSeatsPlan,
  submitBookingCommand,
} from './booking-command-flow.ts'
import { SIGNED_IN } from './route-support.ts'

/** Every /bookings route. */
export async function bookingRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  requestBooking(app, context)
  listMyBookings(app, context)
  readBooking(app, context)
  cancelBooking(app, context)
  changeSeats(app, context)
  reconfirmBooking(app, context)
  reissueTicket(app, context)
}

/** POST /bookings: a booking request for the caller or (admins) another user; 201 with the booking. */
function requestBooking(app: FastifyInstance, context: ApiContext): void {
  app.post<{ Body: CreateBookingBody }>(
    '/bookings',
    {
      config: { roles: SIGNED_IN, rateLimit: context.bookingRateLimit },
      schema: {
        tags: ['bookings'],
        summary: 'Book seats',
        description:
          'Answers 202 with the request ID and the new booking ID; with `Prefer: wait=N` the decision: 201 with the booking, or 409 NO_AVAILABLE_SEATS, 422 EVENT_NOT_BOOKABLE, … (docs/errors.md). `Idempotency-Key` makes a retry safe.',
        headers: CommandHeaders,
        body: CreateBookingBody,
        response: { 201: BookingView, 202: Accepted },
      },
    },
    async (request, reply) =>
      submitCommand(
        context,
        request,
        reply,
        bookingRequestPlan(context, request.principal, String(request.id), request.body),
      ),
  )
}

/** GET /bookings: the caller's own bookings. */
function listMyBookings(app: FastifyInstance, context: ApiContext): void {
  app.get<{ Querystring: { page: number; size: number; status?: string } }>(
    '/bookings',
    {
      config: { roles: SIGNED_IN },
      schema: {
        tags: ['bookings'],
        summary: 'My bookings, newest first',
        description: 'The bookings that held seats; refused requests (REJECTED) only with `status=REJECTED`.',
        querystring: BookingListQuery,
        response: { 200: PageOf(BookingView) },
      },
    },
    async (request) =>
      context.readModel.listUserBookings(request.principal.userId!, bookingListRequest(request.query)),
  )
}

/** GET /bookings/{id}: one booking, for whoever may see it (booking-access.ts). */
function readBooking(app: FastifyInstance, context: ApiContext): void {
  app.get<{ Params: { id: string } }>(
    '/bookings/:id',
    {
      config: { roles: SIGNED_IN },
      schema: {
        tags: ['bookings'],
        summary: 'One booking (its user, the organizer, admins), with its refunds',
        description:
          "`refunds`: the booking's refunds with their status (REQUESTED, COMPLETED, FAILED: retried with backoff), reason and attempts; `GET /bookings/{id}/payments` has its payments too.",
        params: IdParams,
        response: { 200: BookingWithRefunds },
      },
    },
    async (request, reply) => {
      const booking = await visibleBooking(context, request.principal, request.params.id)
      const { refunds } = await context.readModel.bookingPayments(booking.id)
      // A refund's status changes apart from the booking's facts: the tag covers both.
      const latest = refunds.reduce((at, r) => (r.updatedAt > at ? r.updatedAt : at), '')
      reply.header(
        'etag',
        `W/"${booking.version}${refunds.length > 0 ? `-${refunds.length}-${Date.parse(latest)}` : ''}"`,
      )
      return {
        ...booking,
        refunds: refunds.map((r) => ({
          id: r.id,
          status: r.status,
          amountMinor: r.amountMinor,
          currency: r.currency,
          reason: r.reason,
          attempts: r.attempts,
          updatedAt: r.updatedAt,
        })),
      }
    },
  )
}

/**
 * POST /bookings/{id}/cancel: by the booking's user, the event's organizer or an admin, the same rule as
 * the ledger's (`canActOnBooking`); the ledger decides the refund.
 */
function cancelBooking(app: FastifyInstance, context: ApiContext): void {
  app.post<{ Params: { id: string }; Body: { reason?: string; forceMajeure?: boolean } | undefined }>(
    '/bookings/:id/cancel',
    {
      config: { roles: SIGNED_IN, rateLimit: context.bookingRateLimit },
      schema: {
        tags: ['bookings'],
        summary: 'Cancel a booking (its user, the event organizer, admins; refund by the policy)',
        description:
          "The booking's user, the event's organizer or an admin cancels; anyone else gets 404 BOOKING_NOT_FOUND, as for reading it. A PENDING_PAYMENT booking is canceled freely. A CONFIRMED one, until the event starts: its user gets the refund of the event's refund policy (in full after a schedule change), the organizer's or an admin's cancellation refunds in full. `forceMajeure: true` (admins only, 403 otherwise) refunds in full whatever the policy. 422 INVALID_BOOKING_STATE for an ended booking, or a CONFIRMED one once the event has started.",
        params: IdParams,
        headers: CommandHeaders,
        body: CancelBookingBody,
        response: { 200: BookingView, 202: Accepted },
      },
    },
    async (request, reply) => {
      const { plan } = await cancelBookingPlan(
        context,
        request.principal,
        String(request.id),
        request.params.id,
        request.body,
      )
      return submitCommand(context, request, reply, plan)
    },
  )
}

/** PATCH /bookings/{id}: a new seat count, by the booking's user or an admin. */
function changeSeats(app: FastifyInstance, context: ApiContext): void {
  app.patch<{ Params: { id: string }; Body: { seats: number } }>(
    '/bookings/:id',
    {
      config: { roles: SIGNED_IN, rateLimit: context.bookingRateLimit },
      schema: {
        tags: ['bookings'],
        summary: 'Change the seat count of an active booking',
        description:
          'Fewer seats of a confirmed booking refund their share by the refund policy. More seats of a paid confirmed booking are held as a top-up until paid (`POST /bookings/{id}/pay`; the booking shows the added seats, `holdExpiresAt` and the amount left to pay); changing back to the confirmed seat count withdraws it, anything else meanwhile is 409 SEAT_CHANGE_PENDING.',
        params: IdParams,
        headers: CommandHeaders,
        body: ChangeSeatsBody,
        response: { 200: BookingView, 202: Accepted },
      },
    },
    async (request, reply) => {
      const { plan } = await changeSeatsPlan(
        context,
        request.principal,
        String(request.id),
        request.params.id,
        request.body.seats,
      )
      return submitCommand(context, request, reply, plan)
    },
  )
}

/** POST /bookings/{id}/reconfirm: the booking's user (or an admin) accepts a changed schedule. */
function reconfirmBooking(app: FastifyInstance, context: ApiContext): void {
  app.post<{ Params: { id: string } }>(
    '/bookings/:id/reconfirm',
    {
      config: { roles: SIGNED_IN, rateLimit: context.bookingRateLimit },
      schema: {
        tags: ['bookings'],
        summary: 'Re-confirm a booking after the event was rescheduled (or its schedule restored)',
        description:
          'Accepts the new schedule. The full-refund right a schedule change gives stays until the start either way; a booking never re-confirmed stays active. 422 RECONFIRMATION_NOT_REQUIRED when the schedule has not changed since the booking was made or the booking is re-confirmed already, 422 INVALID_BOOKING_STATE for an ended booking or a started event.',
        params: IdParams,
        headers: CommandHeaders,
        body: Type.Object({}, { additionalProperties: false, 'x-optional': true }),
        response: { 200: BookingView, 202: Accepted },
      },
    },
    async (request, reply) => {
      const booking = await bookingToChange(context, request.principal, request.params.id)
      return submitBookingCommand(
        context,
        request,
        reply,
        booking,
        'RECONFIRM',
        { reconfirm: { bookingId: booking.id } },
        200,
      )
    },
  )
}

/**
 * POST /bookings/{id}/ticket/reissue: a new ticket code for a confirmed booking (a ticket shared or lost),
 * by whoever may see the booking: its user, the event's organizer, an admin. The old code stops checking
 * in; the user is sent the new one.
 */
function reissueTicket(app: FastifyInstance, context: ApiContext): void {
  app.post<{ Params: { id: string } }>(
    '/bookings/:id/ticket/reissue',
    {
      config: { roles: SIGNED_IN, rateLimit: context.bookingRateLimit },
      schema: {
        tags: ['bookings'],
        summary: 'Re-issue the ticket of a confirmed booking',
        description:
          'A new ticket code; the previous one no longer checks in (TICKET_SUPERSEDED), seats checked in stay checked in. By the booking user, the event organizer or an admin. 422 INVALID_BOOKING_STATE unless CONFIRMED. Answers 202; with `Prefer: wait=N`, 200 with the booking and its new `ticketCode`.',
        params: IdParams,
        headers: CommandHeaders,
        body: Type.Object({}, { additionalProperties: false, 'x-optional': true }),
        response: { 200: BookingView, 202: Accepted },
      },
    },
    async (request, reply) => {
      const booking = await visibleBooking(context, request.principal, request.params.id)
      return submitBookingCommand(
        context,
        request,
        reply,
        booking,
        'REISSUE_TICKET',
        { reissueTicket: { bookingId: booking.id } },
        200,
      )
    },
  )
}
