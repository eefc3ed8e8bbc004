/**
 * How the booking routes reach the pipeline: a BookingCommand keyed by the booking's event, answered at
 * once (202) or, with `Prefer: wait`, with the booking once the read model shows the decision.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { BookingCommand } from '../../avro/index.ts'
import type { BookingView, RequestOutcomeView } from '../../read-models/catalog/index.ts'
import { actorOf } from '../auth.ts'
import { reflects, submitCommand } from '../command-flow.ts'
import { bookingCommand } from '../commands/command-builders.ts'
import type { ApiContext } from '../context.ts'

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
  const actor = actorOf(request.principal)
  return submitCommand(context, request, reply, {
    eventId: booking.eventId,
    resourceType: 'BOOKING',
    resourceId: booking.id,
    commandType: `booking.${type}`,
    successStatus,
    location: (id) => `/api/v1/bookings/${encodeURIComponent(id)}`,
    load: bookingLoader(context, predicate),
    send: ({ requestId, idempotencyKey }) =>
      context.commands.sendBookingCommand(
        bookingCommand({ requestId, eventId: booking.eventId, actor, idempotencyKey }, type, payload),
        String(request.id),
      ),
  })
}
