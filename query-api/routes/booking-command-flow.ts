/**
 * How the booking commands reach the pipeline: a BookingCommand keyed by the booking's event, answered at
 * once (202) or, with `Prefer: wait` (a gRPC call's deadline), with the booking once the read model shows
 * the decision. The plans here hold the rules of the booking commands whichever transport carried them:
 * the HTTP routes (bookings.ts) and the gRPC BookingService (grpc/booking-service.ts) both submit them.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { BookingCommand } from '../../avro/index.ts'
import { canActForUser, canCancelForForceMajeure } from '../../processors/index.ts'
import type { BookingView, RequestOutcomeView } from '../../read-models/catalog/index.ts'
import { actorOf, type Principal } from '../auth.ts'
import { reflects, submitCommand, type CommandPlan } from '../command-flow.ts'
import { bookingCommand } from '../commands/command-builders.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import type { CreateBookingBody } from '../schemas.ts'
import { bookingToChange, visibleBooking } from './booking-access.ts'

/**
 * What `Prefer: wait` answers with: the booking once the read model shows the decision (`reflects`) and
 * `predicate` holds (e.g. CANCELED after a cancel); undefined meanwhile, and the wait goes on.
 */
export const bookingLoader =
  (context: ApiContext, predicate: (b: BookingView) => boolean) =>
  async (id: string, outcome: RequestOutcomeView): Promise<BookingView | undefined> => {
    const booking = await context.readModel.getBooking(id)
    return booking !== undefined && reflects(booking, outcome) && predicate(booking) ? booking : undefined
  }

const bookingLocation = (id: string) => `/api/v1/bookings/${encodeURIComponent(id)}`

/**
 * The plan of a booking command of `type` on an existing booking: `successStatus` with the booking once
 * `predicate` holds. `traceId` goes with the command.
 */
export function bookingCommandPlan(
  context: ApiContext,
  principal: Principal,
  traceId: string,
  booking: { eventId: string; id: string },
  type: BookingCommand['type'],
  payload: Partial<BookingCommand>,
  successStatus: 200 | 201,
  predicate: (b: BookingView) => boolean = () => true,
): CommandPlan<BookingView> {
  const actor = actorOf(principal)
  return {
    eventId: booking.eventId,
    resourceType: 'BOOKING',
    resourceId: booking.id,
    commandType: `booking.${type}`,
    successStatus,
    location: bookingLocation,
    load: bookingLoader(context, predicate),
    send: ({ requestId, idempotencyKey }) =>
      context.commands.sendBookingCommand(
        bookingCommand({ requestId, eventId: booking.eventId, actor, idempotencyKey }, type, payload),
        traceId,
      ),
  }
}

/**
 * Produces a booking command of `type` on an existing booking and answers it: `successStatus` with the
 * booking once `predicate` holds (Prefer: wait), else 202.
 */
export function submitBookingCommand(
  context: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  booking: { eventId: string; id: string },
  type: BookingCommand['type'],
  payload: Partial<BookingCommand>,
  successStatus: 200 | 201,
  predicate: (b: BookingView) => boolean = () => true,
): Promise<unknown> {
  return submitCommand(
    context,
    request,
    reply,
    bookingCommandPlan(
      context,
      request.principal,
      String(request.id),
      booking,
      type,
      payload,
      successStatus,
      predicate,
    ),
  )
}

/** A booking request for the caller or (admins, `canActForUser`) another user; 403 otherwise. */
export function bookingRequestPlan(
  context: ApiContext,
  principal: Principal,
  traceId: string,
  b: CreateBookingBody,
): CommandPlan<BookingView> {
  const actor = actorOf(principal)
  const userId = b.userId ?? actor.userId
  if (!canActForUser(actor, userId)) throw new ApiError('FORBIDDEN', 'only admins book for another user')
  return {
    eventId: b.eventId,
    resourceType: 'BOOKING',
    resourceId: (fresh) => fresh,
    commandType: 'booking.REQUEST',
    successStatus: 201,
    location: bookingLocation,
    load: bookingLoader(context, () => true),
    send: ({ requestId, resourceId, idempotencyKey }) =>
      context.commands.sendBookingCommand(
        bookingCommand({ requestId, eventId: b.eventId, actor, idempotencyKey }, 'REQUEST', {
          request: {
            bookingId: resourceId,
            userId,
            priceOptionId: b.priceOptionId,
            seats: b.seats,
            promoCode: b.promoCode ?? null,
          },
        }),
        traceId,
      ),
  }
}

/**
 * A cancellation by the booking's user, the event's organizer or an admin (404 for anyone else, as for
 * reading it); `forceMajeure` is for admins only (403). The booking as it was comes back for the audit line.
 */
export async function cancelBookingPlan(
  context: ApiContext,
  principal: Principal,
  traceId: string,
  id: string,
  body: { reason?: string; forceMajeure?: boolean } | undefined,
): Promise<{ booking: BookingView; plan: CommandPlan<BookingView> }> {
  const booking = await visibleBooking(context, principal, id)
  const forceMajeure = body?.forceMajeure ?? false
  if (forceMajeure && !canCancelForForceMajeure(actorOf(principal)))
    throw new ApiError('FORBIDDEN', 'force majeure refunds are for admins')
  const plan = bookingCommandPlan(
    context,
    principal,
    traceId,
    booking,
    'CANCEL',
    { cancel: { bookingId: booking.id, reason: body?.reason ?? null, forceMajeure } },
    200,
    (b) => b.status === 'CANCELED',
  )
  return { booking, plan }
}

/** A new seat count, by the booking's user or an admin (`bookingToChange`). */
export async function changeSeatsPlan(
  context: ApiContext,
  principal: Principal,
  traceId: string,
  id: string,
  seats: number,
): Promise<{ booking: BookingView; plan: CommandPlan<BookingView> }> {
  const booking = await bookingToChange(context, principal, id)
  const plan = bookingCommandPlan(
    context,
    principal,
    traceId,
    booking,
    'CHANGE_SEATS',
    { changeSeats: { bookingId: booking.id, seats } },
    200,
    (b) => b.seats === seats,
  )
  return { booking, plan }
}
